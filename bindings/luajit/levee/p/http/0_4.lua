-- levee.p.http.0_4: HTTP in the 0.4 style (lua-api.md §8, docs/http.md):
-- pure encode_*/decode_* functions over buffers and streams, and the
-- `conn.p.http` object that reads and writes messages on an io through its
-- `p` buffers (rbuf/wbuf).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local Status = require("levee.p.http.status")
local Parser = require("levee.p.http.parse")
local Map = require("levee.d.map")
local W = require("levee.p.http.common")

local CLOSED = errors.CLOSED
local ESYNTAX = errors.get(L.LEVEE_HTTP_ESYNTAX)
local T_REQUEST, T_RESPONSE = L.LEVEE_HTTP_T_REQUEST, L.LEVEE_HTTP_T_RESPONSE
local T_FIELD, T_BODY_START = L.LEVEE_HTTP_T_FIELD, L.LEVEE_HTTP_T_BODY_START
local T_BODY_END = L.LEVEE_HTTP_T_BODY_END
local C_parse, C_next, C_reset = L.levee_http_parse, L.levee_http_next, L.levee_http_reset
local UNTIL_CLOSE = 0xffffffffffffffffULL
local MAX_TOKENS = 256
local TOKS = ffi.new("levee_http_token[?]", MAX_TOKENS)
local TOK = ffi.new("levee_http_token")
local fstring = ffi.string
local C_encode = L.levee_h1_encode
local O_OPEN, O_USE_LENGTH = L.LEVEE_H1_O_OPEN, L.LEVEE_H1_O_USE_LENGTH

local M = {Parser = Parser}

