-- h.stream options and URLs (lua-api.md §4 "Option parsing", issue 12
-- item 5, issue 11 item 4): one parser for dial/connect/listen, URLs with
-- the schemes levee serves, the tls hook, and clear errors for bad
-- arguments (Lua errors for programming mistakes, levee errors with a
-- description where the original returned err).
local levee = require("levee")
local errors = levee.errors
local stream = require("levee.net.stream")

local function parse(...) return stream.options("h.stream:dial", ...) end

-- The message of the Lua error f raises.
local function raises(f, ...)
  local ok, msg = pcall(f, ...)
  assert.is_false(ok)
  return tostring(msg)
end

describe("h.stream option parsing", function()
  it("positional arguments are port, host, timeout, connect_timeout", function()
    local o = parse(8000, "10.0.0.1", 50, 20)
    assert.same({port = 8000, host = "10.0.0.1", timeout = 50, connect_timeout = 20}, o)
  end)

  it("a table is used as it is", function()
    local t = {port = 1, host = "h", unix = nil, async = true, nodelay = true}
    assert.equal(t, parse(t))
  end)

  it("a URL gives scheme, host and port; an extra table adds options", function()
    local o = parse("tcp://127.0.0.1:9000", {timeout = 5})
    assert.same({scheme = "tcp", host = "127.0.0.1", port = 9000, timeout = 5}, o)
    o = parse("http://[::1]:81/some/path")
    assert.same({scheme = "http", host = "::1", port = 81}, o)
  end)

  it("http and ws default to port 80, https and wss to 443", function()
    assert.equal(80, parse("http://example.com").port)
    assert.equal(80, parse("ws://example.com/chat").port)
    assert.equal(443, parse("https://example.com").port)
    assert.equal(443, parse("wss://example.com").port)
  end)

  it("https, wss and tls mean TLS with server_name set to the host unless given", function()
    assert.same({server_name = "example.com"}, parse("https://example.com").tls)
    assert.same({server_name = "example.com"}, parse("tls://example.com:5000").tls)
    assert.same({server_name = "other"}, parse("wss://example.com", {tls = {server_name = "other"}}).tls)
    assert.is_nil(parse("http://example.com").tls)
  end)

  it("unix URLs name a socket path", function()
    assert.equal("/tmp/x.sock", parse("unix:///tmp/x.sock").unix)
    assert.equal("@abstract", parse("unix://@abstract").unix)
  end)

  it("a scheme levee cannot serve is an error, never a plaintext connection", function()
    for _, url in ipairs({"ftp://example.com", "imaps://example.com:993", "udp://127.0.0.1:53",
      "foo://bar:1", "://nohost"}) do
      local o, err, detail = parse(url)
      assert.is_nil(o)
      assert.equal(errors.system.EPROTONOSUPPORT, err, url)
      assert.truthy(detail:find("is not served", 1, true), detail)
    end
  end)

  it("a URL without host or port is a levee error that says so", function()
    local _, err, detail = parse("tcp://127.0.0.1")
    assert.equal(errors.system.EINVAL, err)
    assert.truthy(detail:find("no port", 1, true))
    _, err, detail = parse("http://:80")
    assert.equal(errors.system.EINVAL, err)
    assert.truthy(detail:find("no host", 1, true))
    _, err = parse("http://host:8o")
    assert.equal(errors.system.EINVAL, err)
  end)

  it("ports outside 0..65535 are errors.addr.ENONAME, with a description", function()
    for _, port in ipairs({70000, -1, 1.5, "65536"}) do
      local o, err, detail = parse({port = port})
      assert.is_nil(o)
      assert.equal(errors.addr.ENONAME, err, tostring(port))
      assert.truthy(detail:find("outside 0..65535", 1, true))
    end
    assert.equal(65535, parse({port = 65535}).port)
    assert.equal("http", parse({port = "http"}).port)  -- a service name
  end)

  it("an empty host or unix path is a levee error", function()
    local _, err = parse({host = "", port = 1})
    assert.equal(errors.system.EINVAL, err)
    _, err = parse({unix = ""})
    assert.equal(errors.system.EINVAL, err)
  end)

  it("unknown option names and wrong types raise Lua errors naming them", function()
    assert.truthy(raises(parse, {port = 1, bogus = 2}):find("unknown option bogus", 1, true))
    assert.truthy(raises(parse, {port = {}}):find("port must be", 1, true))
    assert.truthy(raises(parse, {port = 1, host = 7}):find("host must be a string", 1, true))
    assert.truthy(raises(parse, {port = 1, timeout = "soon"}):find("timeout must be", 1, true))
    assert.truthy(raises(parse, {port = 1, timeout = -5}):find("timeout must be", 1, true))
    assert.truthy(raises(parse, {port = 1, async = 1}):find("async must be a boolean", 1, true))
    assert.truthy(raises(parse, {port = 1, nodelay = "yes"}):find("nodelay must be", 1, true))
    assert.truthy(raises(parse, {port = 1, tls = "on"}):find("tls must be a table", 1, true))
    assert.truthy(raises(parse, "http://x", 5):find("must be a table", 1, true))
  end)
end)

