-- HTTP 0.4: levee.p.http["0_4"] encode/decode functions and conn.p.http,
-- against the levee 0.3 server and raw peers.
local levee = require("levee")
local errors = levee.errors
local d = levee.d
local http04 = require("levee.p.http")["0_4"]
local Status = levee.HTTPStatus

local function stream_of(s)
  -- a stream over fixed bytes: value/trim/readin (CLOSED when exhausted)
  local buf = d.Buffer(#s + 1)
  buf:write(s)
  return {
    value = function() return buf:value() end,
    trim = function(_, n) return buf:trim(n) end,
    readin = function() return errors.CLOSED end,
    buf = buf,
  }
end

describe("p.http 0_4 encoding", function()
  it("encode_request percent-encodes the path and params, adds the defaults", function()
    local buf = d.Buffer()
    local err = http04.encode_request(buf, "GET", "/a b/ü", {q = "x&y"}, {["X-K"] = "v"})
    assert.is_nil(err)
    local s = buf:take()
    assert.truthy(s:find("^GET /a%+b/%%C3%%BC%?q=x%%26y HTTP/1%.1\r\n"))
    assert.truthy(s:find("\r\nX%-K: v\r\n"))
    assert.truthy(s:find("\r\nUser%-Agent: ", 1))
    assert.truthy(s:find("\r\nAccept: %*/%*\r\n"))
    assert.truthy(s:find("\r\n\r\n$"))
    err = http04.encode_request(buf, "POST", "/p", nil, d.Map({Accept = "text/plain"}), "body")
    assert.is_nil(err)
    s = buf:take()
    assert.truthy(s:find("\r\nAccept: text/plain\r\n", 1, true))
    assert.falsy(s:find("*/*", 1, true))
    assert.truthy(s:find("\r\nContent%-Length: 4\r\n\r\nbody$"))
  end)

  it("encode_request refuses invalid UTF-8 and header injection", function()
    local buf = d.Buffer()
    assert.equal(errors.utf8.ETOOSHORT, http04.encode_request(buf, "GET", "/\xc3"))
    assert.equal(errors.utf8.EENCODING, http04.encode_request(buf, "GET", "/\xff"))
    assert.equal(errors.system.EINVAL, http04.encode_request(buf, "GET", "/", nil, {X = "a\r\nb"}))
    assert.equal(0, #buf)
  end)

  it("encode_response: string, number, preset length, no content and chunked", function()
    local buf = d.Buffer()
    http04.encode_response(buf, 200, {}, "hi")
    local s = buf:take()
    assert.truthy(s:find("^HTTP/1%.1 200 OK\r\nDate: [^\r]+ GMT\r\n"))
    assert.truthy(s:find("Content%-Length: 2\r\n\r\nhi$"))
    http04.encode_response(buf, Status(201), {}, 10)
    assert.truthy(buf:take():find("Content%-Length: 10\r\n\r\n$"))
    http04.encode_response(buf, 200, {["Content-Length"] = "3"})
    s = buf:take()
    assert.truthy(s:find("Content%-Length: 3\r\n\r\n$"))
    assert.falsy(s:find("chunked", 1, true))
    http04.encode_response(buf, 304, {}, "ignored")
    s = buf:take()
    assert.falsy(s:find("ignored", 1, true))
    assert.falsy(s:find("Content-Length", 1, true))
    http04.encode_response(buf, 200, {})
    http04.encode_chunk(buf, "abc")
    http04.encode_chunk(buf, 2)
    buf:write("de")
    http04.encode_chunk(buf)
    s = buf:take()
    assert.truthy(s:find("Transfer%-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n$"))
  end)

  it("decode_request, decode_response and decode_chunk", function()
    local parser = http04.Parser()
    local st = stream_of("GET /x?y HTTP/1.1\r\nHost: h.example\r\nX-A: 1\r\nx-a: 2\r\n" ..
      "Content-Length: 0\r\n\r\n")
    local err, req = http04.decode_request(parser, st)
    assert.is_nil(err)
    assert.equal("GET", req.method)
    assert.equal("/x?y", req.path)
    assert.equal(1, req.version)
    assert.same({"1", "2"}, req.headers:get("x-a"))
    assert.is_nil(req.len)  -- Content-Length: 0 is an empty body
    assert.falsy(req.chunked)
    local uerr, uri = req:uri()  -- a p.uri URI
    assert.is_nil(uerr)
    assert.equal("http://h.example/x?y", tostring(uri))
    assert.equal("h.example", uri.host)
    assert.equal("y", uri.query)
    st = stream_of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" ..
      "4\r\nwxyz\r\n0\r\n\r\n")
    local res
    err, res = http04.decode_response(parser, st)
    assert.is_nil(err)
    assert.equal(200, res.code)
    assert.is_true(res.chunked)
    local n
    err, n = http04.decode_chunk(parser, st)
    assert.equal(4, n)
    st:trim(4)
    err, n = http04.decode_chunk(parser, st)
    assert.is_nil(err)
    assert.equal(0, n)
    err = http04.decode_request(http04.Parser(), stream_of("GET / HTTP/1.1\r\nBad\r\n\r\n"))
    assert.equal(errors.http.ESYNTAX, err)
    err = http04.decode_request(http04.Parser(), stream_of("GET / HTTP/1.1\r\nHost: x"))
    assert.equal(errors.http.ESYNTAX, err)  -- the stream ended mid-head
  end)
end)

describe("conn.p.http", function()
  local function server(h)
    local err, serve = h.http:listen({port = 0})
    assert(not err, tostring(err))
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            if req.path == "/chunked" then
              req.response:send({Status(200), {}})
              req.response:send("one,")
              req.response:send("two")
              req.response:close()
            elseif req.method == "PUT" or req.method == "POST" then
              req.response:send({Status(200), {}, req.method .. ":" .. (req:tostring() or "")})
            elseif req.path == "/json" then
              req.response:send({Status(200), {}, '{"a": [1, 2]}'})
            else
              req.response:send({Status(200), {["X-Host"] = req.headers.Host}, "path " .. req.path})
            end
          end
        end)
      end
    end)
    return serve
  end

  it("get, head, put, post, and the body conveniences", function()
    local h = levee.Hub()
    local serve = server(h)
    local err, conn = h.stream:dial({port = serve:port()})
    assert.is_nil(err)
    local res
    err, res = conn.p.http:get("/a b", {params = {k = "v"}})
    assert.is_nil(err)
    assert.equal(200, res.code)
    assert.equal("127.0.0.1:" .. serve:port(), res.headers:get("x-host"))
    assert.equal("path /a+b?k=v", select(2, res.body:tostring()))
    err, res = conn.p.http:head("/h")
    assert.is_nil(err)
    assert.equal("7", res.headers:get("Content-Length"))  -- "path /h"
    assert.equal("", select(2, res.body:tostring()))
    err, res = conn.p.http:put("/u", {data = "payload"})
    assert.equal("PUT:payload", select(2, res.body:tostring()))
    err, res = conn.p.http:post("/u", {data = ""})
    assert.equal("POST:", select(2, res.body:tostring()))
    err, res = conn.p.http:get("/chunked")
    assert.is_true(res.chunked)
    assert.equal("one,two", select(2, res.body:tostring()))
    err, res = conn.p.http:get("/json")
    assert.same({a = {1, 2}}, res.body:json())
    local path = os.tmpname()
    err, res = conn.p.http:get("/chunked")
    local serr, n = res.body:save(path)
    assert.is_nil(serr)
    assert.equal(7, n)
    local f = io.open(path)
    assert.equal("one,two", f:read("*a"))
    f:close()
    os.remove(path)
    conn:close()
    serve:close()
  end)

  it("read_request, write_response and write_chunk on the server side", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    assert.is_nil(err)
    local seen = {}
    h:spawn(function()
      local _, conn = serve:recv()
      for req in conn.p.http do
        seen[#seen + 1] = req.method .. " " .. req.path .. " " .. (select(2, req.body:tostring()) or "?")
        if req.path == "/stream" then
          conn.p.http:write_response(200, d.Map({["X-S"] = "1"}))
          conn.p.http:write_chunk("ab")
          conn.p.http:write_chunk(1)
          conn:write("c")
          conn.p.http:write_chunk(0)
        else
          conn.p.http:write_response(Status(200), {}, "ok " .. req.path)
        end
      end
      conn:close()
    end)
    local _, c = h.stream:dial({port = serve:port()})
    -- a chunked upload, then a plain request, pipelined
    c:write("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n" ..
      "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    local res
    err, res = c.p.http:read_response()
    assert.is_nil(err)
    assert.equal("ok /up", select(2, res.body:tostring()))
    err, res = c.p.http:read_response()
    assert.equal("1", res.headers:get("x-s"))
    assert.equal("abc", select(2, res.body:tostring()))
    assert.same({"POST /up xyz", "GET /stream "}, seen)
    c:close()
    serve:close()
  end)

  it("proxy re-emits a chunked body as chunks, and closes the target when cut short", function()
    local h = levee.Hub()
    local serve = server(h)
    local _, upstream = h.stream:dial({port = serve:port()})
    local a, b = h.io:socketpair()
    local err, res = upstream.p.http:get("/chunked")
    assert.is_nil(err)
    a.p.http:write_response(200, {})
    local perr = res.body:proxy(a)
    assert.is_nil(perr)
    local _, got = b.p.http:read_response()
    assert.equal("one,two", select(2, got.body:tostring()))
    -- a body cut short: ESYNTAX, and the target is closed
    local x, y = h.io:socketpair()
    local p, q = h.io:socketpair()
    x:write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    x:close()
    local _, short = y.p.http:read_response()
    assert.equal(errors.http.ESYNTAX, short.body:proxy(p))
    assert.is_true(p.closed)
    upstream:close()
    a:close() b:close() y:close() q:close()
    serve:close()
  end)

  it("a response read until close", function()
    local h = levee.Hub()
    local a, b = h.io:socketpair()
    a:write("HTTP/1.1 200 OK\r\n\r\nall of it")
    a:close()
    local err, res = b.p.http:read_response()
    assert.is_nil(err)
    assert.equal("all of it", select(2, res.body:tostring()))
    b:close()
  end)
end)
