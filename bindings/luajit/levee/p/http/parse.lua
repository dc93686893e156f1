-- levee.p.http.parse: the HTTP/1.1 Parser over the C tokenizer
-- (levee_http_*). parse() returns a Parser; parse.Request([config]) and
-- parse.Response([config]) also init it. See docs/http.md.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local C_next, C_done = L.levee_http_next, L.levee_http_is_done
local T_REQUEST, T_RESPONSE = L.LEVEE_HTTP_T_REQUEST, L.LEVEE_HTTP_T_RESPONSE
local T_FIELD, T_BODY_START = L.LEVEE_HTTP_T_FIELD, L.LEVEE_HTTP_T_BODY_START
local T_BODY_CHUNK, T_BODY_END = L.LEVEE_HTTP_T_BODY_CHUNK, L.LEVEE_HTTP_T_BODY_END
local char_p = ffi.typeof("const char *")
local handle_pp = ffi.typeof("levee_http *[1]")
local token_t = ffi.typeof("levee_http_token")
local limits_t = ffi.typeof("levee_http_limits")

local LIMITS = {"max_method", "max_uri", "max_reason", "max_field", "max_value",
  "max_headers", "max_head"}

local Parser = {}
Parser.__index = Parser

local function check(rc, what)
  if rc < 0 then error("levee.p.http.parse: " .. what .. ": " .. tostring(errors.get(rc)), 3) end
end

local function clear(self)
  self.type = 0
  self.chunked = false
  self.body_len = 0
  self._has = false
  self._started = false
  self._chunks = nil
  self._last = nil
end

local function new()
  local out = handle_pp()
  check(L.levee_http_new(out, 0), "new")
  local self = setmetatable({
    h = ffi.gc(out[0], L.levee_http_free),
    as = token_t(),
    response = false,
  }, Parser)
  clear(self)
  return self
end

-- config(t): sets the limits named in t (max_method, max_uri, max_reason,
-- max_field, max_value, max_headers, max_head); others keep their value.
function Parser:config(t)
  if t == nil then return self end
  local lim = limits_t()
  L.levee_http_limits_get(self.h, lim)
  for _, k in ipairs(LIMITS) do
    local v = t[k]
    if v ~= nil then
      v = tonumber(v)
      if not v or v < 1 or v > 0xffffffff then error("levee.p.http.parse: bad " .. k, 2) end
      lim[k] = v
    end
  end
  L.levee_http_limits_set(self.h, lim)
  return self
end

-- limits(): the current limits as a table
function Parser:limits()
  local lim = limits_t()
  L.levee_http_limits_get(self.h, lim)
  local t = {}
  for _, k in ipairs(LIMITS) do t[k] = lim[k] end
  return t
end

function Parser:init_request(config)
  check(L.levee_http_init(self.h, 0), "init_request")
  self.response = false
  clear(self)
  return self:config(config)
end

function Parser:init_response(config)
  check(L.levee_http_init(self.h, 1), "init_response")
  self.response = true
  clear(self)
  return self:config(config)
end

-- reset(): a new message of the same kind, same limits
function Parser:reset()
  L.levee_http_reset(self.h)
  clear(self)
end

