-- levee.p.StringStream: the stream protocol over a string or a d.Buffer
-- (lua-api.md §10, docs/line.md), so decoders that read from connections
-- (p.line.stream, json and msgpack decoders' stream()) read from memory.
--
-- StringStream(s[, len]) / StringStream(buf[, len]): value() -> ptr, len;
-- trim([n]) -> n trimmed; readin([n]) -> err; peek([n]) / take([n]) ->
-- string (nil when fewer than n bytes remain); tostring() -> what remains.
-- No bytes can ever arrive, so readin(n) is nil when n bytes remain and
-- errors.CLOSED otherwise; readin() is a no-op while bytes remain, and
-- errors.CLOSED once empty or when called again without a trim in between
-- (a decoder that needs more than there is ends instead of spinning).
local ffi = require("ffi")
local errors = require("levee.errors")

local ffi_string, ffi_cast, type, tonumber = ffi.string, ffi.cast, type, tonumber
local u8p = ffi.typeof("const uint8_t *")

local SS = {}
SS.__index = SS

-- ptr, bytes remaining
function SS:value()
  if self.buf then
    local p, n = self.buf:value()
    n = tonumber(n)
    if self.len and self.len < n then n = self.len end
    return p, n
  end
  return self.ptr + self.off, self.len - self.off
end

local function remaining(self) return select(2, self:value()) end

function SS:trim(n)
  local have = remaining(self)
  if n == nil or n > have then n = have end
  if self.buf then
    self.buf:trim(n)
    if self.len then self.len = self.len - n end
  else
    self.off = self.off + n
  end
  self.stalled = false
  return n
end

function SS:readin(n)
  local have = remaining(self)
  if have == 0 then return errors.CLOSED end
  if n ~= nil then
    if n <= have then return nil end
    return errors.CLOSED
  end
  if self.stalled then return errors.CLOSED end
  self.stalled = true
  return nil
end

function SS:peek(n)
  local p, have = self:value()
  if n == nil then n = have elseif n > have then return nil end
  return ffi_string(p, n)
end

function SS:take(n)
  local s = self:peek(n)
  if s then self:trim(#s) end
  return s
end

SS.__tostring = function(self) return self:peek() end

return function(src, len)
  if type(src) == "string" then
    if len == nil or len > #src then len = #src end
    if len < 0 then error("levee.p.StringStream: len must be >= 0", 2) end
    return setmetatable({src = src, ptr = ffi_cast(u8p, src), off = 0, len = len}, SS)
  end
  local t = type(src)
  local ok, value = false, nil
  if t == "table" or t == "cdata" then ok, value = pcall(function() return src.value end) end
  if not ok or type(value) ~= "function" then
    error("levee.p.StringStream: expects a string or a d.Buffer", 2)
  end
  return setmetatable({buf = src, len = len}, SS)
end
