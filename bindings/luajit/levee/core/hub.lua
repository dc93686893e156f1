-- levee.Hub: the green-thread scheduler over the C++ hub (lua-api.md §2).
--
-- Green threads are coroutines. The loop runs in a coroutine of its own;
-- the thread that created the hub ("main") drives it by blocking: when main
-- blocks it resumes the loop, and the loop yields back to main when main is
-- due. Other green threads yield to the loop that resumed them.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local band = require("bit").band
local tnew = require("table.new")
local co_create, co_resume, co_yield, co_running = coroutine.create, coroutine.resume,
  coroutine.yield, coroutine.running
local TIMEOUT = errors.TIMEOUT
local HUB_READ, HUB_WRITE, HUB_TIMER, HUB_WAKE = 1, 2, 3, 4
local HUB_SIGNAL = L.LEVEE_HUB_SIGNAL
local MAX_EVENTS = 256

pcall(ffi.cdef, "int close(int fd);")

local ready_view -- defined before new()
local MAIN = setmetatable({}, {__tostring = function() return "levee: main thread" end})

local Hub = {}
Hub.__index = Hub

local function fatal(co, err)
  io.stderr:write(debug.traceback(co, "levee: uncaught error in a green thread: " ..
    tostring(err)), "\n")
  io.stderr:flush()
  os.exit(1)
end

-- The running green thread. The hub tracks it itself (`_current`: main,
-- the loop, or the green thread the loop resumed) because
-- coroutine.running is not compiled by LuaJIT and would split every trace.
function Hub:current()
  return self._current
end

-- Resumes green thread co (from the loop) and records who runs.
local function run(self, co, ...)
  self._current = co
  local tr = self._trace_resume
  local ok, err
  if tr then ok, err = tr(co, ...) else ok, err = co_resume(co, ...) end
  self._current = self._loop
  if not ok then fatal(co, err) end
end

-- ---------------------------------------------------------------------
-- argument checks: a programming mistake is a Lua error that names the
-- argument and points at the caller of the hub method (error level 3 from
-- bad() called by the method, 4 through check_ms / as_function).

local function bad(fn, what, expected, v, level)
  error(("levee: %s: %s must be %s, got %s"):format(fn, what, expected, type(v)), level or 3)
end

-- A number of milliseconds (nil allowed when optional).
local function check_ms(ms, fn, optional, level)
  if type(ms) ~= "number" and not (optional and ms == nil) then
    bad(fn, "ms", "a number", ms, level or 4)
  end
end

-- f as a function a coroutine can run: functions as they are, callable
-- tables and cdata wrapped.
local function as_function(f, fn, what, level)
  local t = type(f)
  if t == "function" then return f end
  if t == "table" or t == "cdata" or t == "userdata" then
    local ok, mt = pcall(getmetatable, f)
    if ok and type(mt) == "table" and mt.__call then
      return function(...) return f(...) end
    end
  end
  bad(fn, what or "f", "a function", f, level or 4)
end

Hub._check_ms = check_ms
Hub._as_function = as_function

