-- levee.p.msgpack: MessagePack encode/decode in LuaJIT over FFI pointers
-- (lua-api.md §10 with its defects fixed: nil decodes to nil, float32 to a
-- number, bin and str to strings). See docs/msgpack.md.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
local d = require("levee.d")

local CLOSED = errors.CLOSED
local ESYNTAX = errors.get(L.LEVEE_MSGPACK_ESYNTAX)
local ESTACK = errors.get(L.LEVEE_MSGPACK_ESTACK)
local u8p = ffi.typeof("const uint8_t *")
local fstring = ffi.string
local band, rshift, lshift = bit.band, bit.rshift, bit.lshift

local MAX_DEPTH = 512
local NEED = {}  -- sentinel: the input ends inside the value

local conv = ffi.new("union { double d; float f; uint64_t u; int64_t i; uint32_t u32; uint8_t b[8]; }")
local int64_t, uint64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
local TWO53 = 2 ^ 53

local M = {}

-- ---------------------------------------------------------------------
-- decoding: value(p, i, n, depth) -> v, next offset (NEED when cut short)

local decode_at

local function be16(p, i) return p[i] * 256 + p[i + 1] end
local function be32(p, i) return ((p[i] * 256 + p[i + 1]) * 256 + p[i + 2]) * 256 + p[i + 3] end

local function load8(p, i)
  for k = 0, 7 do conv.b[7 - k] = p[i + k] end
end

-- a 64-bit integer: a Lua number when exact, else the int64/uint64 cdata
local function int64(signed)
  if signed then
    local v = conv.i
    if v >= -TWO53 and v <= TWO53 then return tonumber(v) end
    return int64_t(v)
  end
  local v = conv.u
  if v <= TWO53 then return tonumber(v) end
  return uint64_t(v)
end

local function str(p, i, n, len)
  if i + len > n then return NEED end
  return fstring(p + i, len), i + len
end

local function array(p, i, n, count, depth)
  if depth > MAX_DEPTH then error(ESTACK, 0) end
  local t = {}
  for k = 1, count do
    local v
    v, i = decode_at(p, i, n, depth + 1)
    if v == NEED then return NEED end
    t[k] = v
  end
  return t, i
end

local function map(p, i, n, count, depth)
  if depth > MAX_DEPTH then error(ESTACK, 0) end
  local t = {}
  for _ = 1, count do
    local k, v
    k, i = decode_at(p, i, n, depth + 1)
    if k == NEED then return NEED end
    v, i = decode_at(p, i, n, depth + 1)
    if v == NEED then return NEED end
    if k == nil or k ~= k then error(ESYNTAX, 0) end  -- a nil or NaN key
    t[k] = v
  end
  return t, i
end

local function ext(p, i, n, len)
  if i + 1 + len > n then return NEED end
  local kind = p[i]
  if kind >= 128 then kind = kind - 256 end
  return {ext = kind, data = fstring(p + i + 1, len)}, i + 1 + len
end

-- bytes that follow a sized type byte before its payload (or the whole
-- payload for fixed sizes)
local SIZED = {[0xc4] = 1, [0xc5] = 2, [0xc6] = 4, [0xc7] = 2, [0xc8] = 3, [0xc9] = 5,
  [0xca] = 4, [0xcb] = 8, [0xcc] = 1, [0xcd] = 2, [0xce] = 4, [0xcf] = 8,
  [0xd0] = 1, [0xd1] = 2, [0xd2] = 4, [0xd3] = 8, [0xd4] = 2, [0xd5] = 3, [0xd6] = 5,
  [0xd7] = 9, [0xd8] = 17, [0xd9] = 1, [0xda] = 2, [0xdb] = 4, [0xdc] = 2, [0xdd] = 4,
  [0xde] = 2, [0xdf] = 4}

