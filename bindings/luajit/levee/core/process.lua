-- h.process: child processes (lua-api.md §6, extensions.md "Processes").
--
-- The core spawns (levee_process_spawn) and reaps through the child's
-- pidfd: each child has a green thread that waits on it and, when the
-- child exits, fills exit_code / exit_sig, closes child.stdin and sends
-- the child on child.done. Only levee's own children are reaped.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local SIGTERM = L.LEVEE_SIGTERM
local STDIO = {pipe = L.LEVEE_STDIO_PIPE, inherit = L.LEVEE_STDIO_INHERIT,
  null = L.LEVEE_STDIO_NULL, close = L.LEVEE_STDIO_CLOSE}
local STREAMS = {"STDIN", "STDOUT", "STDERR"}

local Process = {}
Process.__index = Process

function Process:__tostring()
  if self.err then
    return ("levee.Process: pid=nil status=failed err=%s"):format(tostring(self.err))
  end
  if self.exit_code == nil then
    return ("levee.Process: pid=%d status=running"):format(self.pid)
  end
  return ("levee.Process: pid=%d status=done code=%d signal=%d"):format(self.pid,
    self.exit_code, self.exit_sig)
end

-- running() -> true until the child has exited and been reaped.
function Process:running()
  return self.err == nil and self.exit_code == nil
end

-- kill([sig=SIGTERM]) -> err: errors.system.ESRCH once the child is gone.
function Process:kill(sig)
  if self.err then return errors.system.ESRCH end
  local rc = L.levee_process_kill(self.handle, sig or SIGTERM)
  if rc < 0 then return errors.get(rc) end
end

-- The reaper: one green thread per child, waiting on its pidfd.
local function reap(self, ev, fd)
  local hub = self.hub
  -- 1: reaped; < 0: someone else reaped it (waitpid(-1) elsewhere in the
  -- process), its status is lost: exit_code and exit_sig stay -1
  while L.levee_process_wait(self.handle, 0) == 0 do ev:recv() end
  hub:unregister(fd)
  self.exit_code = L.levee_process_exit_code(self.handle)
  self.exit_sig = L.levee_process_exit_signal(self.handle)
  if self.stdin then self.stdin:close() end
  self.done_sender:send(self)
end

-- What options.io[NAME] asks for: a LEVEE_STDIO_* value or an fd.
local function stdio_of(value, name, default)
  if value == nil then return default end
  if type(value) == "number" then
    if value == -1 then return STDIO.close end
    if value < 0 then error("h.process:spawn: bad fd for io." .. name, 3) end
    return value
  end
  if type(value) == "string" then
    local v = STDIO[value]
    if not v then error("h.process:spawn: io." .. name .. " must be a fd, an io or one of " ..
      "pipe, inherit, null, close", 3) end
    return v
  end
  if type(value) == "table" and value.no then
    -- a levee io handed to the child: back to blocking (children expect it)
    L.levee_fd_nonblock(value.no, 0)
    return value.no
  end
  error("h.process:spawn: bad value for io." .. name, 3)
end

