-- levee.p.uri: RFC 3986 URI references (lua-api.md §10, docs/uri.md).
--
-- URI(str) -> err, uri. The C core finds the eight segments in one pass
-- (offsets into str, nothing copied); fields are cut out of str on first
-- access and cached. uri:sub() ranges, uri:join() resolution and
-- uri:params() decoding are done by the core as well.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")

local ffi_string, ffi_new = ffi.string, ffi.new
local type, rawset, setmetatable, tonumber = type, rawset, setmetatable, tonumber

local M = {
  SCHEME = L.LEVEE_URI_SCHEME,
  USER = L.LEVEE_URI_USER,
  PASSWORD = L.LEVEE_URI_PASSWORD,
  HOST = L.LEVEE_URI_HOST,
  PORT = L.LEVEE_URI_PORT,
  PATH = L.LEVEE_URI_PATH,
  QUERY = L.LEVEE_URI_QUERY,
  FRAGMENT = L.LEVEE_URI_FRAGMENT,
}

-- segment names (the lazy fields and sub()'s names) -> numbers
local SEGMENTS = {
  scheme = M.SCHEME, user = M.USER, password = M.PASSWORD, host = M.HOST, port = M.PORT,
  path = M.PATH, query = M.QUERY, fragment = M.FRAGMENT,
}
for name, seg in pairs(SEGMENTS) do SEGMENTS[name:upper()] = seg end

-- ranges: field -> {first, last, valid}
local RANGES = {
  userinfo = {M.USER, M.PASSWORD, false},
  authority = {M.USER, M.PORT, false},
  hierarch = {M.USER, M.PATH, true},
  request = {M.PATH, M.QUERY, false},
}

local uri_t = ffi.typeof("levee_uri")
local range = ffi_new("uint32_t[2]")
local Methods = {}
local URI_mt = {}

local function segment_number(s)
  if type(s) == "number" then return s end
  return SEGMENTS[s] or -1
end

-- sub(first[, last][, valid]) -> the text from segment first to segment
-- last (default: first), or nil, err when none of them is present.
-- valid = true widens it to a piece that reads as a URI on its own
-- ("?a=b", "//user@host"). Segments are names ("path") or URI constants.
function Methods:sub(first, last, valid)
  if type(last) == "boolean" then last, valid = nil, last end
  first = segment_number(first)
  last = last == nil and first or segment_number(last)
  local rc = L.levee_uri_sub(self._u, first, last, valid and 1 or 0, range)
  if rc < 0 then return nil, errors.get(rc) end
  return self.value:sub(range[0] + 1, range[0] + range[1])
end

-- segment(n) -> the text of segment n (a constant or a name), or nil.
function Methods:segment(seg)
  seg = segment_number(seg)
  if seg < 0 or seg > 7 then return nil end
  local u = self._u
  if bit.band(u.present, bit.lshift(1, seg)) == 0 then return nil end
  return self.value:sub(u.off[seg] + 1, u.off[seg] + u.len[seg])
end

local param_cap = 64
local params_out = ffi_new("levee_uri_param[?]", param_cap)
local params_dst, params_dst_cap = nil, 0

-- params() -> err, table: the query split at '&' and '=', '+' and %XX
-- decoded; a key given more than once maps to the list of its values.
-- The table is cached (the same one is returned again).
function Methods:params()
  local cached = rawget(self, "_params")
  if cached then return nil, cached end
  local q = self.query
  local t = {}
  if q and #q > 0 then
    local n = #q
    if n > params_dst_cap then
      params_dst_cap = math.max(n, 256)
      params_dst = ffi_new("uint8_t[?]", params_dst_cap)
    end
    local count = L.levee_uri_params(q, n, params_out, param_cap, params_dst)
    if count < 0 then return errors.get(count) end
    if count > param_cap then
      param_cap = count
      params_out = ffi_new("levee_uri_param[?]", param_cap)
      count = L.levee_uri_params(q, n, params_out, param_cap, params_dst)
    end
    for i = 0, count - 1 do
      local p = params_out[i]
      local k = ffi_string(params_dst + p.key_off, p.key_len)
      local v = ffi_string(params_dst + p.value_off, p.value_len)
      local old = t[k]
      if old == nil then
        t[k] = v
      elseif type(old) == "table" then
        old[#old + 1] = v
      else
        t[k] = {old, v}
      end
    end
  end
  rawset(self, "_params", t)
  return nil, t
end

local join_buf, join_cap = nil, 0

-- join(other) -> err, uri: other (a string or URI) resolved against this
-- URI as RFC 3986 §5.2 says ("../x" against "http://h/a/b/c" is
-- "http://h/a/x").
function Methods:join(other)
  if type(other) ~= "string" then other = other.value end
  local cap = #self.value + #other + 4
  if cap > join_cap then
    join_cap = math.max(cap, 1024)
    join_buf = ffi_new("char[?]", join_cap)
  end
  local n = L.levee_uri_join(join_buf, join_cap, self.value, #self.value, other, #other)
  if n < 0 then return errors.get(tonumber(n)) end
  return M.parse(ffi_string(join_buf, n))
end

URI_mt.__index = function(self, key)
  local m = Methods[key]
  if m then return m end
  local seg = SEGMENTS[key]
  local v
  if seg then
    v = Methods.segment(self, seg)
  else
    local r = RANGES[key]
    if not r then return nil end
    v = Methods.sub(self, r[1], r[2], r[3])
  end
  if v ~= nil then rawset(self, key, v) end
  return v
end

URI_mt.__tostring = function(self) return self.value end

-- parse(str) -> err, uri (errors.uri.ESYNTAX when str is not a URI
-- reference). M(str) is the same call.
function M.parse(s)
  if type(s) ~= "string" then
    error("levee.p.uri: URI(str) expects a string, got " .. type(s), 2)
  end
  local u = uri_t()
  local rc = L.levee_uri_parse(u, s, #s)
  if rc < 0 then return errors.get(rc) end
  return nil, setmetatable({value = s, _u = u}, URI_mt)
end

M.URI_mt = URI_mt
-- p.uri is callable (p.uri(str)) and is its own URI: p.uri.URI(str),
-- p.uri.URI.SCHEME.
M.URI = M

return setmetatable(M, {__call = function(_, s) return M.parse(s) end})
