-- d.Iovec: a gather list (levee_iovec) ready for writev. Entries point at
-- the caller's bytes; strings written are referenced, not copied, and kept
-- alive by the iovec until reset or collection.
local ffi = require("ffi")
local L = require("levee.lib")

local C_count, C_bytes = L.levee_iovec_count, L.levee_iovec_bytes

-- Entries are handed out as the system's struct iovec (iov_base, iov_len),
-- as the original did; levee_iovec_entry has the same layout.
pcall(ffi.cdef, "struct iovec { void *iov_base; size_t iov_len; };")
local iovec_p = ffi.typeof("struct iovec *")
local function entries(self) return ffi.cast(iovec_p, L.levee_iovec_entries(self)) end
local SIZE_MAX = ffi.cast("size_t", -1LL)

-- Per-iovec anchors for the Lua strings its entries point into.
local anchors = setmetatable({}, {__mode = "k"})

local function check(rc, what)
  if rc < 0 then
    error(("d.Iovec:%s: %s"):format(what, tostring(require("levee.errors").get(rc))), 3)
  end
end

local methods = {}

function methods:ensure(n) check(L.levee_iovec_ensure(self, n), "ensure") end

-- writeraw(ptr | string[, len]): one entry; a zero-length one is ignored.
function methods:writeraw(val, len)
  if len == nil then len = #val end
  if len <= 0 then return end
  if type(val) == "string" then
    if len > #val then
      error(("d.Iovec:writeraw: len %s is beyond the string's %d bytes"):format(tostring(len), #val), 2)
    end
    local a = anchors[self]
    a[#a + 1] = val
  end
  check(L.levee_iovec_append(self, val, len), "writeraw")
end

-- write(val[, len]): a string, or any object that knows how to add itself
-- (writeinto_iovec), or one with value() -> ptr, len.
function methods:write(val, len)
  if type(val) == "string" then return methods.writeraw(self, val, len) end
  if val.writeinto_iovec then return val:writeinto_iovec(self) end
  if val.value then
    local p, n = val:value()
    return methods.writeraw(self, p, len or n)
  end
  error("d.Iovec:write: cannot write a " .. type(val), 2)
end

-- value() -> iov, n: the entries (struct iovec *) and their count.
function methods:value() return entries(self), tonumber(C_count(self)) end

-- tail() -> iov, free: where to write more entries before bump(n).
function methods:tail()
  local n, size = tonumber(C_count(self)), tonumber(L.levee_iovec_size(self))
  local e = entries(self)
  return e ~= nil and e + n or e, size - n
end

-- bump(n[, len]): commits n entries written at tail(); len is summed from
-- them when omitted.
function methods:bump(n, len)
  check(L.levee_iovec_bump(self, n, len or SIZE_MAX), "bump")
end

-- consume(n): drops the first n bytes after a partial writev.
function methods:consume(n)
  if type(n) ~= "number" and type(n) ~= "cdata" then
    error(("d.Iovec:consume: size expected, got %s"):format(type(n)), 2)
  end
  if n < 0 then error("d.Iovec:consume: size must be >= 0", 2) end
  return tonumber(L.levee_iovec_consume(self, n))
end

function methods:reset()
  L.levee_iovec_reset(self)
  anchors[self] = {}
end

function methods:string()
  local n = tonumber(C_bytes(self))
  if n == 0 then return "" end
  local tmp = ffi.new("uint8_t[?]", n)
  L.levee_iovec_copy(self, tmp, n)
  return ffi.string(tmp, n)
end

ffi.metatype("struct levee_iovec", {
  __len = function(self) return tonumber(C_bytes(self)) end,
  __tostring = function(self)
    return ("levee.d.Iovec: %p n=%d len=%d"):format(self, tonumber(C_count(self)),
      tonumber(C_bytes(self)))
  end,
  __index = function(self, key)
    local m = methods[key]
    if m then return m end
    if key == "iov" then return entries(self) end
    if key == "n" then return tonumber(C_count(self)) end
    if key == "len" then return tonumber(C_bytes(self)) end
    if key == "size" then return tonumber(L.levee_iovec_size(self)) end
    return nil
  end,
})

local out = ffi.new("levee_iovec *[1]")
return function(size)
  if size ~= nil and (type(size) ~= "number" or size < 0 or size ~= size) then
    if type(size) == "number" then error("d.Iovec: size must be >= 0, got " .. size, 2) end
    error("d.Iovec: size must be a number, got " .. type(size), 2)
  end
  check(L.levee_iovec_new(out, size or 0), "new")
  local iov = ffi.gc(out[0], L.levee_iovec_free)
  anchors[iov] = {}
  return iov
end