local function cstrings(list)
  local arr = ffi.new("const char *[?]", #list + 1)
  for i = 1, #list do arr[i - 1] = list[i] end
  arr[#list] = nil
  return arr
end

local Spawner = {}
Spawner.__index = Spawner

-- spawn(name[, options]) or spawn(options) -> Process[, err].
--   options.argv: the arguments (name, when given, comes first); the
--     program is looked up in PATH unless it holds a '/'.
--   options.io = {STDIN=, STDOUT=, STDERR=}: absent is a pipe (child.stdin
--     is an io.W, child.stdout / child.stderr io.R); a number is a fd of
--     this process (-1: closed in the child); a levee io is its fd; or
--     "pipe", "inherit", "null" (/dev/null), "close".
--   options.env: a table {NAME = value} (or {"NAME=value"}) that replaces
--     the environment; options.cwd: the child's directory.
--   options.pdeathsig (default SIGTERM, false or 0 for none): sent to the
--     child when the OS thread that spawned it ends, or when the Process is
--     collected while the child runs.
-- When the program cannot run (not found, not executable, bad cwd) the
-- Process comes back finished: p.err is the error (also the second
-- result), exit_code 127, done:recv() returns the error, no io fields.
function Spawner:spawn(name, options)
  if type(name) == "table" then name, options = nil, name end
  options = options or {}
  if options.argv ~= nil and type(options.argv) ~= "table" then
    error("h.process:spawn: argv must be a table", 2)
  end
  if options.cwd ~= nil and type(options.cwd) ~= "string" then
    error("h.process:spawn: cwd must be a string", 2)
  end
  if options.env ~= nil and type(options.env) ~= "table" then
    error("h.process:spawn: env must be a table", 2)
  end
  local argv = {}
  if name then argv[1] = tostring(name) end
  for _, a in ipairs(options.argv or {}) do argv[#argv + 1] = tostring(a) end
  if #argv == 0 then error("h.process:spawn: no program", 2) end

  local io_opts = options.io or {}
  local stdio = ffi.new("int32_t[3]")
  for i, key in ipairs(STREAMS) do
    stdio[i - 1] = stdio_of(io_opts[key], key, STDIO.pipe)
  end
  local env
  if options.env then
    local list = {}
    for k, v in pairs(options.env) do
      if type(k) == "number" then list[#list + 1] = tostring(v)
      else list[#list + 1] = tostring(k) .. "=" .. tostring(v) end
    end
    table.sort(list)
    env = cstrings(list)
  end
  local pdeathsig = options.pdeathsig
  if pdeathsig == nil then pdeathsig = SIGTERM elseif pdeathsig == false then pdeathsig = 0 end

  local hub = self.hub
  local out = ffi.new("levee_process *[1]")
  local cargv = cstrings(argv)
  local rc = L.levee_process_spawn(out, argv[1], cargv, env, options.cwd, stdio, pdeathsig)
  local s, r = hub:value()
  local p = setmetatable({hub = hub, argv = argv, done_sender = s}, Process)
  p.done = require("levee.core.message").Pair(s, r)
  if rc < 0 then
    p.err = errors.get(rc)
    p.message = ffi.string(L.levee_last_message())
    p.exit_code, p.exit_sig = 127, 0
    s:pass(p.err)
    return p, p.err
  end
  p.handle = ffi.gc(out[0], L.levee_process_free)
  p.pid = L.levee_process_pid(p.handle)
  local make = {hub.io.w, hub.io.r, hub.io.r}
  local fields = {"stdin", "stdout", "stderr"}
  for i = 0, 2 do
    local fd = L.levee_process_take_fd(p.handle, i)
    if fd >= 0 then p[fields[i + 1]] = make[i + 1](hub.io, fd) end
  end
  local fd = L.levee_process_watch_fd(p.handle)
  if fd < 0 then error("h.process:spawn: " .. tostring(errors.get(fd)), 2) end
  local ev, _, err = hub:register(fd, true, false)
  if err then
    ffi.C.close(fd)
    error("h.process:spawn: " .. tostring(err), 2)
  end
  -- not spawn(): the reaper needs no tick before spawn returns
  local co = coroutine.create(reap)
  hub:resume(co, p, ev, fd)
  return p
end

-- respawn([options]) -> Process: runs this interpreter again (arg[-1],
-- arg[0], ... of the global arg) with options.argv appended.
function Spawner:respawn(options)
  options = options or {}
  local argv = {}
  local first = 0
  while arg and arg[first - 1] do first = first - 1 end
  for i = first, 0 do argv[#argv + 1] = arg[i] end
  for _, a in ipairs(options.argv or {}) do argv[#argv + 1] = a end
  local o = {}
  for k, v in pairs(options) do o[k] = v end
  o.argv = argv
  return self:spawn(o)
end

pcall(ffi.cdef, "int close(int fd);")

return function(hub) return setmetatable({hub = hub}, Spawner) end
