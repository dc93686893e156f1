-- levee.p.http.common: what the 0.3 (h.http) and 0.4 (conn.p.http) HTTP
-- modules share on top of the C engine (levee_h1_*): the head description
-- handed to C (one levee_h1_out and a field array for the process), the
-- token array heads are read into, query strings, header lookups in plain
-- tables, and the conveniences every body has.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local M = {}

-- ---------------------------------------------------------------------
-- the C side of a head: filled right before the call that reads it, so
-- one of each serves every connection (nothing yields in between)

local OUT = ffi.new("levee_h1_out")
local nfields = 32
local FIELDS = ffi.new("levee_h1_field[?]", nfields)
local DEFAULTS = ffi.new("levee_h1_field[?]", 4)
local anchors, nanchors = {}, 0  -- strings made for one call (numbers)

M.OUT = OUT
M.MAX_TOKENS = 256
M.TOKS = ffi.new("levee_http_token[?]", M.MAX_TOKENS)
M.MSG = ffi.new("levee_h1_msg")

-- small non-negative integers as header text, cached
local numstrs = {}
local function numstr(v)
  local s = numstrs[v]
  if s then return s end
  if v % 1 == 0 and v >= 0 and v < 2 ^ 53 then
    s = ("%d"):format(v)
    if v < 65536 then numstrs[v] = s end
    return s
  end
  return tostring(v)
end
M.numstr = numstr

local function anchor(s)
  nanchors = nanchors + 1
  anchors[nanchors] = s
  return s
end

local function grow()
  local bigger = ffi.new("levee_h1_field[?]", nfields * 2)
  ffi.copy(bigger, FIELDS, ffi.sizeof("levee_h1_field") * nfields)
  FIELDS, nfields = bigger, nfields * 2
end

local function put(n, k, v)
  if n >= nfields then grow() end
  local f = FIELDS[n]
  f.name, f.name_len, f.value, f.value_len = k, #k, v, #v
  return n + 1
end

-- one entry of a headers table into FIELDS at n -> the next n, or nil
local function field(n, k, v)
  if type(k) ~= "string" then return nil end
  local t = type(v)
  if t == "string" then return put(n, k, v) end
  if t == "number" then return put(n, k, anchor(numstr(v))) end
  if t ~= "table" then return nil end
  for i = 1, #v do
    local s = v[i]
    if type(s) ~= "string" then
      if type(s) ~= "number" then return nil end
      s = anchor(numstr(s))
    end
    n = put(n, k, s)
  end
  return n
end

-- fields(headers) -> count, or nil for an entry that is not a header (a
-- name that is not a string, a value that is not a string, number or list
-- of them). headers is a plain table (a list value repeats the field) or a
-- d.Map. The engine checks names and values. The first two entries are
-- taken without a loop: most responses have a few headers, and a loop
-- here ends the JIT's trace of the response path (every value the
-- handler made is then allocated for the next trace to read).
local function fields(headers)
  if headers == nil then return 0 end
  local n = 0
  if type(headers) == "cdata" then
    for name, value in headers:iter() do n = put(n, name, value) end
    return n
  end
  local k, v = next(headers)
  if k == nil then return 0 end
  n = field(0, k, v)
  if not n then return nil end
  k, v = next(headers, k)
  if k == nil then return n end
  n = field(n, k, v)
  if not n then return nil end
  k, v = next(headers, k)
  while k ~= nil do
    n = field(n, k, v)
    if not n then return nil end
    k, v = next(headers, k)
  end
  return n
end

-- release(): forgets the strings made for the last call
local function release()
  if nanchors > 0 then
    for i = 1, nanchors do anchors[i] = nil end
    nanchors = 0
  end
end
M.release = release

local BODY_NONE, BODY_LENGTH, BODY_CHUNKED = L.LEVEE_H1_BODY_NONE, L.LEVEE_H1_BODY_LENGTH,
  L.LEVEE_H1_BODY_CHUNKED

-- response(code, reason, headers, body) -> true, or nil for a bad headers
-- table: OUT describes a response. body: a string (the whole body), a
-- number (its length; the caller writes it), nil (a streamed body).
function M.response(code, reason, headers, body)
  local n = fields(headers)
  if not n then return nil end
  OUT.method, OUT.method_len = nil, 0
  OUT.target, OUT.target_len = reason, reason and #reason or 0
  OUT.status = code
  OUT.fields, OUT.nfields = FIELDS, n
  OUT.defaults, OUT.ndefaults = nil, 0
  OUT.flags = 0
  local t = type(body)
  if t == "string" then
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_LENGTH, #body, body, #body
  elseif t == "number" or t == "cdata" then
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_LENGTH, body, nil, 0
  else
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_CHUNKED, 0, nil, 0
  end
  return true