function decode_at(p, i, n, depth)
  if i >= n then return NEED end
  local c = p[i]
  i = i + 1
  if c < 0x80 then return c, i end
  if c >= 0xe0 then return c - 256, i end
  if c < 0x90 then return map(p, i, n, c - 0x80, depth) end
  if c < 0xa0 then return array(p, i, n, c - 0x90, depth) end
  if c < 0xc0 then return str(p, i, n, c - 0xa0) end
  if c == 0xc0 then return nil, i end
  if c == 0xc2 then return false, i end
  if c == 0xc3 then return true, i end
  -- sized forms: the size field (or fixed payload) must be there first
  local need = SIZED[c]
  if not need then error(ESYNTAX, 0) end  -- 0xc1, never used
  if i + need > n then return NEED end
  if c == 0xc4 or c == 0xd9 then return str(p, i + 1, n, p[i]) end
  if c == 0xc5 or c == 0xda then return str(p, i + 2, n, be16(p, i)) end
  if c == 0xc6 or c == 0xdb then return str(p, i + 4, n, be32(p, i)) end
  if c == 0xc7 then return ext(p, i + 1, n, p[i]) end
  if c == 0xc8 then return ext(p, i + 2, n, be16(p, i)) end
  if c == 0xc9 then return ext(p, i + 4, n, be32(p, i)) end
  if c >= 0xd4 and c <= 0xd8 then return ext(p, i, n, lshift(1, c - 0xd4)) end
  if c == 0xca then
    for k = 0, 3 do conv.b[3 - k] = p[i + k] end
    return tonumber(conv.f), i + 4
  end
  if c == 0xcb then
    load8(p, i)
    return tonumber(conv.d), i + 8
  end
  if c == 0xcc then return p[i], i + 1 end
  if c == 0xcd then return be16(p, i), i + 2 end
  if c == 0xce then return be32(p, i), i + 4 end
  if c == 0xcf then
    load8(p, i)
    return int64(false), i + 8
  end
  if c == 0xd0 then
    local v = p[i]
    return v >= 128 and v - 256 or v, i + 1
  end
  if c == 0xd1 then
    local v = be16(p, i)
    return v >= 32768 and v - 65536 or v, i + 2
  end
  if c == 0xd2 then
    local v = be32(p, i)
    return v >= 2147483648 and v - 4294967296 or v, i + 4
  end
  if c == 0xd3 then
    load8(p, i)
    return int64(true), i + 8
  end
  if c == 0xdc then return array(p, i + 2, n, be16(p, i), depth) end
  if c == 0xdd then return array(p, i + 4, n, be32(p, i), depth) end
  if c == 0xde then return map(p, i + 2, n, be16(p, i), depth) end
  return map(p, i + 4, n, be32(p, i), depth)  -- 0xdf
end

-- one value from p[0, n) -> err, value, consumed (err CLOSED: cut short)
local function decode_ptr(p, n)
  local ok, v, used = pcall(decode_at, p, 0, n, 0)
  if not ok then
    if v == ESYNTAX or v == ESTACK then return v end
    error(v, 0)
  end
  if v == NEED then return CLOSED end
  return nil, v, used
end

-- input(s, len, fn) -> ptr, len: a string, a pointer and a length, or a
-- buffer (levee.p.input raises for anything else).
local check_input = require("levee.p.input")("levee.p.msgpack", 1)
local function input(s, len, fn)
  local p, n = check_input(s, len, fn)
  return ffi.cast(u8p, p), n
end

-- decode(s[, len]) / decode(ptr, len) / decode(buf) -> err, value[, n]:
-- the first value and the bytes it took. A value cut short is CLOSED.
function M.decode(s, len)
  local p, n = input(s, len, "decode")
  -- not a tail call: this frame keeps `s` (and so the bytes at p) alive
  -- while tables are allocated
  local err, v, used = decode_ptr(p, n)
  if err then return err end  -- failure returns only err (lua-api.md conventions)
  return nil, v, used
end

-- ---------------------------------------------------------------------
-- the incremental decoder

local Decoder = {}
Decoder.__index = Decoder

function M.decoder() return setmetatable({done = false, value = nil}, Decoder) end

-- next(buf, len) -> err, n: decodes one value from buf; n = 0 means more
-- bytes are needed (pass them all again); then value holds it.
function Decoder:next(buf, len)
  local p, n = input(buf, len, "decoder:next")
  local err, v, used = decode_ptr(p, n)
  if err == CLOSED then return nil, 0 end
  if err then return err end
  self.done, self.value = true, v
  return nil, used
end

function Decoder:reset() self.done, self.value = false, nil end
function Decoder:is_done() return self.done end

-- stream(s) -> err, value: one value from a stream (value/trim/readin),
-- reading in as needed; what follows stays in the stream. The decoder is
-- not reset (as the original); reset() before the next value, or use
-- stream:msgpack(), which does.
function Decoder:stream(s)
  while true do
    local p, n = s:value()
    local err, used = self:next(p, n)
    if err then return err end
    if used > 0 then
      s:trim(used)
      return nil, self.value
    end
    err = s:readin()
    if err then return err end
  end
end

-- stream_value(s) -> err, value: stream() then reset()
function Decoder:stream_value(s)
  local err, v = self:stream(s)
  self:reset()
  return err, v
end

-- ---------------------------------------------------------------------
-- encoding

