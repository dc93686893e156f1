-- TLS (lua-api.md §5 with its defects fixed, plus alpn, SNI certificates,
-- insecure switches and tls_info): levee against levee, against openssl
-- s_client / s_server, curl and nginx, and against hostile peers. The
-- certificates are made at run time by tests/tls/mkcerts.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local sys = require("levee._")
local TLS = require("levee.net.tls")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local root = here .. "/../.."

local dir = os.tmpname()
os.remove(dir)
assert(os.execute(root .. "/tests/tls/mkcerts " .. dir) == 0, "mkcerts failed")
-- Tests run after this file is loaded: the directory goes when this
-- process ends ($PPID of the shell below is luajit).
os.execute(("(while kill -0 $PPID 2>/dev/null; do sleep 1; done; rm -rf %s) >/dev/null 2>&1 &"):format(dir))
local function path(name) return dir .. "/" .. name end
local function slurp(p)
  local f = assert(io.open(p))
  local s = f:read("*a")
  f:close()
  return s
end

local SERVER = {cert_file = path("server.pem"), key_file = path("server.key")}
local CLIENT = {ca_file = path("ca.pem")}

local function merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b or {}) do t[k] = v end
  return t
end

local peers = dofile(here .. "/peers.lua")
local bg, free_port, await_port = peers.bg, peers.free_port, peers.await_port

-- A TLS echo server: returns the listener.
local function echo_server(h, tls, extra)
  local err, serve = h.stream:listen(merge({port = 0, tls = tls or SERVER}, extra))
  assert(not err, tostring(err))
  serve:spawn_every(function(conn)
    local buf = levee.d.Buffer(4096)
    while not conn:readinto(buf) do
      conn:write(buf:value())
      buf:trim()
    end
    conn:close()
  end)
  return serve
end

local function dial(h, port, tls, extra)
  return h.stream:dial(merge({host = "127.0.0.1", port = port, tls = tls or CLIENT}, extra))
end

