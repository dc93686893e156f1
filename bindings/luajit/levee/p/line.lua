-- levee.p.line: delimited lines from a stream (lua-api.md §10,
-- docs/line.md). io.Stream:line() is this function over the stream.
--
-- stream(s[, delim="\n"[, max=line.MAX]]) -> err, line: the bytes before
-- the next delim (a "\r" before a "\n" is kept, as in the original); the
-- line and its delimiter are trimmed from s. s is anything with the stream
-- protocol: value() -> ptr, len; trim(n); readin() -> err. More bytes are
-- read in until a delimiter arrives; the stream's error (errors.CLOSED at
-- the end) is returned when none does. A line longer than max bytes is
-- errors.system.EMSGSIZE as soon as that is certain, so an unterminated
-- line never buffers without bound; its bytes stay in the stream.
local ffi = require("ffi")
local errors = require("levee.errors")

pcall(ffi.cdef, "void *memchr(const void *s, int c, size_t n);")
pcall(ffi.cdef, "void *memmem(const void *h, size_t hn, const void *n, size_t nn);")
local C = ffi.C
local u8p = ffi.typeof("const uint8_t *")
local ffi_string, ffi_cast, tonumber, type = ffi.string, ffi.cast, tonumber, type

local M = {MAX = 1048576}

-- The offset of delim in p[from, len), or nil.
local function find(p, len, from, delim, dn)
  local hit
  if dn == 1 then
    hit = C.memchr(p + from, delim:byte(), len - from)
  else
    hit = C.memmem(p + from, len - from, delim, dn)
  end
  if hit == nil then return nil end
  return tonumber(ffi_cast(u8p, hit) - p)
end

function M.stream(s, delim, max)
  delim = delim or "\n"
  if type(delim) ~= "string" or #delim == 0 then
    error("levee.p.line: delim must be a non-empty string", 2)
  end
  max = max or M.MAX
  if type(max) ~= "number" or max < 0 then error("levee.p.line: max must be a number >= 0", 2) end
  local dn = #delim
  local checked = 0 -- bytes already searched (a delimiter may straddle)
  while true do
    local ptr, len = s:value()
    len = tonumber(len)
    if len >= dn then
      local p = ffi_cast(u8p, ptr)
      local at = find(p, len, checked, delim, dn)
      if at then
        if at > max then return errors.system.EMSGSIZE end
        local line = ffi_string(p, at)
        s:trim(at + dn)
        return nil, line
      end
      checked = len - dn + 1
    end
    -- max + dn bytes without a delimiter: the line is longer than max.
    if len >= max + dn then return errors.system.EMSGSIZE end
    local err = s:readin()
    if err then return err end
  end
end

return M
