-- Message primitives between green threads (lua-api.md §2): pipe, value,
-- flag, gate, queue, stalk, selector, router, dealer, broadcast, pool and
-- Pair. Receiving objects answer a small internal protocol so any sender
-- can be redirected into a selector or broadcast:
--   target:_take(sender, err, value) -> true when a waiter took the value now
--   target:_offer(sender)            -> the sender parked holding a value
--   target:_closed(sender)           -> the sender closed
--   target:_notify(err, value)       -> a sticky value changed (value sources)
local ffi = require("ffi")
local errors = require("levee.errors")

local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT
local co_yield = coroutine.yield
local M = {hub_methods = {}}
local H = M.hub_methods

-- The hub's switching methods, bound by M.install: the hot paths call them
-- as plain functions (a method call on the hub looks the name up through
-- its metatable each time).
local hub_resume, hub_continue, hub_coyield

local function me(hub) return hub._current end

local function single(self, what)
  if self.co then
    error(("levee: a second green thread cannot block on this %s"):format(what), 3)
  end
end

-- Argument checks: a programming mistake is a Lua error naming the
-- argument, pointing at the caller of the method that checks.
local function bad(fn, what, expected, v, level)
  error(("levee: %s: %s must be %s, got %s"):format(fn, what, expected, type(v)), level or 3)
end
local function check_recv_ms(ms, what)
  if ms ~= nil and type(ms) ~= "number" then
    error(("levee: %s:recv: ms must be a number or nil, got %s"):format(what, type(ms)), 3)
  end
end
-- A buffer size: nil (unbounded) or a whole number >= 1.
local function check_size(size, fn)
  if size ~= nil and (type(size) ~= "number" or size < 1 or size % 1 ~= 0) then
    if type(size) == "number" then
      error(("levee: %s: size must be a whole number >= 1 or nil, got %s"):format(fn,
        tostring(size)), 3)
    end
    bad(fn, "size", "a whole number >= 1 or nil", size, 4)
  end
end
-- A redirect target answers the receiving protocol.
local function check_target(target)
  local ok = (type(target) == "table" or type(target) == "cdata") and pcall(function()
    return target._take and target._offer and target._closed
  end)
  if not ok or not (target._take and target._offer and target._closed) then
    bad("recver:redirect", "target", "a selector, a broadcast or a recver", target, 4)
  end
end

-- Iteration: `for v in recver do` ends on an error or a nil value.
local function call_iter(self)
  local err, value = self:recv()
  if err then return nil end
  return value
end

-- Waits as the single waiter of obj; returns what the waker passed: err,
-- value (or err, recver, value for a selector). Failure returns only err.
local function wait(obj, hub, ms, what, three)
  if obj.co then single(obj, what) end
  local co = hub._current
  obj.co = co
  local a, b, c
  if ms == nil and co ~= hub._main then a, b, c = co_yield()
  else a, b, c = hub:pause(ms) end
  if obj.co == co then obj.co = nil end
  if a == TIMEOUT then return a end
  if three then return a, b, c end
  return a, b
end

local function wake(obj, a, b, c)
  local co = obj.co
  if not co then return false end
  obj.co = nil
  hub_resume(obj.hub, co, a, b, c)
  return true
end

-- Resumes a sender parked on a full queue with rc (nil or CLOSED).
local function unpark(s, rc)
  local co = s.co
  if co then
    s.co = nil
    hub_resume(s.hub, co, rc)
  end
end

-- A FIFO as a table with head/tail indices.
local function fifo() return {h = 0, t = 0} end
local function fpush(q, v) q.t = q.t + 1; q[q.t] = v end
local function fpop(q)
  if q.h == q.t then return nil end
  q.h = q.h + 1
  local v = q[q.h]
  q[q.h] = nil
  if q.h == q.t then q.h, q.t = 0, 0 end
  return v
end
local function flen(q) return q.t - q.h end

-- Every sender class: send(v) and error(e) are pass(nil, v) / pass(e).
local function sender_class()
  local S = {}
  S.__index = S
  function S:send(value) return self:pass(nil, value) end
  function S:error(e) return self:pass(e) end
  return S
end