-- echoes s through conn; returns what came back
local function roundtrip(conn, s)
  assert(not conn:write(s))
  local buf = levee.d.Buffer(#s)
  local err = conn:readinto(buf, #s)
  assert(not err, tostring(err))
  return buf:take()
end

describe("levee.net.tls", function()
  it("Config builds from every option and reports bad ones as tls.CONFIG", function()
    local err, config = TLS.Config({
      ca = slurp(path("ca.pem")), ca_path = path("capath"), ca_file = path("ca.pem"),
      cert = slurp(path("server.pem")), key = slurp(path("server.key")),
      certs = {{cert_file = path("other.pem"), key_file = path("other.key")}},
      ciphers = "secure", dheparams = "auto", ecdhecurve = "X25519",
      protocols = {"TLSv1.2", "TLSv1_3"}, verify_depth = 4, alpn = {"h2", "http/1.1"},
      server = {prefer_ciphers = "client", verify_client = "optional"},
      insecure = {verify_cert = true, verify_name = true, verify_time = true}})
    assert.is_nil(err)
    local serr, server = config:server()
    assert.is_nil(serr)
    assert.not_nil(server)

    for _, case in ipairs({
      {{verify_depth = "deep"}, "verify_depth"},
      {{protocols = "TLSv9"}, "protocols"},
      {{server = {verify_client = "maybe"}}, "server.verify_client"},
      {{insecure = {verify_cert = "no"}}, "insecure.verify_cert"},
      {{ca_file = "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"},
      {{cert_file = path("server.pem")}, "key"},
      {{certs = {{cert = "x"}}}, "certs[1]"},
      {{f = print}, "tls options"},
    }) do
      local cerr = TLS.Config(case[1])
      assert.equal(errors.tls.CONFIG, cerr)
      assert.truthy(cerr.is_tls_CONFIG)
      assert.truthy(TLS.message():find(case[2], 1, true), TLS.message())
    end
    assert.equal("TLS configuration error (tls.CONFIG)", tostring(errors.tls.CONFIG))
    -- a config without a certificate cannot serve
    local _, bare = TLS.Config({})
    assert.equal(errors.tls.CONFIG, (bare:server()))
  end)

  it("dial and listen with tls: echo, tls_info on both sides", function()
    local h = levee.Hub()
    local serve = echo_server(h, merge(SERVER, {alpn = {"h2", "http/1.1"}}))
    local err, conn = dial(h, serve:port(), merge(CLIENT, {alpn = "http/1.1"}))
    assert.is_nil(err, TLS.message())
    assert.equal("hello", roundtrip(conn, "hello"))
    local ierr, info = conn:tls_info()
    assert.is_nil(ierr)
    assert.equal("TLSv1.3", info.version)
    assert.equal("http/1.1", info.alpn)
    assert.equal("127.0.0.1", info.server_name)
    assert.truthy(info.cipher ~= "")
    assert.truthy(info.peer.subject:find("CN=localhost", 1, true))
    assert.truthy(info.peer.issuer:find("levee test CA", 1, true))
    assert.truthy(info.peer.hash:find("^SHA256:"))
    assert.truthy(info.peer.not_before <= os.time() and os.time() < info.peer.not_after)
    conn:close()
    serve:close()
  end)

  it("the server sees the client's certificate and SNI name", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, tls = merge(SERVER,
      {ca_file = path("ca.pem"), server = {verify_client = true}})})
    assert.is_nil(err)
    local seen
    h:spawn(function()
      local _, conn = serve:recv()
      local _, info = conn:tls_info()
      seen = info
      conn:write("x")
      conn:close()
    end)
    local derr, conn = dial(h, serve:port(), merge(CLIENT,
      {cert_file = path("client.pem"), key_file = path("client.key"), server_name = "localhost"}))
    assert.is_nil(derr, TLS.message())
    local buf = levee.d.Buffer(16)
    assert.is_nil(conn:readinto(buf))
    assert.equal("localhost", seen.server_name)
    assert.truthy(seen.peer.subject:find("levee client", 1, true))
    conn:close()
    serve:close()
  end)

  it("every io method works over TLS", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local err, conn = dial(h, serve:port())
    assert.is_nil(err)
    -- write / read / readn / reads
    assert.is_nil(conn:write("abc"))
    local cbuf = ffi.new("char[16]")
    local rerr, n = conn:readn(cbuf, 3)
    assert.is_nil(rerr)
    assert.equal("abc", ffi.string(cbuf, n))
    conn:write("xyz")
    assert.equal("xyz", conn:reads())
    -- a large write goes out whole (the original's TLS write did not loop)
    local big = ("0123456789abcdef"):rep(65536)
    h:spawn(function() assert.is_nil(conn:write(big)) end)
    local buf = levee.d.Buffer()
    assert.is_nil(conn:readinto(buf, #big))
    assert.equal(#big, #buf)
    assert.equal(big, buf:take())
    -- writev through an Iovec
    local iov = levee.d.Iovec(4)
    iov:write("one ")
    iov:write("two ")
    iov:write("three")
    local werr = conn:writev(iov.iov, iov.n)
    assert.is_nil(werr)
    assert.is_nil(conn:readinto(buf, 13))
    assert.equal("one two three", buf:take())
    -- the iov() sender
    local _, sender = conn:iov()
    sender:send("queued ")
    sender:send("bytes")
    assert.is_nil(conn:readinto(buf, 12))
    assert.equal("queued bytes", buf:take())
    -- Stream, Chunk and .p on top
    local s = conn:stream()
    conn:write("line one\nrest")
    local lerr, line = s:line()
    assert.is_nil(lerr)
    assert.equal("line one", line)
    assert.equal("rest", s:take(4))
    conn:write('{"a": [1, 2]}')
    local jerr, value = s:json()
    assert.is_nil(jerr)
    assert.equal(2, value.a[2])
    conn:write("0123456789")
    local chunk = s:chunk(10)
    assert.equal("0123456789", chunk:tostring())
    conn:close()
    serve:close()
  end)

  it("sendfile and chunk splice copy through the TLS stream", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local _, conn = dial(h, serve:port())
    local name = os.tmpname()
    local f = io.open(name, "w")
    local data = ("sendfile "):rep(20000)
    f:write(data)
    f:close()
    local oerr, file = h.io:open(name)
    assert.is_nil(oerr)
    local serr, sent = file:sendfile(conn, #data)
    assert.is_nil(serr)
    assert.equal(#data, sent)
    local buf = levee.d.Buffer()
    assert.is_nil(conn:readinto(buf, #data))
    assert.equal(data, buf:take())
    file:close()
    os.remove(name)
    -- a chunk of one TLS stream spliced into a plain pipe
    local r, w = h.io:pipe()
    conn:write(("s"):rep(100000))
    local s = conn:stream()
    h:spawn(function()
      local e, spliced = s:chunk(100000):splice(w)
      assert.is_nil(e)
      assert.equal(100000, spliced)
      w:close()
    end)
    local out = levee.d.Buffer()
    assert.is_nil(r:readinto(out, 100000))
    assert.equal(("s"):rep(100000), out:take())
    r:close()
    conn:close()
    serve:close()
  end)

  it("reads never hang: data and close_notify arrive together", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, tls = SERVER})
    assert.is_nil(err)
    h:spawn(function()
      local _, conn = serve:recv()
      conn:write("last words")
      conn:close()
    end)
    local _, conn = dial(h, serve:port(), nil, {timeout = 2000})
    local buf = levee.d.Buffer(64)
    assert.is_nil(conn:readinto(buf, 10))
    assert.equal("last words", buf:take())
    assert.equal(errors.CLOSED, conn:readinto(buf))
    serve:close()
  end)

  it("refuses a wrong name, an expired certificate and an unknown CA", function()
    local h = levee.Hub()
    for _, case in ipairs({{"wrongname", "127.0.0.1"}, {"server", "example.com"},
        {"expired", "localhost"}, {"rogue", "localhost"}}) do
      local serve = echo_server(h, {cert_file = path(case[1] .. ".pem"), key_file = path(case[1] .. ".key")})
      local err, conn = dial(h, serve:port(), merge(CLIENT, {server_name = case[2]}))
      assert.equal(errors.tls.VERIFY, err, case[1])
      assert.is_nil(conn)
      assert.truthy(err.is_tls_VERIFY)
      assert.truthy(#TLS.message() > 0)
      -- the default: the system's CAs, which do not know the test CA
      err = dial(h, serve:port(), {})
      assert.equal(errors.tls.VERIFY, err)
      serve:close()
    end
  end)

  it("insecure switches turn one check off each", function()
    local h = levee.Hub()
    local serve = echo_server(h, {cert_file = path("expired.pem"), key_file = path("expired.key")})
    local err, conn = dial(h, serve:port(), merge(CLIENT, {insecure = {verify_time = false}}))
    assert.is_nil(err, TLS.message())
    assert.equal("ok", roundtrip(conn, "ok"))
    conn:close()
    err = dial(h, serve:port(), merge(CLIENT, {insecure = {verify_name = false}}))
    assert.equal(errors.tls.VERIFY, err)
    serve:close()
    serve = echo_server(h, {cert_file = path("rogue.pem"), key_file = path("rogue.key")})
    err, conn = dial(h, serve:port(), merge(CLIENT, {insecure = {verify_cert = false}}))
    assert.is_nil(err, TLS.message())
    conn:close()
    serve:close()
  end)

  it("a required client certificate: refused without, the listener goes on", function()
    local h = levee.Hub()
    local serve = echo_server(h, merge(SERVER, {ca_file = path("ca.pem"), server = {verify_client = true}}))
    -- TLS 1.3: the client finishes first and learns of the refusal on read
    local err, conn = dial(h, serve:port(), CLIENT, {timeout = 2000})
    if not err then
      conn:write("x")
      local buf = levee.d.Buffer(8)
      err = conn:readinto(buf)
      conn:close()
    end
    assert.equal(errors.CLOSED, err)
    local cerr, good = dial(h, serve:port(), merge(CLIENT,
      {cert_file = path("client.pem"), key_file = path("client.key")}))
    assert.is_nil(cerr, TLS.message())
    assert.equal("after", roundtrip(good, "after"))
    good:close()
    serve:close()
  end)

  it("SNI chooses among the server's certificates", function()
    local h = levee.Hub()
    local serve = echo_server(h, merge(SERVER, {certs = {{cert_file = path("other.pem"),
      key_file = path("other.key")}}}))
    for _, name in ipairs({"other.test", "localhost"}) do
      local err, conn = dial(h, serve:port(), merge(CLIENT, {server_name = name}))
      assert.is_nil(err, TLS.message())
      local _, info = conn:tls_info()
      assert.truthy(info.peer.subject:find("CN=" .. name, 1, true), info.peer.subject)
      conn:close()
    end
    serve:close()
  end)

  it("the original API: Config, server():upgrade, upgrade, handshake", function()
    local h = levee.Hub()
    local err, plain = h.stream:listen({port = 0})
    assert.is_nil(err)
    local _, sconfig = TLS.Config(SERVER)
    local _, server = sconfig:server()
    h:spawn(function()
      local _, rw = plain:recv()
      local uerr, conn = server:upgrade(rw)
      assert.is_nil(uerr)
      assert.equal(rw, conn)
      assert.is_nil(conn:handshake())
      local buf = levee.d.Buffer(16)
      conn:readinto(buf, 4)
      conn:write(buf:take())
      conn:close()
    end)
    local derr, rw = h.stream:dial({port = plain:port()})
    assert.is_nil(derr)
    local _, config = TLS.Config(CLIENT)
    local uerr, conn = config:upgrade(rw, "localhost")
    assert.is_nil(uerr)
    local herr, rc = conn:handshake()
    assert.is_nil(herr)
    assert.equal(0, rc)
    assert.equal("ping", roundtrip(conn, "ping"))
    assert.equal(errors.system.EALREADY, (config:upgrade(conn, "localhost")))
    conn:close()
    plain:close()
  end)

  it("h.http serves and connects over TLS (keep-alive, large bodies)", function()
    local h = levee.Hub()
    local err, serve = h.http:listen({port = 0, tls = SERVER})
    assert.is_nil(err)
    h:spawn(function()
      for conn in serve do
        h:spawn(function()
          for req in conn do
            req.response:send({levee.HTTPStatus(200), {}, ("x"):rep(100000) .. req.path})
          end
        end)
      end
    end)
    local _, ep = serve:addr()
    local cerr, c = h.http:connect({port = ep:port(), tls = CLIENT, timeout = 5000})
    assert.is_nil(cerr, TLS.message())
    for i = 1, 3 do
      local rerr, r = c:get("/" .. i)
      assert.is_nil(rerr)
      local _, resp = r:recv()
      assert.equal(200, resp.code)
      assert.equal(("x"):rep(100000) .. "/" .. i, resp:tostring())
    end
    c:close()
    serve:close()
  end)

  it("a listener survives garbage, a stalled handshake and a reset mid-record", function()
    local h = levee.Hub()
    local serve = echo_server(h, merge(SERVER, {handshake_timeout = 300}))
    local port = serve:port()
    -- garbage instead of a ClientHello: that connection is dropped
    local _, junk = h.stream:dial({port = port})
    junk:write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    local buf = levee.d.Buffer(64)
    assert.equal(errors.CLOSED, junk:readinto(buf))
    -- a stalled handshake holds up nobody, and is dropped at its timeout
    local _, staller = h.stream:dial({port = port})
    staller:write("\22\3\1\2\0\1")  -- a record header and one byte, then silence
    local err, conn = dial(h, port)
    assert.is_nil(err, TLS.message())
    assert.equal("served", roundtrip(conn, "served"))
    conn:close()
    staller.timeout = 5000
    assert.equal(errors.CLOSED, staller:readinto(buf))
    -- a reset in the middle of a record
    local _, resetter = h.stream:dial({port = port})
    resetter:write("\22\3\1\2\0\1\0\1\252\3\3")
    resetter:sockopt("linger", 0)
    resetter:close()
    h:sleep(20)
    err, conn = dial(h, port)
    assert.is_nil(err, TLS.message())
    assert.equal("still", roundtrip(conn, "still"))
    conn:close()
    serve:close()
  end)

  it("1000 failed handshakes leak no fd and the listener goes on", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local port = serve:port()
    local before = sys.fdcount()
    local buf = levee.d.Buffer(64)
    for _ = 1, 1000 do
      local err, c = h.stream:dial({port = port})
      assert.is_nil(err)
      c:write("\22\3\1\0\5hello")
      -- the server may send an alert before it closes
      local rerr
      repeat rerr = c:readinto(buf) until rerr
      assert.equal(errors.CLOSED, rerr)
    end
    h:sleep(50)
    assert.equal(before, sys.fdcount())
    local err, conn = dial(h, port)
    assert.is_nil(err, TLS.message())
    assert.equal("alive", roundtrip(conn, "alive"))
    conn:close()
    serve:close()
    h:sleep(20)
  end)

  it("openssl s_client and curl --cacert talk to a levee server", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, tls = merge(SERVER, {alpn = "http/1.1"})})
    assert.is_nil(err)
    serve:spawn_every(function(conn)
      local buf = levee.d.Buffer(4096)
      local s = conn:stream()
      local rerr = conn:readinto(buf, 1)
      if rerr then return conn:close() end
      if buf:peek(3) == "GET" then
        while not buf:peek():find("\r\n\r\n", 1, true) do
          if conn:readinto(buf) then return conn:close() end
        end
        conn:write("HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\nhello from levee\n")
      else
        conn:write("greetings " .. buf:take() .. "\n")
      end
      conn:close()
    end)
    local port = serve:port()
    local job = bg(h, ("printf 'x' | timeout 10 openssl s_client -connect 127.0.0.1:%d -CAfile %s " ..
      "-servername localhost -verify_return_error -quiet"):format(port, path("ca.pem")))
    local out, rc = job.wait()
    assert.equal(0, rc, out)
    assert.truthy(out:find("greetings x", 1, true), out)
    job = bg(h, ("timeout 10 curl -s --cacert %s -w ' %%{http_version}' https://127.0.0.1:%d/"):format(
      path("ca.pem"), port))
    out, rc = job.wait()
    assert.equal(0, rc, out)
    assert.equal("hello from levee\n 1.1", out)
    -- curl refuses the server without the CA
    job = bg(h, ("timeout 10 curl -s https://127.0.0.1:%d/"):format(port))
    out, rc = job.wait()
    assert.equal(60, rc)  -- curl: peer certificate cannot be authenticated
    serve:close()
  end)

  it("the levee client against openssl s_server", function()
    local h = levee.Hub()
    local port = free_port(h)
    local job = bg(h, ("timeout 10 openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -www -naccept 2 -quiet"):format(
      port, path("server.pem"), path("server.key")))
    await_port(h, port)  -- uses the first of the two accepts
    local err, conn = dial(h, port, merge(CLIENT, {server_name = "localhost"}), {timeout = 5000})
    assert.is_nil(err, TLS.message())
    conn:write("GET / HTTP/1.0\r\n\r\n")
    local buf = levee.d.Buffer(4096)
    while not conn:readinto(buf) do end
    assert.truthy(buf:peek():find("^HTTP/1.0 200 ok"), buf:peek(60))
    job.wait()
  end)

  it("the levee client against nginx serving TLS, also by an https:// URL", function()
    local h = levee.Hub()
    local port = free_port(h)
    local ndir = os.tmpname()
    os.remove(ndir)
    os.execute("mkdir -p " .. ndir .. "/www " .. ndir .. "/tmp")
    local f = io.open(ndir .. "/www/hello.txt", "w")
    f:write("hello from nginx\n")
    f:close()
    f = io.open(ndir .. "/nginx.conf", "w")
    f:write(([[
daemon off;
master_process off;
worker_processes 1;
pid %s/nginx.pid;
error_log %s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %s/tmp; proxy_temp_path %s/tmp; fastcgi_temp_path %s/tmp;
  uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;
  server {
    listen 127.0.0.1:%d ssl;
    ssl_certificate %s; ssl_certificate_key %s;
    root %s/www;
  }
}
]]):format(ndir, ndir, ndir, ndir, ndir, ndir, ndir, port, path("server.pem"), path("server.key"), ndir))
    f:close()
    local job = bg(h, ("timeout 20 nginx -p %s -c %s/nginx.conf -e %s/error.log"):format(ndir, ndir, ndir))
    await_port(h, port)
    local function get(err, conn)
      assert.is_nil(err, TLS.message())
      conn:write("GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
      local buf = levee.d.Buffer(4096)
      while not conn:readinto(buf) do end
      return buf:peek()
    end
    local body = get(dial(h, port, CLIENT, {timeout = 5000}))
    assert.truthy(body:find("^HTTP/1.1 200 OK"), body)
    assert.truthy(body:find("hello from nginx\n", 1, true))
    body = get(h.stream:dial(("https://127.0.0.1:%d"):format(port), {tls = CLIENT}))
    assert.truthy(body:find("hello from nginx\n", 1, true))
    -- nginx's certificate does not name "wrong.test"
    local err = h.stream:dial(("https://127.0.0.1:%d"):format(port),
      {tls = merge(CLIENT, {server_name = "wrong.test"})})
    assert.equal(errors.tls.VERIFY, err)
    -- an https:// URL alone is TLS with the system's CAs: refused, never plaintext
    err = h.stream:dial(("https://127.0.0.1:%d"):format(port))
    assert.equal(errors.tls.VERIFY, err)
    os.execute(("kill $(cat %s/nginx.pid)"):format(ndir))
    job.wait()
    os.execute("rm -rf " .. ndir)
  end)
end)

