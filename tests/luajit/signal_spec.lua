-- h:signal (lua-api.md §7): deliveries as a Queue recver, several
-- subscribers, unsubscribe on close, introspection, exact counts in a
-- storm, and the refusal of signals levee cannot take.
local ffi = require("ffi")
local levee = require("levee")
local L = require("levee.lib")
local errors = levee.errors
local SIGUSR1, SIGUSR2, SIGHUP = L.LEVEE_SIGUSR1, L.LEVEE_SIGUSR2, L.LEVEE_SIGHUP

local function raise(sig) assert(L.levee_signal_send(ffi.C.getpid(), sig) == 0) end

-- The action in place for sig: "default", "ignore" or "handler".
pcall(ffi.cdef, [[
struct levee_test_sigaction { void *handler; unsigned long mask[16]; int flags; void *restorer; };
int sigaction(int sig, const struct levee_test_sigaction *act, struct levee_test_sigaction *old);
]])
local function action(sig)
  local old = ffi.new("struct levee_test_sigaction")
  assert(ffi.C.sigaction(sig, nil, old) == 0)
  local h = tonumber(ffi.cast("intptr_t", old.handler))
  return h == 0 and "default" or h == 1 and "ignore" or "handler"
end

local function empty(t) return next(t) == nil end

describe("h:signal", function()
  local h
  before_each(function() h = levee.Hub() end)
  after_each(function()
    assert.is_true(empty(h.signal.registered), "registered is not empty")
    assert.is_true(empty(h.signal.reverse), "reverse is not empty")
    assert.is_false(h:in_use())
  end)

  it("returns a recver that gets the signal number for each delivery", function()
    local r = h:signal(SIGUSR1)
    raise(SIGUSR1)
    local err, sig = r:recv(5000)
    assert.is_nil(err)
    assert.equal(SIGUSR1, sig)
    assert.equal(errors.TIMEOUT, (r:recv(10)))
    r:close()
  end)

  it("one recver can listen to several signals; names work too", function()
    local r = h:signal(SIGUSR1, "SIGUSR2", "HUP")
    raise(SIGUSR2)
    assert.equal(SIGUSR2, select(2, r:recv(5000)))
    raise(SIGHUP)
    assert.equal(SIGHUP, select(2, r:recv(5000)))
    assert.same({SIGUSR1, SIGUSR2, SIGHUP}, h.signal.reverse[r])
    r:close()
  end)

  it("every subscriber gets every delivery", function()
    local a, b = h:signal(SIGUSR1), h:signal(SIGUSR1)
    assert.equal(2, #h.signal.registered[SIGUSR1])
    raise(SIGUSR1)
    assert.equal(SIGUSR1, select(2, a:recv(5000)))
    assert.equal(SIGUSR1, select(2, b:recv(5000)))
    a:close()
    assert.equal(1, #h.signal.registered[SIGUSR1])
    raise(SIGUSR1)
    assert.equal(SIGUSR1, select(2, b:recv(5000)))
    b:close()
  end)

  it("closing the last recver gives the signal back its previous action", function()
    assert.equal("default", action(SIGUSR2))
    local r = h:signal(SIGUSR2)
    assert.equal("handler", action(SIGUSR2))
    assert.is_false(h:in_use(), "a subscription is not an fd of the program")
    r:close()
    assert.equal("default", action(SIGUSR2))
    assert.equal(errors.CLOSED, r:close())
  end)

  it("a hub busy with runnable green threads still takes deliveries", function()
    local r = h:signal(SIGUSR1)
    local spinning = true
    h:spawn(function() while spinning do h:continue() end end)
    raise(SIGUSR1)
    local err, sig = r:recv(5000)
    spinning = false
    assert.is_nil(err)
    assert.equal(SIGUSR1, sig)
    r:close()
  end)

  it("iterates like any queue recver; closing it ends the loop", function()
    local r = h:signal(SIGUSR1)
    h:spawn(function()
      for _ = 1, 3 do raise(SIGUSR1) h:sleep(1) end
    end)
    local got = {}
    for sig in r do
      got[#got + 1] = sig
      if #got == 3 then r:close() end
    end
    assert.same({SIGUSR1, SIGUSR1, SIGUSR1}, got)
  end)

  it("counts a storm of 1,000 SIGUSR1 exactly when each is delivered before the next", function()
    local r = h:signal(SIGUSR1)
    local n = 0
    for _ = 1, 1000 do
      raise(SIGUSR1)
      local err = r:recv(5000)
      assert.is_nil(err)
      n = n + 1
    end
    assert.equal(errors.TIMEOUT, (r:recv(20)))
    assert.equal(1000, n)
    r:close()
  end)

  it("counts a burst of queued real-time signals exactly", function()
    local rt = L.levee_signal_rtmin() + 1
    local r = h:signal(rt)
    for i = 1, 1000 do assert.equal(0, L.levee_signal_queue(ffi.C.getpid(), rt, i)) end
    local n = 0
    while n < 1000 do
      local err = r:recv(5000)
      assert.is_nil(err)
      n = n + 1
    end
    assert.equal(errors.TIMEOUT, (r:recv(20)))
    r:close()
  end)

  it("counts signals sent by another process", function()
    local r = h:signal(SIGUSR1)
    local pid = ffi.C.getpid()
    local p = h.process:spawn("sh", {argv = {"-c", ("for i in 1 2 3; do kill -USR1 %d; read x; done"):format(pid)},
      io = {STDOUT = "null", STDERR = "null"}})
    for _ = 1, 3 do
      assert.equal(SIGUSR1, select(2, r:recv(5000)))
      p.stdin:write("\n")
    end
    p.done:recv()
    r:close()
  end)

  it("refuses signals levee cannot take with a Lua error, subscribing nothing", function()
    assert.has_error(function() h:signal(L.LEVEE_SIGKILL) end, "cannot take signal 9")
    assert.has_error(function() h:signal(SIGUSR1, L.LEVEE_SIGSEGV) end, "cannot take signal 11")
    assert.has_error(function() h:signal("SIGNOPE") end, "unknown signal")
    assert.equal("default", action(SIGUSR1))
  end)

  it("numbers come from the core", function()
    assert.equal(L.LEVEE_SIGTERM, h.signal.numbers.SIGTERM)
    assert.equal(L.levee_signal_rtmin(), h.signal.numbers.SIGRTMIN)
  end)
end)

describe("a hub after fork()", function()
  pcall(ffi.cdef, "int fork(void); void _exit(int); int waitpid(int pid, int *status, int options);")
  it("is refused in the child with levee.EFORKED; a new hub works there", function()
    local h = levee.Hub()
    h:sleep(1)
    io.stdout:flush()
    local pid = ffi.C.fork()
    if pid == 0 then
      local ok, err = pcall(function() h:sleep(1) end)
      local code = 0
      if ok or not tostring(err):find("EFORKED", 1, true) then code = 1 end
      local fresh = levee.Hub()
      local r = fresh:signal(SIGUSR1)
      raise(SIGUSR1)
      if select(2, r:recv(5000)) ~= SIGUSR1 then code = code + 2 end
      ffi.C._exit(code)
    end
    local status = ffi.new("int[1]")
    assert.equal(pid, ffi.C.waitpid(pid, status, 0))
    assert.equal(0, status[0])
    h:sleep(1)  -- the parent's hub is fine
  end)
end)