-- A connected (sender, recver) pair; rfields seeds the recver's state.
local function ends(hub, S, R, sfields, rfields)
  sfields = sfields or {}
  sfields.hub = hub
  local s = setmetatable(sfields, S)
  rfields = rfields or {}
  rfields.hub, rfields.sender = hub, s
  local r = setmetatable(rfields, R)
  s.recver = r
  return s, r
end

-- =====================================================================
-- Sender: the plain sending end (pipe, selector and broadcast sources)

local Sender = sender_class()
M.Sender = Sender
M.call_iter = call_iter  -- `for v in obj` over any obj:recv() -> err, v

-- pass(err, value) -> err: hands (err, value) to the receiving end. If a
-- receiver waits it runs before pass returns; otherwise the sender parks
-- until the value is taken (nil) or the receiver closes (CLOSED).
local function sender_pass(self, err, value)
  if self.closed or self.peer_closed then return CLOSED end
  single(self, "sender")
  local r, hub = self.recver, self.hub
  if r:_take(self, err, value) then
    hub_continue(hub)
    return nil
  end
  self.err, self.value = err, value
  self.co = hub._current
  r:_offer(self)
  return hub_coyield(hub)
end
Sender.pass = sender_pass
function Sender:send(value) return sender_pass(self, nil, value) end


-- close(): the receiving end sees CLOSED. When that woke a waiting
-- receiver the sender yields one tick, so the receiver has seen CLOSED
-- when close returns.
function Sender:close()
  if self.closed then return CLOSED end
  self.closed = true
  if self.recver:_closed(self) then hub_continue(self.hub) end
  return nil
end

-- Called by a receiving end that took this sender's parked value.
function Sender:_taken(rc)
  local co = self.co
  self.co, self.err, self.value = nil, nil, nil
  if co then hub_resume(self.hub, co, rc) end
end

-- =====================================================================
-- Recver: the plain receiving end of a pipe

local Recver = {}
Recver.__index = Recver
M.Recver = Recver

function Recver:_take(_, err, value) return wake(self, err, value) end
function Recver:_offer(sender) fpush(self.pending, sender) end
-- The sender closed: a waiting receiver wakes with CLOSED, and this end
-- counts as closed then (its own close() answers CLOSED). True when it
-- woke someone.
function Recver:_closed()
  self.sender_closed = true
  if wake(self, CLOSED) then
    self.closed = true
    return true
  end
  return false
end

-- recv([ms]) -> err, value
local function recver_recv(self, ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "recver") end
  local s = fpop(self.pending)
  if s then
    local err, value = s.err, s.value
    s:_taken(nil)
    return err, value
  end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "recver")
end
Recver.recv = recver_recv
function Recver:__call()
  local err, value = recver_recv(self)
  if err then return nil end
  return value
end

function Recver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  local s = fpop(self.pending)
  while s do
    s:_taken(CLOSED)
    s = fpop(self.pending)
  end
  wake(self, CLOSED)
  if self.on_close then self:on_close() end
  return nil
end

-- redirect(target): this recver's sender now delivers to target (a
-- selector, a broadcast or another recver); this recver becomes closed.
function Recver:redirect(target)
  check_target(target)
  if self.closed then return CLOSED end
  self.closed = true
  local s = self.sender
  s.recver = target
  if target._attach then target:_attach(s, self) end
  -- A parked value goes straight to a consumer already waiting on target.
  local p = fpop(self.pending)
  while p do
    if target:_take(p, p.err, p.value) then p:_taken(nil) else target:_offer(p) end
    p = fpop(self.pending)
  end
  if self.sender_closed then target:_closed(s) end
  return nil
end

-- A pipe's sender and recver hold every key they set from the start: a
-- key that comes and goes (co, err, value on each message) is dropped when
-- the table rehashes and must be inserted again, rehashing once more.
local function sender_fields()
  return {co = false, err = false, value = false, closed = false, peer_closed = false}
end

function H:pipe()
  return ends(self, Sender, Recver, sender_fields(),
    {pending = fifo(), co = false, closed = false, sender_closed = false})
end

-- =====================================================================
-- value: a sticky value

local Value = sender_class()
M.Value = Value

-- pass(err, value): stores (err, value) (nil clears it) and wakes a waiter,
-- yielding one tick when it woke someone.
function Value:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  self.err, self.value = err, value
  if (err or value) and self.recver:_notify(err, value) then hub_continue(self.hub) end
  return nil
end

