-- levee.p.msgpack: encode/decode round trips, exact wire bytes for the
-- size classes, the decoder over streams (stream:msgpack(), p.msgpack), and
-- hostile input.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local msgpack = levee.p.msgpack

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end
local function enc(v)
  local err, buf = msgpack.encode(v)
  assert(not err)
  return buf:take()
end

describe("p.msgpack encode", function()
  it("uses the smallest form for each size class", function()
    assert.equal("00", hex(enc(0)))
    assert.equal("7f", hex(enc(127)))
    assert.equal("cc80", hex(enc(128)))
    assert.equal("cd0100", hex(enc(256)))
    assert.equal("ce00010000", hex(enc(65536)))
    assert.equal("d30000000100000000", hex(enc(4294967296)))
    assert.equal("ff", hex(enc(-1)))
    assert.equal("e0", hex(enc(-32)))
    assert.equal("d0df", hex(enc(-33)))
    assert.equal("d1ff7f", hex(enc(-129)))
    assert.equal("d2ffff7fff", hex(enc(-32769)))
    assert.equal("cb3ff8000000000000", hex(enc(1.5)))
    assert.equal("c0", hex(enc(nil)))
    assert.equal("c3c2", hex(enc(true) .. enc(false)))
    assert.equal("a3616263", hex(enc("abc")))
    assert.equal("d920" .. ("61"):rep(32), hex(enc(("a"):rep(32))))
    assert.equal("da0100", hex(enc(("a"):rep(256))):sub(1, 6))
    assert.equal("93010203", hex(enc({1, 2, 3})))
    assert.equal("90", hex(enc({})))  -- an empty table is an empty array
    assert.equal("81a16101", hex(enc({a = 1})))
    assert.equal("dc0010", hex(enc({16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16})):sub(1, 6))
    assert.equal("cfffffffffffffffff", hex(enc(0xffffffffffffffffULL)))
    assert.equal("d3ffffffffffffffff", hex(enc(-1LL)))
    assert.equal("c70201abcd", hex(enc({ext = 1, data = "\xab\xcd"})))
  end)

  it("raises for values msgpack cannot carry", function()
    assert.has_error(function() msgpack.encode(print) end)
    assert.has_error(function() msgpack.encode({f = print}) end)
  end)
end)

