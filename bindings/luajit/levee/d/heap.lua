-- d.Heap: a min-heap on int64 priorities. Values are kept alive in the
-- module-level table REFS (item id -> value) and removed from it when they
-- leave the heap, when the heap is cleared and when it is collected.
local ffi = require("ffi")

ffi.cdef([[
struct levee_lua_heap { int32_t id; };
struct levee_lua_heap_item { int32_t heap; int32_t id; };
]])

local M = {REFS = {}}
local REFS = M.REFS
local heaps = {}      -- heap id -> state {n, pri = int64_t[], ids = {}, pos = {}}
local next_heap, next_item = 0, 0
local int64 = ffi.typeof("int64_t")
local pri_array = ffi.typeof("int64_t[?]")

local Item = ffi.typeof("struct levee_lua_heap_item")

local function swap(s, i, j)
  local pri, ids, pos = s.pri, s.ids, s.pos
  pri[i], pri[j] = pri[j], pri[i]
  ids[i], ids[j] = ids[j], ids[i]
  pos[ids[i]], pos[ids[j]] = i, j
end

local function up(s, i)
  local pri = s.pri
  while i > 1 do
    local p = math.floor(i / 2)
    if pri[p] <= pri[i] then break end
    swap(s, i, p)
    i = p
  end
  return i
end

local function down(s, i)
  local pri, n = s.pri, s.n
  while true do
    local l = i * 2
    if l > n then break end
    local m = l
    if l + 1 <= n and pri[l + 1] < pri[l] then m = l + 1 end
    if pri[i] <= pri[m] then break end
    swap(s, i, m)
    i = m
  end
end

-- Removes the entry at index i; returns its priority and value.
local function take(s, i)
  local id = s.ids[i]
  local pri = int64(s.pri[i])
  local val = REFS[id]
  REFS[id] = nil
  s.pos[id] = nil
  local n = s.n
  if i ~= n then
    swap(s, i, n)
  end
  s.ids[n] = nil
  s.n = n - 1
  if i < n then down(s, up(s, i)) end
  return pri, val
end

local Heap = {}

-- push(pri, val) -> item, whose update(pri) and remove() act in place.
function Heap:push(pri, val)
  if type(pri) ~= "number" and type(pri) ~= "cdata" then
    error("d.Heap:push: pri must be a number, got " .. type(pri), 2)
  end
  local s = heaps[self.id]
  local n = s.n + 1
  if n >= s.cap then
    local cap = s.cap * 2
    local a = pri_array(cap)
    ffi.copy(a, s.pri, ffi.sizeof(int64) * s.cap)
    s.pri, s.cap = a, cap
  end
  next_item = next_item + 1
  local id = next_item
  s.n = n
  s.pri[n] = pri
  s.ids[n] = id
  s.pos[id] = n
  REFS[id] = val
  up(s, n)
  return Item(self.id, id)
end

function Heap:pop()
  local s = heaps[self.id]
  if s.n == 0 then return end
  return take(s, 1)
end

function Heap:peek()
  local s = heaps[self.id]
  if s.n == 0 then return end
  return int64(s.pri[1]), REFS[s.ids[1]]
end

function Heap:clear()
  local s = heaps[self.id]
  for i = 1, s.n do
    local id = s.ids[i]
    REFS[id] = nil
    s.pos[id] = nil
    s.ids[i] = nil
  end
  s.n = 0
end

function Heap:popiter()
  return function() return Heap.pop(self) end
end

-- peekiter(): yields the top entry; the next step pops it first.
function Heap:peekiter()
  local started = false
  return function()
    local s = heaps[self.id]
    if started and s.n > 0 then take(s, 1) end
    started = true
    if s.n == 0 then return end
    return int64(s.pri[1]), REFS[s.ids[1]]
  end
end

-- refs(): the values held by this heap, in heap order (for inspection).
function Heap:refs()
  local s, t = heaps[self.id], {}
  for i = 1, s.n do t[i] = REFS[s.ids[i]] end
  return t
end

ffi.metatype("struct levee_lua_heap", {
  __index = Heap,
  __len = function(self) return heaps[self.id].n end,
  __gc = function(self)
    Heap.clear(self)
    heaps[self.id] = nil
  end,
})

local item = {}

-- update(pri): moves the item to its new priority.
function item:update(pri)
  local s = heaps[self.heap]
  local i = s and s.pos[self.id]
  if not i then return end
  s.pri[i] = pri
  down(s, up(s, i))
end

-- remove(): takes the item out; returns its priority and value.
function item:remove()
  local s = heaps[self.heap]
  local i = s and s.pos[self.id]
  if not i then return end
  return take(s, i)
end

function item:value() return REFS[self.id] end

ffi.metatype(Item, {__index = item})

local ctype = ffi.typeof("struct levee_lua_heap")

return setmetatable(M, {
  __call = function()
    next_heap = next_heap + 1
    heaps[next_heap] = {n = 0, cap = 16, pri = pri_array(16), ids = {}, pos = {}}
    return ctype(next_heap)
  end,
})