-- The last chunk of a chunked body ("0" and its extensions, after the CRLF
-- that ends the previous chunk's data) is a token of its own, as the
-- original parser gave it; the trailers and the final CRLF are the next
-- one. The C tokenizer reads them as one token, so the line is kept and
-- given to it again in front of the rest.
local char_cp = ffi.typeof("const char *")
local function last_chunk_line(buf, len, after_data)
  local n = len < 1100 and len or 1100
  local s = type(buf) == "string" and buf:sub(1, n) or ffi.string(ffi.cast(char_cp, buf), n)
  local pat = after_data and "^\r\n0+[ \t]*;?[^\r\n]*\r\n" or "^0+[ \t]*;?[^\r\n]*\r\n"
  local a, b = s:find(pat)
  if not a then return nil end
  local line = s:sub(1, b)
  -- "0" followed by ext only: not a longer size like "0a"
  if line:find("^\r?\n?0+[%x]") then return nil end
  return line
end

local function piece_of(buf, len)
  if type(buf) == "string" then return buf:sub(1, len) end
  return ffi.string(ffi.cast(char_cp, buf), len)
end

-- next(buf, len) -> err, consumed (0 = need more bytes). buf is a pointer or
-- a string; after 0, pass the same unconsumed bytes plus the new ones.
function Parser:next(buf, len)
  len = len or #buf
  local tok = self.as
  local chunks = self._chunks
  if chunks and not self._last then
    local line = last_chunk_line(buf, len, chunks == "data")
    if line then
      -- the last chunk line, reported as a chunk of size 0
      self._last = line
      ffi.fill(tok, ffi.sizeof(tok))
      tok.type = T_BODY_CHUNK
      tok["end"] = #line
      self._has, self._started = true, true
      self.type = T_BODY_CHUNK
      return nil, #line
    end
  end
  local rc
  local last = self._last
  if last then
    rc = C_next(self.h, last .. piece_of(buf, len), #last + len, tok)
    if rc > 0 then
      rc = rc - #last
      self._last = nil
    end
  else
    rc = C_next(self.h, buf, len, tok)
  end
  if rc < 0 then
    self._has = false
    return errors.get(rc)
  end
  if rc == 0 then
    self._has = false
    return nil, 0
  end
  self._has = true
  self._started = true
  local ty = tok.type
  self.type = ty
  if ty == T_BODY_START then
    self.chunked = tok.chunked == 1
    self.body_len = tok.length
    if self.chunked then self._chunks = "head" end
  elseif ty == T_BODY_CHUNK then
    self._chunks = "data"
  elseif ty == T_BODY_END then
    self._chunks = nil
  end
  return nil, rc
end

function Parser:is_done() return C_done(self.h) == 1 end

function Parser:has_value() return self._has end

local function piece(buf, off, len)
  if type(buf) == "string" then return buf:sub(off + 1, off + len) end
  return ffi.string(ffi.cast(char_p, buf) + off, len)
end

-- value(buf): the values of the token the last successful next() read, from
-- the same buf (see docs/http.md for each token type).
function Parser:value(buf)
  local tok = self.as
  local ty = tok.type
  if ty == T_FIELD then
    return piece(buf, tok.a_off, tok.a_len), piece(buf, tok.b_off, tok.b_len)
  elseif ty == T_REQUEST then
    return piece(buf, tok.a_off, tok.a_len), piece(buf, tok.b_off, tok.b_len), tonumber(tok.version)
  elseif ty == T_RESPONSE then
    return tonumber(tok.status), piece(buf, tok.a_off, tok.a_len), tonumber(tok.version)
  elseif ty == T_BODY_START then
    return false, tok.chunked == 1, tok.length
  elseif ty == T_BODY_CHUNK then
    return true, tok.length
  elseif ty == T_BODY_END then
    return false, 0
  end
  return nil
end

-- stream_next(stream) -> err, {values...}: the next token from an io.Stream
-- (anything with value(), readin(), trim(n)), reading in as needed. Resets
-- the parser when the message is complete. A stream that fails mid-message
-- gives errors.http.ESYNTAX.
function Parser:stream_next(stream)
  while true do
    local buf, len = stream:value()
    local err, n = self:next(buf, len)
    if err then return err end
    if n > 0 then
      local values = {self:value(buf)}
      stream:trim(n)
      if self:is_done() then self:reset() end
      return nil, values
    end
    local rerr = stream:readin()
    if rerr then
      if self._started or len > 0 then return errors.get(L.LEVEE_HTTP_ESYNTAX) end
      return rerr
    end
  end
end

local M = {Parser = new}

function M.Request(config) return new():init_request(config) end
function M.Response(config) return new():init_response(config) end

return setmetatable(M, {__call = function() return new() end})
