-- p.json.null, p.json.empty_array and p.json.array_mt: [] and null round
-- trip when the program asks for it (decode options), while plain decode
-- keeps the original's null -> nil.
local json = require("levee").p.json

local function enc(v)
  local err, buf = json.encode(v)
  assert(not err, tostring(err))
  return buf:peek()
end

describe("json markers", function()
  it("null and empty_array encode as null and []", function()
    assert.equal("null", enc(json.null))
    assert.equal("[]", enc(json.empty_array))
    assert.equal('[1, null, 3]', enc({1, json.null, 3}))
    assert.equal('{"a": []}', enc({a = json.empty_array}))
    assert.equal('{"a": null}', enc({a = json.null}))
  end)

  it("a table with array_mt encodes as an array, even empty", function()
    assert.equal("[]", enc(setmetatable({}, json.array_mt)))
    assert.equal("[1, 2]", enc(setmetatable({1, 2}, json.array_mt)))
    assert.equal("{}", enc({})) -- the original's format is kept otherwise
    assert.equal(json.array_mt, json.empty_array_mt)
  end)

  it("the markers are read-only and print their names", function()
    assert.has_error(function() json.null.x = 1 end, "read-only")
    assert.has_error(function() json.empty_array[1] = 1 end, "read-only")
    assert.equal("json.null", tostring(json.null))
  end)

  it("decode keeps null as nil by default (the original's behaviour)", function()
    local err, v = json.decode('{"a": null, "b": [null]}')
    assert.is_nil(err)
    assert.is_nil(v.a)
    assert.is_nil(v.b[1])
  end)

  it("decode with null and array_mt round-trips [] and null", function()
    local text = '{"a": [], "b": null, "c": [1, null, 3], "d": {}}'
    local err, v = json.decode(text, {null = true, array_mt = true})
    assert.is_nil(err)
    assert.equal(json.null, v.b)
    assert.equal(json.null, v.c[2])
    assert.equal(3, #v.c)
    assert.equal(json.array_mt, getmetatable(v.a))
    assert.is_nil(getmetatable(v.d))
    local _, again = json.decode(enc(v), {null = true, array_mt = true})
    assert.same(v, again)
    assert.equal("[]", enc(v.a))
    assert.equal("[1, null, 3]", enc(v.c))
    assert.equal(json.null, select(2, json.decode("null", {null = true})))
  end)

  it("decode takes len and options together, and a custom null value", function()
    local err, v = json.decode("[null]xyz", 6, {null = false})
    assert.is_nil(err)
    assert.is_nil(v[1])
    local sentinel = {}
    _, v = json.decode("[null]", {null = sentinel})
    assert.equal(sentinel, v[1])
    assert.has_error(function() json.decode("[]", {array_mt = 5}) end, "array_mt")
    assert.has_error(function() json.decode("[]", nil, "x") end, "options")
  end)

  it("decoders take the same options", function()
    local StringStream = require("levee").p.StringStream
    local dec = json.decoder({null = true, array_mt = true})
    local err, v0 = dec:stream(StringStream('[null, []]'))
    assert.is_nil(err)
    assert.equal(json.null, v0[1])
    assert.equal(json.array_mt, getmetatable(v0[2]))
    local d2 = json.decoder(8, nil, {null = true})
    local _, v = d2:stream(require("levee").p.StringStream('{"k": null}'))
    assert.equal(json.null, v.k)
  end)
end)