-- Stores without yielding (for primitives built on values).
function Value:_set(err, value)
  self.err, self.value = err, value
  if err or value then self.recver:_notify(err, value) end
end

function Value:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.recver:_closed(self)
  return nil
end

local ValueRecver = {}
ValueRecver.__index = ValueRecver
ValueRecver.__call = call_iter

function ValueRecver:_notify(err, value) return wake(self, err, value) end
function ValueRecver:_closed()
  self.sender_closed = true
  wake(self, CLOSED)
end

-- recv([ms]) -> err, value: the stored value, not consumed; blocks while
-- it is unset (nil or false).
function ValueRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "value recver") end
  if self.closed then return CLOSED end
  local s = self.sender
  if s.err or s.value then return s.err, s.value end
  if self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "value recver")
end

-- close() for a recver with nothing buffered: the sender sees CLOSED, a
-- waiter wakes with CLOSED.
local function close_recver(self)
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  wake(self, CLOSED)
  return nil
end
ValueRecver.close = close_recver

function ValueRecver:redirect(target)
  check_target(target)
  if self.closed then return CLOSED end
  self.closed = true
  local s = self.sender
  s.recver = target
  if target._attach then target:_attach(s, self) end
  if self.sender_closed then target:_closed(s) end
  return nil
end

function H:value(initial) return ends(self, Value, ValueRecver, {value = initial}) end

-- =====================================================================
-- flag: a one-shot latch

local Flag = sender_class()

-- send(v) never yields: a waiter gets v, else v is stored (overwriting).
function Flag:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  local r = self.recver
  if not wake(r, err, value) then
    r.has, r.err, r.value = true, err, value
  end
  return nil
end
function Flag:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.recver.sender_closed = true
  wake(self.recver, CLOSED)
  return nil
end

local FlagRecver = {}
FlagRecver.__index = FlagRecver
FlagRecver.__call = call_iter

-- recv([ms]) returns and clears the stored value, else blocks.
function FlagRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "flag recver") end
  if self.has then
    local err, value = self.err, self.value
    self.has, self.err, self.value = false, nil, nil
    return err, value
  end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "flag recver")
end

FlagRecver.close = close_recver

function H:flag(initial)
  return ends(self, Flag, FlagRecver, nil, {has = initial ~= nil, value = initial})
end

-- =====================================================================
-- gate: the receiver releases the sender only when it asks for the next

local GateSender = sender_class()

function GateSender:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  single(self, "gate sender")
  local r = self.recver
  self.co = me(self.hub)
  if wake(r, err, value) then
    r.holding = self
  else
    self.err, self.value, self.has = err, value, true
    r.pending = self
  end
  return hub_coyield(self.hub)
end
function GateSender:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.recver.sender_closed = true
  wake(self.recver, CLOSED)
  return nil
end

local GateRecver = {}
GateRecver.__index = GateRecver
GateRecver.__call = call_iter

local function release(sender, rc)
  sender.has = false
  Sender._taken(sender, rc)
end

function GateRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "gate recver") end
  if self.holding then
    release(self.holding, nil)
    self.holding = nil
  end
  local s = self.pending
  if s then
    self.pending = nil
    self.holding = s
    local err, value = s.err, s.value
    s.has, s.err, s.value = false, nil, nil
    return err, value
  end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "gate recver")
end

function GateRecver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  if self.holding then release(self.holding, CLOSED) self.holding = nil end
  if self.pending then release(self.pending, CLOSED) self.pending = nil end
  wake(self, CLOSED)
  return nil
end

function H:gate() return ends(self, GateSender, GateRecver) end

-- =====================================================================
-- Pair: a sender and a recver used as one object

local Pair = {}
Pair.__index = Pair
Pair.__call = function(self) return call_iter(self.recver) end

function Pair:send(value) return self.sender:send(value) end
function Pair:pass(err, value) return self.sender:pass(err, value) end
function Pair:error(e) return self.sender:error(e) end
function Pair:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "pair") end
  return self.recver:recv(ms)
end
function Pair:close()
  local e1 = self.sender:close()
  local e2 = self.recver:close()
  return e1 and e2
end

function M.Pair(sender, recver) return setmetatable({sender = sender, recver = recver}, Pair) end

-- =====================================================================
-- queue: buffered, one sender, one recver