-- ---------------------------------------------------------------------
-- encoding (the engine's encoder: validation, framing, Date)

-- errors.utf8.* unless s is valid UTF-8
local function check_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local need
    if c < 0x80 then need = 0
    elseif c >= 0xc2 and c <= 0xdf then need = 1
    elseif c >= 0xe0 and c <= 0xef then need = 2
    elseif c >= 0xf0 and c <= 0xf4 then need = 3
    else return errors.get(L.LEVEE_UTF8_EENCODING) end
    if i + need > n then return errors.get(L.LEVEE_UTF8_ETOOSHORT) end
    for k = 1, need do
      local b = s:byte(i + k)
      if b < 0x80 or b > 0xbf then return errors.get(L.LEVEE_UTF8_EENCODING) end
    end
    i = i + need + 1
  end
end

-- a query key or value: percent-encoded, a space as "+"
local function qpct(s)
  s = tostring(s)
  local err = check_utf8(s)
  if err then return err end
  return nil, (s:gsub("[^%w%-%._~ ]", function(c) return ("%%%02X"):format(c:byte()) end):gsub(" ", "+"))
end

-- path with params appended: k=v for string keys, the value alone for
-- integer keys (sorted string keys first, then the list part in order)
local function with_params(path, params)
  if not params then return nil, path end
  local keys, parts = {}, {}
  for k in pairs(params) do
    if type(k) ~= "number" then keys[#keys + 1] = tostring(k) end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local err, ek = qpct(k)
    if err then return err end
    local v = params[k]
    local list = type(v) == "table" and v or {v}
    for i = 1, #list do
      local verr, ev = qpct(list[i])
      if verr then return verr end
      parts[#parts + 1] = ek .. "=" .. ev
    end
  end
  for i = 1, #params do
    local err, ev = qpct(params[i])
    if err then return err end
    parts[#parts + 1] = ev
  end
  if #parts == 0 then return nil, path end
  return nil, path .. (path:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&")
end

-- the request target, percent-encoded (space as "+"; "/ ? = & %" and the
-- other URI delimiters kept)
local function encode_path(path, params)
  local err = check_utf8(path)
  if err then return err end
  err, path = with_params(path, params)
  if err then return err end
  return nil, (path:gsub("[^%w%-%._~/%?=&%%:@!$'()*+,;]", function(c)
    if c == " " then return "+" end
    return ("%%%02X"):format(c:byte())
  end))
end
M.encode_path = encode_path

local function is_map(headers) return type(headers) == "cdata" end

local function has(headers, name)
  if headers == nil then return false end
  if is_map(headers) then return headers:get(name) ~= nil end
  return W.header(headers, name) ~= nil
end

local DEFAULTS = {"User-Agent", W.USER_AGENT, "Accept", "*/*"}

-- encode_request(buf, method, path, params, headers, body) -> err, n
function M.encode_request(buf, method, path, params, headers, body)
  local err, target = encode_path(path or "/", params)
  if err then return err end
  if type(method) ~= "string" then return errors.system.EINVAL end
  if body ~= nil then body = tostring(body) end
  if not W.request(method, target, headers, body, DEFAULTS) then return errors.system.EINVAL end
  W.OUT.flags = O_USE_LENGTH
  local mark = #buf
  local rc = C_encode(buf, W.OUT)
  W.release()
  if rc < 0 then return errors.get(rc) end
  return nil, #buf - mark
end

-- encode_response(buf, status, headers, body) -> err. A string body is sent
-- with Content-Length; a number body writes Content-Length only (the caller
-- sends the bytes); a preset Content-Length header sends headers only;
-- otherwise the response is chunked and the header block is left open for
-- encode_chunk (whose leading CRLF ends it). Framing headers the app gave
-- are replaced, never doubled.
function M.encode_response(buf, status, headers, body)
  if type(status) == "number" then status = Status(status) end
  if not W.response(status.code, status.reason, headers, body) then return errors.system.EINVAL end
  W.OUT.flags = O_OPEN + O_USE_LENGTH
  local rc = C_encode(buf, W.OUT)
  W.release()
  if rc < 0 then return errors.get(rc) end
end

-- encode_chunk(buf[, chunk]): CRLF (ending the header block or the previous
-- chunk's data), then a string chunk, a chunk header for a number of bytes
-- the caller appends, or the last chunk for nil or 0.
function M.encode_chunk(buf, chunk)
  if chunk == nil or chunk == 0 then
    buf:write("\r\n0\r\n\r\n")
  elseif type(chunk) == "number" then
    buf:write(("\r\n%x\r\n"):format(chunk))
  else
    if #chunk == 0 then return end
    buf:write(("\r\n%x\r\n"):format(#chunk))
    buf:write(chunk)
  end
end

-- ---------------------------------------------------------------------
-- decoding

local Req = {}
Req.__index = Req

-- uri() -> err, uri: the p.uri URI of "http://" .. Host .. path (of the
-- path alone without a Host)
function Req:uri()
  local host = self.headers:get("Host")
  if type(host) == "table" then return errors.get(L.LEVEE_HTTP_ESYNTAX) end
  return require("levee.p.uri")(host and ("http://" .. host .. self.path) or self.path)
end

-- reads one head (request or response) from stream (value/trim/readin)
local function decode_head(parser, stream, want)
  local msg = nil
  while true do
    local p, n = stream:value()
    local count = n > 0 and C_parse(parser.h, p, n, TOKS, MAX_TOKENS) or 0
    if count < 0 then return errors.get(count) end
    if count > 0 then
      msg = msg or setmetatable({headers = Map()}, Req)
      for i = 0, count - 1 do
        local t = TOKS[i]
        local ty = t.type
        if ty == T_FIELD then
          msg.headers:add(fstring(p + t.a_off, t.a_len), fstring(p + t.b_off, t.b_len))
        elseif ty == T_REQUEST then
          if want ~= T_REQUEST then return ESYNTAX end
          msg.method, msg.path = fstring(p + t.a_off, t.a_len), fstring(p + t.b_off, t.b_len)
          msg.version = t.version
        elseif ty == T_RESPONSE then
          if want ~= T_RESPONSE then return ESYNTAX end
          msg.code, msg.reason = tonumber(t.status), fstring(p + t.a_off, t.a_len)
          msg.version = t.version
        elseif ty == T_BODY_START then
          stream:trim(t["end"])
          msg.chunked = t.chunked == 1
          if not msg.chunked then
            C_reset(parser.h)
            if t.length == UNTIL_CLOSE then
              msg.until_close = true
            elseif t.length > 0 then
              msg.len = tonumber(t.length)
            end
          end
          return nil, msg
        end
      end
      stream:trim(TOKS[count - 1]["end"])
    else
      local err = stream:readin()
      if err then
        if msg or n > 0 then return ESYNTAX end
        return err
      end
    end
  end
end

-- decode_request(parser, stream) -> err, req
function M.decode_request(parser, stream)
  if parser.response then parser:init_request() end
  return decode_head(parser, stream, T_REQUEST)
end

-- decode_response(parser, stream) -> err, res (1xx interim responses skipped)
function M.decode_response(parser, stream)
  if not parser.response then parser:init_response() end
  while true do
    local err, res = decode_head(parser, stream, T_RESPONSE)
    if err then return err end
    if res.code >= 200 then return nil, res end
    C_reset(parser.h)
  end
end

-- decode_chunk(parser, stream) -> err, len: the next chunk's size, 0 after
-- the last chunk (trailers skipped; the parser is reset)
function M.decode_chunk(parser, stream)
  while true do
    local p, n = stream:value()
    local rc = n > 0 and C_next(parser.h, p, n, TOK) or 0
    if rc < 0 then return errors.get(rc) end
    if rc > 0 then
      stream:trim(rc)
      if TOK.type == T_BODY_END then
        C_reset(parser.h)
        return nil, 0
      end
      return nil, tonumber(TOK.length)
    end
    local err = stream:readin()
    if err then return ESYNTAX end
  end
end

-- ---------------------------------------------------------------------
-- bodies over a `p` (rbuf): a fixed length, or chunked

local Body = {}
Body.__index = Body

-- len: bytes left; math.huge for until-close. chunked bodies keep `cur`
-- (bytes left in the current chunk) and pull chunk headers as they go.
local function new_body(http, len, chunked)
  return setmetatable({http = http, p = http.p, len = len or 0, chunked = chunked,
    cur = 0, done = not chunked and (len or 0) == 0}, Body)
end

-- makes bytes of the body available: err, or nil with done set at the end
local function body_ready(self)
  if self.done then return nil end
  if self.chunked and self.cur == 0 then
    local err, n = M.decode_chunk(self.http.parser, self.p)
    if err then return err end
    if n == 0 then
      self.done = true
      return nil
    end
    self.cur = n
  end
  if #self.p.rbuf == 0 then
    local err = self.p:readin()
    if err then
      if err == CLOSED and self.len == math.huge then
        self.done = true
        return nil
      end
      return ESYNTAX
    end
  end
end

function Body:readin() return body_ready(self) end

function Body:value()
  local p, n = self.p.rbuf:value()
  local left = self.chunked and self.cur or self.len
  if n > left then n = left end
  return p, n
end

function Body:trim(n)
  if self.chunked then
    self.cur = self.cur - n
  else
    self.len = self.len - n
    if self.len == 0 then self.done = true end
  end
  return self.p.rbuf:trim(n)
end

-- every remaining byte to each(ptr, n), chunk by chunk -> err, total
local function drain(self, each, on_chunk)
  local total = 0
  while true do
    local err = body_ready(self)
    if err then return err end
    if self.done then return nil, total end
    if on_chunk and self.chunked and not self._announced then
      self._announced = true
      local cerr = on_chunk(self.cur)
      if cerr then return cerr end
    end
    local p, n = self:value()
    if n > 0 then
      local werr = each(p, n)
      if werr then return werr end
      self:trim(n)
      total = total + n
      if self.chunked and self.cur == 0 then self._announced = false end
    end
  end
end

-- tobuffer, discard, save, splice (bytes without the chunk framing)
for k, f in pairs(W.body_methods(drain)) do Body[k] = f end

-- tostring() -> err, s: the whole body (errors.http.ESYNTAX when it was
-- cut short)
function Body:tostring()
  local err, buf = self:tobuffer()
  if err then return err end
  return nil, buf:take()
end

-- json() -> value: one JSON value from the body, read as far as it needs
-- (a chunked body is not waited out); bytes after the value are left
-- unread. nil when the body holds no valid value.
function Body:json()
  local acc = require("levee.d").Buffer()
  local body = self
  local src = {
    value = function() return acc:value() end,
    trim = function(_, n) return acc:trim(n) end,
    readin = function()
      local err = body_ready(body)
      if err then return err end
      if body.done then return CLOSED end
      local p, n = body:value()
      acc:write(p, n)
      body:trim(n)
    end,
  }
  self._json = self._json or require("levee.p.json").decoder()
  local err, value = self._json:stream(src)
  if err then return nil end
  return value
end

-- proxy(target) -> err, n: re-emits the body on target, chunked bodies as
-- chunks (through target.p.http). A truncated body gives ESYNTAX and closes
-- target.
function Body:proxy(target)
  local err, n
  if self.chunked then
    local th = target.p.http
    err, n = drain(self, function(p, len)
      local werr = th:write_chunk(len)
      if werr then return werr end
      return (target:write(p, len))
    end)
    if not err then err = th:write_chunk(nil) end
  else
    err, n = drain(self, function(p, len) return (target:write(p, len)) end)
  end
  if err then
    target:close()
    return err == CLOSED and ESYNTAX or err
  end
  return nil, n
end

-- ---------------------------------------------------------------------
-- conn.p.http

local H = {}
H.__index = H

function M.P(p)
  local o = p.io.options or {}
  local host = o.host
  if host and host:find(":", 1, true) then host = "[" .. host .. "]" end
  local Host = host and (type(o.port) == "number" and (host .. ":" .. o.port) or host) or nil
  if not Host and type(o.port) == "number" then Host = "127.0.0.1:" .. o.port end
  return setmetatable({p = p, parser = Parser(), options = {Host = Host}, _methods = {},
    _mh = 0, _mt = 0}, H)
end

local function attach_body(self, msg)
  if msg.chunked then
    msg.body = new_body(self, 0, true)
  elseif msg.until_close then
    msg.body = new_body(self, math.huge, false)
  else
    msg.body = new_body(self, msg.len or 0, false)
  end
  return msg
end

-- read_request() -> err, req (req.body: the body, possibly empty)
function H:read_request()
  local err, req = M.decode_request(self.parser, self.p)
  if err then return err end
  return nil, attach_body(self, req)
end

H.__call = function(self)
  local err, req = self:read_request()
  if err then return nil end
  return req
end

-- read_response() -> err, res (res.body; none for a response to HEAD)
function H:read_response()
  local err, res = M.decode_response(self.parser, self.p)
  if err then return err end
  local method
  if self._mh < self._mt then
    self._mh = self._mh + 1
    method = self._methods[self._mh]
    self._methods[self._mh] = nil
  end
  if method == "HEAD" then
    if res.chunked then C_reset(self.parser.h) end
    res.chunked, res.until_close, res.len = false, nil, nil
    res.body = new_body(self, 0, false)
    return nil, res
  end
  if res.code == 204 or res.code == 304 then
    res.body = new_body(self, 0, false)
    return nil, res
  end
  return nil, attach_body(self, res)
end

-- read_chunk() -> err, len (0 after the last chunk)
function H:read_chunk() return M.decode_chunk(self.parser, self.p) end

local function send(self)
  local p = self.p
  local n = #p.wbuf
  local err = p.io:write(p.wbuf:value())
  p.wbuf:trim()
  if err then return err end
  return nil, n
end

-- write_request(method, path[, params[, headers[, body]]]) -> err, n
function H:write_request(method, path, params, headers, body)
  local hs = headers
  if self.options.Host and not has(headers, "Host") then
    if is_map(headers) then
      headers:set("Host", self.options.Host)
    else
      hs = {Host = self.options.Host}
      for k, v in pairs(headers or {}) do hs[k] = v end
    end
  end
  local err = M.encode_request(self.p.wbuf, method, path, params, hs, body)
  if err then return err end
  self._mt = self._mt + 1
  self._methods[self._mt] = method
  return send(self)
end

-- write_response(status[, headers[, body]]) -> err, n
function H:write_response(status, headers, body)
  local err = M.encode_response(self.p.wbuf, status, headers, body)
  if err then
    self.p.wbuf:trim()
    return err
  end
  return send(self)
end

-- write_chunk(chunk) -> err, n: a string chunk, a chunk header for n bytes
-- the caller writes, or the last chunk (nil or 0)
function H:write_chunk(chunk)
  M.encode_chunk(self.p.wbuf, chunk)
  return send(self)
end

function H:get(path, o)
  o = o or {}
  local err = self:write_request("GET", path, o.params, o.headers)
  if err then return err end
  return self:read_response()
end

function H:head(path, o)
  o = o or {}
  local err = self:write_request("HEAD", path, o.params, o.headers)
  if err then return err end
  return self:read_response()
end

function H:put(path, o)
  o = o or {}
  local err = self:write_request("PUT", path, o.params, o.headers, o.data)
  if err then return err end
  return self:read_response()
end

function H:post(path, o)
  o = o or {}
  local err = self:write_request("POST", path, o.params, o.headers, o.data)
  if err then return err end
  return self:read_response()
end

return M
