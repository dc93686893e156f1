-- levee.d: data structures. Map and Bloom are also reachable as
-- require("levee.d.map") / require("levee.d.bloom"), as in the original.
local lazy = {
  Buffer = "levee.d.buffer",
  Iovec = "levee.d.iovec",
  Data = "levee.d.data",
  Fifo = "levee.d.fifo",
  Heap = "levee.d.heap",
  Set = "levee.d.set",
  HashRing = "levee.d.hashring",
  Map = "levee.d.map",
  Bloom = "levee.d.bloom",
}

return require("levee.lazy")(lazy)