local QSender = sender_class()

-- pass(err, value): never blocks while fewer than size items are
-- buffered; a waiting recver is woken without the sender yielding.
function QSender:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  local r = self.recver
  if wake(r, err, value) then return nil end
  while r.size and r.count >= r.size do
    single(self, "queue sender")
    self.co = me(self.hub)
    local rc = hub_coyield(self.hub)
    self.co = nil
    if rc then return rc end
    if wake(r, err, value) then return nil end
  end
  r.count = r.count + 1
  local q = r.items
  q.t = q.t + 1
  q[q.t], r.errs[q.t] = value, err
  if r.count == 1 and r._empty then r._empty:_set(nil, nil) end
  return nil
end

-- close(): queued behind the buffered items.
function QSender:close()
  if self.closed then return CLOSED end
  self.closed = true
  local r = self.recver
  if r.count == 0 then
    r.sender_closed = true
    wake(r, CLOSED)
  else
    r.close_after = r.items.t
  end
  return nil
end

local QRecver = {}
QRecver.__call = call_iter
QRecver.__len = function(self) return self.count end

function QRecver.__index(self, key)
  if key == "empty" then
    -- recver.empty: a Pair over value(true): recv returns true while empty.
    local s, r = self.hub:value(self.count == 0 and true or nil)
    rawset(self, "_empty", s)
    local pair = M.Pair(s, r)
    rawset(self, "empty", pair)
    return pair
  end
  return QRecver[key]
end

local function qpop(self)
  local q = self.items
  q.h = q.h + 1
  local i = q.h
  local err, value = self.errs[i], q[i]
  q[i], self.errs[i] = nil, nil
  if q.h == q.t then q.h, q.t = 0, 0 end
  self.count = self.count - 1
  if self.close_after == i then
    self.close_after = nil
    self.sender_closed = true
  end
  if self.count == 0 and self._empty then self._empty:_set(nil, true) end
  unpark(self.sender, nil)
  return err, value
end

function QRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "queue recver") end
  if self.count > 0 then return qpop(self) end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "queue recver")
end

function QRecver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  unpark(self.sender, CLOSED)
  wake(self, CLOSED)
  if self.on_close then self:on_close() end
  return nil
end

-- The recver state a queue and a stalk share.
local function queue_state(size)
  return {size = size, count = 0, items = {h = 0, t = 0}, errs = {}}
end

function H:queue(size)
  check_size(size, "h:queue")
  return ends(self, QSender, QRecver, nil, queue_state(size)) end

-- =====================================================================
-- stalk: a batch queue; recv reports that items exist, the consumer reads
-- them with iter() and drops them with remove(n). `#recver` is the number
-- of buffered items, so the recver is cdata (Debian's LuaJIT has no __len
-- for tables).

local SSender = setmetatable({}, {__index = QSender})
SSender.__index = SSender

function SSender:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  local r = self.recver
  while r.size and r.count >= r.size do
    single(self, "stalk sender")
    self.co = me(self.hub)
    local rc = hub_coyield(self.hub)
    self.co = nil
    if rc then return rc end
  end
  r.count = r.count + 1
  local q = r.items
  q.t = q.t + 1
  q[q.t], r.errs[q.t] = value, err
  if r.count == 1 and r._empty then r._empty:_set(nil, nil) end
  wake(r, nil, true)
  return nil
end

function SSender:close()
  if self.closed then return CLOSED end
  self.closed = true
  local r = self.recver
  r.sender_closed = true
  if r.count == 0 then wake(r, CLOSED) end
  return nil
end

local stalks = {}  -- id -> state table
local next_stalk = 0
local Stalk = {}

-- recv([ms]) -> nil, true once an item is buffered (nothing is removed).
function Stalk:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "stalk recver") end
  if self.count > 0 then return nil, true end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "stalk recver")
end

-- iter(): the buffered values, oldest first.
function Stalk:iter()
  local q = self.items
  local i, last = q.h, q.t
  return function()
    if i >= last then return nil end
    i = i + 1
    return q[i]
  end
end