describe("h.stream dial and listen arguments", function()
  it("listen refuses a port outside 0..65535 instead of wrapping it", function()
    local h = levee.Hub()
    local err, serve, detail = h.stream:listen(70000)
    assert.equal(errors.addr.ENONAME, err)
    assert.is_nil(serve)
    assert.truthy(detail:find("70000", 1, true))
    assert.is_false(h:in_use())
  end)

  it("dial without a port is an error that says so, not a refused connection", function()
    local h = levee.Hub()
    local err, conn, detail = h.stream:dial()
    assert.equal(errors.system.EINVAL, err)
    assert.is_nil(conn)
    assert.truthy(detail:find("no port", 1, true))
    err = h.stream:dial({host = "127.0.0.1"})
    assert.equal(errors.system.EINVAL, err)
  end)

  it("unknown options raise at the call site", function()
    local h = levee.Hub()
    local ok, msg = pcall(function()
      local err = h.stream:listen({port = 0, backlgo = 10})
      return err
    end)
    assert.is_false(ok)
    assert.truthy(msg:find("net_options_spec.lua", 1, true), msg)
    assert.truthy(msg:find("unknown option backlgo", 1, true), msg)
    assert.is_false(h:in_use())
  end)

  it("EADDRINUSE names the address in the third value", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local port = serve:port()
    local err, second, detail = h.stream:listen(port)
    assert.equal(errors.system.EADDRINUSE, err)
    assert.is_nil(second)
    assert.truthy(detail:find("127.0.0.1:" .. port, 1, true), detail)
    serve:close()
  end)

  it("a refused dial names the address it tried", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local port = serve:port()
    serve:close()
    h:sleep(1)  -- the hub closes the listener's fd on the next tick
    local err, _, detail = h.stream:dial(port)
    assert.equal(errors.system.ECONNREFUSED, err)
    assert.truthy(detail:find("127.0.0.1:" .. port, 1, true), detail)
  end)

  it("dial with tls is refused until TLS is built in, and sends nothing in plaintext", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local got
    h:spawn(function()
      local _, conn = serve:recv()
      local buf = levee.d.Buffer(64)
      got = conn:readinto(buf) or #buf
    end)
    local err, conn, detail = h.stream:dial({port = serve:port(), tls = {}})
    assert.equal(errors.tls.GENERIC, err)
    assert.is_nil(conn)
    assert.equal("TLS is not available in this build", detail)
    h:sleep(20)
    assert.equal(errors.CLOSED, got)  -- the server read nothing: EOF
    serve:close()
  end)

  it("an https URL never connects in plaintext", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local err = h.stream:dial("https://127.0.0.1:" .. serve:port())
    assert.is_true(err == errors.tls.GENERIC)
    serve:close()
  end)

  it("listen with tls is refused before anything is bound", function()
    local h = levee.Hub()
    local err, serve, detail = h.stream:listen({port = 0, tls = {}})
    assert.equal(errors.tls.GENERIC, err)
    assert.is_nil(serve)
    assert.truthy(detail:find("TLS", 1, true))
    assert.is_false(h:in_use())
  end)

  it("listen takes a backlog and h.http options pass through to it", function()
    local h = levee.Hub()
    local err, serve = h.stream:listen({port = 0, backlog = 4})
    assert.is_nil(err)
    serve:close()
  end)
end)

describe("h.dgram arguments", function()
  it("a port outside 0..65535 is errors.addr.ENONAME, a wrong type raises", function()
    local h = levee.Hub()
    local err, d, detail = h.dgram:bind(70000)
    assert.equal(errors.addr.ENONAME, err)
    assert.is_nil(d)
    assert.truthy(detail:find("70000", 1, true))
    assert.equal(errors.addr.ENONAME, (h.dgram:listen(-2)))
    local ok, msg = pcall(h.dgram.bind, h.dgram, {})
    assert.is_false(ok)
    assert.truthy(msg:find("port must be", 1, true))
    ok, msg = pcall(h.dgram.dial, h.dgram, 53, 127)
    assert.is_false(ok)
    assert.truthy(msg:find("host must be a string", 1, true))
    assert.is_false(h:in_use())
  end)

  it("dial needs a port", function()
    local h = levee.Hub()
    local err, conn, detail = h.dgram:dial()
    assert.equal(errors.system.EINVAL, err)
    assert.is_nil(conn)
    assert.truthy(detail:find("no port", 1, true))
  end)
end)
