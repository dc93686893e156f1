-- h.process (lua-api.md §6, extensions.md "Processes"): spawn, io
-- mappings, env/cwd, done, kill, exit status, exec failures, children that
-- crash, ignore SIGTERM, close stdout early or write more than a pipe
-- holds; no zombie and no fd left after 1,000 spawns.
local ffi = require("ffi")
local levee = require("levee")
local L = require("levee.lib")
local errors = levee.errors
local SIGTERM, SIGKILL, SIGSEGV = L.LEVEE_SIGTERM, L.LEVEE_SIGKILL, L.LEVEE_SIGSEGV

pcall(ffi.cdef, "int waitpid(int pid, int *status, int options);")

local counts = dofile(spec_dir .. "/counts.lua")
local fds, threads = counts.fds, counts.threads

-- Reads an io.R until EOF.
local function slurp(r)
  local parts = {}
  while true do
    local s = r:reads(65536)
    if not s then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

local function no_zombie()
  local status = ffi.new("int[1]")
  return ffi.C.waitpid(-1, status, 1) == -1  -- WNOHANG: ECHILD, no child at all
end

describe("h.process", function()
  local h, fd0, threads0
  before_each(function()
    h = nil
    collectgarbage()
    collectgarbage()
    h = levee.Hub()
    fd0, threads0 = fds(), threads()
  end)
  after_each(function()
    h:continue()
    h:continue()
    assert.is_false(h:in_use(), "an fd is still registered")
    assert.equal(fd0, fds(), "fd count")
    assert.equal(threads0, threads(), "thread count")
  end)

  it("spawn(name, {argv}) runs the program found in PATH; stdout is an io.R", function()
    local p = h.process:spawn("echo", {argv = {"hello", "world"}})
    assert.is_nil(p.err)
    assert.truthy(p.pid > 0)
    assert.equal("hello world\n", slurp(p.stdout))
    local err, child = p.done:recv()
    assert.is_nil(err)
    assert.equal(p, child)
    assert.equal(0, p.exit_code)
    assert.equal(0, p.exit_sig)
    p.stderr:close()
  end)

  it("spawn(options) takes the program from argv; argv is not mutated", function()
    local argv = {"sh", "-c", "exit 9"}
    local p = h.process:spawn({argv = argv, io = {STDIN = "null", STDOUT = "null", STDERR = "null"}})
    assert.same({"sh", "-c", "exit 9"}, argv)
    local _, child = p.done:recv()
    assert.equal(9, child.exit_code)
  end)

  it("stdin is an io.W; the reaper closes it when the child exits", function()
    local p = h.process:spawn("cat", {io = {STDERR = "inherit"}})
    p.stdin:write("round trip")
    p.stdin:close()
    assert.equal("round trip", slurp(p.stdout))
    p.done:recv()
    assert.is_true(p.stdin.closed)
  end)

  it("stderr is captured as child.stderr unless mapped", function()
    local p = h.process:spawn("sh", {argv = {"-c", "echo out; echo err >&2"}})
    assert.equal("out\n", slurp(p.stdout))
    assert.equal("err\n", slurp(p.stderr))
    p.done:recv()
  end)

  it("io maps an existing fd, a levee io, /dev/null and closed fds", function()
    local r, w = h.io:pipe()
    local p = h.process:spawn("sh", {argv = {"-c", "echo to-pipe; cat; echo gone >&2 || true"},
      io = {STDIN = "null", STDOUT = w, STDERR = "close"}})
    w:close()
    assert.equal("to-pipe\n", slurp(r))
    local _, c = p.done:recv()
    assert.equal(0, c.exit_code)
    local r2, w2 = h.io:pipe()
    local q = h.process:spawn("sh", {argv = {"-c", "echo by-number"},
      io = {STDIN = -1, STDOUT = w2.no, STDERR = "inherit"}})
    w2:close()
    assert.equal("by-number\n", slurp(r2))
    q.done:recv()
  end)

  it("inherit leaves the parent's own fd to the child", function()
    local path = os.tmpname()
    local script = "echo inherited"
    -- a sub-shell whose stdout is the file: the child inherits it
    local cmd = ([[luajit -e 'local h = require("levee").Hub()
      local p = h.process:spawn("sh", {argv = {"-c", %q}, io = {STDIN = "inherit", STDOUT = "inherit",
      STDERR = "inherit"}}) p.done:recv()' > %s]]):format(script, path)
    assert.is_true(os.execute(cmd) == 0)
    local f = io.open(path)
    local text = f:read("*a")
    f:close()
    os.remove(path)
    assert.equal("inherited\n", text)
  end)

  it("env replaces the environment and cwd sets the directory", function()
    local p = h.process:spawn("sh", {argv = {"-c", "echo $A-$B-$HOME; pwd"},
      env = {A = "1", B = "two", PATH = "/usr/bin:/bin"}, cwd = "/tmp"})
    assert.equal("1-two-\n/tmp\n", slurp(p.stdout))
    p.done:recv()
    p.stderr:close()
  end)

  it("an exec failure is an error, not a silent 127", function()
    local p, err = h.process:spawn("levee-no-such-program", {argv = {"x"}})
    assert.equal(errors.system.ENOENT, err)
    assert.equal(errors.system.ENOENT, p.err)
    assert.is_nil(p.pid)
    assert.is_nil(p.stdout)
    assert.equal(127, p.exit_code)
    assert.is_false(p:running())
    assert.equal(errors.system.ENOENT, (p.done:recv()))
    assert.matches("status=failed", tostring(p))
    local q, err2 = h.process:spawn("/etc/passwd")
    assert.equal(errors.system.EACCES, err2)
    assert.equal(errors.system.ESRCH, q:kill())
    local _, err3 = h.process:spawn("true", {cwd = "/no/such/dir"})
    assert.equal(errors.system.ENOENT, err3)
    assert.truthy(no_zombie())
  end)

  it("done is sticky, running() and tostring follow the child", function()
    local p = h.process:spawn("sh", {argv = {"-c", "read x; exit 4"}, io = {STDOUT = "null",
      STDERR = "null"}})
    assert.is_true(p:running())
    assert.matches("^levee.Process: pid=%d+ status=running$", tostring(p))
    assert.equal(errors.TIMEOUT, (p.done:recv(20)))
    p.stdin:write("\n")
    local _, c1 = p.done:recv()
    local _, c2 = p.done:recv()
    assert.equal(c1, c2)
    assert.is_false(p:running())
    assert.equal(("levee.Process: pid=%d status=done code=4 signal=0"):format(p.pid), tostring(p))
  end)

  it("kill() sends SIGTERM by default; exit_sig tells the signal", function()
    local p = h.process:spawn("sleep", {argv = {"30"}, io = {STDIN = "null", STDOUT = "null",
      STDERR = "null"}})
    assert.is_nil(p:kill())
    local _, c = p.done:recv()
    assert.equal(0, c.exit_code)
    assert.equal(SIGTERM, c.exit_sig)
    assert.equal(errors.system.ESRCH, p:kill())
  end)

  it("a child that crashes with SIGSEGV reports the signal", function()
    -- PATH only: a sanitizer run's LD_PRELOAD would catch the SEGV in sh
    local p = h.process:spawn("sh", {argv = {"-c", "kill -SEGV $$"}, io = {STDIN = "null",
      STDOUT = "null", STDERR = "null"}, env = {PATH = os.getenv("PATH")}})
    local _, c = p.done:recv()
    assert.equal(SIGSEGV, c.exit_sig)
    assert.equal(0, c.exit_code)
  end)

  it("a child that ignores SIGTERM keeps running until SIGKILL", function()
    local p = h.process:spawn("sh", {argv = {"-c", "trap '' TERM; echo ready; sleep 30 & wait"},
      io = {STDIN = "null", STDERR = "null"}})
    assert.equal("ready\n", p.stdout:reads())
    assert.is_nil(p:kill(SIGTERM))
    assert.equal(levee.errors.TIMEOUT, (p.done:recv(200)))
    assert.is_true(p:running())
    assert.is_nil(p:kill(SIGKILL))
    local _, c = p.done:recv()
    assert.equal(SIGKILL, c.exit_sig)
    p.stdout:close()
  end)

  it("a child that closes stdin early makes our write fail with EPIPE", function()
    local p = h.process:spawn("head", {argv = {"-c", "1"}, io = {STDERR = "null"}})
    local chunk = string.rep("x", 65536)
    local err
    for _ = 1, 64 do
      err = p.stdin:write(chunk)
      if err then break end
    end
    assert.equal(errors.system.EPIPE, err)
    assert.equal("x", slurp(p.stdout))
    p.done:recv()
  end)

  it("a child that writes more than a pipe holds is read to the end", function()
    local p = h.process:spawn("head", {argv = {"-c", "1048576", "/dev/zero"}, io = {STDIN = "null"}})
    local out = slurp(p.stdout)
    assert.equal(1048576, #out)
    local _, c = p.done:recv()
    assert.equal(0, c.exit_code)
    p.stderr:close()
  end)

  it("reaps only its own children: io.popen's child stays popen's", function()
    local f = io.popen("sleep 0.2; echo popen")
    local p = h.process:spawn("true", {io = {STDIN = "null", STDOUT = "null", STDERR = "null"}})
    p.done:recv()
    assert.equal("popen\n", f:read("*a"))
    assert.is_true(f:close())  -- pclose found its child's status
  end)

  it("1,000 spawns leave no zombie and no fd", function()
    for _ = 1, 1000 do
      local p = h.process:spawn("/bin/true", {io = {STDIN = "null", STDERR = "null"}})
      p.stdout:close()
      p.done:recv()
    end
    assert.truthy(no_zombie())
  end)

  it("pdeathsig reaches a child whose parent dies without cleaning up", function()
    -- a luajit child spawns sleep, prints its pid and dies by SIGKILL
    local code = [[local h = require("levee").Hub()
      local p = h.process:spawn("sleep", {argv = {"60"}, io = {STDIN = "null", STDOUT = "null"}})
      io.write(p.pid, "\n") io.flush()
      require("ffi").C.kill(require("ffi").C.getpid(), 9)]]
    local parent = h.process:spawn("luajit", {argv = {"-e", code}, io = {STDIN = "null"}})
    local pid = tonumber(slurp(parent.stdout))
    parent.done:recv()
    assert.equal(SIGKILL, parent.exit_sig)
    assert.truthy(pid)
    -- the grandchild got SIGTERM: it is gone or a zombie of its new parent
    local state
    for _ = 1, 200 do
      local f = io.open("/proc/" .. pid .. "/stat")
      if not f then state = "gone" break end
      state = f:read("*a"):match("^%d+ %b() (%a)")
      f:close()
      if state == "Z" then break end
      h:sleep(25)
    end
    assert.truthy(state == "gone" or state == "Z", "grandchild state " .. tostring(state))
    parent.stderr:close()
  end)

  it("respawn runs this interpreter again with more arguments", function()
    local saved = _G.arg
    _G.arg = {[-1] = "luajit", [0] = "-e"}
    local p = h.process:respawn({argv = {"io.write('again')"}, io = {STDIN = "null", STDERR = "null"}})
    _G.arg = saved
    assert.equal("again", slurp(p.stdout))
    p.done:recv()
  end)

  it("bad options raise a Lua error naming them", function()
    assert.has_error(function() h.process:spawn({}) end, "no program")
    assert.has_error(function() h.process:spawn("true", {io = {STDOUT = "bogus"}}) end, "io.STDOUT")
    assert.has_error(function() h.process:spawn("true", {argv = "x"}) end, "argv must be a table")
    assert.has_error(function() h.process:spawn("true", {cwd = 5}) end, "cwd must be a string")
    assert.has_error(function() h.process:spawn("true", {env = "A=1"}) end, "env must be a table")
  end)
end)

describe("levee's fds and other ways of starting programs", function()
  it("h.io:pipe and h.io:socketpair fds are close-on-exec (os.execute does not inherit them)", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    local a, b = h.io:socketpair()
    local path = os.tmpname()
    assert.equal(0, os.execute("ls /proc/self/fd > " .. path))
    local f = io.open(path)
    local listed = {}
    for line in f:lines() do listed[tonumber(line)] = true end
    f:close()
    os.remove(path)
    for _, io_ in ipairs({r, w, a, b}) do
      assert.is_nil(listed[io_.no], "fd " .. io_.no .. " reached the child")
      io_:close()
    end
  end)
end)
