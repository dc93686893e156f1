-- levee.p.http.parse and levee.p.http.status: lua-api.md §8 Parser/Status.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local http = levee.p.http
local d = levee.d

-- Runs every token of s through p, returning the values of each token.
local function tokens(p, s)
  local out, pos = {}, 0
  for _ = 1, 100 do
    local rest = s:sub(pos + 1)
    local err, n = p:next(rest, #rest)
    if err then out[#out + 1] = err; return out end
    if n == 0 then return out end
    out[#out + 1] = {p:value(rest)}
    pos = pos + n
    if p:is_done() then return out end
    local v = out[#out]
    if p.type == ffi.C.LEVEE_HTTP_T_BODY_CHUNK then pos = pos + tonumber(v[2]) end
  end
  return out
end

describe("p.http.parse", function()
  it("is reachable as p.http.parse and p.http.parser", function()
    assert.equal(require("levee.p.http.parse"), http.parse)
    assert.equal(http.parse, http.parser)
  end)

  it("reads a request line, headers and body start", function()
    local p = http.parse()
    p:init_request()
    local t = tokens(p, "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nX-A:  b \r\n\r\n")
    assert.same({"GET", "/path?q=1", 1}, t[1])
    assert.same({"Host", "example.com"}, t[2])
    assert.same({"X-A", "b"}, t[3])
    assert.equal(false, t[4][1])
    assert.equal(false, t[4][2])
    assert.equal(0ULL, t[4][3])
    assert.is_true(p:is_done())
    assert.equal(false, p.response)
  end)

  it("reads a response line as status number, reason, version", function()
    local p = http.parse.Response()
    assert.is_true(p.response)
    local t = tokens(p, "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\nabc")
    assert.same({404, "Not Found", 0}, t[1])
    assert.equal(3ULL, t[3][3])
    assert.equal(3ULL, p.body_len)
    assert.is_false(p.chunked)
  end)

  it("reads chunk headers and the body end", function()
    local p = http.parse.Request()
    local s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
    local t = tokens(p, s)
    assert.same({false, true, 0ULL}, {t[3][1], t[3][2], t[3][3]})
    assert.is_true(p.chunked)
    assert.equal(true, t[4][1])
    assert.equal(3ULL, t[4][2])
    -- the last chunk "0" is a token of its own (not done), the trailers and
    -- the final CRLF the next one (done), as the original parser gave them
    assert.same({true, 0ULL}, t[5])
    assert.same({false, 0}, t[6])
    assert.equal(6, #t)
    assert.is_true(p:is_done())
  end)

  it("gives the last chunk as its own token in steps too", function()
    local p = http.parse.Request()
    local s = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    local t = tokens(p, s)
    assert.same({true, 0ULL}, t[5])
    assert.same({false, 0}, t[6])
    assert.is_true(p:is_done())
    -- the final CRLF arriving later
    p = http.parse.Request()
    local head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab"
    t = tokens(p, head)
    local err, n = p:next("\r\n0\r\n")
    assert.is_nil(err)
    assert.equal(5, n)
    assert.same({true, 0ULL}, {p:value("")})
    assert.is_false(p:is_done())
    err, n = p:next("")
    assert.equal(0, n)
    err, n = p:next("\r\n")
    assert.equal(2, n)
    assert.is_true(p:is_done())
  end)

  it("needs more bytes on every prefix of a token", function()
    local p = http.parse.Request()
    local s = "GET / HTTP/1.1\r\n"
    for i = 0, #s - 1 do
      local err, n = p:next(s, i)
      assert.is_nil(err)
      assert.equal(0, n)
      assert.is_false(p:has_value())
    end
    local err, n = p:next(s, #s)
    assert.is_nil(err)
    assert.equal(#s, n)
    assert.is_true(p:has_value())
  end)

  it("works on buffer pointers", function()
    local buf = d.Buffer()
    buf:push("GET /b HTTP/1.1\r\n\r\n")
    local p = http.parse.Request()
    local ptr, len = buf:value()
    local err, n = p:next(ptr, len)
    assert.is_nil(err)
    assert.equal(17, n)
    assert.same({"GET", "/b", 1}, {p:value(ptr)})
  end)

  it("refuses smuggling framings with errors.http.ESYNTAX", function()
    local bad = {
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
      "GET / HTTP/1.1\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    }
    for _, s in ipairs(bad) do
      local t = tokens(http.parse.Request(), s)
      local err = t[#t]
      assert.equal(errors.get(ffi.C.LEVEE_HTTP_ESYNTAX), err)
      assert.is_true(err:is("http", "ESYNTAX"))
    end
  end)

  it("config sets limits that give errors.http.ESIZE; reset keeps them", function()
    local p = http.parse()
    p:init_request({max_uri = 4})
    local err = p:next("GET /abcd HTTP/1.1\r\n\r\n")
    assert.is_true(err:is("http", "ESIZE"))
    p:reset()
    assert.equal(4, p:limits().max_uri)
    local e2, n = p:next("GET /abc HTTP/1.1\r\n\r\n")
    assert.is_nil(e2)
    assert.equal(19, n)
    for k, v in pairs({max_method = 32, max_reason = 256, max_field = 256, max_value = 1024}) do
      assert.equal(v, http.parse():limits()[k])
    end
    p:config({max_method = 2})
    p:reset()
    assert.is_true(p:next("GET / HTTP/1.1\r\n\r\n"):is("http", "ESIZE"))
    assert.has_error(function() p:config({max_uri = -1}) end, "bad max_uri")
  end)

  it("stream_next reads tokens from a stream and resets after the message", function()
    local pieces = {"GET / HT", "TP/1.1\r\nA: ", "1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"}
    local stream = {buf = d.Buffer(), i = 0}
    function stream:value() return self.buf:value() end
    function stream:trim(n) return self.buf:trim(n) end
    function stream:readin()
      self.i = self.i + 1
      if not pieces[self.i] then return errors.CLOSED end
      self.buf:push(pieces[self.i])
    end
    local p = http.parse.Request()
    local err, v = p:stream_next(stream)
    assert.is_nil(err)
    assert.same({"GET", "/", 1}, v)
    err, v = p:stream_next(stream)
    assert.same({"A", "1"}, v)
    err, v = p:stream_next(stream)
    assert.equal(false, v[1])
    err, v = p:stream_next(stream)
    assert.same({"GET", "/2", 1}, v)
    p:stream_next(stream)
    -- CLOSED before a new message is CLOSED; mid-message is ESYNTAX
    err = p:stream_next(stream)
    assert.equal(errors.CLOSED, err)
    stream.i = #pieces
    pieces[#pieces + 1] = "GET /3"
    err = p:stream_next(stream)
    assert.is_true(err:is("http", "ESYNTAX"))
  end)
end)

describe("p.http.Status", function()
  local Status = http.Status

  it("is levee.HTTPStatus and levee.p.http.status", function()
    assert.equal(Status, levee.HTTPStatus)
    assert.equal(Status, http.status)
  end)

  it("returns singletons for standard codes", function()
    assert.equal(Status(200), Status(200))
    assert.equal(Status(404), Status(404, "Not Found"))
    assert.equal("OK", Status(200).reason)
    assert.equal(200, Status(200).code)
    for _, c in ipairs({100, 101, 204, 301, 418, 420, 431, 499, 520, 521, 522, 523, 524, 598, 599}) do
      assert.not_nil(Status.REASONS[c])
      assert.equal(c, Status(c).code)
    end
  end)

  it("builds a new object for another reason", function()
    local s = Status(200, "Fine")
    assert.falsy(s == Status(200))
    assert.equal("Fine", s.reason)
    assert.equal("HTTP/1.1 200 Fine\r\n", tostring(s))
  end)

  it("tostring is the status line", function()
    assert.equal("HTTP/1.1 404 Not Found\r\n", tostring(Status(404)))
  end)

  it("no_content is true for 204 and 304 only", function()
    assert.is_true(Status(204):no_content())
    assert.is_true(Status(304):no_content())
    assert.is_false(Status(200):no_content())
    assert.is_false(Status(404):no_content())
  end)

  it("refuses a bad code", function()
    assert.has_error(function() Status(42) end, "bad status code")
    assert.has_error(function() Status("x") end, "bad status code")
  end)
end)
