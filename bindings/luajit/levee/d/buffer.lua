-- d.Buffer: the growable byte region (levee_buffer) as a LuaJIT cdata
-- object, so `#buf` and `buf.len` work without Lua 5.2 compatibility.
local ffi = require("ffi")
local L = require("levee.lib")

local C_len, C_value, C_tail = L.levee_buffer_len, L.levee_buffer_value, L.levee_buffer_tail
local C_available, C_cap, C_trim = L.levee_buffer_available, L.levee_buffer_cap, L.levee_buffer_trim
local SIZE_MAX = ffi.cast("size_t", -1LL)
local u8p = ffi.typeof("uint8_t *")

local Buffer = {}
local methods = {}

-- Lua's collector cannot see the bytes a buffer holds in C, so a program
-- that drops large buffers would let them pile up until the next full
-- cycle. Big allocations advance the collector in proportion to their size.
local PRESSURE_STEP = 1048576
local pressure = 0
local function account(bytes)
  pressure = pressure + bytes
  if pressure >= PRESSURE_STEP then
    collectgarbage("step", pressure / 1024)
    pressure = 0
  end
end
Buffer.account = account


-- Raises a Lua error carrying the levee error for a failed core call.
local function check(rc, what)
  if rc < 0 then
    local err = require("levee.errors").get(rc)
    error(("d.Buffer:%s: %s"):format(what, tostring(err)), 3)
  end
end

-- A size argument: a non-negative integer (Lua number or cdata).
local function size(n, what)
  if type(n) == "number" then
    if n < 0 or n ~= n then error(("d.Buffer:%s: size must be >= 0"):format(what), 3) end
  elseif type(n) ~= "cdata" then
    error(("d.Buffer:%s: size expected, got %s"):format(what, type(n)), 3)
  end
  return n
end

function methods:ensure(hint)
  if hint == nil then
    hint = math.min(tonumber(C_cap(self)) / 2, 65536)
  end
  local before = C_cap(self)
  check(L.levee_buffer_ensure(self, size(hint, "ensure")), "ensure")
  local grown = tonumber(C_cap(self) - before)
  if grown >= 65536 then account(grown) end
  return self
end

function methods:available() return tonumber(C_available(self)) end

function methods:tail() return C_tail(self), tonumber(C_available(self)) end

function methods:bump(n)
  check(L.levee_buffer_bump(self, size(n, "bump")), "bump")
end

-- value() / value(n) / value(off, true) / value(off, n)
function methods:value(a, b)
  local len = tonumber(C_len(self))
  local p = C_value(self)
  if a == nil then return p, len end
  a = tonumber(size(a, "value"))
  if b == nil then return p, math.min(a, len) end
  local off = math.min(a, len)
  if b == true then return p + off, len - off end
  return p + off, math.min(tonumber(size(b, "value")), len - off)
end

function methods:slice(n)
  return C_value(self), math.min(tonumber(size(n, "slice")), tonumber(C_len(self)))
end

function methods:trim(n)
  if n == nil then return tonumber(C_trim(self, SIZE_MAX)) end
  return tonumber(C_trim(self, size(n, "trim")))
end

function methods:peek(n)
  local len = tonumber(C_len(self))
  if n == nil then n = len else n = math.min(tonumber(size(n, "peek")), len) end
  if n <= 0 then return "" end
  return ffi.string(C_value(self), n)
end

