-- levee.p: protocol modules, each loaded on first access
-- (`require("levee").p.json` loads levee.p.json).
local submodules = {
  json = "levee.p.json",
  http = "levee.p.http",
  msgpack = "levee.p.msgpack",
  registered = "levee.p.registered",
}

return require("levee.lazy")(submodules)