-- remove(n): drops the first n buffered items.
function Stalk:remove(n)
  if type(n) ~= "number" or n <= 0 or n > self.count or n % 1 ~= 0 then
    error(("levee: stalk recver:remove: n must be a whole number in 1..%d, got %s"):format(
      self.count, tostring(n)), 2)
  end
  local q = self.items
  for _ = 1, n do
    q.h = q.h + 1
    q[q.h], self.errs[q.h] = nil, nil
  end
  if q.h == q.t then q.h, q.t = 0, 0 end
  self.count = self.count - n
  unpark(self.sender, nil)
  if self.count == 0 and self._empty then self._empty:_set(nil, true) end
end

Stalk.close = QRecver.close

ffi.cdef([[struct levee_lua_stalk { int32_t id; };]])
local stalk_ct = ffi.metatype("struct levee_lua_stalk", {
  __index = function(self, key)
    local st = stalks[self.id]
    if key == "empty" then return QRecver.__index(st, "empty") end
    local m = Stalk[key]
    if m then return m end
    return st[key]
  end,
  __newindex = function(self, key, value) stalks[self.id][key] = value end,
  __len = function(self) return stalks[self.id].count end,
  __call = call_iter,
  __gc = function(self) stalks[self.id] = nil end,
})

function H:stalk(size)
  check_size(size, "h:stalk")
  local s = setmetatable({hub = self}, SSender)
  next_stalk = next_stalk + 1
  local st = queue_state(size)
  st.hub, st.sender = self, s
  stalks[next_stalk] = st
  local r = stalk_ct(next_stalk)
  s.recver = r
  return s, r
end

-- =====================================================================
-- selector: fan-in from redirected recvers

local Selector = {}
Selector.__index = Selector

function Selector:_attach(sender, recver) self.origin[sender] = recver end

function Selector:_take(sender, err, value)
  return wake(self, err, self.origin[sender], value)
end

function Selector:_offer(sender) fpush(self.pending, sender) end

function Selector:_notify(err, value)
  return false
end

function Selector:_closed(sender)
  if not wake(self, CLOSED, self.origin[sender]) then
    fpush(self.pending, {closed = sender})
  else
    self.origin[sender] = nil
  end
end

-- recv([ms]) -> err, recver, value
function Selector:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "selector") end
  local s = fpop(self.pending)
  if s then
    if s.closed then
      local r = self.origin[s.closed]
      self.origin[s.closed] = nil
      return CLOSED, r
    end
    local err, value = s.err, s.value
    local r = self.origin[s]
    s:_taken(nil)
    return err, r, value
  end
  return wait(self, self.hub, ms, "selector", true)
end

Selector.__call = function(self)
  local err, r, value = self:recv()
  if err then return nil end
  return r, value
end

function H:selector()
  return setmetatable({hub = self, pending = fifo(), origin = {}}, Selector)
end

-- =====================================================================
-- router: many senders, one recver

local RSender = sender_class()

function RSender:pass(err, value)
  if self.closed or self.peer_closed then return CLOSED end
  local r = self.recver
  if wake(r, err, value) then
    hub_continue(self.hub)
    return nil
  end
  fpush(r.waiting, {co = me(self.hub), err = err, value = value})
  return hub_coyield(self.hub)
end
function RSender:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.recver.sender_closed = true
  if flen(self.recver.waiting) == 0 then wake(self.recver, CLOSED) end
  return nil
end

local RRecver = {}
RRecver.__index = RRecver
RRecver.__call = call_iter

function RRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "router recver") end
  local w = fpop(self.waiting)
  if w then
    hub_resume(self.hub, w.co, nil)
    return w.err, w.value
  end
  if self.closed or self.sender_closed then return CLOSED end
  return wait(self, self.hub, ms, "router recver")
end

-- close(): every queued sender resumes with CLOSED; yields one tick.
function RRecver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  local w = fpop(self.waiting)
  while w do
    hub_resume(self.hub, w.co, CLOSED)
    w = fpop(self.waiting)
  end
  wake(self, CLOSED)
  hub_continue(self.hub)
  return nil
end

function H:router() return ends(self, RSender, RRecver, nil, {waiting = fifo()}) end

-- =====================================================================
-- dealer: one sender, many recvers served in arrival order

local DRecver = {}
DRecver.__index = DRecver
DRecver.__call = call_iter

function DRecver:_take(_, err, value)
  local co = fpop(self.waiters)
  while co and self.gone[co] do
    self.gone[co] = nil
    co = fpop(self.waiters)
  end
  if not co then return false end
  hub_resume(self.hub, co, err, value)
  return true