function methods:take(n)
  local s = methods.peek(self, n)
  C_trim(self, #s)
  return s
end

function methods:write(src, len)
  if len == nil then len = #src
  elseif type(src) == "string" and len > #src then
    error(("d.Buffer:write: len %s is beyond the string's %d bytes"):format(tostring(len), #src), 2)
  end
  check(L.levee_buffer_write(self, src, size(len, "write")), "write")
end
methods.push = methods.write

function methods:copy(dst, n) return tonumber(L.levee_buffer_copy(self, dst, size(n, "copy"))) end

function methods:move(dst, n) return tonumber(L.levee_buffer_move(self, dst, size(n, "move"))) end

function methods:truncate() L.levee_buffer_truncate(self) end

function methods:freeze(n)
  check(L.levee_buffer_freeze(self, size(n, "freeze")), "freeze")
end

function methods:thaw() L.levee_buffer_thaw(self) end

function methods:reset() L.levee_buffer_reset(self) end

-- release() -> true when the (empty) buffer gave its memory back, false
-- when it holds bytes. Writing to it later allocates again.
function methods:release() return L.levee_buffer_release(self) == 0 end

function methods:writeinto_iovec(iov)
  local p, n = methods.value(self)
  iov:writeraw(p, n)
end

function methods:tostring() return methods.peek(self) end

-- butt(off): a view `off` bytes into the buffer (see Butt below).
function methods:butt(off)
  return Buffer.Butt(self, off)
end

local mt = {
  __len = function(self) return tonumber(C_len(self)) end,
  __tostring = function(self)
    return ("levee.d.Buffer: %p len=%d cap=%d"):format(self, tonumber(C_len(self)),
      tonumber(C_cap(self)))
  end,
  __index = function(self, key)
    local m = methods[key]
    if m then return m end
    if key == "len" then return tonumber(C_len(self)) end
    if key == "cap" then return tonumber(C_cap(self)) end
    if key == "sav" then return tonumber(L.levee_buffer_frozen(self)) end
    return nil
  end,
}
ffi.metatype("struct levee_buffer", mt)


local out = ffi.new("levee_buffer *[1]")
-- Buffers this module did not create (from_ptr) are not collected by it.
local function new(hint)
  hint = hint or 0
  check(L.levee_buffer_new(out, size(hint, "new")), "new")
  if hint >= 65536 then account(tonumber(C_cap(out[0]))) end
  return ffi.gc(out[0], L.levee_buffer_free)
end

-- Adopts a levee_buffer* made elsewhere (e.g. received over a thread
-- channel): the returned buffer is freed when collected.
function Buffer.from_ptr(_, p)
  return ffi.gc(ffi.cast("levee_buffer *", p), L.levee_buffer_free)
end

-- The view returned by buf:butt(off). Its parent is kept alive for as long
-- as the view is.
ffi.cdef([[struct levee_lua_butt { levee_buffer *buf; size_t off; };]])
local parents = setmetatable({}, {__mode = "k"})
local butt = {}

local function butt_len(self)
  local len = tonumber(C_len(self.buf))
  local off = tonumber(self.off)
  return len > off and len - off or 0
end

function butt:value(a, b)
  local p, n = self.buf:value(tonumber(self.off), true)
  if a == nil then return p, n end
  a = tonumber(size(a, "value"))
  if b == nil then return p, math.min(a, n) end
  local off = math.min(a, n)
  if b == true then return p + off, n - off end
  return p + off, math.min(tonumber(size(b, "value")), n - off)
end

-- peek([n]) or peek(off, n): a string copy of the view's bytes.
function butt:peek(a, b)
  local p, n
  if b == nil then p, n = butt.value(self, a or butt_len(self))
  else p, n = butt.value(self, a, b) end
  if n <= 0 then return "" end
  return ffi.string(p, n)
end

-- trim([n]): removes bytes from the middle of the parent, at the view.
function butt:trim(n)
  if n == nil then n = butt_len(self) end
  return tonumber(L.levee_buffer_remove(self.buf, self.off, size(n, "trim")))
end

function butt:ensure(hint) self.buf:ensure(hint) return self end
function butt:write(src, len) return self.buf:write(src, len) end
function butt:tail() return self.buf:tail() end
function butt:bump(n) return self.buf:bump(n) end
function butt:available() return self.buf:available() end

ffi.metatype("struct levee_lua_butt", {
  __len = butt_len,
  __index = butt,
  __tostring = function(self) return butt.peek(self) end,
})
local Butt = ffi.typeof("struct levee_lua_butt")

function Buffer.Butt(buf, off)
  local v = Butt(buf, off or 0)
  parents[v] = buf
  return v
end

Buffer.methods = methods
return setmetatable(Buffer, {__call = function(_, hint) return new(hint) end})