local scratch = ffi.new("uint8_t[9]")

local function put(buf, n) buf:write(scratch, n) end

local function put_be(buf, tag, v, size)
  scratch[0] = tag
  for k = size, 1, -1 do
    scratch[k] = band(v, 0xff)
    v = rshift(v, 8)
  end
  put(buf, size + 1)
end

local function put64(buf, tag)
  scratch[0] = tag
  for k = 0, 7 do scratch[1 + k] = conv.b[7 - k] end
  put(buf, 9)
end

local function encode_int(buf, v)
  if v >= 0 then
    if v < 128 then scratch[0] = v put(buf, 1)
    elseif v < 256 then put_be(buf, 0xcc, v, 1)
    elseif v < 65536 then put_be(buf, 0xcd, v, 2)
    elseif v < 4294967296 then put_be(buf, 0xce, v, 4)
    else conv.i = v put64(buf, 0xd3) end
  else
    if v >= -32 then scratch[0] = v + 256 put(buf, 1)
    elseif v >= -128 then put_be(buf, 0xd0, v + 256, 1)
    elseif v >= -32768 then put_be(buf, 0xd1, v + 65536, 2)
    elseif v >= -2147483648 then put_be(buf, 0xd2, v + 4294967296, 4)
    else conv.i = v put64(buf, 0xd3) end
  end
end

local function encode_len(buf, n, fix, fixmax, t16, t32)
  if n <= fixmax then scratch[0] = fix + n put(buf, 1)
  elseif n < 65536 then put_be(buf, t16, n, 2)
  else put_be(buf, t32, n, 4) end
end

local encode_value

local function encode_table(buf, t, depth)
  if depth > MAX_DEPTH then error("levee.p.msgpack: nesting too deep", 0) end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  local n = #t
  if n == count then
    encode_len(buf, n, 0x90, 15, 0xdc, 0xdd)
    for i = 1, n do encode_value(buf, t[i], depth + 1) end
  else
    encode_len(buf, count, 0x80, 15, 0xde, 0xdf)
    for k, v in pairs(t) do
      encode_value(buf, k, depth + 1)
      encode_value(buf, v, depth + 1)
    end
  end
end

function encode_value(buf, v, depth)
  local t = type(v)
  if t == "number" then
    if v == math.floor(v) and v >= -9.2e18 and v <= 9.2e18 then
      encode_int(buf, v)
    else
      conv.d = v
      put64(buf, 0xcb)
    end
  elseif t == "string" then
    local n = #v
    if n < 32 then scratch[0] = 0xa0 + n put(buf, 1)
    elseif n < 256 then put_be(buf, 0xd9, n, 1)
    elseif n < 65536 then put_be(buf, 0xda, n, 2)
    else put_be(buf, 0xdb, n, 4) end
    buf:write(v)
  elseif t == "boolean" then
    scratch[0] = v and 0xc3 or 0xc2
    put(buf, 1)
  elseif t == "nil" then
    scratch[0] = 0xc0
    put(buf, 1)
  elseif t == "table" then
    if v.ext ~= nil and type(v.data) == "string" and type(v.ext) == "number" then
      local n = #v.data
      if n < 256 then put_be(buf, 0xc7, n, 1)
      elseif n < 65536 then put_be(buf, 0xc8, n, 2)
      else put_be(buf, 0xc9, n, 4) end
      scratch[0] = band(v.ext, 0xff)
      put(buf, 1)
      buf:write(v.data)
    else
      encode_table(buf, v, depth)
    end
  elseif t == "cdata" and (ffi.istype(uint64_t, v) or ffi.istype("uint32_t", v)) then
    conv.u = v
    put64(buf, 0xcf)
  elseif t == "cdata" and (ffi.istype(int64_t, v) or ffi.istype("int32_t", v)) then
    conv.i = v
    put64(buf, 0xd3)
  else
    error("levee.p.msgpack: cannot encode a " .. t, 0)
  end
end

-- encode(data[, buf]) -> err, buf: appends the msgpack form of data. A
-- table is an array when its keys are exactly 1..#t (an empty table is an
-- empty array); integral numbers are integers, other numbers doubles;
-- int64/uint64 cdata keep their sign; {ext = type, data = s} is an ext
-- value. Functions, userdata and other cdata raise a Lua error.
function M.encode(data, buf)
  buf = buf or d.Buffer()
  encode_value(buf, data, 0)
  return nil, buf
end

-- io(p) -> the `p.msgpack` convenience of an io's protocol object p (read()
-- and write(data)), as the original's registered protocols offered it.
function M.io(p) return p.msgpack end

return M