describe("p.msgpack decode", function()
  it("round-trips nested values", function()
    local v = {1, -1, 2.5, "str", true, false, {a = {b = {"deep"}}, [1] = "x"}, 4294967296, -2147483649}
    local err, out, n = msgpack.decode(enc(v))
    assert.is_nil(err)
    assert.same(v, out)
    assert.equal(#enc(v), n)
  end)

  it("nil, float32, bin and str decode to Lua values (the original's defects)", function()
    assert.same({nil, nil, 1}, {msgpack.decode("\xc0")})
    local _, f = msgpack.decode("\xca\x3f\xc0\x00\x00")
    assert.equal(1.5, f)
    assert.same({nil, "\x01\x02", 4}, {msgpack.decode("\xc4\x02\x01\x02")})
    assert.same({nil, "hi", 4}, {msgpack.decode("\xd9\x02hi")})
    local _, m = msgpack.decode("\x82\xa1a\xc0\xa1b\x01")  -- {a = nil, b = 1}
    assert.same({b = 1}, m)
    local _, e = msgpack.decode("\xd4\x05\x07")
    assert.same({ext = 5, data = "\x07"}, e)
  end)

  it("64-bit integers stay exact", function()
    local _, v = msgpack.decode("\xcf\xff\xff\xff\xff\xff\xff\xff\xff")
    assert.equal("cdata", type(v))
    assert.is_true(v == 0xffffffffffffffffULL)
    _, v = msgpack.decode("\xd3\x00\x00\x00\x00\x00\x00\x00\x05")
    assert.equal(5, v)
  end)

  it("every truncation point is CLOSED, never a wrong value", function()
    local s = enc({1, "two", {three = 3.5}, ("x"):rep(300), -70000})
    for cut = 0, #s - 1 do
      assert.equal(errors.CLOSED, (msgpack.decode(s:sub(1, cut))))
    end
  end)

  it("hostile input: the unused byte, huge claims, deep nesting", function()
    assert.equal(errors.msgpack.ESYNTAX, (msgpack.decode("\xc1")))
    -- a 4 GiB string claim with 3 bytes behind it: need more, not a crash
    assert.equal(errors.CLOSED, (msgpack.decode("\xdb\xff\xff\xff\xffabc")))
    assert.equal(errors.CLOSED, (msgpack.decode("\xdd\xff\xff\xff\xff\x01")))
    assert.equal(errors.msgpack.ESTACK, (msgpack.decode(("\x91"):rep(100000) .. "\x01")))
    assert.equal(errors.msgpack.ESYNTAX, (msgpack.decode("\x81\xc0\x01")))  -- a nil key
  end)

  it("random bytes give a value or an error, never a Lua error", function()
    math.randomseed(7)
    for _ = 1, 3000 do
      local t = {}
      for i = 1, math.random(0, 40) do t[i] = string.char(math.random(0, 255)) end
      local ok, err = pcall(msgpack.decode, table.concat(t))
      assert.is_true(ok)
      if err then
        assert.truthy(err == errors.CLOSED or err == errors.msgpack.ESYNTAX or
          err == errors.msgpack.ESTACK)
      end
    end
  end)
end)

describe("msgpack over streams", function()
  it("stream:msgpack() reads values arriving in pieces", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    local a, b = enc({x = {1, 2, 3}}), enc("second")
    h:spawn(function()
      local both = a .. b
      for i = 1, #both do
        w:write(both:sub(i, i))
      end
      w:close()
    end)
    local s = r:stream()
    local err, v = s:msgpack()
    assert.is_nil(err)
    assert.same({x = {1, 2, 3}}, v)
    err, v = s:msgpack()
    assert.is_nil(err)
    assert.equal("second", v)
    assert.equal(errors.CLOSED, (s:msgpack()))
  end)

  it("p.msgpack writes and reads values, and a chunk decodes one", function()
    local h = levee.Hub()
    local a, b = h.io:socketpair(1, 1)
    assert.is_nil((a.p.msgpack:write({hello = "world", n = 42})))
    assert.is_nil((a.p.msgpack:write({1, 2})))
    local err, v = b.p.msgpack:read()
    assert.is_nil(err)
    assert.same({hello = "world", n = 42}, v)
    err, v = b.p.msgpack:read()
    assert.same({1, 2}, v)
    a:write(enc("in a chunk") .. "tail")
    local s = b:stream()
    local _, x = s:chunk(#enc("in a chunk")):msgpack()
    assert.equal("in a chunk", x)
    a:close() b:close()
  end)

  it("the decoder: next, is_done, reset", function()
    local dec = msgpack.decoder()
    local s = enc({1, 2})
    assert.same({nil, 0}, {dec:next(s:sub(1, 2))})
    assert.is_false(dec:is_done())
    assert.same({nil, #s}, {dec:next(s)})
    assert.is_true(dec:is_done())
    assert.same({1, 2}, dec.value)
    dec:reset()
    assert.is_false(dec:is_done())
  end)

  it("p.registered names json, msgpack and http 0.4; json.io and msgpack.io give p's conveniences", function()
    local p = levee.p
    assert.equal(p.json, p.registered.json)
    assert.equal(p.msgpack, p.registered.msgpack)
    assert.equal(require("levee.p.http.0_4"), p.registered.http)
    local h = levee.Hub()
    local a, b = h.io:pipe()
    assert.equal(b.p.json, p.json.io(b.p))
    assert.equal(b.p.msgpack, p.msgpack.io(b.p))
    p.msgpack.io(b.p):write({1, "x"})
    assert.same({nil, {1, "x"}}, {p.msgpack.io(a.p):read()})
    a:close() b:close()
  end)

  it("decode refuses what is not bytes with a Lua error naming the argument", function()
    local function raises(f, pattern)
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.matches("msgpack_spec%.lua:%d+: ", tostring(err))
      assert.matches(pattern, tostring(err))
    end
    raises(function() msgpack.decode(42) end,
      "msgpack.decode: expected a string, a pointer and a length, or a buffer, got number")
    raises(function() msgpack.decode("\1", {}) end, "msgpack.decode: len must be a number")
    raises(function() msgpack.decoder():next(nil) end, "msgpack.decoder:next: expected a string")
  end)

  it("a failed decode returns only err", function()
    local _, buf = msgpack.encode({1, 2, 3})
    assert.equal(1, select("#", msgpack.decode(buf:peek(2))))
    assert.equal(errors.CLOSED, (msgpack.decode(buf:peek(2))))
    assert.equal(1, select("#", msgpack.decode("\193")))
    assert.equal(3, select("#", msgpack.decode(buf)))
  end)
end)