end
function DRecver:_offer(sender) fpush(self.pending, sender) end
-- The sender closed: every waiting recv gets CLOSED; true (and this end
-- counts as closed) when that woke someone.
function DRecver:_closed()
  self.sender_closed = true
  local woke = false
  local co = fpop(self.waiters)
  while co do
    if not self.gone[co] then
      hub_resume(self.hub, co, CLOSED)
      woke = true
    end
    self.gone[co] = nil
    co = fpop(self.waiters)
  end
  if woke then self.closed = true end
  return woke
end

function DRecver:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "dealer recver") end
  local s = fpop(self.pending)
  if s then
    local err, value = s.err, s.value
    s:_taken(nil)
    return err, value
  end
  if self.closed or self.sender_closed then return CLOSED end
  local co = me(self.hub)
  fpush(self.waiters, co)
  local err, value = self.hub:pause(ms)
  if err == TIMEOUT then
    self.gone[co] = true
    return err
  end
  return err, value
end

function DRecver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.sender.peer_closed = true
  local s = fpop(self.pending)
  while s do
    s:_taken(CLOSED)
    s = fpop(self.pending)
  end
  self:_closed()
  return nil
end

function H:dealer()
  return ends(self, Sender, DRecver, sender_fields(),
    {pending = fifo(), waiters = fifo(), gone = {}})
end

-- =====================================================================
-- broadcast: every waiting recv gets each value

local Broadcast = {}
Broadcast.__index = Broadcast

function Broadcast:_attach(sender) self.source = sender end

local function wake_all(self, err, value)
  local waiters = self.waiters
  if #waiters == 0 then return false end
  self.waiters = {}
  for i = 1, #waiters do
    local co = waiters[i]
    if not self.gone[co] then hub_resume(self.hub, co, err, value) end
    self.gone[co] = nil
  end
  return true
end

-- A pipe source never parks: with nobody waiting the value is dropped.
function Broadcast:_take(_, err, value)
  wake_all(self, err, value)
  return true
end
function Broadcast:_offer(sender) sender:_taken(nil) end
function Broadcast:_notify(err, value) return wake_all(self, err, value) end
function Broadcast:_closed()
  self.closed = true
  wake_all(self, CLOSED)
end

-- recv([ms]) -> err, value
function Broadcast:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "broadcast") end
  if self.closed then return CLOSED end
  local src = self.source
  if src and getmetatable(src) == Value and (src.err or src.value) then
    return src.err, src.value
  end
  local co = me(self.hub)
  self.waiters[#self.waiters + 1] = co
  local err, value = self.hub:pause(ms)
  if err == TIMEOUT then
    self.gone[co] = true
    return err
  end
  return err, value
end

Broadcast.__call = call_iter

function H:broadcast()
  return setmetatable({hub = self, waiters = {}, gone = {}}, Broadcast)
end

-- =====================================================================
-- pool: a fixed set of resources checked out and returned

local Pool = {}
Pool.__index = Pool

function Pool:recv(ms)
  if ms ~= nil and type(ms) ~= "number" then check_recv_ms(ms, "pool") end
  return self.recver:recv(ms)
end
function Pool:send(item) return self.sender:send(item) end

-- run(f, ...) -> f(item, ...)'s first two results, with an item checked out.
function Pool:run(f, ...)
  if type(f) ~= "function" then f = self.hub._as_function(f, "pool:run", "f", 4) end
  local err, item = self.recver:recv()
  if err then return err end
  local e, v = f(item, ...)
  self.sender:send(item)
  return e, v
end

function H:pool(factory, size)
  factory = self._as_function(factory, "h:pool", "factory", 4)
  if type(size) ~= "number" or size < 0 or size % 1 ~= 0 then
    bad("h:pool", "size", "a whole number >= 0", size)
  end
  local s, r = self:queue()
  for _ = 1, size do s:send(factory()) end
  return setmetatable({hub = self, sender = s, recver = r, size = size}, Pool)
end

-- install(Hub): adds the constructors above as hub methods and binds the
-- switching methods the primitives call.
function M.install(Hub)
  for name, fn in pairs(H) do Hub[name] = fn end
  hub_resume, hub_continue, hub_coyield = Hub.resume, Hub.continue, Hub._coyield
end

return M
