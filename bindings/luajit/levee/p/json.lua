-- levee.p.json: strict RFC 8259 JSON (lua-api.md §10, docs/json.md).
--
-- Decoding: the C++ tokenizer scans the input once and hands back a tape of
-- tokens (offsets into the input, container sizes known up front); one Lua
-- walk over the tape builds the tables. Encoding: a Lua walk over the value
-- writes into a scratch buffer; strings (escaping, UTF-8 validation) and
-- numbers (shortest round-trip text) are formatted by the C core.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
local tnew = require("table.new")

local band = bit.band
local ffi_string, ffi_copy, ffi_cast = ffi.string, ffi.copy, ffi.cast
local tonumber, type, pairs, next, error = tonumber, type, pairs, next, error

local T_NULL, T_FALSE, T_TRUE, T_NUMBER, T_STRING, T_ARRAY =
  L.LEVEE_JSON_NULL, L.LEVEE_JSON_FALSE, L.LEVEE_JSON_TRUE, L.LEVEE_JSON_NUMBER,
  L.LEVEE_JSON_STRING, L.LEVEE_JSON_ARRAY
local F_ESCAPED, F_INT, F_UINT = L.LEVEE_JSON_FESCAPED, L.LEVEE_JSON_FINT, L.LEVEE_JSON_FUINT
local EXACT = 2 ^ 53
local u8p = ffi.typeof("const uint8_t *")
local uint64_t = ffi.typeof("uint64_t")

local M = {}

-- ------------------------------------------------------------------ markers
-- What cjson users expect: json.null stands for JSON null where nil cannot
-- (inside arrays, as a present member), json.empty_array encodes as [],
-- and a table whose metatable is json.array_mt encodes as an array even
-- when empty. decode() keeps the original's null -> nil unless asked:
-- decode(s, {null = true, array_mt = true}).

local function frozen(name)
  return setmetatable({}, {
    __tostring = function() return name end,
    __newindex = function() error("levee.p.json: " .. name .. " is read-only", 2) end,
    __metatable = name,
  })
end

M.null = frozen("json.null")
M.empty_array = frozen("json.empty_array")
M.array_mt = {__name = "json.array"}
M.empty_array_mt = M.array_mt -- cjson's name for the same use

local function new_handle()
  local out = ffi.new("levee_json *[1]")
  local rc = L.levee_json_new(out)
  if rc < 0 then error("levee.p.json: " .. tostring(errors.get(rc))) end
  return ffi.gc(out[0], L.levee_json_free)
end

-- ------------------------------------------------------------------ decode

-- Containers being filled while the tape is walked (reused; the walk never
-- yields, so one set per Lua state is enough).
local S_tab, S_left, S_obj, S_idx = {}, {}, {}, {}

-- The text of a string token (unescaped).
local function str_value(t, base, strs)
  if band(t.flags, F_ESCAPED) == 0 then return ffi_string(base + t.off, t.len) end
  return ffi_string(strs + t.aux, t.integer)
end

-- The value of a number token: a Lua number, or int64 / uint64 cdata for
-- integers beyond 2^53 (so they stay exact).
local function num_value(t)
  local v = t.number
  if (v >= EXACT or v <= -EXACT) and band(t.flags, F_INT + F_UINT) ~= 0 then
    if band(t.flags, F_UINT) ~= 0 then return ffi_cast(uint64_t, t.integer) end
    return t.integer
  end
  return v
end

-- Builds the value of a complete tape of count tokens in one loop (no
-- recursion: the JIT compiles one trace tree, whatever the document shape).
-- Containers come with their element / member counts, so tables are
-- allocated at their final size.
local function build(tape, count, base, strs, null_v, amt)
  local root
  local cur, left, obj, idx = nil, 0, false, 0
  local top = 0
  local i = 0
  while i < count do
    if left == 0 and cur ~= nil then
      -- the last value completed this container: close it. One container per
      -- iteration of this loop, not an inner loop, so the JIT keeps the
      -- whole walk in one trace tree (an inner loop became a root trace of
      -- its own in some processes, and decoding ran 20% slower there).
      cur, left, obj, idx = S_tab[top], S_left[top], S_obj[top], S_idx[top]
      S_tab[top] = nil
      top = top - 1
      if cur == nil then return root end
      goto continue
    end
    local key
    local t = tape[i]
    if obj then
      -- an object member: its key token, then its value token
      key = str_value(t, base, strs)
      i = i + 1
      t = tape[i]
    end
    i = i + 1
    local ty = t.type
    local v
    if ty == T_STRING then
      v = str_value(t, base, strs)
    elseif ty == T_NUMBER then
      v = num_value(t)
    elseif ty == T_TRUE then
      v = true
    elseif ty == T_FALSE then
      v = false
    elseif ty == T_NULL then
      v = null_v
    else
      local n = tonumber(t.len)
      if ty == T_ARRAY then
        v = tnew(n, 0)
        if amt then setmetatable(v, amt) end
      else
        v = tnew(0, n)
      end
      if n > 0 then
        if cur == nil then
          root = v
        else
          if obj then cur[key] = v else idx = idx + 1; cur[idx] = v end
          left = left - 1
        end
        top = top + 1
        S_tab[top], S_left[top], S_obj[top], S_idx[top] = cur, left, obj, idx
        cur, left, idx = v, n, 0
        obj = ty ~= T_ARRAY
        goto continue
      end
    end
    if cur == nil then return v end -- a top-level scalar or empty container
    if obj then
      -- A null member makes no slot (storing nil into a new key would),
      -- unless it overrides an earlier duplicate key.
      if v ~= nil or cur[key] ~= nil then cur[key] = v end
    else
      idx = idx + 1
      cur[idx] = v
    end
    left = left - 1
    ::continue::
  end
  return root
