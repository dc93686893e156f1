-- levee.p.http.common: the pieces the 0.3 (h.http) and 0.4 (conn.p.http)
-- HTTP modules share: Date, status lines, query strings, header checks and
-- encoding, and writing a buffer out to an io.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT
local WANT_READ, WANT_WRITE = L.LEVEE_WANT_READ, L.LEVEE_WANT_WRITE

-- "Date" value, formatted at most once a second.
local date_s, date_at = nil, -1
local function http_date()
  local now = os.time()
  if now ~= date_at then
    date_at = now
    date_s = os.date("!%a, %d %b %Y %H:%M:%S GMT", now)
  end
  return date_s
end

local status_lines = setmetatable({}, {__mode = "k"})
local function status_line(status)
  local s = status_lines[status]
  if not s then
    s = tostring(status)
    status_lines[status] = s
  end
  return s
end

-- percent-encodes a query key or value
local function pct(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local function query(path, params)
  if not params then return path end
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = pct(k) .. "=" .. pct(params[k]) end
  if #parts == 0 then return path end
  return path .. (path:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&")
end

-- Header values already checked, so a server sending the same values on
-- every response scans each only once (bounded: cleared when it fills).
local checked, nchecked = {}, 0

local function bad_header(s)
  if checked[s] then return false end
  if s:find("[\r\n%z]") then return true end
  if nchecked >= 4096 then checked, nchecked = {}, 0 end
  checked[s] = true
  nchecked = nchecked + 1
  return false
end

-- errors.system.EINVAL when a header name or value holds CR, LF or NUL
-- (response splitting), or a name is empty
local function check_headers(headers)
  for k, v in pairs(headers) do
    if type(k) ~= "string" then k = tostring(k) end
    if not checked[k] and (k == "" or k:find("[\r\n%z:%s]") or bad_header(k)) then
      return errors.system.EINVAL
    end
    local t = type(v)
    if t == "table" then
      for i = 1, #v do
        if bad_header(tostring(v[i])) then return errors.system.EINVAL end
      end
    elseif t ~= "number" and bad_header(tostring(v)) then
      return errors.system.EINVAL
    end
  end
end

-- Appends "name: value\r\n" lines (lists become repeated headers); the
-- table was checked with check_headers.
local function write_headers(buf, headers)
  for k, v in pairs(headers) do
    k = tostring(k)
    if type(v) == "table" then
      for i = 1, #v do
        buf:write(k); buf:write(": "); buf:write(tostring(v[i])); buf:write("\r\n")
      end
    else
      buf:write(k); buf:write(": "); buf:write(tostring(v)); buf:write("\r\n")
    end
  end
end

-- the value of header `name` in a plain table, whatever its case
local function header(headers, name)
  local v = headers[name]
  if v ~= nil then return v end
  local lname, len = name:lower(), #name
  for k, val in pairs(headers) do
    if type(k) == "string" and #k == len and k:lower() == lname then return val end
  end
end

local function add_header(headers, name, value)
  local old = headers[name]
  if old == nil then
    headers[name] = value
  elseif type(old) == "table" then
    old[#old + 1] = value
  else
    headers[name] = {old, value}
  end
end

local function has_token(v, token)
  if not v then return false end
  if type(v) == "table" then v = table.concat(v, ",") end
  return (","  .. v:lower():gsub("%s", "") .. ","):find("," .. token .. ",", 1, true) ~= nil
end

-- lowercased header names, cached (bounded like `checked`)
local lowered, nlowered = {}, 0
local function lower(k)
  local l = lowered[k]
  if l then return l end
  l = k:lower()
  if nlowered >= 4096 then lowered, nlowered = {}, 0 end
  lowered[k] = l
  nlowered = nlowered + 1
  return l
end

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

local function bad_name(k)
  return k == "" or k:find("[\r\n%z:%s]") ~= nil or bad_header(k)
end

local copy = ffi.copy
-- names the server writes itself: the framing, and Connection when closing
local FRAMING = {["content-length"] = true, ["transfer-encoding"] = true}

-- response_head(buf, line, headers, length, chunked, close[, body]) -> err,
-- closing: appends a response head in one reservation of buf: the status
-- line, the app's headers except framing ones, Date unless the app gave
-- one, "Content-Length: length" (a number) or "Transfer-Encoding:
-- chunked", "Connection: close" when close, the blank line, then body if
-- given. The headers table is left as it was. A name or value with CR, LF
-- or NUL (or a name with ':' or white space, or a non-string name) is
-- errors.system.EINVAL and nothing is written. closing is true when the
-- app's own Connection header says close.
local function response_head(buf, line, headers, length, chunked, close, body)
  local size = #line + 96
  local has_date, closing = false, false
  for k, v in pairs(headers) do
    if type(k) ~= "string" or (not checked[k] and bad_name(k)) then
      return errors.system.EINVAL
    end
    local lk = lower(k)
    if lk == "date" then has_date = true end
    local t = type(v)
    if t == "string" then
      if not checked[v] and bad_header(v) then return errors.system.EINVAL end
      size = size + #k + #v + 4
      if lk == "connection" and has_token(v, "close") then closing = true end
    elseif t == "number" then
      size = size + #k + 28
    elseif t == "table" then
      for i = 1, #v do
        local s = tostring(v[i])
        if bad_header(s) then return errors.system.EINVAL end
        size = size + #k + #s + 4
      end
    else
      return errors.system.EINVAL
    end
  end
  close = close or closing
  if body then size = size + #body end
  buf:ensure(size)
  local p = buf:tail()
  local o = #line
  copy(p, line, o)
  for k, v in pairs(headers) do
    local lk = lower(k)
    if not FRAMING[lk] and not (close and lk == "connection") then
      local t = type(v)
      if t == "table" then
        for i = 1, #v do
          local s = tostring(v[i])
          copy(p + o, k, #k) o = o + #k
          copy(p + o, ": ", 2) o = o + 2
          copy(p + o, s, #s) o = o + #s
          copy(p + o, "\r\n", 2) o = o + 2
        end
      else
        if t == "number" then v = numstr(v) end
        copy(p + o, k, #k) o = o + #k
        copy(p + o, ": ", 2) o = o + 2
        copy(p + o, v, #v) o = o + #v
        copy(p + o, "\r\n", 2) o = o + 2
      end
    end
  end
  if not has_date then
    local date = http_date()
    copy(p + o, "Date: ", 6) o = o + 6
    copy(p + o, date, #date) o = o + #date
    copy(p + o, "\r\n", 2) o = o + 2
  end
  if length then
    local s = numstr(length)
    copy(p + o, "Content-Length: ", 16) o = o + 16
    copy(p + o, s, #s) o = o + #s
    copy(p + o, "\r\n", 2) o = o + 2
  elseif chunked then
    copy(p + o, "Transfer-Encoding: chunked\r\n", 28) o = o + 28
  end
  if close then
    copy(p + o, "Connection: close\r\n", 19) o = o + 19
  end
  copy(p + o, "\r\n", 2) o = o + 2
  if body then
    copy(p + o, body, #body)
    o = o + #body
  end
  buf:bump(o)
  return nil, closing
end

-- body_methods(drain) -> the conveniences every HTTP body has, built on
-- drain(self, each) -> err, n, which hands each remaining piece of the body
-- to each(ptr, len) (stopping at the error each returns):
-- tobuffer([buf]) -> err, buf; tostring() -> string or nil; discard() ->
-- err, n; save(path) -> err, n; splice(target) -> err, n; json() -> err,
-- value.
local function body_methods(drain)
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

-- Writes everything in buf to io (waiting for writability within
-- io.timeout) and empties buf. -> err (the io is closed on failure other
-- than TIMEOUT).
local function flush_buffer(io, buf)
  while #buf > 0 do
    if io.closed then return CLOSED end
    local rc = tonumber(L.levee_stream_write_buffer(io.s, buf, #buf))
    local want = rc < 0 and rc or #buf > 0 and L.levee_stream_want(io.s) or 0
    if want == WANT_WRITE or want == WANT_READ then
      local err = (want == WANT_READ and io.r_ev or io.w_ev):recv(io.timeout)
      if err then
        if err ~= TIMEOUT then io:close() end
        return err
      end
    elseif rc < 0 then
      io:close()
      return errors.get(rc)
    end
  end
end

return {
  http_date = http_date, status_line = status_line, pct = pct, query = query,
  bad_header = bad_header, check_headers = check_headers, write_headers = write_headers,
  header = header, add_header = add_header, has_token = has_token,
  flush_buffer = flush_buffer, response_head = response_head, body_methods = body_methods, numstr = numstr, lower = lower,
}
