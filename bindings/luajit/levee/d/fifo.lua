-- d.Fifo: a first-in first-out queue. A cdata handle (so `#f` works on
-- Debian's LuaJIT) over a Lua table holding the items.
local ffi = require("ffi")

ffi.cdef([[struct levee_lua_fifo { int32_t first, last; };]])
local items = setmetatable({}, {__mode = "k"})

local Fifo = {}

function Fifo:push(v)
  local last = self.last + 1
  self.last = last
  items[self][last] = v
end

function Fifo:peek()
  if self.first > self.last then error("empty", 2) end
  return items[self][self.first]
end

function Fifo:pop()
  local first = self.first
  if first > self.last then error("empty", 2) end
  local t = items[self]
  local v = t[first]
  t[first] = nil
  if first == self.last then self.first, self.last = 1, 0   -- reuse low indices
  else self.first = first + 1 end
  return v
end

-- remove(n): drops the first n items.
function Fifo:remove(n)
  if type(n) ~= "number" then error("d.Fifo:remove: n must be a number, got " .. type(n), 2) end
  if n > self.last - self.first + 1 or n < 0 then error("range", 2) end
  local t = items[self]
  for i = self.first, self.first + n - 1 do t[i] = nil end
  self.first = self.first + n
  if self.first > self.last then self.first, self.last = 1, 0 end
end

-- iter(): every item, first to last, without removing them.
function Fifo:iter()
  local t, i, last = items[self], self.first - 1, self.last
  return function()
    if i >= last then return end
    i = i + 1
    return t[i]
  end
end

-- popiter(): pops items until the queue is empty.
function Fifo:popiter()
  return function()
    if self.first > self.last then return end
    return Fifo.pop(self)
  end
end

-- peekiter(): yields the first item; each later step pops the one yielded
-- before, so an item leaves the queue only once its consumer comes back.
function Fifo:peekiter()
  local started = false
  return function()
    if started and self.first <= self.last then Fifo.pop(self) end
    started = true
    if self.first > self.last then return end
    return items[self][self.first]
  end
end

local ctype = ffi.metatype("struct levee_lua_fifo", {
  __index = Fifo,
  __len = function(self) return self.last - self.first + 1 end,
})

return function()
  local f = ctype(1, 0)
  items[f] = {}
  return f
end