end

-- request(method, target, headers, body, defaults) -> true or nil: OUT
-- describes a request. body: a string, or nil (none), or true (a streamed,
-- chunked body). defaults: a list {name, value, name, value, ...} written
-- when headers lacks the name (at most 4 pairs).
function M.request(method, target, headers, body, defaults)
  local n = fields(headers)
  if not n then return nil end
  OUT.method, OUT.method_len = method, #method
  OUT.target, OUT.target_len = target, #target
  OUT.status = 0
  OUT.fields, OUT.nfields = FIELDS, n
  local nd = 0
  if defaults then
    for i = 1, #defaults, 2 do
      local f = DEFAULTS[nd]
      local k, v = defaults[i], defaults[i + 1]
      f.name, f.name_len, f.value, f.value_len = k, #k, v, #v
      nd = nd + 1
    end
  end
  OUT.defaults, OUT.ndefaults = DEFAULTS, nd
  OUT.flags = 0
  if type(body) == "string" then
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_LENGTH, #body, body, #body
  elseif body == true then
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_CHUNKED, 0, nil, 0
  else
    OUT.body, OUT.length, OUT.data, OUT.data_len = BODY_NONE, 0, nil, 0
  end
  return true
end

-- ---------------------------------------------------------------------
-- strings

-- "Date" value of now (the engine's per-second cache)
local datebuf = ffi.new("char[32]")
function M.http_date()
  L.levee_h1_date(datebuf, 32)
  return ffi.string(datebuf, 29)
end

local status_lines = setmetatable({}, {__mode = "k"})
function M.status_line(status)
  local s = status_lines[status]
  if not s then
    s = tostring(status)
    status_lines[status] = s
  end
  return s
end

-- percent-encodes a query key or value (RFC 3986 unreserved kept)
local function pct(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end
M.pct = pct

-- path with params appended as ?k=v&... (sorted keys, percent-encoded; a
-- list value repeats its key)
function M.query(path, params)
  if not params then return path end
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = params[k]
    if v == nil then v = params[tonumber(k)] end
    if type(v) == "table" then
      for i = 1, #v do parts[#parts + 1] = pct(k) .. "=" .. pct(v[i]) end
    else
      parts[#parts + 1] = pct(k) .. "=" .. pct(v)
    end
  end
  if #parts == 0 then return path end
  return path .. (path:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&")
end

-- the value of header `name` in a plain table, whatever its case
function M.header(headers, name)
  if headers == nil then return nil end
  local v = headers[name]
  if v ~= nil then return v end
  local lname, len = name:lower(), #name
  for k, val in pairs(headers) do
    if type(k) == "string" and #k == len and k:lower() == lname then return val end
  end
end

function M.add_header(headers, name, value)
  local old = headers[name]
  if old == nil then
    headers[name] = value
  elseif type(old) == "table" then
    old[#old + 1] = value
  else
    headers[name] = {old, value}
  end
end

function M.has_token(v, token)
  if not v then return false end
  if type(v) == "table" then v = table.concat(v, ",") end
  return (","  .. v:lower():gsub("%s", "") .. ","):find("," .. token .. ",", 1, true) ~= nil
end

-- the head read by the last levee_h1_next (MSG, TOKS) as method or code,
-- target or reason, version, and a plain headers table (names as sent,
-- repeated fields as lists)
local fstring = ffi.string
local T_FIELD = L.LEVEE_HTTP_T_FIELD
local table_new = require("table.new")
function M.head_fields(headers)
  local msg, toks = M.MSG, M.TOKS
  local p = msg.base
  for i = 1, msg.ntoks - 2 do
    local t = toks[i]
    if t.type == T_FIELD then
      local name, value = fstring(p + t.a_off, t.a_len), fstring(p + t.b_off, t.b_len)
      local old = headers[name]
      if old == nil then
        headers[name] = value
      elseif type(old) == "table" then
        old[#old + 1] = value
      else
        headers[name] = {old, value}
      end
    end
  end
  return headers
end

function M.new_headers(n) return table_new(0, n or 4) end

-- head_packed() -> the head read by the last levee_h1_next (MSG, TOKS) as
-- one string (levee_h1_pack: method NUL target NUL, then name NUL value
-- NUL per field; the tokenizer refuses NUL in all of them). A server keeps
-- it in place of the headers table, which packed_headers builds when the
-- handler first reads it: one string instead of a table and two strings
-- per field, about 1,300 instructions per request of a handler that reads
-- no header (docs/design.md, "Request headers on first use").
local pack_cap = 2048
local PACK = ffi.new("uint8_t[?]", pack_cap)
local C_pack = L.levee_h1_pack
function M.head_packed()
  local msg = M.MSG
  local n = C_pack(msg, M.TOKS, PACK, pack_cap)
  while n < 0 do
    -- longer than any head so far: every token and a NUL after it fit in
    -- head_len + ntoks bytes
    local need = msg.head_len + 2 * msg.ntoks + 2
    if need <= pack_cap then error("levee.http: levee_h1_pack: " .. tostring(errors.get(n)), 0) end
    pack_cap = need
    PACK = ffi.new("uint8_t[?]", pack_cap)
    n = C_pack(msg, M.TOKS, PACK, pack_cap)
  end
  return fstring(PACK, n)
end

-- packed_headers(s) -> the plain headers table of a packed head (names as
-- sent, repeated fields as lists), what head_fields gives for the same head
local sfind, ssub = string.find, string.sub
function M.packed_headers(s)
  local i = sfind(s, "\0", 1, true)
  i = sfind(s, "\0", i + 1, true) + 1  -- past the method and the target
  local len = #s
  local headers = M.new_headers()
  while i <= len do
    local j = sfind(s, "\0", i, true)
    local k = sfind(s, "\0", j + 1, true)
    M.add_header(headers, ssub(s, i, j - 1), ssub(s, j + 1, k - 1))
    i = k + 1
  end
  return headers
end

-- ---------------------------------------------------------------------
-- body conveniences

-- body_methods(drain) -> the conveniences every HTTP body has, built on
-- drain(self, each) -> err, n, which hands each remaining piece of the body
-- to each(ptr, len) (stopping at the error each returns): tobuffer([buf])
-- -> err, buf; tostring() -> string or nil; discard() -> err, n;
-- save(path) -> err, n; splice(target) -> err, n; json() -> err, value.
function M.body_methods(drain)
  local B = {}
  function B:tobuffer(buf)
    buf = buf or require("levee.d").Buffer()
    local err = drain(self, function(p, n) buf:write(p, n) end)
    if err then return err end
    return nil, buf
  end
  function B:tostring()
    local err, buf = self:tobuffer()
    if err then return nil end
    return buf:take()
  end
  function B:discard() return drain(self, function() end) end
  function B:save(path)
    local f = io.open(path, "wb")
    if not f then return errors.system.EACCES end
    local err, n = drain(self, function(p, len)
      if not f:write(ffi.string(p, len)) then return errors.system.EIO end
    end)
    f:close()
    if err then return err end
    return nil, n
  end
  function B:splice(target)
    return drain(self, function(p, n) return (target:write(p, n)) end)
  end
  function B:json()
    local err, buf = self:tobuffer()
    if err then return err end
    local json = require("levee.p.json")
    if #buf == 0 then return json.decode("") end  -- the decoder's own error
    return json.decode(buf:value())
  end
  return B
end

-- ---------------------------------------------------------------------
-- engines

local h1_pp = ffi.typeof("levee_h1 *[1]")
local limits_t = ffi.typeof("levee_http_limits")
local LIMITS = {"max_method", "max_uri", "max_reason", "max_field", "max_value",
  "max_headers", "max_head"}

-- limits(config) -> a levee_http_limits with the max_* of config, or nil
-- when config sets none
function M.limits(config)
  if not config then return nil end
  local lim
  for _, k in ipairs(LIMITS) do
    local v = config[k]
    if v ~= nil then
      v = tonumber(v)
      if not v or v < 1 or v > 0xffffffff or v % 1 ~= 0 then error("levee.http: bad " .. k, 3) end
      lim = lim or limits_t()
      lim[k] = v
    end
  end
  return lim
end

-- engine(side[, limits[, max_body]]) -> a levee_h1 (collected with its owner)
function M.engine(side, limits, max_body)
  local out = h1_pp()
  local rc = L.levee_h1_new(out, side)
  if rc < 0 then error("levee.http: " .. tostring(errors.get(rc)), 2) end
  local h = ffi.gc(out[0], L.levee_h1_free)
  if limits then L.levee_h1_limits_set(h, limits) end
  if max_body then L.levee_h1_max_body_set(h, max_body) end
  return h
end

-- The User-Agent levee sends: levee.meta's name and version when the
-- module exists, else the library's version.
local ok, meta = pcall(require, "levee.meta")
if ok and type(meta) == "table" and meta.version then
  M.USER_AGENT = meta.name .. "/" .. tostring(meta.version.string or meta.version)
else
  M.USER_AGENT = "levee/" .. ffi.string(L.levee_version_string())
end

return M
