-- h.stream over TCP (IPv4, IPv6) and unix sockets, against real peers on
-- loopback: socat, Python's socket module, and levee itself.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local sys = require("levee._")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local root = here .. "/../.."

local function echo_server(h, opts)
  local err, serve = h.stream:listen(opts or {port = 0})
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

describe("h.stream", function()
  it("echo server answered by socat", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local port = serve:port()
    local r, w = h.io:pipe()
    -- socat runs as a child process writing its answer into our pipe.
    local cmd = ("printf 'ping' | timeout 5 socat -t 1 - TCP:127.0.0.1:%d >&%d"):format(port, 1)
    local child = io.popen(("(%s) &"):format(cmd .. " > /tmp/levee-socat-" .. port))
    child:close()
    local got
    for _ = 1, 200 do
      h:sleep(10)
      local f = io.open("/tmp/levee-socat-" .. port)
      if f then got = f:read("*a") f:close() end
      if got == "ping" then break end
    end
    os.remove("/tmp/levee-socat-" .. port)
    assert.equal("ping", got)
    serve:close()
  end)

  it("echo server answered by Python's socket module", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local out = "/tmp/levee-py-" .. serve:port()
    os.execute(([[(timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", %d))
s.sendall(b"hello from python")
data = b""
while len(data) < 17:
    data += s.recv(100)
open(sys.argv[1], "wb").write(data)
' %s) &]]):format(serve:port(), out))
    local got
    for _ = 1, 200 do
      h:sleep(10)
      local f = io.open(out)
      if f then got = f:read("*a") f:close() end
      if got == "hello from python" then break end
    end
    os.remove(out)
    assert.equal("hello from python", got)
    serve:close()
  end)

  it("dials and echoes over IPv4, IPv6 and unix sockets", function()
    local h = levee.Hub()
    local path = os.tmpname()
    for _, opts in ipairs({{port = 0}, {host = "::1", port = 0}, {unix = path}, {unix = "@levee-test-" .. path:match("[^/]+$")}}) do
      local serve = echo_server(h, opts)
      local err, conn
      if opts.unix then err, conn = h.stream:dial({unix = opts.unix})
      else err, conn = h.stream:dial({host = opts.host, port = serve:port()}) end
      assert.is_nil(err)
      conn:write("abc")
      assert.equal("abc", conn:reads())
      local _, peer = conn:peername()
      if opts.host == "::1" then assert.equal("::1", peer:host()) end
      if opts.unix then assert.equal(opts.unix, tostring(peer)) end
      conn:close()
      serve:close()
    end
    h:sleep(5)
    assert.is_false(h:in_use())
    -- an abstract name leaves no file behind
    local f = io.open("@levee-test-" .. path:match("[^/]+$"))
    if f then f:close() end
    assert.is_nil(f)
  end)

  it("accepts positional and URI forms, and service names for ports", function()
    local h = levee.Hub()
    local serve = echo_server(h)
    local port = serve:port()
    local err, c1 = h.stream:dial(port, "127.0.0.1")
    assert.is_nil(err)
    local err2, c2 = h.stream:connect("tcp://127.0.0.1:" .. port)
    assert.is_nil(err2)
    assert.equal(port, c2.options.port)
    c1:close() c2:close()
    local _, eps = sys.resolve("localhost", "http", 0, 1)
    assert.equal(80, eps[1]:port())
    serve:close()
  end)

  it("listener recv, iteration, addr, port and close", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    assert.is_nil(err)
    local _, addr = serve:addr()
    assert.equal("127.0.0.1", addr:host())
    assert.equal(serve:port(), addr:port())
    h:spawn(function() for _ = 1, 2 do local _, c = h.stream:dial(serve:port()) c:close() end end)
    local n = 0
    for conn in serve do
      n = n + 1
      conn:close()
      if n == 2 then break end
    end
    assert.equal(2, n)
    assert.is_true(serve:close())
    assert.is_nil(serve:close())
    assert.equal(errors.CLOSED, (serve:recv()))
  end)

  it("a refused connection is ECONNREFUSED and a read times out", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    local port = serve:port()
    serve:close()
    h:continue()
    assert.equal(errors.system.ECONNREFUSED, (h.stream:dial(port)))
    local serve2 = echo_server(h)
    local _, conn = h.stream:dial({port = serve2:port(), timeout = 20})
    local buf = ffi.new("char[8]")
    assert.equal(errors.TIMEOUT, (conn:read(buf, 8)))
    conn:write("still usable")
    assert.equal("still usable", conn:reads())
    conn:close() serve2:close()
  end)

  it("connect_timeout gives TIMEOUT when the listener's queue is full, leaking nothing", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, backlog = 0})
    assert.is_nil(err)
    local conns, timeouts = {}, 0
    for _ = 1, 4 do  -- the kernel queues one connection, then drops SYNs
      local e, c = h.stream:dial({port = serve:port(), connect_timeout = 50})
      if e then
        assert.equal(errors.TIMEOUT, e)
        timeouts = timeouts + 1
      else
        conns[#conns + 1] = c
      end
    end
    assert.truthy(timeouts >= 1)
    for _, c in ipairs(conns) do c:close() end
    serve:close()
    h:continue()
    assert.is_false(h:in_use())
  end)

  it("half-close: the peer reads to EOF while the closer can still read", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    local body, ended = {}, nil
    h:spawn(function()
      local _, conn = serve:recv()
      conn:write("welcome")
      local s = conn:stream()
      while true do
        local e = s:readin()
        if e then ended = e break end
        body[#body + 1] = s:take()
      end
    end)
    local _, c = h.stream:dial(serve:port())
    c:write("request")
    assert.is_nil(c:shutdown("w"))
    assert.equal("welcome", c:reads())
    h:sleep(20)
    assert.equal("request", table.concat(body))
    assert.equal(errors.CLOSED, ended)  -- EOF closes the reading io (§3)
    c:close() serve:close()
  end)

  it("a peer that resets mid-stream ends reads with CLOSED", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    h:spawn(function()
      local _, conn = serve:recv()
      conn:write("partial")
      conn:sockopt("linger", 0)  -- close sends RST
      conn:close()
    end)
    local _, c = h.stream:dial(serve:port())
    local s = c:stream()
    local got = {}
    while true do
      local e = s:readin()
      if e then
        assert.equal(errors.CLOSED, e)
        break
      end
      got[#got + 1] = s:take()
    end
    assert.equal("partial", table.concat(got):sub(1, 7))
    serve:close()
  end)

  it("writing to a vanished peer returns a system error, never a signal", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0})
    h:spawn(function() local _, conn = serve:recv() conn:close() end)
    local _, c = h.stream:dial(serve:port())
    h:sleep(20)
    local werr
    for _ = 1, 100 do
      werr = c:write(("x"):rep(65536))
      if werr then break end
    end
    assert.truthy(werr == errors.system.EPIPE or werr == errors.system.ECONNRESET)
    serve:close()
  end)

  it("socket options by name, on listeners and connections", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, sockopts = {reuseport = true}})
    assert.is_nil(err)
    assert.same({nil, 1}, {serve:sockopt("reuseport")})
    local _, c = h.stream:dial(serve:port())
    assert.is_nil(c:sockopt("nodelay", true))
    assert.same({nil, 1}, {c:sockopt("nodelay")})
    assert.equal(errors.system.ENOPROTOOPT, (c:sockopt("no-such-option", 1)))
    c:close() serve:close()
  end)

  it("listen and dial take socket options as top-level names", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, reuseport = true, rcvbuf = 65536})
    assert.is_nil(err)
    assert.same({nil, 1}, {serve:sockopt("reuseport")})
    -- a second listener on the same port, as several hubs would share it
    local err2, serve2 = h.stream:listen({port = serve:port(), reuseport = true})
    assert.is_nil(err2)
    local _, c = h.stream:dial({port = serve:port(), nodelay = true, keepalive = true})
    assert.same({nil, 1}, {c:sockopt("nodelay")})
    assert.same({nil, 1}, {c:sockopt("keepalive")})
    local _, plain = h.stream:dial({port = serve:port()})
    assert.same({nil, 0}, {plain:sockopt("nodelay")})
    c:close() plain:close() serve:close() serve2:close()
  end)

  it("passes an fd between two processes over a unix socket", function()
    local h = levee.Hub()
    local path = os.tmpname()
    local file = os.tmpname()
    local f = io.open(file, "w") f:write("passed through SCM_RIGHTS") f:close()
    local err, serve = h.stream:listen({unix = path})
    assert.is_nil(err)
    os.execute(([[(timeout 10 luajit -e '
package.path = "%s/bindings/luajit/?.lua;%s/bindings/luajit/?/init.lua;" .. package.path
local ffi = require("ffi")
local levee = require("levee")
pcall(ffi.cdef, "int open(const char *path, int flags, ...);")
local h = levee.Hub()
local _, conn = h.stream:dial({unix = "%s"})
local fd = ffi.C.open("%s", 0)
assert(not conn:sendfd(fd, "file"))
h:sleep(50)
') &]]):format(root, root, path, file))
    local _, conn = serve:recv()
    local rerr, fd, data = conn:recvfd()
    assert.is_nil(rerr)
    assert.equal("file", data)
    assert.truthy(fd >= 0)
    local got = h.io:r(fd):reads()
    assert.equal("passed through SCM_RIGHTS", got)
    conn:close() serve:close()
    os.remove(file)
  end)

  it("accept at the fd limit waits instead of crashing, then accepts", function()
    local script = ([[
package.path = "%s/bindings/luajit/?.lua;%s/bindings/luajit/?/init.lua;" .. package.path
local ffi = require("ffi")
local levee = require("levee")
ffi.cdef("struct lv_rlimit { uint64_t cur, max; }; int getrlimit(int, struct lv_rlimit *); int setrlimit(int, const struct lv_rlimit *); int dup(int); int close(int);")
local h = levee.Hub()
local _, serve = h.stream:listen({port = 0})
serve.backoff_ms = 10
local lim = ffi.new("struct lv_rlimit"); ffi.C.getrlimit(7, lim)
lim.cur = 64; assert(ffi.C.setrlimit(7, lim) == 0)
local spare = {}
while true do local fd = ffi.C.dup(0) if fd < 0 then break end spare[#spare + 1] = fd end
os.execute("(timeout 5 /usr/bin/python3 -c \"import socket,time; s=socket.create_connection(('127.0.0.1', " .. serve:port() .. ")); time.sleep(2)\") &")
h:spawn(function() h:sleep(300) for _, fd in ipairs(spare) do ffi.C.close(fd) end end)
local err, conn = serve:recv()
print(err == nil and "accepted after EMFILE" or tostring(err))
]]):format(root, root)
    local p = io.popen("timeout 20 luajit -e '" .. script:gsub("'", "'\\''") .. "' 2>&1")
    local out = p:read("*a")
    p:close()
    assert.matches("accepted after EMFILE", out)
  end)
end)
