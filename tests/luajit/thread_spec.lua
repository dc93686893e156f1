-- h.thread (lua-api.md §7): call, spawn, channels, values across threads
-- (errors keep their identity, buffers move), the Sender's close, and a
-- stress of 4 threads sending a million messages; fds and OS threads are
-- back to their count after each test.
local ffi = require("ffi")
local levee = require("levee")
local L = require("levee.lib")
local errors = levee.errors
local d = levee.d
local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT

local threads = dofile(spec_dir .. "/counts.lua").threads

describe("h.thread", function()
  local h, fd0, threads0
  before_each(function()
    h = nil
    collectgarbage()
    collectgarbage()
    fd0, threads0 = L.levee_sys_fdcount(), threads()
    h = levee.Hub()
  end)
  after_each(function()
    if h.thread._chan then h.thread:channel():close() end
    h:continue()
    assert.is_false(h:in_use(), "an fd is still registered")
    h = nil
    collectgarbage()
    collectgarbage()
    assert.equal(threads0, threads(), "OS threads")
    assert.equal(fd0, L.levee_sys_fdcount(), "fds")
  end)

  it("call(f, ...) runs f on another OS thread and returns its err, value", function()
    local r = h.thread:call(function(a, b)
      local ffi_ = require("ffi")
      return nil, a + b + tonumber(ffi_.C.getpid() > 0 and 0 or 1)
    end, 40, 2)
    local err, v = r:recv()
    assert.is_nil(err)
    assert.equal(42, v)
    assert.equal(threads0, threads(), "the thread has ended when recv answers")
    assert.same({nil, 42}, {r:recv()})  -- the answer stays
  end)

  it("call runs f in its own Lua state: globals and upvalues do not cross", function()
    _G.levee_thread_marker = "main"
    local up = 5
    local r = h.thread:call(function()
      return nil, tostring(_G.levee_thread_marker) .. "/" .. tostring(up)
    end)
    assert.equal("nil/nil", select(2, r:recv()))
    _G.levee_thread_marker = nil
  end)

  it("values of every kind cross: numbers, strings, booleans, nil, int64, tables", function()
    local r = h.thread:call(function(n, s, t, f, i64, u64, tbl)
      return nil, {n, s, t, f, tostring(i64), tostring(u64), tbl.k, #tbl.list}
    end, 1.5, "a\0b", true, false, -5LL, 18446744073709551615ULL, {k = "v", list = {1, 2, 3}})
    local err, v = r:recv()
    assert.is_nil(err)
    assert.same({1.5, "a\0b", true, false, "-5LL", "18446744073709551615ULL", "v", 3}, v)
  end)

  it("int64 and uint64 cdata come back as the same types", function()
    local r = h.thread:call(function(a, b) return nil, {a, b} end, 1LL, 2ULL)
    local chan = h.thread:channel()
    local rr = chan:bind()
    local s = rr:create_sender()
    s:send(-7LL)
    s:send(7ULL)
    local _, a = rr:recv()
    local _, b = rr:recv()
    assert.truthy(ffi.istype("int64_t", a))
    assert.truthy(ffi.istype("uint64_t", b))
    assert.equal(-7LL, a)
    assert.equal(7ULL, b)
    r:recv()
    s:close()
    rr:close()
  end)

  it("errors keep their identity across threads, as err and as a value", function()
    local r = h.thread:call(function()
      local errors_ = require("levee").errors
      return errors_.system.EPIPE, errors_.TIMEOUT
    end)
    local err, v = r:recv()
    assert.equal(errors.system.EPIPE, err)
    assert.equal(TIMEOUT, v)
    local custom = errors.checkset(-29001, "proctest", "EODD", "odd")
    local r2 = h.thread:call(function()
      return nil, require("levee").errors.get(-29001)
    end)
    assert.equal(custom, select(2, r2:recv()))
  end)

  it("a Buffer moves: the receiver gets the bytes, the sender's buffer is empty", function()
    local buf = d.Buffer(64)
    buf:write("moved bytes")
    local ptr = buf:value()
    local r = h.thread:call(function(b) return nil, {#b, b:peek()} end, buf)
    assert.equal(0, #buf)
    assert.same({11, "moved bytes"}, select(2, r:recv()))
    -- and back: the reply's buffer owns the same storage it was sent with
    local chan = h.thread:channel()
    local rr = chan:bind()
    local s = rr:create_sender()
    local b2 = d.Buffer(64)
    b2:write("x")
    local p2 = b2:value()
    s:send(b2)
    local _, got = rr:recv()
    assert.equal("x", got:peek())
    assert.equal(p2, got:value())
    assert.truthy(ptr ~= nil)
    s:close()
    rr:close()
  end)

  it("a function that raises closes its recver with CLOSED; the process lives", function()
    local r = h.thread:call(function() error("thread boom") end)
    assert.equal(CLOSED, (r:recv()))
  end)

  it("a result that cannot travel closes the recver with CLOSED", function()
    assert.equal(CLOSED, (h.thread:call(function() return "not an error", 1 end):recv()))
    assert.equal(CLOSED, (h.thread:call(function() return nil, print end):recv()))
  end)

  it("a hub busy with runnable green threads still takes channel messages", function()
    -- the child's hub has no fd of its own but its inbox
    local child = h.thread:spawn(function(ch)
      local spinning = true
      ch:spawn(function() while spinning do ch:continue() end end)
      ch.parent:send("spinning")
      local err, v = ch.parent:recv(5000)
      spinning = false
      ch.parent:send(err and tostring(err) or v)
    end)
    assert.equal("spinning", select(2, child:recv()))
    child:send("through")
    assert.equal("through", select(2, child:recv()))
    assert.equal(CLOSED, (child:recv()))
  end)

  it("recv([ms]) times out while the thread works", function()
    local r = h.thread:call(function()
      require("levee").Hub():sleep(200)
      return nil, "late"
    end)
    assert.equal(TIMEOUT, (r:recv(10)))
    assert.equal("late", select(2, r:recv()))
  end)

  it("spawn(f) gives a Pair to a child with its own hub and h.parent", function()
    local child = h.thread:spawn(function(ch)
      assert(ch.parent, "no parent")
      for v in ch.parent do
        if v == "stop" then break end
        ch:sleep(1)  -- the child's own hub runs
        ch.parent:send(v * 2)
      end
    end)
    for i = 1, 5 do
      assert.is_nil(child:send(i))
      local err, v = child:recv()
      assert.is_nil(err)
      assert.equal(i * 2, v)
    end
    child:send("stop")
    assert.equal(CLOSED, (child:recv()))
    assert.equal(threads0, threads())
    child:close()
  end)

  it("spawn: closing the parent's sender ends a child that iterates h.parent", function()
    local child = h.thread:spawn(function(ch)
      local n = 0
      for _ in ch.parent do n = n + 1 end
      ch.parent:send(n)
    end)
    for i = 1, 10 do child:send(i) end
    child.sender:close()
    assert.equal(10, select(2, child:recv()))
    assert.equal(CLOSED, (child:recv()))
  end)

  it("spawn passes extra arguments after the child's hub", function()
    local child = h.thread:spawn(function(ch, a, b) ch.parent:send(a .. b) end, "x", "y")
    assert.equal("xy", select(2, child:recv()))
    assert.equal(CLOSED, (child:recv()))
  end)

  it("channel: bind, create_sender, send, pass; Sender:close closes the recver", function()
    local chan = h.thread:channel()
    assert.equal(chan, h.thread:channel())
    local r = chan:bind()
    local s = r:create_sender()
    assert.is_nil(s:send("one"))
    assert.is_nil(s:pass(errors.system.EIO, "two"))
    assert.is_nil(s:close())
    assert.equal(CLOSED, s:close())
    assert.equal(CLOSED, s:send("late"))
    assert.same({nil, "one"}, {r:recv()})
    assert.same({errors.system.EIO, "two"}, {r:recv()})
    assert.equal(CLOSED, (r:recv()))
    r:close()
  end)

  it("a closed recver makes its senders fail with CLOSED", function()
    local r = h.thread:channel():bind()
    local s = r:create_sender()
    r:close()
    assert.equal(CLOSED, s:send(1))
    assert.is_nil(r:create_sender())
  end)

  it("connect(chan) links back: the remote side receives a sender for the new recver", function()
    local child = h.thread:spawn(function(ch)
      local _, back = ch.parent:recv()  -- the sender connect sent
      back:send("hello from the child")
      back:close()
    end)
    local r = child.sender:connect(h.thread:channel())
    assert.equal("hello from the child", select(2, r:recv()))
    assert.equal(CLOSED, (r:recv()))
    r:close()
    assert.equal(CLOSED, (child:recv()))
  end)

  it("4 threads send a million messages: nothing lost or duplicated", function()
    local chan = h.thread:channel()
    local r = chan:bind()
    local per = 250000
    local kids = {}
    for t = 1, 4 do
      local s = r:create_sender()
      kids[t] = h.thread:call(function(to, id, n)
        for i = 1, n do
          local err = to:send(id * 1000000 + i)
          if err then return err end
        end
        to:close()
        return nil, n
      end, s, t, per)
      s:close()  -- the thread holds its own handle
    end
    -- the senders handed to the threads were the last ones: CLOSED ends it
    local next_i = {0, 0, 0, 0}
    local total = 0
    for v in r do
      local id = math.floor(v / 1000000)
      local i = v - id * 1000000
      assert(next_i[id] + 1 == i, "thread " .. id .. ": " .. i .. " after " .. next_i[id])
      next_i[id] = i
      total = total + 1
    end
    assert.equal(4 * per, total)
    for t = 1, 4 do assert.equal(per, select(2, kids[t]:recv())) end
    r:close()
  end)
end)

describe("serving one port on every core (examples/every_core.lua)", function()
  it("N threads share the port and SIGTERM lets the requests in flight finish", function()
    local h = levee.Hub()
    local p = h.process:spawn("luajit", {argv = {spec_dir .. "/../../examples/every_core.lua", "0", "2"},
      io = {STDIN = "null", STDERR = "inherit"}})
    local out = p.stdout:stream()
    local err, line = out:line()
    assert.is_nil(err)
    local port = tonumber(line:match("127%.0%.0%.1:(%d+) with 2 threads"))
    assert.truthy(port, line)
    local seen = {}
    for _ = 1, 64 do
      local _, c = h.http:connect(port)
      local _, responses = c:get("/")
      local _, resp = responses:recv()
      seen[resp:tostring()] = true
      c:close()
    end
    assert.truthy(seen["hello from thread 1\n"], "thread 1 answered")
    assert.truthy(seen["hello from thread 2\n"], "thread 2 answered")
    -- a request in flight when SIGTERM arrives still gets its answer: once
    -- the head of /slow is here, its body is still to come
    local _, c = h.http:connect(port)
    local _, responses = c:get("/slow")
    local rerr, resp = responses:recv()
    assert.is_nil(rerr)
    assert.equal(200, resp.code)
    assert.is_nil(p:kill(L.LEVEE_SIGTERM))
    assert.matches("^hello from thread %d\n$", resp:tostring())
    c:close()
    local _, rest = out:line()
    assert.equal("every thread shut down", rest)
    local _, child = p.done:recv()
    assert.equal(0, child.exit_code)
    -- the port is free again: nothing listens
    local cerr = h.http:connect(port)
    assert.truthy(cerr)
    out.conn:close()
  end)
end)
