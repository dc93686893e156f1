-- h.http (HTTP 0.3): the levee server against curl and raw sockets, the
-- levee client against the levee server and against nginx-light, keep-alive,
-- pipelining, chunked bodies both ways, limits, shutdown and the pool.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local Status = levee.HTTPStatus

local tmpdir = os.getenv("TMPDIR") or "/tmp"

-- Runs a shell command in the background; wait() polls (sleeping in the
-- hub, so the servers under test keep running) until it finished and
-- returns its output and exit status.
local function bg(h, cmd)
  local base = os.tmpname()
  -- a sanitizer run preloads libasan into luajit; curl hangs with it
  os.execute(("( (unset LD_PRELOAD; %s) > %s.out 2>&1; echo $? > %s.rc ) &"):format(cmd, base, base))
  local job = {}
  function job.wait()
    for _ = 1, 1000 do
      local f = io.open(base .. ".rc")
      if f then
        local rc = f:read("*n")
        f:close()
        if rc then
          local o = io.open(base .. ".out")
          local out = o:read("*a")
          o:close()
          os.remove(base .. ".rc")
          os.remove(base .. ".out")
          os.remove(base)
          return out, rc
        end
      end
      h:sleep(10)
    end
    error("background command did not finish: " .. cmd)
  end
  return job
end