-- ---------------------------------------------------------------------
-- the ready queue: a ring of preallocated slots, five per entry (thread,
-- three values, and the argument count of a new thread's first resume).
-- _rhead and _rtail count the entries ever popped and pushed; an entry's
-- slots start at band(count, mask) * 5. The slot indices stay within the
-- ring, so the table stays an array (indices that kept growing would spill
-- into its hash part and rehash it over and over).

local RING = 256  -- initial capacity in entries (a power of two)

local function ring_grow(self)
  local old, mask = self._rq, self._rmask
  local nmask = mask * 2 + 1
  local q = tnew((nmask + 1) * 5, 0)
  for i = self._rhead, self._rtail - 1 do
    local from, to = band(i, mask) * 5, band(i, nmask) * 5
    q[to + 1], q[to + 2], q[to + 3], q[to + 4], q[to + 5] =
      old[from + 1], old[from + 2], old[from + 3], old[from + 4], old[from + 5]
  end
  self._rq, self._rmask = q, nmask
end

local function ready_push(self, co, a, b, c)
  local t = self._rtail
  if t - self._rhead > self._rmask then ring_grow(self) end
  self._rtail = t + 1
  local q, j = self._rq, band(t, self._rmask) * 5
  q[j + 1], q[j + 2], q[j + 3], q[j + 4] = co, a, b, c
end

-- A new thread's first resume carries exactly its n spawn arguments.
local function ready_spawn(self, co, n, a, b, c)
  ready_push(self, co, a, b, c)
  self._rq[band(self._rtail - 1, self._rmask) * 5 + 5] = n
end

-- ---------------------------------------------------------------------
-- switching

-- Resumes co from the loop with the given values.
function Hub:_coresume(co, a, b, c)
  if co == self._main then
    if self._current == self._loop then
      self._current = co
      return co_yield(a, b, c)
    end
    return ready_push(self, co, a, b, c)
  end
  run(self, co, a, b, c)
end

-- Suspends the calling green thread until something resumes it; returns
-- the values it is resumed with.
function Hub:_coyield()
  if self._current ~= self._main then return co_yield() end
  self._current = self._loop
  local ok, a, b, c = co_resume(self._loop)
  self._current = self._main
  if not ok then error(a, 0) end
  return a, b, c
end

-- Cancels the timeout of a paused thread that is being resumed.
local function cancel_pause(self, co)
  if self._npaused == 0 then return end
  local token = self._pause_token[co]
  if token then
    self._pause_token[co] = nil
    self._npaused = self._npaused - 1
    self._timers[token] = nil
    L.levee_hub_timer_cancel(self.handle, self._pause_slot[co], token)
    self._pause_slot[co] = nil
  end
end

-- Queues co to run on the next tick with (a, b, c).
function Hub:resume(co, a, b, c)
  if type(co) ~= "thread" and co ~= self._main then bad("h:resume", "co", "a coroutine", co) end
  cancel_pause(self, co)
  ready_push(self, co, a, b, c)
end

-- Wakes co now (State:set, as the original): from the loop as any resume;
-- from a green thread or main by resuming co right there, so co runs
-- until it blocks before set returns. Main itself is never resumed from
-- inside another thread: it is queued for the next tick.
function Hub:_wake_sync(co, a, b, c)
  cancel_pause(self, co)
  local cur = self._current
  if cur == self._loop then return self:_coresume(co, a, b, c) end
  if co == self._main then return ready_push(self, co, a, b, c) end
  self._current = co
  local tr = self._trace_resume
  local ok, err
  if tr then ok, err = tr(co, a, b, c) else ok, err = co_resume(co, a, b, c) end
  self._current = cur
  if not ok then fatal(co, err) end
end

function Hub:continue()
  local co = self._current
  ready_push(self, co)
  if co ~= self._main then return co_yield() end
  return self:_coyield()
end

-- ---------------------------------------------------------------------
-- time

function Hub:now() return L.levee_hub_now(self.handle) end

function Hub:_timer(ms, target)
  local token = self._next_token + 1
  self._next_token = token
  local slot = L.levee_hub_timer_add(self.handle, L.levee_hub_now(self.handle) + ms, token)
  if slot < 0 then error("levee: cannot add a timer: " .. tostring(errors.get(slot)), 3) end
  self._timers[token] = target
  return token, slot
end

-- pause([ms]) -> err, sender, value: blocks until resume(); with ms,
-- errors.TIMEOUT if nobody resumed the thread in time.
function Hub:pause(ms)
  if ms ~= nil then
    if type(ms) ~= "number" then bad("h:pause", "ms", "a number or nil", ms) end
    local co = self._current
    local token, slot = self:_timer(ms, co)
    self._pause_token[co], self._pause_slot[co] = token, slot
    self._npaused = self._npaused + 1
  end
  return self:_coyield()
end

function Hub:sleep(ms)
  if type(ms) ~= "number" then bad("h:sleep", "ms", "a number", ms) end
  local co = self._current
  local token, slot = self:_timer(ms, co)
  self._pause_token[co], self._pause_slot[co] = token, slot
  self._npaused = self._npaused + 1
  self:_coyield()
end

-- ---------------------------------------------------------------------
-- threads

-- spawn(f, ...): f(...) runs (until it first blocks) before spawn returns.
function Hub:spawn(f, ...)
  if type(f) ~= "function" then f = as_function(f, "h:spawn") end
  local n = select("#", ...)
  local co
  if n <= 3 then
    co = co_create(f)
    ready_spawn(self, co, n, ...)
  else
    local args = {...}
    co = co_create(function() return f(unpack(args, 1, n)) end)
    ready_spawn(self, co, 0)
  end
  return self:continue()
end

-- spawn_later(ms, f): f() runs as a new thread after ms.
function Hub:spawn_later(ms, f)
  check_ms(ms, "h:spawn_later")
  if type(f) ~= "function" then f = as_function(f, "h:spawn_later") end
  self:_timer(ms, {f})
end

-- spawn_every(iter, f): a thread that spawns f(item) for every item.
function Hub:spawn_every(iter, f)
  iter = as_function(iter, "h:spawn_every", "iter")
  if type(f) ~= "function" then f = as_function(f, "h:spawn_every") end
  self:spawn(function()
    for item in iter do self:spawn(f, item) end
  end)
end

-- ---------------------------------------------------------------------
-- fds

local State = {}
State.__index = State

-- recv([ms]) -> err, nil, value: value 1 (ready) or -1 (hang-up, error or
-- unregistered); an event that arrived while nobody waited is latched.
function State:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then bad("State:recv", "ms", "a number or nil", ms) end
  if self.has then
    local v = self.value
    self.has, self.value = false, nil
    return nil, nil, v
  end
  if self.nopoll then return 1 end  -- the original's stub: the single value 1
  if self.co then error("levee: a second green thread cannot wait on the same fd state", 2) end
  local co = self.hub._current
  self.co = co
  local err, sender, value = self.hub:pause(ms)
  if self.co == co then self.co = nil end
  if err then return err end
  return nil, sender, value
end

-- set(v): wakes the waiter now (from the loop), else latches v.
function State:set(v)
  local co = self.co
  if co then
    self.co = nil
    return self.hub:_wake_sync(co, nil, nil, v)
  end
  self.has, self.value = true, v
end

-- The States of one hub share a metatable that holds the hub, so a State
-- table keeps only what changes (has, value, co): two hash slots for an
-- fd's State that never had a waiter instead of four (memory per
-- connection; docs/design.md).
local function state_class(hub)
  local mt = hub._state_mt
  if not mt then
    mt = setmetatable({hub = hub}, State)
    mt.__index = mt
    hub._state_mt = mt
  end
  return mt
