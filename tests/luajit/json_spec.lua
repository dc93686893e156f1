-- levee.p.json: lua-api.md §10 "json", its defects fixed, strict RFC 8259.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local json = levee.p.json

-- The conformance sets live in the repository (tests/data/json, see its
-- README for their sources and licences).
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local DATA = here .. "/../data/json"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function list(dir)
  local p = assert(io.popen('ls "' .. dir .. '"'))
  local names = {}
  for name in p:lines() do names[#names + 1] = name end
  p:close()
  assert(#names > 0, "no files in " .. dir)
  return names
end

local function encoded(v)
  local err, buf = json.encode(v)
  assert(err == nil, tostring(err))
  return ffi.string(buf:value())
end

-- Deep equality where numbers must be exactly equal (int64 cdata too).
local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "cdata" then return a == b and tostring(a) == tostring(b) end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- A stream over a string that hands out `step` bytes per readin.
local function pieces(s, step)
  local buf, fed = "", 0
  return {
    readin = function()
      if fed >= #s then return errors.CLOSED end
      buf = buf .. s:sub(fed + 1, fed + step)
      fed = fed + step
    end,
    value = function() return ffi.cast("const uint8_t *", buf), #buf end,
    trim = function(_, n) buf = buf:sub(n + 1) end,
    rest = function() return buf .. s:sub(fed + 1) end,
  }
end

describe("p.json decode", function()
  it("runs the seed example verbatim", function()
    local p = require("levee").p
    local err, data = p.json.decode([[{"foo": "bar"}]])
    assert.is_nil(err)
    assert.equal("bar", data.foo)
  end)

  it("maps objects, arrays, strings, numbers, booleans and null", function()
    local err, v = json.decode('{"a": [1, -2.5, "x", true, false], "n": null, "o": {}}')
    assert.is_nil(err)
    assert.same({1, -2.5, "x", true, false}, v.a)
    assert.is_nil(v.n)
    assert.same({}, v.o)
  end)

  it("lets the last of duplicate keys win, null included", function()
    local err, v = json.decode('{"a": 1, "b": null, "a": null, "b": 2, "c": null, "c": 3}')
    assert.is_nil(err)
    assert.is_nil(v.a)
    assert.equal(2, v.b)
    assert.equal(3, v.c)
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    assert.equal(2, n)
  end)

  it("decodes top-level scalars and empty containers", function()
    assert.equal("x\n", select(2, json.decode('"x\\n"')))
    assert.equal(-2.5, select(2, json.decode(' -2.5 ')))
    assert.equal(true, select(2, json.decode('true')))
    assert.equal(false, select(2, json.decode('false')))
    local err, v = json.decode('null')
    assert.is_nil(err)
    assert.is_nil(v)
    assert.same({}, select(2, json.decode('[]')))
    assert.same({}, select(2, json.decode('{}')))
    assert.equal(ffi.new("uint64_t", 18446744073709551615ULL), select(2, json.decode('18446744073709551615')))
  end)

  it("takes a length, a pointer and a length, or a buffer", function()
    local s = '[1, 2]  trailing'
    assert.same({1, 2}, select(2, json.decode(s, 6)))
    local p = ffi.cast("const char *", s)
    assert.same({1, 2}, select(2, json.decode(p, 6)))
    local _, buf = json.encode({7, 8})
    assert.same({7, 8}, select(2, json.decode(buf)))
  end)

  it("decodes an array holding 93, the code of ']' (defect of the original)", function()
    local err, v = json.decode("[93, 93, [93], 125]")
    assert.is_nil(err)
    assert.same({93, 93, {93}, 125}, v)
  end)

  it("unescapes strings, surrogate pairs included", function()
    local _, v = json.decode([["a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"]])
    assert.equal('a"b\\c/d\b\f\n\r\t\195\169\226\130\172\240\159\152\128', v)
    local _, k = json.decode([[{"k\u0041": 1}]])
    assert.equal(1, k.kA)
  end)

  it("keeps integers beyond 2^53 exact as int64/uint64 cdata", function()
    local _, v = json.decode("[9007199254740993, -9223372036854775808, 18446744073709551615, 9007199254740991]")
    assert.equal(9007199254740993LL, v[1])
    assert.equal("int64_t", ffi.istype("int64_t", v[1]) and "int64_t")
    assert.equal(-9223372036854775807LL - 1, v[2])
    assert.equal(18446744073709551615ULL, v[3])
    assert.equal(9007199254740991, v[4])
    assert.equal("number", type(v[4]))
  end)

  it("converts numbers exactly as strtod does", function()
    local cases = {
      ["0.1"] = 0.1, ["1e23"] = 1e23, ["5e-324"] = 5e-324, ["-0.0"] = -0.0,
      ["2.2250738585072011e-308"] = 2.2250738585072011e-308,
      ["1.7976931348623157e308"] = 1.7976931348623157e308,
      ["123456789012345678901234567890"] = 123456789012345678901234567890,
      ["1e-400"] = 0, ["0.30000000000000004"] = 0.30000000000000004,
    }
    for text, want in pairs(cases) do
      local err, got = json.decode(text)
      assert.is_nil(err)
      assert.equal(tostring(want), tostring(tonumber(text)))
      assert.equal(want, got, text)
    end
  end)

  it("rejects what RFC 8259 forbids, with the json error and its byte offset", function()
    local cases = {
      {"[1,]", errors.json.ESYNTAX, 3}, {'{"a":1,}', errors.json.ESYNTAX, 7},
      {"01", errors.json.ESYNTAX, 1}, {"[-]", errors.json.ESYNTAX, 2},
      {"/* c */ 1", errors.json.ESYNTAX, 0}, {"NaN", errors.json.ESYNTAX, 0},
      {"[Infinity]", errors.json.ESYNTAX, 1}, {"'a'", errors.json.ESYNTAX, 0},
      {'"\\ud800"', errors.json.EESCAPE, 1}, {'"\\udc00\\ud800"', errors.json.EESCAPE, 1},
      {'"\\x"', errors.json.EESCAPE, 1}, {'"a\255"', errors.json.EBYTE, 2},
      {'"\192\128"', errors.json.EBYTE, 1}, {'"\237\160\128"', errors.json.EBYTE, 1},
      {'"a\tb"', errors.json.EBYTE, 2}, {"[1] 2", errors.json.ESYNTAX, 4},
      {"", errors.json.ESYNTAX, 0}, {"[1", errors.json.ESYNTAX, 2},
      {"1e400", errors.json.ESIZE, 0}, {"tru", errors.json.ESYNTAX, 3},
    }
    for _, c in ipairs(cases) do
      local err, v, off = json.decode(c[1])
      assert.equal(c[2], err, c[1])
      assert.is_nil(v)
      assert.equal(c[3], off, c[1])
    end
  end)

  it("accepts every jsonchecker pass file and rejects every fail file", function()
    local n = 0
    for _, name in ipairs(list(DATA .. "/jsonchecker")) do
      if name:match("%.json$") and not name:match("EXCLUDE") then
        local err = json.decode(read(DATA .. "/jsonchecker/" .. name))
        if name:match("^pass") then
          assert.is_nil(err, name)
        else
          assert.not_nil(err, name)
          assert.equal("json", err.domain, name)
        end
        n = n + 1
      end
    end
    assert.truthy(n >= 30)
  end)

  it("gives 'need more' at every truncation point, never a wrong value", function()
    local doc = read(DATA .. "/jsonchecker/pass01.json")
    local _, whole = json.decode(doc)
    local d = json.decoder()
    for i = 0, #doc - 1 do
      d:reset()
      local err, n = d:feed(doc, i, false)
      assert.is_nil(err, "prefix " .. i)
      assert.equal(0, n, "prefix " .. i)
      assert.is_false(d:is_done())
      -- and with eof the truncated prefix is an error, not a value
      d:reset()
      err = json.decode(doc:sub(1, i))
      assert.not_nil(err, "prefix " .. i)
    end
    d:reset()
    local err, n = d:feed(doc, #doc, false)
    assert.is_nil(err)
    assert.truthy(n > 0)
    assert.truthy(same(whole, d.value))
  end)

  it("gives hostile input a clear error quickly", function()
    local deep = string.rep("[", 100000)
    local err, _, off = json.decode(deep)
    assert.equal(errors.json.ESTACK, err)
    assert.equal(1024, off)
    err = json.decode(string.rep("[", 1024) .. string.rep("]", 1024))
    assert.is_nil(err)
    err = json.decode(string.rep("{\"a\":", 2000))
    assert.equal(errors.json.ESTACK, err)
    -- a string claiming to go on past the size limit
    local d = json.decoder(nil, 4096)
    local huge = '"' .. string.rep("x", 10000)
    local e2, n, o2 = d:feed(huge, #huge, false)
    assert.equal(errors.json.ESIZE, e2)
    assert.is_nil(n)
    assert.equal(4096, o2)
    assert.equal(errors.json.ESIZE, (json.decode("1e99999999999999999999")))
    assert.equal(errors.json.ESIZE, (json.decode("-1e309")))
    assert.equal(0, select(2, json.decode("1e-99999999999999999999")))
    assert.equal(errors.json.EBYTE, (json.decode('["\255\254"]')))
  end)
end)

describe("p.json roundtrip", function()
  it("decodes, encodes and decodes each roundtrip file to the same value", function()
    local n = 0
    for _, name in ipairs(list(DATA .. "/roundtrip")) do
      local text = read(DATA .. "/roundtrip/" .. name)
      if not text:find("null") then -- null decodes to nil: no Lua value to compare
        local err, v = json.decode(text)
        assert.is_nil(err, name)
        local again = encoded(v)
        local err2, w = json.decode(again)
        assert.is_nil(err2, name)
        assert.truthy(same(v, w), name .. ": " .. again)
        n = n + 1
      end
    end
    assert.truthy(n >= 20)
  end)
end)

describe("p.json encode", function()
  it("keeps the original's text format", function()
    assert.equal('["a", 1, {"k": "v"}]', encoded({"a", 1, {k = "v"}}))
    assert.equal("{}", encoded({}))
    assert.equal("[true, false, [1, 2]]", encoded({true, false, {1, 2}}))
    assert.equal('"x"', encoded("x"))
  end)

  it("escapes strings and keys (keys were raw in the original)", function()
    assert.equal('{"a\\"b\\n": "\\\\\\u0001\\t"}', encoded({["a\"b\n"] = "\\\1\t"}))
    assert.equal('"\195\169\226\130\172"', encoded("\195\169\226\130\172"))
  end)

  it("writes the shortest text that reads back as the same number", function()
    assert.equal("[0.1, 1e+21, -0, 5e-324, 1.7976931348623157e+308, 100, 0.30000000000000004]",
      encoded({0.1, 1e21, -0.0, 5e-324, 1.7976931348623157e308, 100, 0.1 + 0.2}))
    assert.equal("[9223372036854775807, 18446744073709551615]",
      encoded({9223372036854775807LL, 18446744073709551615ULL}))
  end)

  it("treats a table as an array iff its keys are exactly 1..n", function()
    assert.equal('[1, 2, 3]', encoded({1, 2, 3}))
    local t = {1, 2}
    t.x = 1
    assert.truthy(not pcall(json.encode, t)) -- mixed keys: a number key in an object
    assert.equal('{"x": 1}', encoded({x = 1}))
  end)

  it("returns a utf8 error for invalid UTF-8", function()
    assert.equal(errors.utf8.EENCODING, (json.encode("\255")))
    assert.equal(errors.utf8.ETOOSHORT, (json.encode({k = "\226\130"})))
    assert.equal(errors.utf8.ESURROGATE, (json.encode("\237\160\128")))
  end)

  it("raises for values JSON cannot hold", function()
    assert.has_error(function() json.encode(0 / 0) end)
    assert.has_error(function() json.encode(math.huge) end)
    assert.has_error(function() json.encode({f = print}) end)
    local cyc = {}
    cyc[1] = cyc
    assert.has_error(function() json.encode(cyc) end, "nesting")
    assert.has_error(function() json.encode({[true] = 1}) end, "keys")
  end)

  it("appends to a given buffer", function()
    local _, buf = json.encode({1})
    local err, same_buf = json.encode({k = 2}, buf)
    assert.is_nil(err)
    assert.equal(buf, same_buf)
    assert.equal('[1]{"k": 2}', ffi.string(buf:value()))
  end)
end)

describe("p.json decoder", function()
  it("decodes values from a stream arriving in pieces and leaves the rest", function()
    local docs = '{"a": [1, 2, {"b": "c\\u00e9"}]} [3] "s" 42 '
    for _, step in ipairs({1, 2, 3, 7, 64}) do
      local s = pieces(docs, step)
      local d = json.decoder()
      local err, v = d:stream(s)
      assert.is_nil(err)
      assert.same({a = {1, 2, {b = "c\195\169"}}}, v)
      assert.is_false(d:is_done()) -- reset itself after success
      err, v = d:stream(s)
      assert.same({3}, v)
      err, v = d:stream(s)
      assert.equal("s", v)
      err, v = d:stream(s)
      assert.equal(42, v)
      assert.equal(" ", s.rest())
      err, v = d:stream(s)
      assert.equal(errors.CLOSED, err)
    end
  end)

  it("reads a buffer (no readin) as a complete stream", function()
    local _, buf = json.encode({1})
    buf:write(" 2")
    local d = json.decoder()
    local err, v = d:stream(buf)
    assert.is_nil(err)
    assert.same({1}, v)
    err, v = d:stream(buf)
    assert.is_nil(err)
    assert.equal(2, v)
    err, v = d:stream(buf)
    assert.equal(errors.CLOSED, err)
  end)

  it("completes a bare number at the end of the stream", function()
    local err, v = json.decoder():stream(pieces("12345", 2))
    assert.is_nil(err)
    assert.equal(12345, v)
  end)

  it("returns the stream's CLOSED when it ends inside a value", function()
    local err = json.decoder():stream(pieces('{"a": [1, 2', 3))
    assert.equal(errors.CLOSED, err)
  end)

  it("returns a json error with its offset from a bad stream", function()
    local err, v, off = json.decoder():stream(pieces('[1, 2,, 3]', 2))
    assert.equal(errors.json.ESYNTAX, err)
    assert.is_nil(v)
    assert.equal(6, off)
  end)

  it("feed reports need more, then the bytes a value used", function()
    local d = json.decoder()
    local s = '{"k": [true, null]}  '
    local err, n = d:feed(s, 10, false)
    assert.is_nil(err)
    assert.equal(0, n)
    err, n = d:feed(s, #s, false)
    assert.is_nil(err)
    assert.equal(19, n)
    assert.is_true(d:is_done())
    assert.same({k = {true}}, d.value)
    d:reset()
    assert.is_false(d:is_done())
  end)

  -- Walks doc with decoder:next, dropping each token's bytes as the
  -- original's callers did; returns {type, value, n} per token.
  local function tokens(d, doc, eof)
    local out, pos = {}, 1
    while true do
      local rest = doc:sub(pos)
      local err, n, off = d:next(rest, #rest, eof)
      if err then return out, err, pos - 1 + off end
      if n == 0 then return out end
      out[#out + 1] = {d.type, d.value, n}
      pos = pos + n
      if d:is_done() then return out, nil, pos end
    end
  end

  it("next reads one token per call, n the bytes that token used", function()
    local d = json.decoder()
    local got = tokens(d, '{"a": [1, "x\\ny"], "b": true, "c": null}', false)
    assert.same({
      {"object", nil, 1}, {"string", "a", 3}, {"array", nil, 3}, {"number", 1, 1},
      {"string", "x\ny", 8}, {"array_end", nil, 1}, {"string", "b", 5}, {"true", true, 6},
      {"string", "c", 5}, {"null", nil, 6}, {"object_end", nil, 1},
    }, got)
  end)

  it("is_done is true only after the closing token", function()
    local d = json.decoder()
    local doc = '[[1], {"k": false}]'
    local pos, closes = 1, 0
    while true do
      local rest = doc:sub(pos)
      local err, n = d:next(rest, #rest, false)
      assert.is_nil(err)
      assert.truthy(n > 0)
      pos = pos + n
      if d.type == "array_end" or d.type == "object_end" then closes = closes + 1 end
      if pos > #doc then break end
      assert.is_false(d:is_done(), "done before the end at " .. pos)
    end
    assert.equal(3, closes)
    assert.is_true(d:is_done())
    -- the next call starts a new value
    local err, n = d:next("7 ", 2, false)
    assert.is_nil(err)
    assert.equal(1, n)
    assert.equal("number", d.type)
    assert.equal(7, d.number)
    assert.is_true(d:is_done())
  end)

  it("next asks for more when a token is cut, and a number waits for its end", function()
    local d = json.decoder()
    assert.same({nil, 1}, {d:next('["abc', 5, false)})  -- the '[' is whole
    assert.equal("array", d.type)
    assert.same({nil, 0}, {d:next('"abc', 4, false)})   -- the string is not
    assert.equal("array", d.type)                        -- nothing changed
    assert.same({nil, 5}, {d:next('"abc",', 6, false)})
    assert.equal("abc", d.value)
    assert.same({nil, 0}, {d:next(', 12', 4, false)})
    assert.same({nil, 4}, {d:next(', 12]', 5, false)})
    assert.equal(12, d.value)
    assert.same({nil, 1}, {d:next(']', 1, false)})
    assert.is_true(d:is_done())
    d:reset()
    assert.same({nil, 0}, {d:next('12', 2, false)})
    assert.same({nil, 2}, {d:next('12', 2, true)})  -- eof ends a top-level number
    assert.is_true(d:is_done())
    d:reset()
    assert.same({nil, 0}, {d:next('  ', 2, false)})
    assert.same({nil, 0}, {d:next(' tr', 3, false)})
    assert.same({nil, 5}, {d:next(' true', 5, false)})
    assert.is_true(d.value)
  end)

  it("next refuses what may not come next, with the offset of the fault", function()
    local cases = {
      {'[1 2]', 3}, {'{"a" 1}', 5}, {'{1: 2}', 1}, {'[1,]', 3}, {'{"a":1,}', 7},
      {']', 0}, {'[}', 1}, {'["a\\qb"]', 3}, {'[tru]', 1}, {'[01]', 2}, {'[1.]', 3},
    }
    for _, c in ipairs(cases) do
      local d = json.decoder()
      local _, err, off = tokens(d, c[1], true)
      assert.not_nil(err, c[1])
      assert.equal(c[2], off, c[1])
    end
    local _, err = tokens(json.decoder(), '["\255"]', true)
    assert.equal(errors.json.EBYTE, err)
    local _, e2 = tokens(json.decoder(), '[1, 2', true)
    assert.equal(errors.json.ESYNTAX, e2)
    local _, e3, off3 = tokens(json.decoder(3), '[[[[1]]]]', true)
    assert.equal(errors.json.ESTACK, e3)
    assert.equal(3, off3)
  end)

  it("next walks every jsonchecker pass file to the same values as decode", function()
    for i = 1, 3 do
      local doc = read(DATA .. ("/jsonchecker/pass%02d.json"):format(i))
      local d = json.decoder()
      local got, err = tokens(d, doc, true)
      assert.is_nil(err, "pass" .. i)
      assert.is_true(d:is_done())
      assert.truthy(#got > 0)
    end
  end)

  it("stream_next reads tokens from a stream, trimming what each used", function()
    local d = json.decoder()
    local s = pieces('{"k": [1, 2]} ', 3)
    local types = {}
    repeat
      local err, ty = d:stream_next(s)
      assert.is_nil(err)
      types[#types + 1] = ty
    until d:is_done()
    assert.same({"object", "string", "array", "number", "number", "array_end", "object_end"},
      types)
    assert.equal(errors.CLOSED, (d:stream_next(s)))
  end)

  it("bad arguments are Lua errors naming them, at the caller", function()
    local function raises(f, pattern)
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.matches("json_spec%.lua:%d+: ", tostring(err))
      assert.matches(pattern, tostring(err))
    end
    raises(function() json.decode(42) end,
      "json.decode: expected a string, a pointer and a length, or a buffer, got number")
    raises(function() json.decode(nil) end, "json.decode: expected a string.*got nil")
    raises(function() json.decode({}) end, "json.decode: expected a string.*got table")
    raises(function() json.decode("[1]", "x") end, "json.decode: len must be a number, got string")
    raises(function() json.decode(ffi.cast("const char *", "1")) end,
      "json.decode: expected a string, a pointer and a length")
    raises(function() json.decoder():next(42, 1, false) end, "decoder:next: expected a string")
    raises(function() json.decoder():feed(true) end, "decoder:feed: expected a string")
    raises(function() json.decoder("x") end, "json.decoder: max_depth must be a number")
    -- the accepted forms
    assert.same({nil, {1}}, {json.decode("[1]")})
    assert.same({nil, 1}, {json.decode("12", 1)})
    assert.same({nil, 12}, {json.decode(ffi.cast("const char *", "12"), 2)})
    local buf = levee.d.Buffer(16)
    buf:write("[true]")
    assert.same({nil, {true}}, {json.decode(buf)})
  end)
end)
