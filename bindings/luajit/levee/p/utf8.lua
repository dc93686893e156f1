-- levee.p.utf8: UTF-8 text, validated, and escaped for URIs and JSON
-- (lua-api.md §10, docs/utf8.md).
--
-- Utf8() is a growing output buffer (cdata with fields buf, len, cap,
-- fixed); Utf8.from_fixed(ptr, len) writes into memory the caller owns and
-- never grows (a full buffer is errors.utf8.EBUFS). encode() escapes and
-- decode() unescapes, appending to the buffer; the C core validates the
-- UTF-8 and reports the utf8 domain's errors.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
require("levee.sys.cdefs")
local C = ffi.C

local type, tonumber = type, tonumber
local ffi_string, ffi_cast = ffi.string, ffi.cast

local M = {
  NONE = L.LEVEE_UTF8_NONE,
  JSON = L.LEVEE_UTF8_JSON,
  URI = L.LEVEE_UTF8_URI,
  URI_COMPONENT = L.LEVEE_UTF8_URI_COMPONENT,
  SPACE_PLUS = L.LEVEE_UTF8_SPACE_PLUS,
}

-- The original's mode constants, reachable as ffi.C.SP_UTF8_* (one
-- guarded declaration each, values from levee.h).
for name, value in pairs(M) do
  pcall(ffi.cdef, string.format("enum { SP_UTF8_%s = %d };", name, value))
end

pcall(ffi.cdef, [[
struct levee_lua_utf8 { uint8_t *buf; size_t len; size_t cap; bool fixed; };
]])

local u8p = ffi.typeof("uint8_t *")

-- src, len: a string (len defaults to #src and is clipped to it), a
-- pointer with its length, or a d.Buffer / stream (levee.p.input).
local source = require("levee.p.input")("levee.p.utf8")

local Utf8 = {}

-- Makes room for n more bytes: nil, or utf8.EBUFS for a fixed buffer
-- (which then takes what fits: the C call reports EBUFS itself).
local function reserve(self, n)
  if self.fixed then return end
  local need = self.len + n
  if need <= self.cap then return end
  local cap = self.cap > 0 and self.cap or 64
  while cap < need do cap = cap * 2 end
  local p = C.realloc(self.buf, cap)
  if p == nil then error("levee.p.utf8: out of memory") end
  self.buf = ffi_cast(u8p, p)
  self.cap = cap
end

-- encode(src[, len[, mode=utf8.NONE]]) -> err, n: appends src escaped as
-- mode says (NONE/URI: percent-encoding like encodeURI, space as %20;
-- URI_COMPONENT: all but unreserved; SPACE_PLUS: space as '+'; JSON:
-- string escaping). n (int64 cdata) is the bytes appended.
function Utf8:encode(src, len, mode)
  src, len = source(src, len, "Utf8:encode")
  mode = mode or 0
  local bound = len * (bit.band(mode, M.JSON) ~= 0 and 6 or 3)
  reserve(self, bound)
  local n = L.levee_utf8_encode(self.buf + self.len, self.cap - self.len, src, len, mode)
  if n < 0 then return errors.get(tonumber(n)) end
  self.len = self.len + n
  return nil, n
end

-- decode(src[, len[, mode=utf8.NONE]]) -> err, n: appends src with its
-- escapes undone (%XX for the URI modes, '+' too with SPACE_PLUS;
-- backslash escapes for JSON). The result must be valid UTF-8.
function Utf8:decode(src, len, mode)
  src, len = source(src, len, "Utf8:decode")
  reserve(self, len)
  local n = L.levee_utf8_decode(self.buf + self.len, self.cap - self.len, src, len, mode or 0)
  if n < 0 then return errors.get(tonumber(n)) end
  self.len = self.len + n
  return nil, n
end

-- peek() -> the bytes written so far, as a string.
function Utf8:peek()
  if self.len == 0 then return "" end
  return ffi_string(self.buf, self.len)
end

-- init(): empty, growing (frees what a growing buffer held).
function Utf8:init()
  if not self.fixed and self.buf ~= nil then C.free(self.buf) end
  self.buf, self.len, self.cap, self.fixed = nil, 0, 0, false
  return self
end

-- init_fixed(ptr, len): write into the len bytes at ptr from now on.
function Utf8:init_fixed(ptr, len)
  self:init()
  self.buf, self.cap, self.fixed = ffi_cast(u8p, ptr), len, true
  return self
end

-- final(): forgets the contents and frees a growing buffer.
Utf8.final = Utf8.init

local Utf8_t = ffi.metatype("struct levee_lua_utf8", {
  __index = Utf8,
  __tostring = function(self) return ("levee.Utf8: len=%d"):format(tonumber(self.len)) end,
  __gc = function(self) if not self.fixed and self.buf ~= nil then C.free(self.buf) end end,
})

M.Utf8 = setmetatable({
  -- Utf8.from_fixed(ptr, len): a buffer over memory the caller owns.
  from_fixed = function(ptr, len) return Utf8_t():init_fixed(ptr, len) end,
}, {__call = function() return Utf8_t() end, __index = Utf8})

-- charlen(s[, len]) -> int64 cdata: the byte length (1..4) of the first
-- character, or the negative code of its fault (errors.get(code)).
function M.charlen(s, len)
  s, len = source(s, len, "charlen")
  return ffi.cast("int64_t", L.levee_utf8_charlen(s, len))
end

-- validate(s[, len]) -> err, n: nil, #s when s is whole, valid UTF-8, else
-- the fault's error (utf8.EENCODING, ESURROGATE, ECODEPOINT, ETOOSHORT),
-- nil, and the byte offset of the faulty character.
function M.validate(s, len)
  s, len = source(s, len, "validate")
  local rc = L.levee_utf8_validate(s, len)
  if rc == 0 then return nil, len end
  return errors.get(rc), nil, tonumber(L.levee_utf8_valid_prefix(s, len))
end

-- encode(s[, mode]) / decode(s[, mode]) -> err, string: one-shot forms.
function M.encode(s, mode)
  local u = Utf8_t()
  local err = u:encode(s, nil, mode)
  if err then return err end
  return nil, u:peek()
end

function M.decode(s, mode)
  local u = Utf8_t()
  local err = u:decode(s, nil, mode)
  if err then return err end
  return nil, u:peek()
end

return M