end

local function tape_value(h, base, null_v, amt)
  return build(L.levee_json_tape(h), tonumber(L.levee_json_count(h)), base, L.levee_json_strings(h),
    null_v, amt)
end

-- The null value and array metatable that decoding options ask for.
local function markers(opts)
  if opts == nil then return nil, nil end
  if type(opts) ~= "table" then error("levee.p.json: options must be a table", 3) end
  local null_v, amt = opts.null, opts.array_mt
  if null_v == true then null_v = M.null elseif null_v == false then null_v = nil end
  if amt == true then amt = M.array_mt elseif amt == false then amt = nil end
  if amt ~= nil and type(amt) ~= "table" then error("levee.p.json: array_mt must be a table", 3) end
  return null_v, amt
end

local function fail(h, rc)
  return errors.get(tonumber(rc)), nil, tonumber(L.levee_json_error_offset(h))
end

-- input(s, len, fn) -> bytes, len (levee.p.input).
local input = require("levee.p.input")("levee.p.json")

local shared = new_handle()

-- decode(s[, len][, opts]) / decode(ptr, len) / decode(buf) -> err,
-- value[, offset]. Decodes exactly one JSON value with only white space
-- around it. On failure err is an errors.json.* error and the third result
-- is the byte offset of the fault. opts: null = true decodes null as
-- json.null (so array slots and members survive), array_mt = true gives
-- arrays json.array_mt (so [] encodes back as []).
function M.decode(s, len, opts)
  if type(len) == "table" then len, opts = nil, len end
  local null_v, amt = markers(opts)
  local ptr, n = input(s, len, "decode")
  local rc = L.levee_json_parse(shared, ptr, n)
  if rc < 0 then return fail(shared, rc) end
  return nil, tape_value(shared, ffi_cast(u8p, ptr), null_v, amt)
end

-- ------------------------------------------------------------------ decoder

local Decoder = {}
Decoder.__index = Decoder

-- decoder([max_depth[, max_size]][, opts]) -> an incremental decoder:
-- whole values with stream() / feed(), or one token per call with next();
-- opts as decode's (for the whole values).
function M.decoder(max_depth, max_size, opts)
  if type(max_depth) == "table" then max_depth, max_size, opts = nil, nil, max_depth end
  if type(max_size) == "table" then max_size, opts = nil, max_size end
  if max_depth ~= nil and type(max_depth) ~= "number" then
    error("levee.p.json.decoder: max_depth must be a number, got " .. type(max_depth), 2)
  end
  if max_size ~= nil and type(max_size) ~= "number" then
    error("levee.p.json.decoder: max_size must be a number, got " .. type(max_size), 2)
  end
  local null_v, amt = markers(opts)
  local h = new_handle()
  if max_depth or max_size then
    local rc = L.levee_json_limits(h, max_depth or L.LEVEE_JSON_MAX_DEPTH,
      max_size or L.LEVEE_JSON_MAX_SIZE)
    if rc < 0 then error("levee.p.json.decoder: bad limits", 2) end
  end
  return setmetatable({h = h, done = false, value = nil, offset = nil, max_depth = max_depth,
    null = null_v, array_mt = amt}, Decoder)
end

-- feed(buf, len, eof) -> err, n: whole values. buf/len: the bytes of the
-- current value from its first byte (each call sees the same bytes,
-- possibly extended); eof: no more bytes will come. n > 0: a value is
-- complete, it used n bytes, and it is in self.value (is_done() is true);
-- n == 0: need more. On failure: err, nil, offset (the decoder must be
-- reset).
function Decoder:feed(buf, len, eof)
  local ptr, n = input(buf, len, "decoder:feed")
  local rc = L.levee_json_feed(self.h, ptr, n, eof and 1 or 0)
  if rc < 0 then
    self.offset = tonumber(L.levee_json_error_offset(self.h))
    return errors.get(tonumber(rc)), nil, self.offset
  end
  if rc == 0 then return nil, 0 end
  self.value = tape_value(self.h, ffi_cast(u8p, ptr), self.null, self.array_mt)
  self.done = true
  return nil, tonumber(rc)