end

local function new_state(hub, nopoll)
  local st = setmetatable({has = false}, state_class(hub))
  if nopoll then st.nopoll = true end
  return st
end

-- register(fd, r, w) -> r_ev, w_ev (States; nil for a false flag). On
-- failure (e.g. fd already registered) -> nil, nil, err.
function Hub:register(fd, r, w)
  if type(fd) ~= "number" then bad("h:register", "fd", "a number", fd) end
  local flags = (r and 1 or 0) + (w and 2 or 0)
  local rc = L.levee_hub_register(self.handle, fd, flags, fd * 2, fd * 2 + 1)
  if rc < 0 then return nil, nil, errors.get(rc) end
  local r_ev = r and new_state(self) or nil
  local w_ev = w and new_state(self) or nil
  self._states[fd * 2], self._states[fd * 2 + 1] = r_ev, w_ev
  -- the states are in _states: no table per fd (memory per connection)
  self.registered[fd] = true
  return r_ev, w_ev
end

-- register_nopoll(fd, r, w): states for regular files, always ready.
function Hub:register_nopoll(fd, r, w)
  if type(fd) ~= "number" then bad("h:register_nopoll", "fd", "a number", fd) end
  if self.registered[fd] then return nil, nil, errors.system.EEXIST end
  local r_ev = r and new_state(self, true) or nil
  local w_ev = w and new_state(self, true) or nil
  self.registered[fd] = {r_ev, w_ev, nopoll = true}
  self._nopoll = self._nopoll + 1
  return r_ev, w_ev
end

