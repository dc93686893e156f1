-- levee.Hub: scheduler semantics and hub methods (lua-api.md §2).
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors

pcall(ffi.cdef, "int pipe(int fds[2]); int close(int fd); long write(int fd, const void *buf, size_t n);")
pcall(ffi.cdef, "long read(int fd, void *buf, size_t n);")

describe("Hub scheduling", function()
  it("spawn runs the child until it blocks before the caller continues", function()
    local h = levee.Hub()
    local trace = {}
    h:spawn(function()
      trace[#trace + 1] = "f starts"
      h:sleep(5)
      trace[#trace + 1] = "f wakes"
    end)
    trace[#trace + 1] = "main continues"
    h:sleep(20)
    assert.same({"f starts", "main continues", "f wakes"}, trace)
  end)

  it("#h.ready counts the runnable green threads", function()
    local h = levee.Hub()
    assert.equal(0, #h.ready)
    local cos, woke = {}, 0
    for i = 1, 3 do h:spawn(function() cos[i] = h:current() h:pause() woke = woke + 1 end) end
    assert.equal(0, #h.ready)
    for i = 1, 3 do h:resume(cos[i]) end
    assert.equal(3, #h.ready)
    h:continue()
    assert.equal(3, woke)
    assert.equal(0, #h.ready)
  end)

  it("spawn passes every argument", function()
    local h = levee.Hub()
    local got
    h:spawn(function(...) got = {n = select("#", ...), ...} end, 1, nil, 3, "four", 5)
    assert.equal(5, got.n)
    assert.same({1, nil, 3, "four", 5}, {got[1], got[2], got[3], got[4], got[5]})
  end)

  it("children run in spawn order, each after one tick", function()
    local h = levee.Hub()
    local trace = {}
    for i = 1, 3 do
      h:spawn(function()
        trace[#trace + 1] = "a" .. i
        h:continue()
        trace[#trace + 1] = "b" .. i
      end)
    end
    h:continue()
    h:continue()
    -- each spawn is one tick: the previous child finishes in the tick that starts the next
    assert.same({"a1", "b1", "a2", "b2", "a3", "b3"}, trace)
  end)

  it("a thousand runnable threads keep FIFO order, tick after tick", function()
    local h = levee.Hub()
    local N = 1000
    local cos, trace = {}, {}
    for i = 1, N do
      h:spawn(function()
        cos[i] = coroutine.running()
        h:pause()
        for round = 1, 3 do
          trace[#trace + 1] = round * 10000 + i
          h:continue()
        end
      end)
    end
    for i = 1, N do h:resume(cos[i]) end
    -- main is queued behind the N threads: each continue is one tick
    for round = 1, 3 do
      h:continue()
      assert.equal(round * N, #trace)
      for i = 1, N do assert.equal(round * 10000 + i, trace[(round - 1) * N + i]) end
    end
  end)

  it("a timer fires while threads keep each other runnable", function()
    local h = levee.Hub()
    local woke = false
    h:spawn(function() h:sleep(5) woke = true end)
    h:spawn(function() while not woke do h:continue() end end)
    while not woke do h:continue() end
    assert.truthy(woke)
  end)

  it("sleep orders wake-ups by deadline, equal deadlines in call order", function()
    local h = levee.Hub()
    local trace = {}
    for _, spec in ipairs({{30, "c"}, {10, "a"}, {30, "d"}, {10, "b"}}) do
      h:spawn(function() h:sleep(spec[1]) trace[#trace + 1] = spec[2] end)
    end
    h:sleep(60)
    assert.same({"a", "b", "c", "d"}, trace)
  end)

  it("sleep(0) yields and comes back", function()
    local h = levee.Hub()
    local ran = false
    h:spawn(function() h:sleep(0) ran = true end)
    h:sleep(0)
    h:sleep(1)
    assert.is_true(ran)
  end)

  it("spawn_later runs f after the delay with no arguments", function()
    local h = levee.Hub()
    local trace = {}
    h:spawn_later(10, function(...) trace[#trace + 1] = select("#", ...) end)
    assert.same({}, trace)
    h:sleep(30)
    assert.same({0}, trace)
  end)

  it("spawn_every spawns f for each item of an iterator", function()
    local h = levee.Hub()
    local seen = {}
    local items = {"x", "y", "z"}
    local i = 0
    h:spawn_every(function() i = i + 1 return items[i] end, function(item) seen[#seen + 1] = item end)
    for _ = 1, 4 do h:continue() end  -- each spawn is one tick
    assert.same({"x", "y", "z"}, seen)
  end)

  it("pause is resumed by resume with three values", function()
    local h = levee.Hub()
    local got
    local co
    h:spawn(function()
      co = coroutine.running()
      got = {h:pause()}
    end)
    h:resume(co, nil, "sender", 42)
    h:continue()
    assert.same({nil, "sender", 42}, {got[1], got[2], got[3]})
  end)

  it("pause(ms) times out with errors.TIMEOUT, and not when resumed first", function()
    local h = levee.Hub()
    local err = h:pause(5)
    assert.equal(errors.TIMEOUT, err)
    local results = {}
    local co
    h:spawn(function()
      co = coroutine.running()
      results[1] = h:pause(50)
    end)
    h:resume(co, nil, nil, "early")
    h:sleep(80)
    assert.is_nil(results[1])
    assert.equal(0, require("levee.lib").levee_hub_timers(h.handle))
  end)

  it("main blocks on a green thread and is resumed by it", function()
    local h = levee.Hub()
    local main = h:current()
    h:spawn(function()
      h:sleep(5)
      h:resume(main, nil, nil, "from f")
    end)
    local _, _, v = h:pause()
    assert.equal("from f", v)
  end)

  it("an uncaught error in a green thread exits the process with status 1", function()
    local cmd = [[luajit -e 'local h = require("levee").Hub(); h:spawn(function() error("boom") end); print("not reached")' 2>&1; echo "status=$?"]]
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    assert.matches("boom", out)
    assert.matches("traceback", out)
    assert.matches("status=1", out)
    assert.falsy(out:find("not reached", 1, true))
  end)
end)

describe("Hub fds", function()
  local function pipe()
    local fds = ffi.new("int[2]")
    assert(ffi.C.pipe(fds) == 0)
    return fds[0], fds[1]
  end

  it("register gives States that wake on readiness, latched if nobody waits", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev, w_ev = h:register(r, true, false)
    assert.not_nil(r_ev)
    assert.is_nil(w_ev)
    h:spawn(function() h:sleep(5) ffi.C.write(w, "x", 1) end)
    local err, sender, value = r_ev:recv(1000)
    assert.same({nil, nil, 1}, {err, sender, value})
    ffi.C.write(w, "y", 1)
    h:sleep(5)
    assert.same({nil, nil, 1}, {r_ev:recv(0)})
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("States of two hubs in one Lua state each wait on their own hub", function()
    -- (a State reaches its hub through a per-hub class, not a field of its own)
    local h1, h2 = levee.Hub(), levee.Hub()
    for _, h in ipairs({h2, h1, h2}) do
      local r, w = pipe()
      local r_ev = h:register(r, true, false)
      h:spawn(function() h:sleep(5) ffi.C.write(w, "x", 1) end)
      assert.same({nil, nil, 1}, {r_ev:recv(1000)})
      h:unregister(r)
      ffi.C.close(w)
    end
  end)

  it("fd readiness reaches a waiter while threads keep each other runnable", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev = h:register(r, true, false)
    local got
    h:spawn(function() got = {r_ev:recv()} end)
    h:spawn(function() while not got do h:continue() end end)
    ffi.C.write(w, "x", 1)
    while not got do h:continue() end
    assert.same({nil, nil, 1}, {got[1], got[2], got[3]})
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("State:set from a green thread resumes the waiter before set returns", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev = h:register(r, true)
    local trace = {}
    h:spawn(function()
      local err, _, v = r_ev:recv()
      trace[#trace + 1] = "woke " .. tostring(v)
    end)
    h:spawn(function()
      r_ev:set(7)
      trace[#trace + 1] = "set returned"
    end)
    assert.same({"woke 7", "set returned"}, trace)
    -- from main too
    h:spawn(function()
      local _, _, v = r_ev:recv()
      trace[#trace + 1] = "woke " .. tostring(v)
    end)
    r_ev:set(8)
    trace[#trace + 1] = "main's set returned"
    assert.same({"woke 7", "set returned", "woke 8", "main's set returned"}, trace)
    -- with nobody waiting the value is latched, the latest winning
    r_ev:set(1)
    r_ev:set(-1)
    assert.same({nil, nil, -1}, {r_ev:recv()})
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("a State times out with errors.TIMEOUT", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev = h:register(r, true)
    assert.equal(errors.TIMEOUT, (r_ev:recv(10)))
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("a socket peer's hang-up wakes a reader with -1", function()
    pcall(ffi.cdef, "int socketpair(int domain, int type, int protocol, int sv[2]);")
    local h = levee.Hub()
    local sv = ffi.new("int[2]")
    assert.equal(0, ffi.C.socketpair(1, 1, 0, sv))  -- AF_UNIX, SOCK_STREAM
    local r, w = sv[0], sv[1]
    local r_ev = h:register(r, true)
    h:spawn(function() h:sleep(5) ffi.C.close(w) end)
    local _, _, value = r_ev:recv(1000)
    assert.equal(-1, value)
    h:unregister(r)
  end)

  it("unregister wakes waiters with -1 and closes the fd on the next tick", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev = h:register(r, true)
    local got
    h:spawn(function() got = {r_ev:recv()} end)
    assert.is_true(h:in_use())
    h:unregister(r)
    h:continue()
    assert.equal(-1, got[3])
    assert.is_false(h:in_use())
    h:continue()
    assert.equal(-1, ffi.C.close(r))  -- already closed by the hub
    ffi.C.close(w)
  end)

  it("registering an fd twice returns an error instead of aborting", function()
    local h = levee.Hub()
    local r, w = pipe()
    h:register(r, true)
    local a, b, err = h:register(r, true)
    assert.is_nil(a)
    assert.is_nil(b)
    assert.equal(errors.system.EEXIST, err)
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("register_nopoll states are always ready: recv returns the single value 1", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev, w_ev = h:register_nopoll(r, true, true)
    assert.same({1}, {r_ev:recv()})
    assert.equal(1, select("#", w_ev:recv()))
    assert.equal(1, (w_ev:recv()))
    assert.is_true(h:in_use())
    h:unregister(r)
    assert.is_false(h:in_use())
    ffi.C.close(w)
  end)

  it("a second waiter on one State is a clear Lua error", function()
    local h = levee.Hub()
    local r, w = pipe()
    local r_ev = h:register(r, true)
    h:spawn(function() r_ev:recv(50) end)
    assert.has_error(function() r_ev:recv(10) end, "second green thread")
    h:unregister(r)
    ffi.C.close(w)
  end)
end)

describe("Hub polls fds on every tick while threads are runnable", function()
  local function pipe()
    local fds = ffi.new("int[2]")
    assert(ffi.C.pipe(fds) == 0)
    return fds[0], fds[1]
  end

  -- Keeps the ready queue non-empty, so no tick may block in the poll.
  local function busy(h, stop)
    h:spawn(function() while not stop.now do h:continue() end end)
  end

  -- The ways a writer lets the loop run: each is one tick.
  local yields = {
    {"continue()", function(h) h:continue() end},
    {"spawn()", function(h) h:spawn(function() end) end},
  }
  for _, y in ipairs(yields) do
    it("a thread blocked on an fd runs before the writer's " .. y[1] .. " returns", function()
      local h = levee.Hub()
      local stop = {}
      busy(h, stop)
      local r, w = pipe()
      local r_ev = h:register(r, true)
      for round = 1, 40 do
        local got
        h:spawn(function() got = select(3, r_ev:recv()) end)
        ffi.C.write(w, "x", 1)
        y[2](h)
        assert.equal(1, got, "round " .. round)
        local drain = ffi.new("char[8]")
        ffi.C.read(r, drain, 8)
      end
      stop.now = true
      h:unregister(r)
      ffi.C.close(w)
    end)
  end

  it("a reader of an io pipe has the bytes before the writer's write() returns", function()
    local h = levee.Hub()
    local stop = {}
    busy(h, stop)
    local r, w = h.io:pipe()
    for round = 1, 40 do
      local got
      h:spawn(function() got = r:reads() end)
      assert.is_nil((w:write("ping")))
      assert.equal("ping", got, "round " .. round)
    end
    stop.now = true
    r:close()
    w:close()
  end)

  it("readiness of an fd nobody waits on is latched after one tick", function()
    local h = levee.Hub()
    local stop = {}
    busy(h, stop)
    local r, w = pipe()
    local r_ev = h:register(r, true)
    ffi.C.write(w, "x", 1)
    h:continue()
    -- recv(0) would time out if the readiness had not been collected yet
    assert.same({nil, nil, 1}, {r_ev:recv(0)})
    stop.now = true
    h:unregister(r)
    ffi.C.close(w)
  end)

  it("an expired timer fires on the next tick while threads are runnable", function()
    local h = levee.Hub()
    local stop = {}
    busy(h, stop)
    for round = 1, 40 do
      local woke = false
      h:spawn(function() h:sleep(0) woke = true end)
      h:continue()
      assert.is_true(woke, "round " .. round)
    end
    stop.now = true
  end)
end)

describe("seed examples", function()
  it("tick/tock alternates, starting with tick", function()
    local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
    local p = io.popen("timeout 2.8 stdbuf -oL luajit " .. here .. "/../../examples/forever/tick_tock.lua")
    local out = p:read("*a")
    p:close()
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.truthy(#lines >= 4)
    for i, l in ipairs(lines) do assert.equal(i % 2 == 1 and "tick" or "tock", l) end
  end)
end)

describe("h.trace", function()
  it("records spawn sites, resumes and CPU time per site, until stopped", function()
    local h = levee.Hub()
    local s, r = h:pipe()
    h.trace:start()
    h:spawn(function()  -- one site: a thread that blocks three times
      for _ = 1, 3 do r:recv() end
    end)
    for i = 1, 3 do s:send(i) end
    h:spawn(function() end)
    h:spawn_later(1, function() end)
    h:sleep(5)
    local state = h.trace:stop()
    local report = h.trace:report(state)
    assert.equal(3, #report)
    local by = {}
    for _, rec in ipairs(report) do by[rec.site:match(":(%d+)$")] = rec end
    local here = debug.getinfo(1, "l").currentline
    local blocker, empty, later = by[tostring(here - 12)], by[tostring(here - 8)], by[tostring(here - 7)]
    assert.equal(1, blocker.spawns)
    assert.equal(4, blocker.resumes)  -- first run, then one per message
    assert.equal(1, empty.resumes)
    assert.equal(1, later.spawns)
    assert.equal(1, later.resumes)
    for _, rec in ipairs(report) do assert.truthy(rec.time >= 0) end
    -- stopped: nothing more is recorded
    h:spawn(function() end)
    assert.equal(3, #h.trace:report(state))
    local out = {}
    h.trace:pprint(state, {write = function(_, x) out[#out + 1] = x end})
    assert.truthy(table.concat(out):find("hub_spec.lua:" .. (here - 12), 1, true))
  end)

  it("context names the frame threads were spawned under; options.trace starts it", function()
    local h = levee.Hub({trace = true})
    local function named() h:spawn(function() end) return "result", 2 end
    assert.same({"result", 2}, {h.trace:context(named)})
    local report = h.trace:report()
    assert.equal(1, #report)
    assert.truthy(report[1].site:find(" > ", 1, true))
    h.trace:stop()
  end)
end)