end

-- Token names of decoder.type (next() / stream_next()).
local type_names = {
  [T_NULL] = "null", [L.LEVEE_JSON_FALSE] = "false", [L.LEVEE_JSON_TRUE] = "true",
  [T_NUMBER] = "number", [T_STRING] = "string", [T_ARRAY] = "array",
  [L.LEVEE_JSON_OBJECT] = "object", [L.LEVEE_JSON_ARRAY_END] = "array_end",
  [L.LEVEE_JSON_OBJECT_END] = "object_end",
}
M.types = type_names

local token = ffi.new("levee_json_token")

local function lexer(self)
  local lx = self.lx
  if lx then return lx end
  local out = ffi.new("levee_json_lexer *[1]")
  local rc = L.levee_json_lexer_new(out)
  if rc < 0 then error("levee.p.json: " .. tostring(errors.get(rc)), 3) end
  lx = ffi.gc(out[0], L.levee_json_lexer_free)
  if self.max_depth then L.levee_json_lexer_limits(lx, self.max_depth) end
  self.lx = lx
  return lx
end

-- next(buf, len, eof) -> err, n: one token per call, as the original.
-- buf/len: the bytes after the previous token (drop the n bytes each call
-- used before the next); eof: no more bytes will come. n > 0: a token was
-- read; it used n bytes (the white space and ',' or ':' before it
-- included), and self.type names it ("object", "array", "object_end",
-- "array_end", "string", "number", "true", "false", "null"), self.value
-- holds a scalar's value (string, number, boolean; nil for null and
-- containers), self.number a number's value, self.utf8 a string's text.
-- is_done() is true once the token that closes the top-level value was
-- read (the next call starts a new value). n == 0: need more bytes (call
-- again with them added). On failure: err, nil, offset (reset before
-- reuse).
function Decoder:next(buf, len, eof)
  local ptr, n = input(buf, len, "decoder:next")
  local lx = lexer(self)
  local rc = L.levee_json_lexer_next(lx, ptr, n, eof and 1 or 0, token)
  if rc < 0 then
    self.offset = tonumber(L.levee_json_lexer_error_offset(lx))
    return errors.get(tonumber(rc)), nil, self.offset
  end
  if rc == 0 then return nil, 0 end
  local ty = token.type
  self.type = type_names[ty]
  local v = nil
  if ty == T_STRING then
    v = str_value(token, ffi_cast(u8p, ptr), L.levee_json_lexer_strings(lx))
    self.utf8 = v
  elseif ty == T_NUMBER then
    v = num_value(token)
    self.number = v
  elseif ty == T_TRUE then
    v = true
  elseif ty == T_FALSE then
    v = false
  end
  self.value = v
  self.done = L.levee_json_lexer_done(lx) == 1
  return nil, tonumber(rc)
end

-- Pulls from a stream (readin(), value() -> ptr, len, trim(n)) until
-- step (Decoder.next or Decoder.feed) completes: trims the bytes it used
-- and returns nil, n; or err, nil, offset for bad input; or the stream's
-- error (CLOSED) when it ends first. A d.Buffer has no readin: its input
-- is complete. At the end of the input step runs once more with eof set
-- (a bare top-level number completes there).
local function pull(self, s, step)
  while true do
    local ptr, len = s:value()
    local err, n, off = step(self, ptr, len, false)
    if err then return err, nil, off end
    if n > 0 then
      s:trim(n)
      return nil, n
    end
    if s.readin then err = s:readin() else err = errors.CLOSED end
    if err then
      ptr, len = s:value()
      local e2, n2 = step(self, ptr, len, true)
      if not e2 and n2 > 0 then
        s:trim(n2)
        return nil, n2
      end
      return err
    end
  end
end

-- stream_next(stream) -> err, type, value: the next token from a stream
-- (readin(), value(), trim(n)), its bytes trimmed. The stream's error
-- (CLOSED) when it ends before the token.
function Decoder:stream_next(s)
  local err, _, off = pull(self, s, Decoder.next)
  if err then return err, nil, off end
  return nil, self.type, self.value
end

-- Forgets any partial or completed value (and the token walk).
function Decoder:reset()
  L.levee_json_reset(self.h)
  if self.lx then L.levee_json_lexer_reset(self.lx) end
  self.done, self.value, self.offset, self.type = false, nil, nil, nil
end

-- true once feed() completed a value, or next() read the token that ends
-- the top-level value (until reset or the next token).
function Decoder:is_done()
  return self.done
end

