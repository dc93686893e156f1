-- h.dialer (lua-api.md §4): dial(family, socktype, node, service[,
-- timeout[, async]]) -> err, {hub, no, r_ev, w_ev}.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local C = ffi.C

describe("h.dialer", function()
  it("connects a TCP socket and returns the raw registered table", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local err, conn = h.dialer:dial(C.AF_INET, C.SOCK_STREAM, "127.0.0.1", serve:port())
    assert.is_nil(err)
    assert.equal(h, conn.hub)
    assert.is_true(conn.no > 2)
    assert.not_nil(conn.r_ev)
    assert.not_nil(conn.w_ev)
    assert.is_nil(getmetatable(conn))
    local _, peer = serve:recv()
    setmetatable(conn, h.io.RW_mt)
    assert.is_nil((conn:write("ping")))
    local buf = levee.d.Buffer(16)
    assert.is_nil(peer:readinto(buf, 4))
    assert.equal("ping", buf:peek())
    conn:close()
    peer:close()
    serve:close()
  end)

  it("takes family and socktype names, service names and string ports", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local err, conn = h.dialer:dial("inet", "stream", "localhost", tostring(serve:port()))
    assert.is_nil(err)
    h:unregister(conn.no)
    serve:close()
  end)

  it("dials UDP (connect without a handshake)", function()
    local h = levee.Hub()
    local _, r = h.dgram:listen(0)
    local ep = select(2, require("levee.core.io").sockname(r.no))
    local err, conn = h.dialer:dial("inet", "dgram", "127.0.0.1", ep:port())
    assert.is_nil(err)
    setmetatable(conn, h.io.RW_mt)
    conn:write("dgram")
    local buf = ffi.new("char[16]")
    local rerr, n = r:read(buf, 16)
    assert.is_nil(rerr)
    assert.equal("dgram", ffi.string(buf, n))
    conn:close()
    r:close()
  end)

  it("reports refused connections and unknown names", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local port = serve:port()
    serve:close()
    h:sleep(5) -- the listening fd is closed on the next tick
    assert.equal(errors.system.ECONNREFUSED, (h.dialer:dial("inet", "stream", "127.0.0.1", port)))
    assert.equal(errors.addr.ENONAME, (h.dialer:dial("inet", "stream", "no-such-host.invalid", 80)))
  end)

  it("async resolves locally and refuses ports outside 0..65535", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen(0)
    local err, conn = h.dialer:dial("inet", "stream", nil, serve:port(), nil, true)
    assert.is_nil(err)
    h:unregister(conn.no)
    assert.equal(errors.addr.ENONAME, (h.dialer:dial("inet", "stream", "127.0.0.1", 70000, nil, true)))
    assert.equal(errors.addr.ENONAME, (h.dialer:dial("inet", "stream", "127.0.0.1", "no-such-svc", nil, true)))
    assert.equal(errors.addr.EFAMILY, (h.dialer:dial("inet6", "stream", "127.0.0.1", 80, nil, true)))
    h.dialer.defaults.async = true
    err, conn = h.dialer:dial("inet", "stream", "127.0.0.1", serve:port())
    assert.is_nil(err)
    h:unregister(conn.no)
    serve:close()
  end)

  it("a connect timeout is errors.TIMEOUT and leaves no fd behind", function()
    local h = levee.Hub()
    -- A listener with a full backlog never completes more handshakes.
    local _, serve = h.stream:listen{port = 0, backlog = 0}
    local port = serve:port()
    local before = levee._.fdcount()
    local saw_timeout = false
    local open = {}
    for _ = 1, 8 do
      local err, conn = h.dialer:dial("inet", "stream", "127.0.0.1", port, 50)
      if err == errors.TIMEOUT then saw_timeout = true break end
      assert.is_nil(err)
      open[#open + 1] = conn
    end
    assert.is_true(saw_timeout)
    for _, conn in ipairs(open) do h:unregister(conn.no) end
    h:sleep(1)
    assert.equal(before, levee._.fdcount())
    serve:close()
  end)

  it("raises Lua errors for bad arguments", function()
    local h = levee.Hub()
    assert.has_error(function() h.dialer:dial("ipx", "stream", "a", 1) end, "bad family")
    assert.has_error(function() h.dialer:dial("inet", "raw2", "a", 1) end, "bad socktype")
    assert.has_error(function() h.dialer:dial("inet", "stream", 42, 1) end, "node")
    assert.has_error(function() h.dialer:dial("inet", "stream", "a", 1, -5) end, "timeout")
  end)
end)
