-- levee.p.http.conn: a green thread's view of one HTTP connection engine
-- (levee_h1): reading input and writing output through the hub, and the
-- bodies of received messages. The engine does the protocol; this module
-- only waits, moves bytes and builds Lua objects.
--
-- A connection object (server connection or client) has: hub, conn (the
-- io.RW), h (the levee_h1). The engine's read buffer is reached through h
-- (a server connection keeps as few fields as it can: memory per idle
-- connection).
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
local W = require("levee.p.http.common")

local band = bit.band
local CLOSED = errors.CLOSED
local C_read, C_flush, C_state, C_release = L.levee_h1_read, L.levee_h1_flush, L.levee_h1_state,
  L.levee_h1_release
local C_next, C_consume, C_left = L.levee_h1_next, L.levee_h1_consume, L.levee_h1_left
local WANT_READ, WANT_WRITE = L.LEVEE_WANT_READ, L.LEVEE_WANT_WRITE
local C_want = L.levee_stream_want
local S_IDLE, S_DRAINED = L.LEVEE_H1_S_IDLE, L.LEVEE_H1_S_DRAINED
local NEED, DATA, CHUNK, END = L.LEVEE_H1_NEED, L.LEVEE_H1_DATA, L.LEVEE_H1_CHUNK, L.LEVEE_H1_END
local MSG = W.MSG
local buffer_ptr = ffi.typeof("levee_buffer *")
local C_rbuf, C_len, C_value = L.levee_h1_rbuf, L.levee_buffer_len, L.levee_buffer_value

-- bytes in the engine's read buffer, and where they start
local function buffered(h) return tonumber(C_len(C_rbuf(h))) end
local function front(h)
  local b = C_rbuf(h)
  return C_value(b), tonumber(C_len(b))
end

local M = {}
M.buffered = buffered

-- the engine's read buffer as a d.Buffer (not collected: the engine owns it)
function M.rbuf(h)
  require("levee.d.buffer")  -- installs the Buffer metatype
  return ffi.cast(buffer_ptr, L.levee_h1_rbuf(h))
end

-- fill(self[, ms[, now]]) -> err: reads what the fd has into the engine,
-- waiting up to ms (default conn.timeout) for readiness when the last read
-- drained the socket (unless `now`: readiness was just reported). An idle
-- connection gives its buffer memory back before it waits. CLOSED at EOF
-- or on a read error, TIMEOUT.
function M.fill(self, ms, now)
  local conn, h = self.conn, self.h
  local wait = not now and band(C_state(h), S_DRAINED) ~= 0
  local ev = conn.r_ev
  while true do
    if conn.closed then return CLOSED end
    if wait then
      if ev == conn.r_ev and conn.r_error then
        -- the hub reported the hang-up with the last data: no new edge
        L.levee_h1_eof(h)
        return CLOSED
      end
      if band(C_state(h), S_IDLE) ~= 0 then C_release(h) end
      local err, _, v = ev:recv(ms or conn.timeout)
      if err then return err end
      if conn.closed then return CLOSED end
      if v < 0 and ev == conn.r_ev then conn.r_error = true end
    end
    -- through the core stream: a plain socket or TLS
    local n = C_read(h, conn.s)
    if n > 0 then return nil end
    if n == WANT_WRITE then
      ev = conn.w_ev  -- TLS can need writability to read
    elseif n == WANT_READ then
      ev = conn.r_ev
    else
      return CLOSED  -- EOF or an error: the engine knows
    end
    wait = true
  end
end