-- A server answering by path; returns the server and a table of what it saw.
local function app(h, config)
  local err, serve = h.http:listen(config or {port = 0})
  assert(not err, tostring(err))
  local seen = {conns = 0, reqs = {}}
  h:spawn(function()
    for conn in serve do
      seen.conns = seen.conns + 1
      h:spawn(function()
        for req in conn do
          seen.reqs[#seen.reqs + 1] = req
          local path = req.path
          if path == "/echo" then
            local body = req.body and req.body:tostring() or (req.chunks and req:tostring()) or ""
            req.response:send({Status(200), {}, req.method .. ":" .. body})
          elseif path == "/chunked" then
            req.response:send({Status(200), {["Content-Type"] = "text/plain"}})
            req.response:send("hello ")
            req.response:send("")
            req.response:send("world")
            req.response:close()
          elseif path == "/chunked-n" then
            req.response:send({Status(200), {}})
            req.response:send(5)
            req.conn:write("abcde")
            req.response:send("f")
            req.response:close()
          elseif path == "/length-n" then
            req.response:send({Status(200), {}, 4})
            req.conn:write("wxyz")
            req.response:close()
          elseif path == "/204" then
            req.response:send({Status(204), {}, "ignored"})
          elseif path == "/304" then
            req.response:send({Status(304), {}, "ignored"})
          elseif path == "/json" then
            req.response:send({Status(200), {["Content-Type"] = "application/json"},
              '{"foo": [1, 2, 3], "bar": "baz"}'})
          elseif path == "/headers" then
            req.response:send({Status(200), {["X-Multi"] = {"a", "b"}}, "ok"})
          elseif path == "/slow" then
            h:sleep(50)
            req.response:send({Status(200), {}, "slow"})
          elseif path:sub(1, 6) == "/file/" then
            req:sendfile(path:sub(7))
          elseif path == "/bad-header" then
            local e = req.response:send({Status(200), {["X-Bad"] = "a\r\nInjected: yes"}, "x"})
            req.response:send({Status(500), {}, tostring(e)})
          else
            req.response:send({Status(200), {["Content-Type"] = "text/plain"}, "Hello " .. path})
          end
        end
      end)
    end
  end)
  return serve, seen
end

local function get(h, port, path, o)
  local err, c = h.http:connect(port)
  assert(not err, tostring(err))
  local err2, r = c:get(path, o)
  assert(not err2, tostring(err2))
  local err3, res = r:recv(2000)
  assert(not err3, tostring(err3))
  return res, c
end

-- sends raw bytes on a new connection, returns everything read until the
-- server closes (or `want` bytes arrived)
local function raw(h, port, data, want)
  local err, conn = h.stream:dial({port = port, timeout = 2000})
  assert(not err, tostring(err))
  conn:write(data)
  local buf = levee.d.Buffer(4096)
  while not want or #buf < want do
    if conn:readinto(buf) then break end
  end
  conn:close()
  return buf:take()
end

describe("h.http server", function()
  it("answers GET with Content-Length, Date and the app's headers", function()
    local h = levee.Hub()
    local serve = app(h)
    local res, c = get(h, serve:port(), "/hi")
    assert.equal(200, res.code)
    assert.equal("OK", res.reason)
    assert.equal(1, res.version)
    assert.equal("text/plain", res.headers["Content-Type"])
    assert.equal("9", res.headers["Content-Length"])
    assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", res.headers.Date)
    assert.equal("Hello /hi", res.body:tostring())
    c:close()
    serve:close()
  end)

  it("percent-encodes query params on the client", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local res, c = get(h, serve:port(), "/q", {params = {a = "b c", ["k&"] = "=/?"}})
    assert.equal("Hello /q?a=b%20c&k%26=%3D%2F%3F", res.body:tostring())
    assert.equal("/q?a=b%20c&k%26=%3D%2F%3F", seen.reqs[1].path)
    c:close()
    serve:close()
  end)

  it("gives request headers as a table, repeated ones as a list", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local err, c = h.http:connect(serve:port())
    assert.is_nil(err)
    local _, r = c:request("GET", "/x", nil, {["X-Rep"] = {"1", "2"}, ["X-One"] = "v"})
    local _, res = r:recv(2000)
    res:discard()
    local req = seen.reqs[1]
    assert.same({"1", "2"}, req.headers["X-Rep"])
    assert.equal("v", req.headers["X-One"])
    assert.equal("127.0.0.1:" .. serve:port(), req.headers.Host)
    assert.equal("*/*", req.headers.Accept)
    assert.equal("GET", req.method)
    assert.equal(1, req.version)
    -- repeated response headers reach the client as a list
    _, r = c:get("/headers")
    _, res = r:recv(2000)
    assert.same({"a", "b"}, res.headers["X-Multi"])
    assert.equal("ok", res:tostring())
    c:close()
    serve:close()
  end)

  it("streams chunked responses, string and number chunks", function()
    local h = levee.Hub()
    local serve = app(h)
    local res, c = get(h, serve:port(), "/chunked")
    assert.equal("chunked", res.headers["Transfer-Encoding"])
    assert.is_nil(res.body)
    local parts = {}
    for chunk in res.chunks do parts[#parts + 1] = chunk:tostring() end
    assert.same({"hello ", "world"}, parts)
    local _, r = c:get("/chunked-n")
    local _, res2 = r:recv(2000)
    assert.equal("abcdef", res2:tostring())
    c:close()
    serve:close()
  end)

  it("number bodies: Content-Length, then the app writes the bytes", function()
    local h = levee.Hub()
    local serve = app(h)
    local res, c = get(h, serve:port(), "/length-n")
    assert.equal("4", res.headers["Content-Length"])
    assert.equal("wxyz", res:tostring())
    c:close()
    serve:close()
  end)

  it("HEAD, 204 and 304 carry no body", function()
    local h = levee.Hub()
    local serve = app(h)
    local err, c = h.http:connect(serve:port())
    assert.is_nil(err)
    local _, r1 = c:head("/abc")
    local _, r2 = c:get("/204")
    local _, r3 = c:get("/304")
    local _, r4 = c:get("/after")
    local _, res1 = r1:recv(2000)
    assert.equal("10", res1.headers["Content-Length"])
    assert.is_nil(res1.body)
    assert.is_nil(res1.chunks)
    -- no body to decode: the decoder's error, not a crash
    assert.equal(errors.json.ESYNTAX, (res1:json()))
    local _, res2 = r2:recv(2000)
    assert.equal(204, res2.code)
    assert.is_nil(res2.headers["Content-Length"])
    assert.is_nil(res2.body)
    local _, res3 = r3:recv(2000)
    assert.equal(304, res3.code)
    assert.is_nil(res3.body)
    -- the connection stayed in sync
    local _, res4 = r4:recv(2000)
    assert.equal("Hello /after", res4:tostring())
    c:close()
    serve:close()
  end)

  it("POST bodies, Content-Length: 0 as an empty body", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local err, c = h.http:connect(serve:port())
    assert.is_nil(err)
    local _, r = c:post("/echo", {data = "payload"})
    local _, res = r:recv(2000)
    assert.equal("POST:payload", res:tostring())
    _, r = c:post("/echo", {data = ""})
    _, res = r:recv(2000)
    assert.equal("POST:", res:tostring())
    assert.is_nil(seen.reqs[2].body)
    assert.is_nil(seen.reqs[2].chunks)
    c:close()
    serve:close()
  end)

  it("skips a request body the app did not read", function()
    local h = levee.Hub()
    local serve = app(h)
    local out = raw(h, serve:port(),
      "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcdeGET /y HTTP/1.1\r\nConnection: close\r\n\r\n")
    local first = out:find("Hello /x", 1, true)
    local second = out:find("Hello /y", 1, true)
    assert.truthy(first)
    assert.truthy(second)
    assert.truthy(first < second)
    serve:close()
  end)

  it("answers pipelined requests in order, in one connection", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local out = raw(h, serve:port(), "GET /slow HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n" ..
      "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
    local a, b, c = out:find("slow", 1, true), out:find("Hello /b", 1, true), out:find("Hello /c", 1, true)
    assert.truthy(a and b and c)
    assert.truthy(a < b and b < c)
    assert.truthy(out:find("Connection: close", 1, true))
    assert.equal(1, seen.conns)
    serve:close()
  end)

  it("client pipelining: responses come back in request order", function()
    local h = levee.Hub()
    local serve = app(h)
    local err, c = h.http:connect(serve:port())
    assert.is_nil(err)
    local rs = {}
    for i, path in ipairs({"/slow", "/2", "/chunked", "/4"}) do
      local e, r = c:get(path)
      assert.is_nil(e)
      rs[i] = r
    end
    local bodies = {}
    for i = 1, 4 do
      local e, res = rs[i]:recv(2000)
      assert.is_nil(e)
      bodies[i] = res:tostring()
    end
    assert.same({"slow", "Hello /2", "hello world", "Hello /4"}, bodies)
    assert.same({}, c.response_to_request)
    c:close()
    serve:close()
  end)

  it("Response tobuffer, save, discard and json", function()
    local h = levee.Hub()
    local serve = app(h)
    local err, c = h.http:connect(serve:port())
    assert.is_nil(err)
    local _, r = c:get("/json")
    local _, res = r:recv(2000)
    local jerr, value = res:json()
    assert.is_nil(jerr)
    assert.same({foo = {1, 2, 3}, bar = "baz"}, value)
    _, r = c:get("/abc")
    _, res = r:recv(2000)
    local berr, buf = res:tobuffer()
    assert.is_nil(berr)
    assert.equal("Hello /abc", buf:take())
    _, r = c:get("/chunked")
    _, res = r:recv(2000)
    local path = os.tmpname()
    local serr, n = res:save(path)
    assert.is_nil(serr)
    assert.equal(11, n)
    local f = io.open(path)
    assert.equal("hello world", f:read("*a"))
    f:close()
    os.remove(path)
    _, r = c:get("/zzz")
    _, res = r:recv(2000)
    local derr, dn = res:discard()
    assert.is_nil(derr)
    assert.equal(10, dn)
    _, r = c:get("/after")
    _, res = r:recv(2000)
    assert.equal("Hello /after", res:tostring())
    c:close()
    serve:close()
  end)

  it("sendfile: the file, or 404 for a missing path or a directory", function()
    local h = levee.Hub()
    local serve = app(h)
    local path = os.tmpname()
    local f = io.open(path, "w")
    f:write(("0123456789"):rep(1000))
    f:close()
    local res, c = get(h, serve:port(), "/file/" .. path)
    assert.equal(200, res.code)
    assert.equal(("0123456789"):rep(1000), res:tostring())
    local _, r = c:get("/file/" .. path .. ".missing")
    local _, res2 = r:recv(2000)
    assert.equal(404, res2.code)
    assert.equal("Not Found\n", res2:tostring())
    _, r = c:get("/file/" .. tmpdir)
    _, res2 = r:recv(2000)
    assert.equal(404, res2.code)
    res2:discard()
    os.remove(path)
    c:close()
    serve:close()
  end)

  it("leaves the app's headers table alone, so one table serves every response", function()
    local h = levee.Hub()
    local shared = {["Content-Type"] = "text/plain", ["Content-Length"] = "999"}
    local err, serve = h.http:listen({port = 0})
    assert.is_nil(err)
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            if req.path == "/chunked" then
              req.response:send({Status(200), shared})
              req.response:send("abc")
              req.response:close()
            elseif req.path == "/bye" then
              req.response:send({Status(200), {Connection = "close"}, "bye"})
            else
              req.response:send({Status(200), shared, "body"})
            end
          end
        end)
      end
    end)
    local _, c = h.http:connect(serve:port())
    local _, r1 = c:get("/a")
    local _, r2 = c:get("/chunked")
    local _, r3 = c:get("/b")
    local _, res = r1:recv(2000)
    assert.equal("4", res.headers["Content-Length"])
    assert.equal("body", res:tostring())
    _, res = r2:recv(2000)
    assert.is_nil(res.headers["Content-Length"])
    assert.equal("chunked", res.headers["Transfer-Encoding"])
    assert.equal("abc", res:tostring())
    _, res = r3:recv(2000)
    assert.equal("body", res:tostring())
    assert.same({["Content-Type"] = "text/plain", ["Content-Length"] = "999"}, shared)
    -- an app header Connection: close ends the connection after it
    local _, r4 = c:get("/bye")
    _, res = r4:recv(2000)
    assert.equal("bye", res:tostring())
    assert.equal("close", res.headers.Connection)
    h:sleep(10)
    assert.is_true(c.closed)
    serve:close()
  end)

  it("refuses header values that would split the response", function()
    local h = levee.Hub()
    local serve = app(h)
    local res, c = get(h, serve:port(), "/bad-header")
    assert.equal(500, res.code)
    assert.equal(tostring(errors.system.EINVAL), res:tostring())
    c:close()
    serve:close()
  end)
end)

describe("h.http server limits and hostile input", function()
  local function status_of(out) return tonumber(out:match("^HTTP/1%.1 (%d%d%d)")) end

  it("400 for bad syntax, and the connection closes", function()
    local h = levee.Hub()
    local serve = app(h)
    local out = raw(h, serve:port(), "GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    assert.equal(400, status_of(out))
    assert.truthy(out:find("Connection: close", 1, true))
    serve:close()
  end)

  it("400 for Content-Length with Transfer-Encoding (smuggling)", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local out = raw(h, serve:port(), "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n" ..
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
    assert.equal(400, status_of(out))
    assert.falsy(out:find("smuggled", 1, true))
    assert.equal(0, #seen.reqs)
    serve:close()
  end)

  it("431 for an oversized header, 414 for an oversized URI", function()
    local h = levee.Hub()
    local serve = app(h, {port = 0, max_value = 100, max_uri = 64})
    local out = raw(h, serve:port(), "GET / HTTP/1.1\r\nX-Big: " .. ("x"):rep(200) .. "\r\n\r\n")
    assert.equal(431, status_of(out))
    out = raw(h, serve:port(), "GET /" .. ("u"):rep(100) .. " HTTP/1.1\r\n\r\n")
    assert.equal(414, status_of(out))
    serve:close()
  end)

  it("413 for a body over max_body", function()
    local h = levee.Hub()
    local serve = app(h, {port = 0, max_body = 10})
    local out = raw(h, serve:port(), "POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\n")
    assert.equal(413, status_of(out))
    serve:close()
  end)

  it("a client that vanishes mid-request does not disturb the others", function()
    local h = levee.Hub()
    local serve = app(h)
    local err, conn = h.stream:dial({port = serve:port()})
    assert.is_nil(err)
    conn:write("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly part")
    h:sleep(10)
    conn:close()
    local res, c = get(h, serve:port(), "/other")
    assert.equal("Hello /other", res:tostring())
    c:close()
    serve:close()
  end)

  it("timeout closes a connection that stays idle or stalls mid-request", function()
    local h = levee.Hub()
    local serve = app(h, {port = 0, timeout = 20})
    local _, idle = h.stream:dial({port = serve:port(), timeout = 2000})
    local _, stalled = h.stream:dial({port = serve:port(), timeout = 2000})
    stalled:write("GET /never-finished HTTP/1.1\r\nHost:")
    local buf = levee.d.Buffer(64)
    assert.equal(errors.CLOSED, idle:readinto(buf))
    assert.equal(errors.CLOSED, stalled:readinto(buf))
    assert.equal(0, #buf)
    assert.equal(0, serve.nconns)
    serve:close()
  end)

  it("a slow client does not block other connections", function()
    local h = levee.Hub()
    local serve = app(h)
    local err, slow = h.stream:dial({port = serve:port()})
    assert.is_nil(err)
    slow:write("GET /half")  -- never finished
    local res, c = get(h, serve:port(), "/fast")
    assert.equal("Hello /fast", res:tostring())
    slow:close()
    c:close()
    serve:close()
  end)

  it("every truncation point of a request is waited out, then answered", function()
    local h = levee.Hub()
    local serve = app(h)
    local req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" ..
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
    for cut = 1, #req - 1, 7 do
      local err, conn = h.stream:dial({port = serve:port(), timeout = 2000})
      assert.is_nil(err)
      conn:write(req:sub(1, cut))
      h:sleep(1)
      conn:write(req:sub(cut + 1))
      local buf = levee.d.Buffer(4096)
      while not buf:peek():find("POST:abcde", 1, true) do
        assert.is_nil(conn:readinto(buf))
      end
      conn:close()
    end
    serve:close()
  end)
end)

describe("h.http with curl", function()
  it("GET, HEAD, POST, chunked upload and keep-alive reuse", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local base = "http://127.0.0.1:" .. serve:port()
    local out, rc = bg(h, ("curl -s -i %s/one"):format(base)).wait()
    assert.equal(0, rc)
    assert.truthy(out:find("^HTTP/1.1 200 OK\r\n"))
    assert.truthy(out:find("\r\n\r\nHello /one$"))
    out, rc = bg(h, ("curl -s -I %s/head"):format(base)).wait()
    assert.equal(0, rc)
    assert.truthy(out:find("Content%-Length: 11"))
    assert.falsy(out:find("Hello", 1, true))
    out, rc = bg(h, ("curl -s -d 'a=1&b=2' %s/echo"):format(base)).wait()
    assert.equal("POST:a=1&b=2", out)
    out, rc = bg(h, ("printf 'streamed body' | curl -s -T - -X POST -H 'Transfer-Encoding: chunked' %s/echo"):format(base)).wait()
    assert.equal("POST:streamed body", out)
    -- a large body: curl asks Expect: 100-continue and waits for it
    out, rc = bg(h, ("head -c 300000 /dev/zero | tr '\\0' x | curl -s -H 'Expect: 100-continue' " ..
      "--expect100-timeout 30 --data-binary @- %s/echo | wc -c"):format(base)).wait()
    assert.equal(0, rc)
    assert.equal(300005, tonumber(out))  -- "POST:" and the body
    local conns = seen.conns
    out, rc = bg(h, ("curl -s %s/k1 %s/k2"):format(base, base)).wait()
    assert.equal(0, rc)
    assert.equal("Hello /k1Hello /k2", out)
    assert.equal(conns + 1, seen.conns)  -- both requests on one connection
    -- curl sees the chunked response as a whole
    out = bg(h, ("curl -s %s/chunked"):format(base)).wait()
    assert.equal("hello world", out)
    serve:close()
  end)
end)

describe("h.http client against nginx", function()
  it("static files, chunked responses and keep-alive", function()
    local h = levee.Hub()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/www"))
    local f = io.open(dir .. "/www/static.txt", "w")
    f:write(("static file\n"):rep(1000))
    f:close()
    f = io.open(dir .. "/www/page.shtml", "w")
    f:write('a<!--# echo var="x" default="-" -->b\n')
    f:close()
    -- a free port: bind, read it, release
    local _, probe = h.stream:listen({port = 0})
    local port = probe:port()
    probe:close()
    f = io.open(dir .. "/nginx.conf", "w")
    f:write(([[
worker_processes 1;
daemon off;
error_log %s/error.log;
pid %s/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;
  uwsgi_temp_path %s; scgi_temp_path %s;
  server {
    listen 127.0.0.1:%d;
    root %s/www;
    location /chunked { ssi on; ssi_types text/plain; default_type text/plain;
      alias %s/www/page.shtml; }
  }
}
]]):format(dir, dir, dir, dir, dir, dir, dir, port, dir, dir))
    f:close()
    os.execute(("env -u LD_PRELOAD nginx -c %s/nginx.conf -p %s >/dev/null 2>&1 &"):format(dir, dir))
    local err, c
    for _ = 1, 200 do
      err, c = h.http:connect(port)
      if not err then break end
      h:sleep(10)
    end
    assert.is_nil(err)
    local _, r1 = c:get("/static.txt")
    local _, r2 = c:get("/chunked")
    local _, r3 = c:get("/missing")
    local _, res = r1:recv(2000)
    assert.equal(200, res.code)
    assert.equal("12000", res.headers["Content-Length"])
    assert.equal(("static file\n"):rep(1000), res:tostring())
    _, res = r2:recv(2000)
    assert.equal("chunked", res.headers["Transfer-Encoding"])
    assert.equal("a-b\n", res:tostring())
    _, res = r3:recv(2000)
    assert.equal(404, res.code)
    res:discard()
    c:close()
    local pid = io.open(dir .. "/nginx.pid"):read("*n")
    os.execute("kill " .. pid)
    for _ = 1, 200 do
      if not io.open(dir .. "/nginx.pid") then break end
      h:sleep(10)
    end
    os.execute("rm -rf " .. dir)
  end)
end)

describe("h.http client errors", function()
  it("a connection that drops closes the response recvers", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    assert.is_nil(err)
    h:spawn(function()
      local _, conn = serve:recv()
      local buf = levee.d.Buffer(4096)
      conn:readinto(buf)
      conn:write("HTTP/1.1 200 OK\r\nContent-Le")
      conn:close()
    end)
    local _, c = h.http:connect(serve:port())
    local _, r1 = c:get("/a")
    local _, r2 = c:get("/b")
    assert.equal(errors.CLOSED, (r1:recv(2000)))
    assert.equal(errors.CLOSED, (r2:recv(2000)))
    assert.equal(errors.CLOSED, (c:get("/c")))
    serve:close()
  end)

  it("a malformed response is errors.http.ESYNTAX and closes the client", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    assert.is_nil(err)
    h:spawn(function()
      local _, conn = serve:recv()
      local buf = levee.d.Buffer(4096)
      conn:readinto(buf)
      conn:write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc")
      h:sleep(50)
      conn:close()
    end)
    local _, c = h.http:connect(serve:port())
    local _, r1 = c:get("/a")
    local _, r2 = c:get("/b")
    assert.equal(errors.http.ESYNTAX, (r1:recv(2000)))
    assert.equal(errors.CLOSED, (r2:recv(2000)))
    assert.is_true(c.closed)
    serve:close()
  end)

  it("connect to a closed port fails with ECONNREFUSED", function()
    local h = levee.Hub()
    local _, probe = h.stream:listen({port = 0})
    local port = probe:port()
    probe:close()
    h:sleep(1)  -- the listening fd is closed at the end of the tick
    local err = h.http:connect(port)
    assert.equal(errors.system.ECONNREFUSED, err)
  end)

  it("a response that takes too long times out in recv(ms)", function()
    local h = levee.Hub()
    local serve = app(h)
    local _, c = h.http:connect(serve:port())
    local _, r = c:get("/slow")
    assert.equal(errors.TIMEOUT, (r:recv(5)))
    local err, res = r:recv(2000)
    assert.is_nil(err)
    assert.equal("slow", res:tostring())
    c:close()
    serve:close()
  end)
end)

describe("h.http shutdown and pool", function()
  it("shutdown closes idle connections and lets in-flight requests finish", function()
    local h = levee.Hub()
    local serve = app(h)
    local port = serve:port()
    local _, idle = h.http:connect(port)
    local _, r = idle:get("/warm")
    local _, res = r:recv(2000)
    res:discard()
    local _, busy = h.http:connect(port)
    local _, rb = busy:get("/slow")
    h:sleep(5)  -- the slow request is in flight
    local done = false
    h:spawn(function()
      serve:shutdown(2000)
      done = true
    end)
    local err, bres = rb:recv(2000)
    assert.is_nil(err)
    assert.equal("slow", bres:tostring())
    assert.equal("close", bres.headers.Connection)
    for _ = 1, 100 do
      if done then break end
      h:sleep(10)
    end
    assert.is_true(done)
    assert.equal(0, serve.nconns)
    -- the idle client sees its connection gone; new connections are refused
    local _, r2 = idle:get("/again")
    assert.truthy(r2 == nil or r2:recv(2000) == errors.CLOSED)
    assert.equal(errors.system.ECONNREFUSED, (h.http:connect(port)))
    idle:close()
    busy:close()
  end)

  it("shutdown force-closes what is still running at the deadline", function()
    local h = levee.Hub()
    local err, serve = h.http:listen({port = 0})
    assert.is_nil(err)
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            h:sleep(10000)
            req.response:send({Status(200), {}, "late"})
          end
        end)
      end
    end)
    local _, c = h.http:connect(serve:port())
    local _, r = c:get("/never")
    h:sleep(5)
    serve:shutdown(20)
    assert.equal(0, serve.nconns)
    assert.equal(errors.CLOSED, (r:recv(2000)))
    c:close()
  end)

  it("the pool reuses keep-alive connections up to its size", function()
    local h = levee.Hub()
    local serve, seen = app(h)
    local pool = h.http:pool("http://127.0.0.1:" .. serve:port(), {size = 2})
    for i = 1, 5 do
      local err, res = pool:get("/p" .. i)
      assert.is_nil(err)
      assert.equal("Hello /p" .. i, res:tostring())
    end
    assert.equal(1, seen.conns)
    -- concurrent users: never more than `size` connections
    local bodies = {}
    for i = 1, 6 do
      h:spawn(function()
        local err, res = pool:get("/slow")
        assert(not err, tostring(err))
        bodies[#bodies + 1] = res:tostring()
      end)
    end
    for _ = 1, 200 do
      if #bodies == 6 then break end
      h:sleep(10)
    end
    assert.equal(6, #bodies)
    assert.equal(2, seen.conns)
    local err, res = pool:post("/echo", {data = "x"})
    assert.is_nil(err)
    assert.equal("POST:x", res:tostring())
    pool:close()
    serve:close()
  end)

  it("leaves no fd registered once everything is closed", function()
    local h = levee.Hub()
    local serve = app(h)
    local res, c = get(h, serve:port(), "/x")
    res:discard()
    c:close()
    serve:shutdown(100)
    -- the server's threads close their fds within a few ticks (not a
    -- number of milliseconds: the hub may be preempted between ticks)
    for _ = 1, 10 do h:continue() end
    assert.is_false(h:in_use())
  end)
end)
