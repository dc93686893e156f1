-- levee.p.utf8: Utf8 buffers, from_fixed, encode/decode modes, peek,
-- charlen, validate (lua-api.md §10), with invalid UTF-8 of every kind.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local utf8 = levee.p.utf8

describe("Utf8:encode", function()
  it("percent-encodes like encodeURI by default (space as %20)", function()
    local u = utf8.Utf8()
    local err, n = u:encode("hi: 😬👻")
    assert.is_nil(err)
    assert.is_true(ffi.istype("int64_t", n))
    assert.equal(30, tonumber(n))
    assert.equal("hi:%20%F0%9F%98%AC%F0%9F%91%BB", u:peek())
    assert.equal(30, tonumber(u.len))
    assert.is_false(u.fixed)
  end)

  it("appends: each call adds to what the buffer holds", function()
    local u = utf8.Utf8()
    u:encode("a b")
    u:encode("/c?d")
    assert.equal("a%20b/c?d", u:peek())
  end)

  it("URI_COMPONENT keeps only unreserved characters; SPACE_PLUS writes '+'", function()
    assert.same({nil, "a%2Fb%3F%26%3D-._~"}, {utf8.encode("a/b?&=-._~", utf8.URI_COMPONENT)})
    assert.same({nil, "a+b%2B"}, {utf8.encode("a b+", utf8.URI_COMPONENT + utf8.SPACE_PLUS)})
  end)

  it("JSON escapes quotes, backslashes and control characters, not UTF-8", function()
    assert.same({nil, 'say \\"hi\\"\\n\\\\ \\u0001 é'}, {utf8.encode('say "hi"\n\\ \1 é', utf8.JSON)})
  end)

  it("the original's mode constants exist as ffi.C.SP_UTF8_*", function()
    assert.equal(utf8.JSON, ffi.C.SP_UTF8_JSON)
    assert.equal(utf8.NONE, ffi.C.SP_UTF8_NONE)
    assert.equal(utf8.URI_COMPONENT, ffi.C.SP_UTF8_URI_COMPONENT)
    assert.equal(utf8.SPACE_PLUS, ffi.C.SP_UTF8_SPACE_PLUS)
  end)

  it("refuses invalid UTF-8 of every kind with its error", function()
    local cases = {
      ["\128"] = errors.utf8.EENCODING, ["\192\175"] = errors.utf8.EENCODING,
      ["\224\128\175"] = errors.utf8.EENCODING, ["\237\160\128"] = errors.utf8.ESURROGATE,
      ["\244\144\128\128"] = errors.utf8.ECODEPOINT, ["ok \195"] = errors.utf8.ETOOSHORT,
      ["\226\130"] = errors.utf8.ETOOSHORT, ["\195A"] = errors.utf8.EENCODING,
      ["\255"] = errors.utf8.EENCODING,
    }
    for s, want in pairs(cases) do
      for _, mode in ipairs({utf8.NONE, utf8.JSON, utf8.URI_COMPONENT}) do
        local u = utf8.Utf8()
        local err, n = u:encode(s, nil, mode)
        assert.equal(want, err, s)
        assert.is_nil(n)
        assert.equal(0, tonumber(u.len))
      end
    end
  end)

  it("takes a pointer and a length", function()
    local src = ffi.new("char[4]", "a b")
    local u = utf8.Utf8()
    assert.is_nil((u:encode(src, 3)))
    assert.equal("a%20b", u:peek())
    assert.has_error(function() u:encode(src) end, "a pointer and a length")
    assert.has_error(function() u:encode(42) end, "Utf8:encode")
    local v = utf8.Utf8()
    assert.is_nil((v:encode("abc", 5))) -- len is clipped to the string
    assert.equal("abc", v:peek())
    local buf = levee.d.Buffer()
    buf:write("a b")
    assert.same({nil, "a%20b"}, {utf8.encode(buf)}) -- a d.Buffer is read as bytes
  end)
end)