-- stream(s) -> err, value: decodes one value from a stream (readin(),
-- value() -> ptr, len, trim(n)), trims exactly the bytes it used and leaves
-- what follows; resets itself after success. The tokenizer resumes where
-- it stopped after each readin, so a value arriving in pieces is scanned
-- once. Input ending inside a value returns the stream's error (CLOSED).
-- stream:json() and chunk:json() are this method over a cached decoder.
function Decoder:stream(s)
  local err, _, off = pull(self, s, Decoder.feed)
  local value = self.value
  self:reset()
  if err then return err, nil, off end
  return nil, value
end

Decoder.stream_value = Decoder.stream

-- ------------------------------------------------------------------ encode

local sb = ffi.gc((function()
  local out = ffi.new("levee_buffer *[1]")
  assert(L.levee_buffer_new(out, 65536) == 0)
  return out[0]
end)(), L.levee_buffer_free)

local out, avail, pos -- scratch window: out[0, avail), pos bytes written

local function reserve(n)
  if pos + n > avail then
    L.levee_buffer_bump(sb, pos)
    if L.levee_buffer_ensure(sb, n + 65536) < 0 then error("levee.p.json: out of memory") end
    out = L.levee_buffer_tail(sb)
    avail = tonumber(L.levee_buffer_available(sb))
    pos = 0
  end
end

local function put(s, n)
  reserve(n)
  ffi_copy(out + pos, s, n)
  pos = pos + n
end

local MAX_DEPTH = 1000
local encode_value

local function encode_string(s)
  local n = #s
  reserve(6 * n + 2)
  local w = L.levee_json_escape(out + pos, s, n)
  if w < 0 then return errors.get(tonumber(w)) end
  pos = pos + tonumber(w)
end

encode_value = function(v, depth)
  local ty = type(v)
  if ty == "string" then
    return encode_string(v)
  elseif ty == "number" then
    reserve(32)
    local w = L.levee_json_format_number(out + pos, v)
    if w < 0 then error("levee.p.json: cannot encode " .. tostring(v), 0) end
    pos = pos + w
  elseif ty == "table" then
    if v == M.null then
      put("null", 4)
      return
    elseif v == M.empty_array then
      put("[]", 2)
      return
    end
    if depth > MAX_DEPTH then error("levee.p.json: nesting too deep (a cycle?)", 0) end
    local n = #v
    local array = getmetatable(v) == M.array_mt
    if n > 0 and not array then
      local count = 0
      for _ in pairs(v) do count = count + 1 end
      array = count == n
    end
    if array then
      put("[", 1)
      for i = 1, n do
        if i > 1 then put(", ", 2) end
        local err = encode_value(v[i], depth + 1)
        if err then return err end
      end
      put("]", 1)
    else
      put("{", 1)
      local first = true
      for k, x in pairs(v) do
        if type(k) ~= "string" then
          error("levee.p.json: object keys must be strings, got " .. type(k), 0)
        end
        if first then first = false else put(", ", 2) end
        local err = encode_string(k)
        if err then return err end
        put(": ", 2)
        err = encode_value(x, depth + 1)
        if err then return err end
      end
      put("}", 1)
    end
  elseif ty == "boolean" then
    if v then put("true", 4) else put("false", 5) end
  elseif ty == "cdata" and (ffi.istype("int64_t", v) or ffi.istype("uint64_t", v)) then
    local s = tostring(v):gsub("U?LL$", "")
    put(s, #s)
  else
    error("levee.p.json: cannot encode a " .. ty, 0)
  end
end

local Buffer = require("levee.d").Buffer

-- encode(data[, buf]) -> err, buf: appends the JSON text of data to buf (a
-- new d.Buffer when nil): arrays "[1, 2]", objects {"k": v}, an empty table
-- "{}"; a table is an array iff its keys are exactly 1..n, or its
-- metatable is json.array_mt (elements 1..#t, "[]" when empty);
-- json.null is null and json.empty_array is []. Invalid UTF-8 in
-- a string returns errors.utf8.*; NaN, infinities, non-string keys, cycles
-- and values of other types (nil, functions, ...) raise a Lua error.
function M.encode(data, buf)
  L.levee_buffer_reset(sb)
  out = L.levee_buffer_tail(sb)
  avail = tonumber(L.levee_buffer_available(sb))
  pos = 0
  local ok, err = pcall(encode_value, data, 1)
  if not ok then error(err, 2) end
  if err then return err end
  L.levee_buffer_bump(sb, pos)
  local n = tonumber(L.levee_buffer_len(sb))
  buf = buf or Buffer(n)
  buf:write(L.levee_buffer_value(sb), n)
  return nil, buf
end

-- io(p) -> the `p.json` convenience of an io's protocol object p (read()
-- and write(data)), as the original's registered protocols offered it.
function M.io(p) return p.json end

return M
