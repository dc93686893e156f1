-- levee.p.base64: RFC 4648 base64 (lua-api.md §10, docs/base64.md).
--
-- encode(s) -> padded base64 text. decode(s) -> the bytes; characters
-- outside the alphabet (line breaks, spaces) are skipped as in the
-- original, and input cut inside a group gives nil, errors.base64.ETOOSHORT
-- (the original returned garbage there).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local type, tonumber, error = type, tonumber, error
local ffi_string = ffi.string

local scratch, scratch_cap = nil, 0

local function length(s, len, who)
  if type(s) ~= "string" then error("levee.p.base64: " .. who .. " expects a string, got " .. type(s), 3) end
  if len == nil then return #s end
  if type(len) ~= "number" or len < 0 or len > #s then
    error("levee.p.base64: " .. who .. ": len must be 0.." .. #s, 3)
  end
  return len
end

local function room(n)
  if n > scratch_cap then
    scratch_cap = math.max(n, 4096)
    scratch = ffi.new("uint8_t[?]", scratch_cap)
  end
  return scratch
end

local M = {}

-- encode(s[, len]) -> string
function M.encode(s, len)
  len = length(s, len, "encode")
  local out = room(4 * math.floor((len + 2) / 3))
  local n = L.levee_base64_encode(ffi.cast("char *", out), s, len)
  return ffi_string(out, n)
end

-- decode(s[, len]) -> string, or nil, errors.base64.ETOOSHORT
function M.decode(s, len)
  len = length(s, len, "decode")
  local out = room(3 * math.floor(len / 4) + 3)
  local n = L.levee_base64_decode(out, s, len)
  if n < 0 then return nil, errors.get(tonumber(n)) end
  return ffi_string(out, n)
end

return M
