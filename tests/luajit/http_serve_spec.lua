-- h.http beyond the 0.3 basics: serve(handler) and its lean idle
-- connections, the error hook, wait, send_json, query and uri, the
-- droplet, head and keep-alive timeouts, the engine's rules as the Lua API
-- shows them (Host, HTTP/1.0 streaming, header injection, 100-continue),
-- and the HTTP items of lua-api.md "Exact behaviours that are easy to miss".
local levee = require("levee")
local errors = levee.errors
local Status = levee.HTTPStatus

local function status_of(out) return tonumber(out:match("^HTTP/1%.1 (%d%d%d)")) end

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local peers = dofile(here .. "/peers.lua")
local raw = peers.raw

local function hello(req) req.response:send({Status(200), {}, "hello " .. req.path}) end

describe("h.http serve(handler)", function()
  it("answers every request of a keep-alive connection; idle, it holds no green thread", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    serve:serve(hello)
    local _, c = h.http:connect(serve:port())
    for i = 1, 3 do
      local _, r = c:get("/" .. i)
      local err, res = r:recv(2000)
      assert.is_nil(err)
      assert.equal("hello /" .. i, res:tostring())
      h:sleep(5)
      -- the worker went back to the pool: nothing waits on the connection
      assert.equal(1, #serve._workers)
    end
    assert.equal(1, serve.nconns)
    c:close()
    h:sleep(10)
    assert.equal(0, serve.nconns)
    serve:close()
  end)

  it("idle connections hold no buffers but the last 64 to go idle, and those until the reaper's pass", function()
    local L = require("levee.lib")
    local h = levee.Hub()
    -- keepalive 4000 ms: the reaper passes every second
    local _, serve = h.http:listen({port = 0, keepalive_timeout = 4000})
    serve:serve(hello)
    local function holding()
      local n = 0
      for c in pairs(serve.conns) do
        if L.levee_buffer_cap(L.levee_h1_rbuf(c.h)) > 0 then n = n + 1 end
      end
      return n
    end
    local clients, buf = {}, levee.d.Buffer(4096)
    for i = 1, 70 do
      local _, c = h.stream:dial({port = serve:port(), timeout = 2000})
      c:write("GET /" .. i .. " HTTP/1.1\r\nHost: x\r\n\r\n")
      repeat assert.is_nil(c:readinto(buf)) until buf:peek():find("hello /" .. i, 1, true)
      buf:trim()
      clients[i] = c
    end
    h:sleep(5)
    assert.equal(70, serve.nconns)
    assert.equal(64, holding())
    -- a connection that keeps its buffers answers its next request as before
    clients[70]:write("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
    repeat assert.is_nil(clients[70]:readinto(buf)) until buf:peek():find("hello /again", 1, true)
    h:sleep(1100)
    assert.equal(0, holding())
    for i = 1, #clients do clients[i]:close() end
    serve:close()
  end)

  it("a streamed answer to a pipelined request waits for the answer before it", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    local slow_sent, waited = false, nil
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            h:spawn(function()
              if req.path == "/slow" then
                h:sleep(50)
                req.response:send({Status(200), {}, "slow\n"})
                slow_sent = true
              else
                -- runs first: send returns once the answer before it went out
                waited = not slow_sent
                assert.is_nil(req.response:send({Status(200), {}}))
                assert.is_true(slow_sent)
                assert.is_nil(req.response:send("stream"))
                req.response:close()
              end
            end)
          end
        end)
      end
    end)
    local out = raw(h, serve:port(),
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert.is_true(waited)
    local a, b = out:find("slow", 1, true), out:find("6\r\nstream\r\n0\r\n\r\n", 1, true)
    assert.truthy(a and b and a < b)
    serve:close()
  end)

  it("a handler that waits for another connection's request holds up no connection behind it", function()
    -- the three requests arrive together, so one green thread takes them in
    -- turn; /wait blocks until /wake runs, which it must not hold up
    local h = levee.Hub()
    local s, r = h:value()
    local _, serve = h.http:listen({port = 0})
    serve:serve(function(req)
      if req.path == "/wait" then
        local err, v = r:recv(3000)
        req.response:send({Status(200), {}, err and "timed out" or ("waited for " .. v)})
      elseif req.path == "/wake" then
        s:send("wake")
        hello(req)
      else
        hello(req)
      end
    end)
    local conns = {}
    for i = 1, 3 do
      local err, conn = h.stream:dial({port = serve:port(), timeout = 5000})
      assert.is_nil(err)
      conns[i] = conn
    end
    h:sleep(20)  -- accepted and parked
    local paths = {"/wait", "/wake", "/x"}
    for i = 1, 3 do conns[i]:write("GET " .. paths[i] .. " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") end
    local got = {}
    for i = 1, 3 do
      local buf = levee.d.Buffer(4096)
      while not conns[i]:readinto(buf) do end
      got[i] = buf:take():match("\r\n\r\n(.*)$")
      conns[i]:close()
    end
    assert.same({"waited for wake", "hello /wake", "hello /x"}, got)
    serve:close()
  end)

  it("an error in the handler answers 500 through the hook and closes that connection", function()
    local h = levee.Hub()
    local seen = {}
    local _, serve = h.http:listen({port = 0, on_error = function(err, req, conn)
      seen[#seen + 1] = {tostring(err):match("boom") and "boom", req.path, conn.requests}
    end})
    serve:serve(function(req)
      if req.path == "/boom" then error("boom") end
      hello(req)
    end)
    local out = raw(h, serve:port(), "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
    assert.equal(500, status_of(out))
    assert.truthy(out:find("Connection: close", 1, true))
    assert.same({{"boom", "/boom", 1}}, seen)
    out = raw(h, serve:port(), "GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert.truthy(out:find("hello /fine", 1, true))
    serve:close()
  end)

  it("without a hook an error in the handler ends the process, as the original's did", function()
    local script = os.tmpname()
    local f = io.open(script, "w")
    f:write([[
      local levee = require("levee")
      local h = levee.Hub()
      local _, serve = h.http:listen({port = 0})
      serve:serve(function(req) error("unhandled in the handler") end)
      local _, c = h.stream:dial({port = serve:port()})
      c:write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      h:sleep(2000)
      os.exit(0)
    ]])
    f:close()
    local p = io.popen("luajit " .. script .. " 2>&1; echo rc=$?")
    local out = p:read("*a")
    p:close()
    os.remove(script)
    assert.truthy(out:find("unhandled in the handler", 1, true))
    assert.truthy(out:find("rc=1", 1, true))
  end)

  it("wait() returns once the server is closed", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    serve:serve(hello)
    h:spawn_later(20, function() serve:close() end)
    local t0 = h:now()
    serve:wait()
    assert.is_true(serve.closed)
    assert.truthy(h:now() - t0 >= 15)
    assert.is_nil(serve:wait())
  end)

  it("send_json, req.query and req:uri()", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    serve:serve(function(req)
      local _, uri = req:uri()
      req:send_json({q = req.query, uri = tostring(uri)})
    end)
    local _, c = h.http:connect(serve:port())
    local _, r = c:get("/p", {params = {a = "x y", b = {"1", "2"}}})
    local _, res = r:recv(2000)
    assert.equal("application/json", res.headers["Content-Type"])
    local err, v = res:json()
    assert.is_nil(err)
    assert.same({a = "x y", b = {"1", "2"}}, v.q)
    assert.equal("http://127.0.0.1:" .. serve:port() .. "/p?a=x%20y&b=1&b=2", v.uri)
    c:close()
    serve:close()
  end)
end)

describe("h.http:droplet", function()
  it("routes, bundles and 404", function()
    local h = levee.Hub()
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir .. "/css")
    local f = io.open(dir .. "/css/site.css", "w")
    f:write("body{}")
    f:close()
    local err, drop = h.http:droplet(0)
    assert.is_nil(err)
    drop:route("/hi", function(hub, req)
      assert.equal(h, hub)
      return "hi " .. req.method
    end)
    drop:route("/made", function() return {Status(201), {["X-Made"] = "yes"}, "made"} end)
    drop:bundle("/static", {["app.js"] = "console.log(1)", ["x.bin"] = {"raw", "application/x-raw"}})
    drop:bundle("/files", dir)
    local _, c = h.http:connect(drop:port())
    local function get(path)
      local _, r = c:get(path)
      local _, res = r:recv(2000)
      return res.code, res:tostring(), res.headers["Content-Type"]
    end
    assert.same({200, "hi GET", "text/plain"}, {get("/hi?x=1")})
    local code, body = get("/made")
    assert.same({201, "made"}, {code, body})
    assert.same({200, "console.log(1)", "application/javascript"}, {get("/static/app.js")})
    assert.same({200, "raw", "application/x-raw"}, {get("/static/x.bin")})
    assert.same({200, "body{}", "text/css"}, {get("/files/css/site.css")})
    assert.equal(404, (get("/files/../etc/passwd")))
    assert.equal(404, (get("/files/css")))
    assert.equal(404, (get("/nothing")))
    c:close()
    drop:close()
    os.execute("rm -rf " .. dir)
  end)
end)

describe("h.http timeouts", function()
  for _, mode in ipairs({"serve", "loop"}) do
    it(mode .. ": clients that send half a head and stop are closed after head_timeout", function()
      local h = levee.Hub()
      local _, serve = h.http:listen({port = 0, head_timeout = 50, keepalive_timeout = false})
      if mode == "serve" then
        serve:serve(hello)
      else
        h:spawn(function()
          for conn in serve do h:spawn(function() for req in conn do hello(req) end end) end
        end)
      end
      local clients = {}
      for i = 1, 40 do
        local _, c = h.stream:dial({port = serve:port(), timeout = 2000})
        c:write("GET /never-finished HTTP/1.1\r\nHost: x\r\nX-Half: ")
        clients[i] = c
      end
      local t0 = h:now()
      local buf = levee.d.Buffer(64)
      for i = 1, #clients do
        assert.equal(errors.CLOSED, clients[i]:readinto(buf))
        clients[i]:close()
      end
      assert.equal(0, #buf)
      assert.truthy(h:now() - t0 < 1500)
      h:sleep(10)
      assert.equal(0, serve.nconns)
      serve:close()
    end)

    it(mode .. ": an idle keep-alive connection closes after keepalive_timeout, not before", function()
      local h = levee.Hub()
      local _, serve = h.http:listen({port = 0, keepalive_timeout = 60})
      if mode == "serve" then
        serve:serve(hello)
      else
        h:spawn(function()
          for conn in serve do h:spawn(function() for req in conn do hello(req) end end) end
        end)
      end
      local _, c = h.stream:dial({port = serve:port(), timeout = 2000})
      c:write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
      local buf = levee.d.Buffer(4096)
      local t0 = h:now()
      repeat assert.is_nil(c:readinto(buf)) until buf:peek():find("hello /a", 1, true)
      assert.equal(errors.CLOSED, c:readinto(buf))
      assert.truthy(h:now() - t0 >= 40)
      c:close()
      serve:close()
    end)
  end

  it("false turns a timeout off", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0, head_timeout = false, keepalive_timeout = false})
    serve:serve(hello)
    local _, c = h.stream:dial({port = serve:port(), timeout = 150})
    c:write("GET /a HTTP/1.1\r\nHost: x\r\n")
    local buf = levee.d.Buffer(64)
    assert.equal(errors.TIMEOUT, c:readinto(buf))  -- still open after 150 ms
    assert.equal(1, serve.nconns)
    c:close()
    serve:close()
  end)
end)

describe("h.http protocol rules (the engine's, seen from Lua)", function()
  local function app(h)
    local _, serve = h.http:listen({port = 0})
    serve:serve(function(req)
      if req.path == "/stream" then
        req.response:send({Status(200), {}})
        req.response:send("hello ")
        req.response:send("world")
        req.response:close()
      elseif req.path == "/inject" then
        local err = req.response:send({Status(200), {["X-A"] = "a\r\nX-Injected: yes"}, "x"})
        req.response:send({Status(200), {}, tostring(err)})
      elseif req.path == "/upload" then
        req.response:send({Status(200), {}, "got " .. req:tostring()})
      else
        req.response:send({Status(200), {}, req.headers["User-Agent"] or "none"})
      end
    end)
    return serve
  end

  it("req.headers, made on first read, holds the head's fields after later requests were read", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0, max_value = 8192})
    local reqs = {}
    serve:serve(function(req)
      reqs[#reqs + 1] = req
      req.response:send({Status(200), {}, req.path})
    end)
    -- pipelined: the second and third heads are read before the first
    -- request's headers are looked at; the third is longer than 2 KB
    local big = ("v"):rep(3000)
    local out = raw(h, serve:port(),
      "GET /a HTTP/1.1\r\nHost: x\r\nX-Twice: 1\r\nx-twice: 2\r\nX-Twice: 3\r\nEmpty:\r\n\r\n" ..
      "GET /b HTTP/1.1\r\nHost: y\r\n\r\n" ..
      "POST /c?q=1 HTTP/1.1\r\nHost: z\r\nX-Big:  " .. big .. " \r\nContent-Length: 2\r\n" ..
      "Connection: close\r\n\r\nok")
    assert.equal(3, select(2, out:gsub("HTTP/1%.1 200", "")), out)
    assert.equal(3, #reqs)
    local a, b, c = reqs[1], reqs[2], reqs[3]
    assert.same({Host = "x", ["X-Twice"] = {"1", "3"}, ["x-twice"] = "2", Empty = ""}, a.headers)
    assert.equal(a.headers, a.headers)  -- made once
    assert.same({Host = "y"}, b.headers)
    assert.same({Host = "z", ["X-Big"] = big, ["Content-Length"] = "2", Connection = "close"}, c.headers)
    assert.equal("POST", c.method)
    assert.equal("/c?q=1", c.path)
    assert.equal(1, c.version)
    -- a handler may replace the table, or drop it
    b.headers = {mine = true}
    assert.same({mine = true}, b.headers)
    a.headers = nil
    assert.is_nil(a.headers)
    serve:close()
  end)

  it("an HTTP/1.1 request without Host, or with two, is 400", function()
    local h = levee.Hub()
    local serve = app(h)
    assert.equal(400, status_of(raw(h, serve:port(), "GET / HTTP/1.1\r\n\r\n")))
    assert.equal(400, status_of(raw(h, serve:port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")))
    assert.equal(200, status_of(raw(h, serve:port(), "GET / HTTP/1.0\r\n\r\n")))
    serve:close()
  end)

  it("streams to an HTTP/1.0 client without chunked, delimited by the close", function()
    local h = levee.Hub()
    local serve = app(h)
    local out = raw(h, serve:port(), "GET /stream HTTP/1.0\r\n\r\n")
    assert.equal(200, status_of(out))
    assert.falsy(out:find("chunked", 1, true))
    assert.falsy(out:find("Content-Length", 1, true))
    assert.truthy(out:find("Connection: close\r\n", 1, true))
    assert.truthy(out:find("\r\n\r\nhello world$"))
    serve:close()
  end)

  it("refuses CR or LF in a header value, on both sides", function()
    local h = levee.Hub()
    local serve = app(h)
    local _, c = h.http:connect(serve:port())
    local _, r = c:get("/inject")
    local _, res = r:recv(2000)
    assert.equal(tostring(errors.system.EINVAL), res:tostring())
    assert.is_nil(res.headers["X-Injected"])
    assert.equal(errors.system.EINVAL, c:request("GET", "/", nil, {X = "a\nb"}))
    c:close()
    serve:close()
  end)

  it("answers 100 Continue when the handler reads the body", function()
    local h = levee.Hub()
    local serve = app(h)
    local _, conn = h.stream:dial({port = serve:port(), timeout = 2000})
    conn:write("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    local buf = levee.d.Buffer(4096)
    repeat assert.is_nil(conn:readinto(buf)) until buf:peek():find("\r\n\r\n", 1, true)
    assert.equal("HTTP/1.1 100 Continue\r\n\r\n", buf:take())
    conn:write("data")
    repeat assert.is_nil(conn:readinto(buf)) until buf:peek():find("got data", 1, true)
    conn:close()
    serve:close()
  end)

  it("the default User-Agent is levee/<version>", function()
    local h = levee.Hub()
    local serve = app(h)
    local _, c = h.http:connect(serve:port())
    local _, r = c:get("/")
    local _, res = r:recv(2000)
    local ua = res:tostring()
    local ok, meta = pcall(require, "levee.meta")
    if ok and type(meta) == "table" then
      assert.equal(meta.name .. "/" .. meta.version.string, ua)
    else
      assert.equal("levee/" .. require("ffi").string(require("levee.lib").levee_version_string()), ua)
    end
    c:close()
    serve:close()
  end)

  it("a client waiting for a later response gets it while an earlier body is unread", function()
    local h = levee.Hub()
    local serve = app(h)
    local _, c = h.http:connect(serve:port())
    local _, r1 = c:get("/one")
    local _, r2 = c:get("/two")
    local _, res1 = r1:recv(2000)
    local err, res2 = r2:recv(2000)  -- res1's body is still unread
    assert.is_nil(err)
    assert.equal(200, res2.code)
    assert.truthy(res1:tostring():find("levee/", 1, true))
    assert.truthy(res2:tostring():find("levee/", 1, true))
    c:close()
    serve:close()
  end)
end)

describe("h.http easy-to-miss behaviours (lua-api.md)", function()
  it("a server connection closes itself on the peer's EOF although the app stopped reading", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    local got
    h:spawn(function()
      local _, conn = serve:recv()
      local _, req = conn:recv()
      got = req.path
      req.response:send({Status(200), {}, "once"})
      -- the app never calls recv() again
    end)
    local _, c = h.stream:dial({port = serve:port(), timeout = 2000})
    c:write("GET /only HTTP/1.1\r\nHost: x\r\n\r\n")
    local buf = levee.d.Buffer(4096)
    repeat assert.is_nil(c:readinto(buf)) until buf:peek():find("once", 1, true)
    serve:close()
    assert.is_true(h:in_use())
    c:close()
    -- a few ticks (the hub polls fds at least every 32 busy ticks)
    for _ = 1, 40 do h:continue() end
    assert.equal("/only", got)
    assert.is_false(h:in_use())
  end)

  it("chunk.done:close() before a chunk is read leaves its bytes in front of the next", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0})
    local pieces = {}
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            local first = true
            for chunk in req.chunks do
              if first then
                first = false
                chunk:readin(1)
                pieces[#pieces + 1] = "<" .. require("ffi").string(chunk:value(), 1) .. ">"
                chunk:trim(1)
                chunk.done:close()
              else
                pieces[#pieces + 1] = chunk:tostring()
              end
            end
            req.response:send({Status(200), {}, table.concat(pieces, ",")})
          end
        end)
      end
    end)
    local out = raw(h, serve:port(), "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" ..
      "Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert.truthy(out:find("<a>,bc,de$"))
    serve:close()
  end)
end)

describe("p.http 0_4 easy-to-miss behaviours", function()
  local http04 = require("levee.p.http")["0_4"]

  it("body:tostring() returns err, s, and ESYNTAX for a body cut short", function()
    local h = levee.Hub()
    local a, b = h.io:socketpair()
    a:write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    local _, res = b.p.http:read_response()
    assert.same({nil, "hello"}, {res.body:tostring()})
    a:write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    a:close()
    _, res = b.p.http:read_response()
    assert.equal(errors.http.ESYNTAX, (res.body:tostring()))
    b:close()
  end)

  it("body:json() decodes one value without waiting for the end of a chunked body", function()
    local h = levee.Hub()
    local a, b = h.io:socketpair()
    a:write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"a\": \r\n3\r\n[1]\r\n3\r\n} x\r\n")
    -- the body goes on (no last chunk yet)
    local _, res = b.p.http:read_response()
    assert.same({a = {1}}, res.body:json())
    a:close()
    b:close()
  end)

  it("encode_response replaces framing headers the app gave", function()
    local buf = levee.d.Buffer()
    http04.encode_response(buf, 200, {["Transfer-Encoding"] = "chunked", ["Content-Length"] = "99"}, "hi")
    local s = buf:take()
    assert.falsy(s:find("chunked", 1, true))
    assert.falsy(s:find("99", 1, true))
    assert.truthy(s:find("Content%-Length: 2\r\n\r\nhi$"))
  end)

  it("encode_request params: integer keys give their values, a space is +", function()
    local buf = levee.d.Buffer()
    assert.is_nil(http04.encode_request(buf, "GET", "/p", {q = "a b", "flag", "x&y"}))
    assert.truthy(buf:take():find("^GET /p%?q=a%+b&flag&x%%26y HTTP/1%.1\r\n"))
    assert.equal(errors.utf8.ETOOSHORT, http04.encode_request(buf, "GET", "/p", {q = "\xc3"}))
  end)
end)

describe("h.http over TLS (the same engine, through the core stream)", function()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute(here .. "/../tls/mkcerts " .. dir) == 0, "mkcerts failed")
  local SERVER = {cert_file = dir .. "/server.pem", key_file = dir .. "/server.key"}
  local CA = dir .. "/ca.pem"

  it("serve() over TLS answers an https:// client, a pool and curl", function()
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0, tls = SERVER})
    serve:serve(function(req) req:send_json({path = req.path, n = tonumber(req.query.n)}) end)
    local url = "https://127.0.0.1:" .. serve:port()
    local err, c = h.http:connect(url, {tls = {ca_file = CA}, timeout = 5000})
    assert.is_nil(err)
    for i = 1, 3 do
      local _, r = c:get("/x", {params = {n = i}})
      local rerr, res = r:recv(5000)
      assert.is_nil(rerr)
      assert.same({path = "/x?n=" .. i, n = i}, select(2, res:json()))
    end
    c:close()
    local pool = h.http:pool(url, {tls = {ca_file = CA}, size = 2})
    local perr, res = pool:get("/pooled")
    assert.is_nil(perr)
    assert.equal("/pooled", select(2, res:json()).path)
    pool:close()
    -- curl verifies the certificate and speaks HTTP/1.1 to the same server
    local body, rc = peers.bg(h, ("timeout 10 curl -s --cacert %s '%s/curl?n=7'"):format(CA, url)).wait()
    assert.equal(0, rc)
    assert.same({path = "/curl?n=7", n = 7}, select(2, levee.p.json.decode(body)))
    -- an https:// URL without the CA is refused, never plaintext
    assert.is_not_nil((h.http:connect(url)))
    serve:close()
  end)

  it("serve() answers a request the TLS handshake already read (no readiness follows it)", function()
    -- curl sends its request with the end of the handshake: the listener's
    -- handshake can take both, and the request then waits in the TLS
    -- session with nothing left on the socket to announce it
    local h = levee.Hub()
    local _, serve = h.http:listen({port = 0, tls = SERVER})
    serve:serve(function(req) req.response:send({200, {}, "n=" .. req.query.n}) end)
    local cmd = ("for i in $(seq 20); do timeout 5 curl -s --cacert %s 'https://127.0.0.1:%d/?n='$i; echo; done")
      :format(CA, serve:port())
    local out = peers.bg(h, cmd).wait()
    local want = {}
    for i = 1, 20 do want[i] = "n=" .. i end
    assert.equal(table.concat(want, "\n") .. "\n", out)
    serve:close()
    os.execute("rm -rf " .. dir)
  end)
end)