-- unregister(fd): the fd is closed at the start of the next tick; its
-- waiters wake with -1.
function Hub:unregister(fd)
  local reg = self.registered[fd]
  if not reg then return end
  self.registered[fd] = nil
  local r_ev, w_ev
  if reg == true then
    local states = self._states
    r_ev, w_ev = states[fd * 2], states[fd * 2 + 1]
    L.levee_hub_unregister(self.handle, fd)
    states[fd * 2], states[fd * 2 + 1] = nil, nil
  else
    r_ev, w_ev = reg[1], reg[2]
    self._nopoll = self._nopoll - 1
  end
  self.closing[#self.closing + 1] = fd
  if r_ev then r_ev:set(-1) end
  if w_ev then w_ev:set(-1) end
end

-- ---------------------------------------------------------------------
-- the hub's own plumbing (signals, thread channels): fds and
-- subscriptions that keep the hub polling but are not counted by in_use()

-- _register_private(fd) -> State for the readability of fd, or nil, err.
function Hub:_register_private(fd)
  local rc = L.levee_hub_register(self.handle, fd, L.LEVEE_HUB_R + L.LEVEE_HUB_PRIVATE,
    fd * 2, fd * 2 + 1)
  if rc < 0 then return nil, errors.get(rc) end
  local ev = new_state(self)
  self._states[fd * 2] = ev
  self._private = self._private + 1
  return ev
end

-- _unregister_private(fd): forgets and closes fd now; its waiter wakes
-- with -1.
function Hub:_unregister_private(fd)
  local ev = self._states[fd * 2]
  if not ev then return end
  L.levee_hub_unregister(self.handle, fd)
  self._states[fd * 2] = nil
  self._private = self._private - 1
  ffi.C.close(fd)
  ev:set(-1)
end

-- in_use() -> true while any fd is registered.
function Hub:in_use()
  return L.levee_hub_registered(self.handle) + self._nopoll > 0
end

-- ---------------------------------------------------------------------
-- the loop
--
-- A tick (lua-api.md §2) runs the entries that were ready when it began
-- (_rhead up to _tick), then tick_end closes fds, polls and dispatches.
-- main() is one flat loop that either runs the next entry of the tick or
-- ends the tick: a nested per-tick loop would run one iteration per tick
-- in a ping-pong, and LuaJIT gives up compiling such a loop.

-- Resumes a ready entry: a new thread with its n spawn arguments, main,
-- or a green thread.
local function run_entry(self, co, a, b, c, n)
  if n then
    if n == 0 then run(self, co)
    elseif n == 1 then run(self, co, a)
    elseif n == 2 then run(self, co, a, b)
    else run(self, co, a, b, c) end
  elseif co ~= self._main then
    run(self, co, a, b, c)
  else
    self:_coresume(co, a, b, c)
  end
end

-- Pops and runs the next ready entry.
local function run_next(self)
  local q, i = self._rq, self._rhead
  local j = band(i, self._rmask) * 5
  local co, a, b, c, n = q[j + 1], q[j + 2], q[j + 3], q[j + 4], q[j + 5]
  q[j + 1], q[j + 2], q[j + 3], q[j + 4], q[j + 5] = nil, nil, nil, nil, nil
  self._rhead = i + 1
  run_entry(self, co, a, b, c, n)
end

-- Dispatches n polled events: expired timers first (in deadline order),
-- then fd readiness and wake-ups.
local function dispatch(self, n)
  local events, timers, states = self._events, self._timers, self._states
  for i = 0, n - 1 do
    local ev = events[i]
    local kind = ev.kind
    if kind == HUB_TIMER then
      local token = tonumber(ev.token)
      local target = timers[token]
      if target then
        timers[token] = nil
        if type(target) == "table" and target ~= MAIN then
          run(self, co_create(target[1]))
        else
          if self._pause_token[target] == token then
            self._pause_token[target], self._pause_slot[target] = nil, nil
            self._npaused = self._npaused - 1
          end
          self:_coresume(target, TIMEOUT)
        end
      end
    elseif kind == HUB_READ or kind == HUB_WRITE then
      local state = states[tonumber(ev.token)]
      if state then state:set(ev.value) end
    elseif kind == HUB_WAKE then
      if self._on_wake then self:_on_wake() end
    elseif kind == HUB_SIGNAL then
      self.signal:_deliver(tonumber(ev.token), ev.value)
    end
  end
end

-- Ends the tick: closes the fds unregistered during it, polls, dispatches
-- the events, and starts the next tick with what is ready then.
--
-- While threads are runnable the hub polls without waiting on every tick
-- (lua-api.md §2): a thread blocked on an fd runs before a writer's
-- write, continue() or spawn() returns to the writer, and readiness of an
-- fd nobody waits on is latched by then. The system call is skipped while
-- no fd is registered and no wake-up handler is set (it could report
-- nothing): then only the clock is read and the expired timers are
-- collected.
local function tick_end(self)
  local hooks = self._hooks
  if hooks then
    for i = #hooks - 1, 1, -2 do
      if hooks[i](hooks[i + 1]) then
        table.remove(hooks, i + 1)
        table.remove(hooks, i)
      end
    end
    if not hooks[1] then self._hooks = nil end
  end
  local closing = self.closing
  if closing[1] then
    for i = 1, #closing do
      ffi.C.close(closing[i])
      closing[i] = nil
    end
  end
  local handle = self.handle
  local n
  if self._rtail > self._rhead then
    if L.levee_hub_registered(handle) == 0 and not self._on_wake and self._private == 0 then
      n = L.levee_hub_expire(handle, self._events, MAX_EVENTS)
    else
      n = L.levee_hub_poll(handle, 0, self._events, MAX_EVENTS)
    end
  else
    n = L.levee_hub_poll(handle, -1, self._events, MAX_EVENTS)
  end
  if n > 0 then dispatch(self, n)
  elseif n < 0 then error("levee.Hub: " .. tostring(errors.get(n)), 0) end
  self._tick = self._rtail
end

-- _tick_hook(f, arg): f(arg) runs at the end of every tick, before the
-- poll (it may resume threads: the poll then does not wait), until it
-- returns true. Internal: the HTTP server checks its run queue with it.
function Hub:_tick_hook(f, arg)
  local hooks = self._hooks or {}
  hooks[#hooks + 1], hooks[#hooks + 2] = f, arg
  self._hooks = hooks
end

-- pump(): one tick (main() runs the same ticks without the call).
function Hub:pump()
  self._tick = self._rtail
  while self._rhead < self._tick do run_next(self) end
  tick_end(self)
end

-- The loop. run_next is written out in it: the JIT trace that continues
-- after a thread yields back then reaches the loop head and links to the
-- loop's trace, instead of returning out of helper frames to the
-- interpreter on every switch.
function Hub:main()
  self._tick = self._rtail
  while true do
    local i = self._rhead
    if i < self._tick then
      local q = self._rq
      local j = band(i, self._rmask) * 5
      local co, a, b, c, n = q[j + 1], q[j + 2], q[j + 3], q[j + 4], q[j + 5]
      q[j + 1], q[j + 2], q[j + 3], q[j + 4] = nil, nil, nil, nil
      self._rhead = i + 1
      if n == nil and co ~= self._main then
        self._current = co
        local tr = self._trace_resume
        local ok, err
        if tr then ok, err = tr(co, a, b, c) else ok, err = co_resume(co, a, b, c) end
        self._current = self._loop
        if not ok then fatal(co, err) end
      else
        q[j + 5] = nil
        run_entry(self, co, a, b, c, n)
      end
    else
      tick_end(self)
    end
  end
end

-- ---------------------------------------------------------------------
-- message primitives (levee.core.message)

local message = require("levee.core.message")
message.install(Hub)

-- h.ready: `#h.ready` is the number of runnable green threads. A cdata
-- view, since Debian's LuaJIT ignores __len on tables (lua-api.md §0.1).
ffi.cdef("struct levee_lua_ready { int32_t id; };")
local ready_hubs = {}  -- id -> hub (weak: the view does not keep its hub)
setmetatable(ready_hubs, {__mode = "v"})
local ready_ids = 0
local ready_ct = ffi.metatype("struct levee_lua_ready", {
  __len = function(v)
    local hub = ready_hubs[v.id]
    return hub and hub._rtail - hub._rhead or 0
  end,
  __tostring = function(v) return ("levee.Hub.ready: %d runnable"):format(#v) end,
})
ready_view = function(hub)
  ready_ids = ready_ids + 1
  ready_hubs[ready_ids] = hub
  return ready_ct(ready_ids)
end

local function new(options)
  local handle_out = ffi.new("levee_hub *[1]")
  local rc = L.levee_hub_new(handle_out)
  if rc < 0 then error("levee.Hub: " .. tostring(errors.get(rc)), 2) end
  local self = setmetatable({
    handle = ffi.gc(handle_out[0], L.levee_hub_free),
    registered = {},
    closing = {},
    _states = {},
    _timers = {},
    _pause_token = {},
    _pause_slot = {},
    _next_token = 0,
    _npaused = 0,
    _nopoll = 0,
    _private = 0,  -- private fds and signal subscriptions (see _register_private)
    _tick = 0,
    _rhead = 0, _rtail = 0, _rq = tnew(RING * 5, 0), _rmask = RING - 1,
    _events = ffi.new("levee_event[?]", MAX_EVENTS),
    _main = co_running() or MAIN,
    _trace_resume = false,  -- h.trace's timed resume while tracing
  }, Hub)
  self._loop = co_create(function() self:main() end)
  self._current = self._main
  self.io = require("levee.core.io")(self)
  self.stream = require("levee.net.stream")(self)
  self.tcp = self.stream
  self.dgram = require("levee.net.dgram")(self)
  self.http = require("levee.p.http")(self)
  self.dns = require("levee.net.dns")(self)
  self.dialer = require("levee.net.dialer")(self)
  self.signal = require("levee.core.signal")(self)
  self.process = require("levee.core.process")(self)
  self.thread = require("levee.core.thread")(self)
  self.ready = ready_view(self)
  self.trace = require("levee.core.trace")(self)
  if options and options.trace then self.trace:start() end
  return self
end

Hub.MAIN = MAIN
return setmetatable({Hub = Hub}, {__call = function(_, options) return new(options) end})
