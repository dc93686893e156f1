-- levee.p.line, levee.p.StringStream and levee.p.base64 (lua-api.md §10),
-- with unterminated lines, truncated base64 and io.Stream:line delegating
-- to p.line.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local p = levee.p

describe("p.StringStream", function()
  it("serves a string through the stream protocol", function()
    local s = p.StringStream("hello world")
    local ptr, n = s:value()
    assert.equal(11, n)
    assert.equal("hello", ffi.string(ptr, 5))
    assert.equal(6, s:trim(6))
    assert.equal("world", s:peek())
    assert.equal("wor", s:take(3))
    assert.is_nil(s:take(3)) -- only 2 left
    assert.equal("ld", s:take())
    assert.equal("", s:peek())
    assert.equal(errors.CLOSED, s:readin())
  end)

  it("readin: nil while n bytes remain, CLOSED once more are needed", function()
    local s = p.StringStream("abc")
    assert.is_nil(s:readin(3))
    assert.equal(errors.CLOSED, s:readin(4))
    assert.is_nil(s:readin())               -- a no-op while bytes remain
    assert.equal(errors.CLOSED, s:readin()) -- again without a trim: nothing can come
    s:trim(1)
    assert.is_nil(s:readin())
  end)

  it("honours len and wraps a d.Buffer", function()
    assert.equal("abc", p.StringStream("abcdef", 3):take())
    local buf = levee.d.Buffer()
    buf:write("line one\nline two\n")
    local s = p.StringStream(buf)
    assert.same({nil, "line one"}, {p.line.stream(s)})
    assert.equal(9, #buf) -- trimmed from the buffer itself
    assert.has_error(function() p.StringStream(42) end, "string or a d.Buffer")
  end)

  it("feeds the JSON decoder, which ends instead of spinning on a truncated value", function()
    local dec = p.json.decoder()
    local err, v = dec:stream(p.StringStream('{"a": [1, 2]} rest'))
    assert.is_nil(err)
    assert.same({a = {1, 2}}, v)
    err = dec:stream(p.StringStream('{"a": [1, 2'))
    assert.equal(errors.CLOSED, err)
  end)
end)

describe("p.line.stream", function()
  it("returns lines without the newline and keeps a carriage return", function()
    local s = p.StringStream("one\r\ntwo\n\nthree")
    assert.same({nil, "one\r"}, {p.line.stream(s)})
    assert.same({nil, "two"}, {p.line.stream(s)})
    assert.same({nil, ""}, {p.line.stream(s)})
    assert.equal(errors.CLOSED, (p.line.stream(s))) -- "three" has no newline
    assert.equal("three", s:peek())                 -- and stays in the stream
  end)

  it("takes other delimiters, also across reads", function()
    local s = p.StringStream("a\r\nb\r\n")
    assert.same({nil, "a"}, {p.line.stream(s, "\r\n")})
    assert.same({nil, "b"}, {p.line.stream(s, "\r\n")})
    assert.has_error(function() p.line.stream(s, "") end, "delim")
  end)

  it("an unterminated line past max is EMSGSIZE, not unbounded buffering", function()
    local s = p.StringStream(string.rep("x", 100))
    assert.equal(errors.system.EMSGSIZE, (p.line.stream(s, "\n", 10)))
    assert.equal(100, select(2, s:value())) -- nothing consumed
    s = p.StringStream(string.rep("x", 11) .. "\n")
    assert.equal(errors.system.EMSGSIZE, (p.line.stream(s, "\n", 10)))
    s = p.StringStream(string.rep("x", 10) .. "\n")
    assert.same({nil, string.rep("x", 10)}, {p.line.stream(s, "\n", 10)})
    assert.equal(1048576, p.line.MAX)
  end)

  it("stops reading a connection once the line exceeds max", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    h:spawn(function()
      for _ = 1, 64 do w:write(string.rep("y", 1024)) end
      w:close()
    end)
    local s = r:stream()
    assert.equal(errors.system.EMSGSIZE, (s:line("\n", 4096)))
    assert.is_true(#s.buf < 4096 + 8192) -- stopped soon after max, not at EOF
    r:close()
  end)

  it("io.Stream:line delegates to p.line (delimiter found across reads)", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    h:spawn(function()
      w:write("ab\r")
      h:sleep(5)
      w:write("\ncd\r\n")
      w:close()
    end)
    local s = r:stream()
    assert.same({nil, "ab"}, {s:line("\r\n")})
    assert.same({nil, "cd"}, {s:line("\r\n")})
    assert.equal(errors.CLOSED, (s:line()))
  end)
end)

describe("p.base64", function()
  it("encodes with padding (RFC 4648 vectors)", function()
    local vectors = {[""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
      fooba = "Zm9vYmE=", foobar = "Zm9vYmFy"}
    for plain, coded in pairs(vectors) do
      assert.equal(coded, p.base64.encode(plain))
      assert.equal(plain, p.base64.decode(coded))
    end
  end)

  it("decoding ignores characters outside the alphabet", function()
    assert.equal("foobar", p.base64.decode("Zm9v\r\nYmFy\n"))
    assert.equal("foobar", p.base64.decode(" Zm 9v Ym Fy "))
    assert.equal("fo", p.base64.decode("Zm8"))
  end)

  it("truncated input gives nil and base64.ETOOSHORT", function()
    local s, err = p.base64.decode("Zm9vY")
    assert.is_nil(s)
    assert.equal(errors.base64.ETOOSHORT, err)
    assert.is_true(err.is_base64_ETOOSHORT)
  end)

  it("round-trips every byte value", function()
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    local s = table.concat(all)
    for n = 0, 20 do
      assert.equal(s:sub(1, n), p.base64.decode(p.base64.encode(s:sub(1, n))))
    end
    assert.equal(s, p.base64.decode(p.base64.encode(s)))
  end)

  it("raises a Lua error for a non-string", function()
    assert.has_error(function() p.base64.encode(nil) end, "expects a string")
    assert.has_error(function() p.base64.decode({}) end, "expects a string")
    assert.has_error(function() p.base64.encode("ab", 3) end, "len")
  end)
end)

describe("levee.p", function()
  it("holds the §10 modules and the registered protocols", function()
    for _, name in ipairs({"json", "msgpack", "http", "utf8", "uri", "line", "base64",
                           "StringStream"}) do
      assert.not_nil(p[name], name)
    end
    assert.equal(p.json, p.registered.json)
    assert.equal(p.msgpack, p.registered.msgpack)
    assert.equal(require("levee.p.http.0_4"), p.registered.http)
  end)
end)