-- flush(self) -> err: writes the engine's output; one writer at a time
-- (others wait for it). A failure closes the connection.
function M.flush(self)
  local conn, h = self.conn, self.h
  if self._flushing then
    local waiters = self._flush_waiters
    if not waiters then
      waiters = {}
      self._flush_waiters = waiters
    end
    waiters[#waiters + 1] = self.hub:current()
    self.hub:pause()
    return conn.closed and CLOSED or nil
  end
  if conn.closed then return CLOSED end
  -- the common case: everything goes out at once
  local s = conn.s
  local left = C_flush(h, s)
  if left == 0 then return nil end
  local err
  self._flushing = true
  while true do
    if left < 0 then
      err = errors.get(tonumber(left))
      break
    end
    -- TLS can need readability to write
    err = (C_want(s) == WANT_READ and conn.r_ev or conn.w_ev):recv(conn.timeout)
    if err then break end
    if conn.closed then
      err = CLOSED
      break
    end
    left = C_flush(h, s)
    if left == 0 then break end
  end
  self._flushing = false
  local waiters = self._flush_waiters
  if waiters and #waiters > 0 then
    self._flush_waiters = nil
    for i = 1, #waiters do self.hub:resume(waiters[i]) end
  end
  if err then self:close() end
  return err
end

-- ---------------------------------------------------------------------
-- bodies: the bytes of one received message (or one chunk of it), read
-- through the engine. They answer what an io.Chunk answers; `#body` is
-- what is left to read, from the engine, so a body the connection skipped
-- reads as empty.

ffi.cdef("struct levee_http_body { int32_t id; };")
local bodies, next_id = {}, 0
local Body = {}

-- the bytes left: 0 once superseded or over, math.huge until close
local function left(st)
  local d = st.detached
  if d then return #d end
  if st.gone then return 0 end
  local n = C_left(st.owner.h, st.eid)
  if n == 0 then return 0 end
  if n < 0 then return math.huge end
  return tonumber(n)
end
M.left = left

local function settle(st)
  if st.finished then return end
  st.finished = true
  if st.done then st.done.sender:close() end
  local f = st.on_done
  if f then f(st.owner, st) end
end

-- writes what the engine queued (a 100 Continue) before waiting for input
local C_wbuf, C_len = L.levee_h1_wbuf, L.levee_buffer_len
local function flush_pending(owner)
  if C_len(C_wbuf(owner.h)) > 0 then return M.flush(owner) end
end
M.flush_pending = flush_pending

-- readin([n]) -> err: more of the body into the buffer: until n bytes of
-- it are buffered (or all that is left), else at least one more byte.
-- CLOSED when nothing more belongs to the body; at the end of a body read
-- until close, nil with nothing left.
function Body:readin(n)
  local st = bodies[self.id]
  if st.detached then return CLOSED end
  local owner = st.owner
  local h = owner.h
  local l = left(st)
  if l == 0 then return CLOSED end
  local want
  if n then
    want = n < l and n or l
  else
    local have = buffered(h)
    if have >= l then return CLOSED end
    want = have + 1
  end
  while buffered(h) < want do
    -- the engine answers 100 Continue when the peer waits for it
    local rc = C_next(owner.h, MSG, nil, 0)
    if rc < 0 then
      st.error = errors.get(rc)
      return st.error
    end
    if rc == END then
      settle(st)
      return nil
    end
    local err = flush_pending(owner)
    if not err then err = M.fill(owner) end
    if err then
      -- the engine knows how the input ended: the end of a body read
      -- until close, or a body cut short
      rc = C_next(owner.h, MSG, nil, 0)
      if rc == END then
        settle(st)
        return nil
      end
      if rc < 0 then st.error = errors.get(rc) end
      return err
    end
  end
  return nil
end

function Body:value()
  local st = bodies[self.id]
  local d = st.detached
  local p, n
  if d then p, n = d:value() else p, n = front(st.owner.h) end
  local l = left(st)
  if n > l then n = l end
  return p, n
end

-- trim([n]) -> bytes trimmed (at most what is left and buffered)
function Body:trim(n)
  local st = bodies[self.id]
  local l = left(st)
  local d = st.detached
  local have = d and #d or buffered(st.owner.h)
  if have < l then l = have end
  if n == nil or n > l then n = l end
  if n > 0 then
    if d then d:trim(n) else C_consume(st.owner.h, n) end
  end
  if left(st) == 0 then settle(st) end
  return n
end

-- drain(each) -> err, n: hands every remaining byte to each(ptr, len)
-- (reading in as needed) and consumes it; stops at the error each or the
-- connection returns.
local function drain(self, each)
  local st = bodies[self.id]
  local total = 0
  while true do
    local l = left(st)
    if l == 0 then break end
    local d = st.detached
    if (d and #d or buffered(st.owner.h)) == 0 then
      local err = self:readin()
      if err then return err end
      if left(st) == 0 then break end
    end
    local p, n = self:value()
    if n > 0 then
      local err = each(p, n)
      if err then return err end
      total = total + self:trim(n)
    end
  end
  settle(st)
  return nil, total
end
Body.drain = drain

-- tobuffer, tostring, discard, save, splice: the conveniences every HTTP
-- body has, over drain
for k, f in pairs(W.body_methods(drain)) do
  if k ~= "json" then Body[k] = f end
end

-- json() -> err, value: one JSON value from the body
function Body:json()
  local st = bodies[self.id]
  st.decoder = st.decoder or require("levee.p.json").decoder()
  return st.decoder:stream(self)
end

function Body:msgpack()
  local st = bodies[self.id]
  st.msgpack = st.msgpack or require("levee.p.msgpack").decoder()
  return st.msgpack:stream_value(self)
end

local body_ct = ffi.metatype("struct levee_http_body", {
  __index = function(self, key)
    local m = Body[key]
    if m then return m end
    local st = bodies[self.id]
    if key == "len" then return left(st) end
    if key == "hub" then return st.owner.hub end
    if key == "done" then
      -- a Pair closed once the body is read; closing it early lets go of
      -- the body without reading it
      local s, r = st.owner.hub:value()
      st.done = require("levee.core.message").Pair(s, r)
      if st.finished then s:close() end
      return st.done
    end
    return nil
  end,
  __len = function(self) return left(bodies[self.id]) end,
  __tostring = function(self) return ("levee.http.Body: len=%s"):format(tostring(left(bodies[self.id]))) end,
  __gc = function(self) bodies[self.id] = nil end,
})

-- body(owner, eid[, on_done]) -> a Body over what is left of exchange
-- eid's body (or its current chunk); on_done(owner, st) runs once it is
-- read to its end.
function M.body(owner, eid, on_done)
  next_id = next_id + 1
  bodies[next_id] = {owner = owner, eid = eid, on_done = on_done}
  return body_ct(next_id)
end

function M.state(body) return bodies[body.id] end

-- detach(body) -> err: reads what is left of the body into memory, so the
-- connection can go on to the next message; the body keeps answering from
-- there.
function M.detach(body)
  local st = bodies[body.id]
  if st.detached then return nil end
  local d = require("levee.d").Buffer()
  local err = drain(body, function(p, n) d:write(p, n) end)
  st.detached = d
  return err
end

-- ---------------------------------------------------------------------
-- chunked bodies: an iterable recver of Bodies, one per HTTP chunk

local Chunks = {}
Chunks.__index = Chunks

function M.chunks(owner, eid, on_done)
  return setmetatable({owner = owner, eid = eid, on_done = on_done, done = false}, Chunks)
end

function Chunks:_finish(err)
  if not self.done then
    self.done = true
    if err ~= CLOSED then self.error = err end
    if self.on_done then self.on_done(self.owner, self) end
  end
  return err
end

-- recv() -> err, chunk: the next HTTP chunk as a Body; bytes the previous
-- chunk left unread come first, as a chunk of their own. CLOSED after the
-- last chunk.
function Chunks:recv()
  local kept = self.kept
  if kept then
    local c = table.remove(kept, 1)
    if c then return nil, c end
    self.done = true
    return self.kept_error or CLOSED
  end
  if self.done then return CLOSED end
  local owner = self.owner
  local cur = self.current
  if cur then
    local st = bodies[cur.id]
    if left(st) > 0 then
      st.gone = true
      settle(st)
      local c = M.body(owner, self.eid)
      self.current = c
      return nil, c
    end
    st.gone = true
  end
  self.current = nil
  while true do
    local rc = C_next(owner.h, MSG, nil, 0)
    if rc == CHUNK then
      local c = M.body(owner, self.eid)
      self.current = c
      return nil, c
    elseif rc == END then
      return self:_finish(CLOSED)
    elseif rc == NEED then
      local err = flush_pending(owner)
      if not err then err = M.fill(owner) end
      if err then
        rc = C_next(owner.h, MSG, nil, 0)
        return self:_finish(rc < 0 and errors.get(rc) or err)
      end
    elseif rc < 0 then
      return self:_finish(errors.get(rc))
    else
      return self:_finish(CLOSED)
    end
  end
end

Chunks.__call = require("levee.core.message").call_iter

-- detach() -> err: reads every remaining chunk into memory (the connection
-- goes on); recv then gives them from there.
function Chunks:detach()
  if self.kept then return nil end
  local kept = {}
  local cur = self.current
  if cur and left(bodies[cur.id]) > 0 then
    M.detach(cur)
    kept[1] = cur
  end
  self.current = nil
  local err
  while true do
    local rerr, c = self:recv()
    if rerr then
      if rerr ~= CLOSED then err = rerr end
      break
    end
    M.detach(c)
    kept[#kept + 1] = c
  end
  self.kept, self.kept_error = kept, err
  self.done = false
  return err
end

-- drain(each) -> err, n: every remaining chunk's bytes to each(ptr, n)
function Chunks:drain(each)
  local total = 0
  while true do
    local err, c = self:recv()
    if err == CLOSED then return nil, total end
    if err then return err end
    local werr
    local rerr, n = c:drain(function(p, len)
      werr = each(p, len)
      return werr
    end)
    if werr then return werr end
    if rerr then return self:_finish(bodies[c.id].error or errors.get(L.LEVEE_HTTP_ESYNTAX)) end
    total = total + n
  end
end

return M
