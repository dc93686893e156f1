-- d.Set(...): a set of Lua values. A cdata handle (so `#s` works) over a
-- Lua table of members; freeze() adds a Bloom filter in front of lookups.
local ffi = require("ffi")
local Bloom = require("levee.d.bloom")

ffi.cdef([[struct levee_lua_set { int32_t n; int8_t frozen; };]])
local members = setmetatable({}, {__mode = "k"})
local blooms = setmetatable({}, {__mode = "k"})
local ctype

local Set = {}

local function mutable(self)
  if self.frozen ~= 0 then error("set is frozen", 3) end
end

local function key(k) return type(k) == "string" and k or tostring(k) end

function Set:put(k)
  mutable(self)
  local m = members[self]
  if m[k] == nil then
    m[k] = true
    self.n = self.n + 1
  end
  return self
end

function Set:remove(k)
  mutable(self)
  local m = members[self]
  if m[k] ~= nil then
    m[k] = nil
    self.n = self.n - 1
  end
  return self
end

function Set:has(k)
  local b = blooms[self]
  if b and not b:maybe(key(k)) then return false end
  return members[self][k] ~= nil
end

-- freeze([fpp]): no more mutation; lookups consult a Bloom filter first.
function Set:freeze(fpp)
  local b = Bloom(self.n, fpp or 0.01)
  for k in pairs(members[self]) do b:put(key(k)) end
  blooms[self] = b
  self.frozen = 1
  return self
end

function Set:is_frozen() return self.frozen ~= 0 end

-- The other set of union/intersect/diff.
local function other(o, fn)
  local m = (type(o) == "cdata" and ffi.istype(ctype, o)) and members[o]
  if not m then error(("d.Set:%s: expected a d.Set, got %s"):format(fn, type(o)), 3) end
  return m
end

function Set:union(o)
  for k in pairs(other(o, "union")) do Set.put(self, k) end
  return self
end

function Set:intersect(o)
  local om = other(o, "intersect")
  mutable(self)
  for k in pairs(members[self]) do
    if om[k] == nil then Set.remove(self, k) end
  end
  return self
end

function Set:diff(o)
  local om = other(o, "diff")
  mutable(self)
  for k in pairs(om) do Set.remove(self, k) end
  return self
end

function Set:iter()
  local k
  local m = members[self]
  return function()
    k = next(m, k)
    return k
  end
end

local function new(...)
  local s = ctype(0, 0)
  members[s] = {}
  local n = select("#", ...)
  local first = ...
  if n == 1 and type(first) == "table" then
    for _, v in ipairs(first) do Set.put(s, v) end
  else
    for i = 1, n do Set.put(s, (select(i, ...))) end
  end
  return s
end

function Set:copy()
  local s = new()
  for k in pairs(members[self]) do Set.put(s, k) end
  return s
end

ctype = ffi.metatype("struct levee_lua_set", {
  __index = Set,
  __len = function(self) return self.n end,
  __eq = function(a, b)
    if not (ffi.istype(ctype, a) and ffi.istype(ctype, b)) then return false end
    if a.n ~= b.n then return false end
    local bm = members[b]
    for k in pairs(members[a]) do
      if bm[k] == nil then return false end
    end
    return true
  end,
  __add = function(a, b) return Set.union(Set.copy(a), b) end,
  __div = function(a, b) return Set.intersect(Set.copy(a), b) end,
  __sub = function(a, b) return Set.diff(Set.copy(a), b) end,
  __tostring = function(self)
    local t = {}
    for k in pairs(members[self]) do t[#t + 1] = tostring(k) end
    table.sort(t)
    return "levee.d.Set{" .. table.concat(t, ", ") .. "}"
  end,
})

return new