describe("Utf8:decode", function()
  it("undoes each encoding mode", function()
    local s = 'a b+c/d?e=f&g "q"\n\\ é 😬'
    for _, mode in ipairs({utf8.NONE, utf8.URI_COMPONENT, utf8.URI_COMPONENT + utf8.SPACE_PLUS,
                           utf8.JSON}) do
      local _, e = utf8.encode(s, mode)
      local err, d = utf8.decode(e, mode)
      assert.is_nil(err)
      assert.equal(s, d, mode)
    end
  end)

  it("decodes '+' as a space only with SPACE_PLUS", function()
    assert.same({nil, "a+b c"}, {utf8.decode("a+b%20c")})
    assert.same({nil, "a b c"}, {utf8.decode("a+b%20c", utf8.SPACE_PLUS)})
  end)

  it("reports malformed escapes and invalid results", function()
    assert.equal(errors.utf8.EESCAPE, (utf8.decode("%zz")))
    assert.equal(errors.utf8.ETOOSHORT, (utf8.decode("%4")))
    assert.equal(errors.utf8.EENCODING, (utf8.decode("%ff")))
    assert.equal(errors.utf8.ESURROGATE, (utf8.decode("%ED%A0%80")))
    assert.equal(errors.utf8.EESCAPE, (utf8.decode("\\x", utf8.JSON)))
    assert.equal(errors.utf8.ESURROGATE, (utf8.decode("\\ud83d", utf8.JSON)))
    assert.equal(errors.utf8.ESURROGATE, (utf8.decode("\\ude2c\\ud83d", utf8.JSON)))
    assert.equal(errors.utf8.ETOOSHORT, (utf8.decode("\\u12", utf8.JSON)))
    assert.same({nil, "😬"}, {utf8.decode("\\ud83d\\ude2c", utf8.JSON)})
  end)
end)

describe("Utf8.from_fixed", function()
  it("writes into the caller's memory and never grows", function()
    local mem = ffi.new("char[8]")
    local u = utf8.Utf8.from_fixed(mem, 8)
    assert.is_true(u.fixed)
    assert.equal(8, tonumber(u.cap))
    assert.is_nil((u:encode("abc")))
    assert.equal("abc", ffi.string(mem, 3))
    local err, n = u:encode("d e f")
    assert.equal(errors.utf8.EBUFS, err)
    assert.is_nil(n)
    assert.equal("abc", u:peek()) -- nothing counted from the failed call
    assert.is_nil((u:encode("defgh")))
    assert.equal("abcdefgh", u:peek())
  end)

  it("init, init_fixed and final reset the buffer", function()
    local u = utf8.Utf8()
    u:encode("x")
    u:init()
    assert.equal("", u:peek())
    local mem = ffi.new("char[4]")
    u:init_fixed(mem, 4)
    assert.is_true(u.fixed)
    u:encode("ab")
    u:final()
    assert.is_false(u.fixed)
    assert.equal(0, tonumber(u.cap))
  end)
end)

describe("utf8.charlen and utf8.validate", function()
  it("charlen is the byte length of the first character (int64)", function()
    assert.equal(1, tonumber(utf8.charlen("abc")))
    assert.equal(2, tonumber(utf8.charlen("é")))
    assert.equal(3, tonumber(utf8.charlen("€x")))
    assert.equal(4, tonumber(utf8.charlen("😬")))
    assert.is_true(ffi.istype("int64_t", utf8.charlen("a")))
    assert.equal(errors.utf8.ETOOSHORT, errors.get(tonumber(utf8.charlen("😬", 2))))
    assert.equal(errors.utf8.EENCODING, errors.get(tonumber(utf8.charlen("\128"))))
  end)

  it("validate gives the length, or the fault and its offset", function()
    assert.same({nil, 5}, {utf8.validate("héllo", 5)})
    assert.same({nil, 6}, {utf8.validate("héllo")})
    assert.same({errors.utf8.ESURROGATE, nil, 3}, {utf8.validate("abc\237\160\128")})
    assert.same({errors.utf8.ETOOSHORT, nil, 1}, {utf8.validate("a\240\159")})
  end)
end)
