-- require("levee.d.map")(): a case-insensitive multi-map of HTTP header
-- names to values, keeping the casing of a name's first insert and the
-- order names were first added. m[name] is nil, a string, or a list.
local ffi = require("ffi")

ffi.cdef([[struct levee_lua_map { int32_t levee_map_count; };]])
local state = setmetatable({}, {__mode = "k"})
local ctype

local methods = {}

local function str(v)
  if type(v) == "string" then return v end
  if type(v) == "number" or type(v) == "cdata" then return tostring(v) end
  error("d.Map: header values are strings or lists of strings, got " .. type(v), 3)
end

-- add(name, value): appends; a repeated name becomes a list.
function methods:add(name, value)
  local s = state[self]
  local lname = name:lower()
  local cur = s.vals[lname]
  value = str(value)
  if cur == nil then
    s.vals[lname] = value
    s.names[lname] = name
    s.order[#s.order + 1] = lname
    self.levee_map_count = self.levee_map_count + 1
  elseif type(cur) == "table" then
    cur[#cur + 1] = value
  else
    s.vals[lname] = {cur, value}
  end
  return self
end

local function delete(self, s, lname)
  if s.vals[lname] == nil then return end
  s.vals[lname], s.names[lname] = nil, nil
  for i = 1, #s.order do
    if s.order[i] == lname then table.remove(s.order, i) break end
  end
  self.levee_map_count = self.levee_map_count - 1
end

-- set(name, v | {v1, v2} | nil): replaces (or deletes) every value.
function methods:set(name, value)
  local s = state[self]
  delete(self, s, name:lower())
  if type(value) == "table" then
    for i = 1, #value do methods.add(self, name, value[i]) end
  elseif value ~= nil then
    methods.add(self, name, value)
  end
  return self
end

function methods:get(name) return state[self].vals[name:lower()] end

-- iter(): name, value for every value (a repeated name once per value), in
-- the order names were first added.
function methods:iter()
  local s = state[self]
  local i, j, list = 0, 0, nil
  return function()
    while true do
      if list then
        j = j + 1
        if j <= #list then return s.names[s.order[i]], list[j] end
        list = nil
      end
      i = i + 1
      local lname = s.order[i]
      if not lname then return end
      local v = s.vals[lname]
      if type(v) == "table" then list, j = v, 0
      else return s.names[lname], v end
    end
  end
end

local function wire(self)
  local t = {}
  for name, value in methods.iter(self) do
    t[#t + 1] = name
    t[#t + 1] = ": "
    t[#t + 1] = value
    t[#t + 1] = "\r\n"
  end
  return table.concat(t)
end
methods.tostring = wire

-- writeinto_iovec(iov): four entries per value (name, ": ", value, CRLF),
-- as the original; the strings are the map's own, kept alive by the iovec.
function methods:writeinto_iovec(iov)
  for name, value in methods.iter(self) do
    iov:writeraw(name)
    iov:writeraw(": ")
    iov:writeraw(value)
    iov:writeraw("\r\n")
  end
end

ctype = ffi.metatype("struct levee_lua_map", {
  __index = function(self, key)
    local m = methods[key]
    if m then return m end
    if type(key) ~= "string" then return nil end
    return state[self].vals[key:lower()]
  end,
  __newindex = function(self, key, value) methods.set(self, key, value) end,
  __len = function(self) return self.levee_map_count end,
  __tostring = wire,
})

-- Map([t]): t is an optional table of name -> value | {values}.
return function(t)
  if t ~= nil and type(t) ~= "table" then
    error("d.Map: the initial headers must be a table, got " .. type(t), 2)
  end
  local m = ctype(0)
  state[m] = {vals = {}, names = {}, order = {}}
  if t then
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do methods.set(m, k, t[k]) end
  end
  return m
end
