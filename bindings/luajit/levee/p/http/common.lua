-- levee.p.http.common: the pieces the 0.3 (h.http) and 0.4 (conn.p.http)
-- HTTP modules share: Date, status lines, query strings, header checks and
-- encoding, and writing a buffer out to an io.
local ffi = require("ffi")
local errors = require("levee.errors")

local C = ffi.C
pcall(ffi.cdef, "ssize_t write(int fd, const void *buf, size_t count);")
local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT
local EAGAIN, EINTR = 11, 4

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

-- Writes everything in buf to io (waiting on EAGAIN within io.timeout) and
-- empties buf. -> err (the io is closed on failure other than TIMEOUT).
local function flush_buffer(io, buf)
  while #buf > 0 do
    if io.closed then return CLOSED end
    local p, n = buf:value()
    local rc = C.write(io.no, p, n)
    if rc > 0 then
      buf:trim(tonumber(rc))
    else
      local e = ffi.errno()
      if rc < 0 and e == EAGAIN then
        local err = io.w_ev:recv(io.timeout)
        if err then
          if err ~= TIMEOUT then io:close() end
          return err
        end
      elseif not (rc < 0 and e == EINTR) then
        io:close()
        return errors.get(-e)
      end
    end
  end
end

return {
  http_date = http_date, status_line = status_line, pct = pct, query = query,
  bad_header = bad_header, check_headers = check_headers, write_headers = write_headers,
  header = header, add_header = add_header, has_token = has_token,
  flush_buffer = flush_buffer,
}
