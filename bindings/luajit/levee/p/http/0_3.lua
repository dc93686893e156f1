-- levee.p.http.0_3: HTTP/1.1 client and server in the 0.3 style, reached as
-- h.http (lua-api.md §8, extensions.md "Serving for real"; docs/http.md).
--
-- The protocol is the C engine's (levee_h1): this file turns its events
-- into Requests and Responses and schedules green threads. Server: the
-- app's own `for req in conn` loop reads requests (one engine call per
-- head); responses go into the engine, which keeps them in request order,
-- and are written with one write(2) (pipelined ones together). Client:
-- requests are written at once; one reader thread per connection reads the
-- responses in order.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
local Status = require("levee.p.http.status")
local W = require("levee.p.http.common")
local H = require("levee.p.http.conn")
local call_iter = require("levee.core.message").call_iter

local band = bit.band
local fstring = ffi.string
local table_new = require("table.new")
local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT
local EINVAL = errors.system.EINVAL
local ESYNTAX = errors.get(L.LEVEE_HTTP_ESYNTAX)

local C_next, C_respond, C_send, C_finish = L.levee_h1_next, L.levee_h1_respond, L.levee_h1_send,
  L.levee_h1_finish
local C_due, C_state, C_discard, C_request = L.levee_h1_due, L.levee_h1_state, L.levee_h1_discard,
  L.levee_h1_request
local C_inflight, C_drain = L.levee_h1_inflight, L.levee_h1_drain
local HEAD, NEED = L.LEVEE_H1_HEAD, L.LEVEE_H1_NEED
local R_DONE, R_END, R_INPUT = L.LEVEE_H1_R_DONE, L.LEVEE_H1_R_END, L.LEVEE_H1_R_INPUT
local S_CLOSE, S_PARTIAL, S_IDLE = L.LEVEE_H1_S_CLOSE, L.LEVEE_H1_S_PARTIAL, L.LEVEE_H1_S_IDLE
local S_DRAINED, S_OUTPUT = L.LEVEE_H1_S_DRAINED, L.LEVEE_H1_S_OUTPUT
local C_release = L.levee_h1_release
local BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE = L.LEVEE_H1_BODY_LENGTH, L.LEVEE_H1_BODY_CHUNKED,
  L.LEVEE_H1_BODY_CLOSE
local E_AGAIN, E_CLOSED, E_INVAL = L.LEVEE_EAGAIN, L.LEVEE_CLOSED, L.LEVEE_EINVAL
local E_STATE, E_TOOSHORT = L.LEVEE_HTTP_ESTATE, L.LEVEE_HTTP_ETOOSHORT
local SERVER, CLIENT = L.LEVEE_H1_SERVER, L.LEVEE_H1_CLIENT
local MSG, TOKS, NTOKS = W.MSG, W.TOKS, W.MAX_TOKENS

-- an engine result as a Lua error value
local function failure(rc)
  if rc == E_INVAL then return EINVAL end
  if rc == E_CLOSED or rc == E_STATE or rc == E_TOOSHORT then return CLOSED end
  return errors.get(rc)
end

local URI = require("levee.p.uri")

-- ---------------------------------------------------------------------
-- server: Request (also its own response sender: req.response is req)

local Request = {}
local request_body -- set below

-- conn and response are derived, not stored: a request table then has at
-- most 8 keys (method, path, version, _head or headers, serve, _id, body
-- or chunks, _state), the smallest hash LuaJIT gives 5-8 keys, instead of
-- 16 slots (the garbage each request leaves: docs/design.md). headers is
-- made from the packed head (_head) when first read.
Request.__index = function(self, key)
  local m = Request[key]
  if m ~= nil then return m end
  if key == "response" then return self end
  if key == "headers" then
    local head = rawget(self, "_head")
    if not head then return nil end
    local headers = W.packed_headers(head)
    rawset(self, "_head", nil)
    rawset(self, "headers", headers)
    return headers
  end
  if key == "conn" then return self.serve.conn end
  if key == "query" then
    -- the query parsed by p.uri (+ and %XX decoded, repeats as lists)
    local t = {}
    local err, u = URI(self.path)
    if not err then
      local perr, params = u:params()
      if not perr then t = params end
    end
    rawset(self, "query", t)
    return t
  end
  return nil
end
Request.__tostring = function(self)
  return ("levee.http.Request: %s %s"):format(self.method, self.path)
end

-- A server connection keeps three fields (conn, h, server) and the loop
-- thread (_loop_co): an idle keep-alive connection is a few hundred bytes
-- of Lua. The rest is derived on access.
local ServerConn = {}
local conn_methods = ServerConn
local Stream_mt
ServerConn.__index = function(self, key)
  local m = conn_methods[key]
  if m ~= nil then return m end
  if key == "closed" then return self.server.conns[self] == nil end
  if key == "hub" then return self.server.hub end
  if key == "requests" then return tonumber(L.levee_h1_count(self.h)) end
  if key == "buf" then return H.rbuf(self.h) end
  if key == "parser" then return self.h end
  if key == "stream" then
    -- the engine's read buffer behind an io.Stream
    Stream_mt = Stream_mt or require("levee.core.io").Stream_mt
    local s = setmetatable({conn = self.conn, buf = H.rbuf(self.h)}, Stream_mt)
    rawset(self, "stream", s)
    return s
  end
  return nil
end

-- wakes the thread waiting for its turn to stream, and the loop thread
-- waiting for a response to complete
local function wake(self, req)
  local turn = self._turn
  if turn then
    local due = C_due(self.h)
    if due >= 0 then
      local co = turn[tonumber(due)]
      if co then
        turn[tonumber(due)] = nil
        self.hub:resume(co)
      end
    end
  end
  if req and self._wait_req == req then
    local co = self._waiter
    self._wait_req, self._waiter = nil, nil
    self.hub:resume(co)
  end
end

-- After a response completed (rc: the engine's R_* flags for it, with
-- R_END and R_INPUT from its state): write it now, unless the loop thread
-- will ask for the next pipelined request (already buffered) and write
-- then. The last response of a connection that ends closes it.
local function after_complete(self, req, rc)
  wake(self, req)
  if band(rc, R_END) ~= 0 then
    local err = H.flush(self)
    self:close()
    return err
  end
  if band(rc, R_INPUT) ~= 0 and self.hub:current() == self._loop_co then return nil end
  local err = H.flush(self)
  if not err and self._hup and not self.conn.r_ev.co and C_inflight(self.h) == 0
      and H.buffered(self.h) == 0 then
    self:close()
  end
  return err
end

-- Blocks a streamed response until its request is due.
local function wait_turn(self, req)
  local turn = self._turn
  if not turn then
    turn = {}
    self._turn = turn
  end
  turn[req._id] = self.hub:current()
  self.hub:pause()
  if self.closed then return CLOSED end
end

-- Waits for req's turn and writes its response head (the engine refused
-- it with EAGAIN: a streamed response to a request that is not due yet)
-- -> the engine's result, or an error value.
local function respond_in_turn(conn, req, status, headers, body)
  while true do
    local err = wait_turn(conn, req)
    if err then return err end
    if not W.response(status.code, status.reason, headers, body) then return EINVAL end
    local rc = C_respond(conn.h, req._id, W.OUT)
    W.release()
    if rc ~= E_AGAIN then return rc end
  end
end

-- send(v): the first send is {status, headers, body}; later sends are
-- chunks (string, or a number of bytes the app writes to req.conn itself).
function Request:send(v)
  local conn = self.serve
  local state = self._state
  if state == "done" or conn.closed then return CLOSED end
  local h = conn.h
  if not state then
    if type(v) ~= "table" then return EINVAL end
    local status, headers, body = v[1], v[2], v[3]
    if type(status) == "number" then status = Status(status) end
    if type(status) ~= "table" or not status.code then return EINVAL end
    local bt = type(body)
    if body ~= nil and bt ~= "string" and bt ~= "number" and bt ~= "cdata" then return EINVAL end
    if (bt == "number" or bt == "cdata") and (body < 0 or body % 1 ~= 0) then return EINVAL end
    if not W.response(status.code, status.reason, headers, body) then return EINVAL end
    local rc = C_respond(h, self._id, W.OUT)
    W.release()
    if rc == E_AGAIN then
      -- a streamed response waits for its turn (a loop of its own: a loop
      -- on the common path would make LuaJIT end its traces here)
      rc = respond_in_turn(conn, self, status, headers, body)
    end
    if type(rc) ~= "number" then return rc end
    if rc < 0 then return failure(rc) end
    if band(rc, R_DONE) ~= 0 then
      self._state = "done"
      return after_complete(conn, self, rc)
    end
    if body == nil then
      self._state = "chunked"
    else
      self._state = "length"
      self._len = body
    end
    return H.flush(conn)
  end
  if state == "length" then return EINVAL end
  local t = type(v)
  local rc = 0
  if t == "string" then
    if #v > 0 then rc = C_send(h, self._id, v, #v) end
  elseif t == "number" then
    if v > 0 then rc = C_send(h, self._id, nil, v) end
  else
    return EINVAL
  end
  if rc < 0 then return failure(rc) end
  return H.flush(conn)
end

-- close(): ends the response (the last chunk of a chunked body, the end of
-- a Content-Length body the app wrote itself); answers 500 when nothing
-- was sent, so the connection stays in step.
function Request:close()
  local conn = self.serve
  local state = self._state
  if state == "done" or conn.closed then return CLOSED end
  if not state then return self:send({Status(500), {}, "Internal Server Error\n"}) end
  local h = conn.h
  if state == "length" then C_send(h, self._id, nil, self._len) end  -- the app wrote them
  local rc = C_finish(h, self._id)
  if rc < 0 then return failure(rc) end
  self._state = "done"
  return after_complete(conn, self, rc)
end

-- send_json(value[, status=200[, headers]]) -> err: the value encoded as
-- JSON, Content-Type application/json unless headers give one.
local JSON_HEADERS = {["Content-Type"] = "application/json"}
function Request:send_json(value, status, headers)
  local err, buf = require("levee.p.json").encode(value)
  if err then return err end
  if headers then
    if W.header(headers, "Content-Type") == nil then
      local hs = {["Content-Type"] = "application/json"}
      for k, v in pairs(headers) do hs[k] = v end
      headers = hs
    end
  else
    headers = JSON_HEADERS
  end
  return self:send({status or 200, headers, buf:take()})
end

-- sendfile(path) -> err: 200 with the file's bytes via sendfile(2), or 404
-- "Not Found\n" when it cannot be opened or is not a regular file.
function Request:sendfile(path, headers)
  local hub = self.serve.hub
  local err, f = hub.io:open(path, "r")
  local st
  if not err then
    err, st = f:stat()
    if not err and not st:is_reg() then err = errors.system.EISDIR end
  end
  if err then
    if f then f:close() end
    return self:send({Status(404), {}, "Not Found\n"})
  end
  local size = tonumber(st.st_size)
  err = self:send({Status(200), headers or {}, size})
  if not err and self.method ~= "HEAD" then
    local serr, n = f:sendfile(self.conn, size)
    if not serr and n < size then serr = errors.system.EIO end
    err = serr
  end
  f:close()
  if err then
    self.serve:close()
    return err
  end
  return self:close()
end

-- uri() -> err, uri: the p.uri URI of "http://" .. Host .. path (of the
-- path alone without a Host)
function Request:uri()
  local host = self.headers.Host or W.header(self.headers, "Host")
  if type(host) == "table" then return ESYNTAX end
  return URI(host and ("http://" .. host .. self.path) or self.path)
end

-- ---------------------------------------------------------------------
-- server connections

-- How long the loop may wait for the next head: the keep-alive timeout
-- while nothing of it arrived, what is left of the head timeout once part
-- of it did; the io's timeout bounds both.
local function head_wait(self)
  local server = self.server
  local ms
  if band(C_state(self.h), S_PARTIAL) ~= 0 then
    local ht = server._head_timeout
    if ht then
      local now = tonumber(self.hub:now())
      local deadline = self._deadline
      if not deadline then
        deadline = now + ht
        self._deadline = deadline
      end
      ms = deadline > now and deadline - now or 0
    end
  else
    ms = server._keepalive_timeout
  end
  local t = self.conn.timeout
  if t and (not ms or t < ms) then ms = t end
  return ms
end

-- No further request: close now when nothing is in flight (a refusal the
-- engine wrote goes out first), else after the last response.
local function ended(self)
  if band(C_state(self.h), S_CLOSE) ~= 0 then
    H.flush(self)
    self:close()
  end
  return CLOSED
end

-- Finish what the previous request left: wait for its response when its
-- body was left to another thread, then skip whatever body is unread.
local function settle(self, prev)
  if prev._state ~= "done" and not request_body.consumed(prev) then
    self._wait_req, self._waiter = prev, self.hub:current()
    self.hub:pause()
    if self.closed then return CLOSED end
  end
  while true do
    local rc = C_discard(self.h)
    if rc == 1 then return nil end
    if rc < 0 then return ended(self) end
    local err = H.fill(self)
    if err then return err end
  end
end

-- the Request of the head the engine just read (MSG, TOKS)
local function new_request(self)
  if self._deadline then self._deadline = nil end
  local msg = MSG
  local p, t = msg.base, TOKS[0]
  local req = setmetatable({
    method = fstring(p + t.a_off, t.a_len), path = fstring(p + t.b_off, t.b_len),
    version = msg.version, _head = W.head_packed(),
    serve = self, _id = msg.id, _state = false,
  }, Request)
  local body = msg.body
  if body == BODY_LENGTH then
    req.body = H.body(self, msg.id)
  elseif body == BODY_CHUNKED then
    req.chunks = H.chunks(self, msg.id)
  end
  return req
end

-- recv() -> err, req: the next request on this connection.
function ServerConn:recv()
  if self.closed then return CLOSED end
  local h = self.h
  self._loop_co = self.hub:current()
  local prev = self._last
  if prev then
    self._last = nil
    local err = settle(self, prev)
    if err then
      if not self.closed and err ~= CLOSED then self:close() end
      return err == TIMEOUT and TIMEOUT or CLOSED
    end
  end
  while true do
    local rc = C_next(h, MSG, TOKS, NTOKS)
    if rc == HEAD then
      local req = new_request(self)
      self._last = req
      return nil, req
    elseif rc == NEED then
      -- responses to pipelined requests went into the buffer together
      if H.flush_pending(self) or self.closed then return CLOSED end
      if self._draining and band(C_state(h), S_IDLE) ~= 0 then
        self:close()
        return CLOSED
      end
      local err = H.fill(self, head_wait(self))
      if err then
        if self.conn.closed then
          if not self.closed then self:close() end
          return CLOSED
        end
        if err == TIMEOUT then
          self:close()
          return TIMEOUT
        end
        -- the input ended: the engine says how (next round)
      end
    else
      -- CLOSED, or a refused request (the engine wrote the answer)
      return ended(self)
    end
  end
end

ServerConn.__call = call_iter

function ServerConn:close()
  local server = self.server
  local conns = server.conns
  if conns[self] == nil then return CLOSED end
  conns[self] = nil
  server.nconns = server.nconns - 1
  local r_ev = self.conn.r_ev
  if r_ev then r_ev.http = nil end
  self.conn:close()
  if server._drained and server.nconns == 0 then server._drained:send(true) end
  -- wake anyone waiting for their turn or for a response
  local hub = server.hub
  local turn = self._turn
  if turn then
    self._turn = nil
    for _, co in pairs(turn) do hub:resume(co) end
  end
  if self._waiter then
    local co = self._waiter
    self._waiter, self._wait_req = nil, nil
    hub:resume(co)
  end
  return nil
end

-- serve(handler) runs handler(req) for every request of this connection
-- in the calling thread; with an error hook (conn.on_error or the
-- server's on_error), an error raised by the handler calls
-- hook(err, req, conn), answers 500 when nothing was sent and closes the
-- connection; without one the error propagates (and ends the process, as
-- any uncaught error in a green thread does).
local function handle(self, req, handler)
  local hook = self.on_error or self.server.on_error
  if hook then
    local ok, err = pcall(handler, req)
    if not ok then
      hook(err, req, self)
      -- no further request: the 500 (or the end of what was sent) is the
      -- last answer, and says Connection: close
      C_drain(self.h)
      if not req._state then req:send({Status(500), {}, "Internal Server Error\n"}) end
      if not self.closed then
        H.flush(self)
        self:close()
      end
      return false
    end
  else
    handler(req)
  end
  if req._state ~= "done" and not self.closed then req:close() end
  return true
end

function ServerConn:serve(handler)
  for req in self do
    if not handle(self, req, handler) then break end
  end
end

-- ---------------------------------------------------------------------
-- the read State of a server connection (r_ev, with `http` = the
-- connection): in a serve() server it is set only while the connection is
-- parked (idle, no green thread), and readiness takes a worker from the
-- pool; otherwise it sees the peer's hang-up while the app is not reading:
-- a connection with nothing in flight closes itself (and leaves the hub),
-- one still answering closes after its last response.

local ConnStates = setmetatable({}, {__mode = "k"})  -- per hub State class
local activate

local function conn_state(r_ev, self)
  local State = getmetatable(r_ev)
  local ConnState = ConnStates[State]
  if not ConnState then
    ConnState = setmetatable({}, {__index = State})
    ConnState.__index = ConnState
    ConnStates[State] = ConnState
    function ConnState:set(v)
      local c = self.http
      if c and not self.co and c.server._handler then
        -- parked: the worker reads at once, nothing is latched (and the
        -- State keeps its two slots)
        self.http = nil
        if v < 0 then c.conn.r_error = true end
        return activate(c)
      end
      State.set(self, v)
      if not c then return end
      if v < 0 and not self.co and not c.closed then
        c._hup = true
        -- closed from a green thread of its own: this runs in the hub's
        -- dispatch, where an io may not yield
        if C_inflight(c.h) == 0 and H.buffered(c.h) == 0 then
          c.server.hub:resume(coroutine.create(conn_methods.close), c)
        end
      end
    end
  end
  r_ev.http = self
  return setmetatable(r_ev, ConnState)
end

local WEAK_KEYS = {__mode = "k"}

-- closes parked connections past their deadline, and gives back the
-- buffers of the others (one green thread per server)
local function reaper(server)
  local hub = server.hub
  local period = math.min(server._head_timeout or 1e9, server._keepalive_timeout or 1e9) / 4
  period = math.max(5, math.min(1000, period))
  while not (server.closed and server.nconns == 0) do
    hub:sleep(period)
    server._hot, server._nhot = setmetatable({}, WEAK_KEYS), 0  -- released below
    local now = tonumber(hub:now())
    for conn, deadline in pairs(server.conns) do
      if deadline ~= true then  -- parked: false (no timeout) or the deadline
        if deadline and deadline <= now then
          conn:close()
        else
          L.levee_h1_release(conn.h)
        end
      end
    end
  end
  server._reaper = false
end

-- serve(): parks c (idle: its State takes the next readiness) -> true,
-- or false when readiness is latched already (go on reading)
local function park(c, ms)
  local r_ev = c.conn.r_ev
  if r_ev.has then
    r_ev.has = false
    return false
  end
  r_ev.http = c
  local server = c.server
  server.conns[c] = ms and (tonumber(server.hub:now()) + ms) or false
  if not server._reaper then
    server._reaper = true
    server.hub:spawn(reaper, server)
  end
  return true
end

-- serve(): an idle connection keeps no buffer memory (its buffers,
-- tokenizer and exchange queue go back to the engine's per-thread cache),
-- except the last HOT connections to go idle since the reaper's last pass,
-- which keep theirs: under a steady load the same connections come back
-- at once, and taking everything from the cache again cost about 500
-- instructions per request. Released now rather than by the reaper:
-- 10,000 connections answered at once would otherwise hold their buffers
-- at the same time, and the allocator keeps that peak; this way at most
-- HOT connections (16 KB each) hold them between two passes.
local HOT = 64
local function idle_memory(server, c, h)
  local hot = server._hot
  if hot[c] then return end
  local n = server._nhot
  if n < HOT then
    hot[c] = true
    server._nhot = n + 1
  else
    C_release(h)
  end
end

-- serve(): skips what is left of a body the handler did not read -> true,
-- false when the connection ended
local function skip_body(c)
  while true do
    local rc = C_discard(c.h)
    if rc == 1 then return true end
    if rc < 0 then
      ended(c)
      return false
    end
    local err = H.fill(c)
    if err then
      if not c.closed then c:close() end
      return false
    end
  end
end

-- serve(): waits for more input of a request (part of a head, or the
-- connection is busy) -> true, false when the connection ended
local function more(c)
  local err = H.fill(c, head_wait(c))
  if err and (c.conn.closed or err == TIMEOUT) then
    if not c.closed then c:close() end
    return false
  end
  return true
end

local S_IDLE_DRAINED = S_IDLE + S_DRAINED
local C_read = L.levee_h1_read

-- serve(): serves the connections of the run queue (_rq, from _rh to _rt)
-- in turn, each until it is idle (then it parks) or ends; returns when the
-- queue is empty. One loop, straight-line in the common case (the JIT
-- compiles it as one trace): take a connection, the read its readiness
-- asked for, a head, the handler, a write, park, the next connection.
-- Between connections `c` is NONE, not nil: a loop variable that changes
-- type makes LuaJIT give up compiling that exit (each connection's turn
-- then ran in the interpreter).
local NONE = {}
local function serve_queue(server, handler, me)
  local rq, conns = server._rq, server.conns
  local c = NONE
  while true do
    if c == NONE then
      local i = server._rh
      if i >= server._rt then return end
      c = rq[i]
      rq[i] = nil
      server._rh = i + 1
      if conns[c] == nil then
        c = NONE  -- closed while it waited
      else
        conns[c] = true
        c._loop_co = me
        C_read(c.h, c.conn.s)  -- readiness was reported (EOF and errors: the engine knows)
      end
    else
      local h = c.h
      local rc = C_next(h, MSG, TOKS, NTOKS)
      if rc == HEAD then
        local req = new_request(c)
        if not handle(c, req, handler) or (C_discard(h) ~= 1 and not skip_body(c)) then c = NONE end
      elseif rc == NEED then
        -- NEED carries the engine's state in MSG.flags; responses to
        -- pipelined requests went into the buffer together
        local st = MSG.flags
        if band(st, S_OUTPUT) ~= 0 then
          if H.flush(c) then st = 0 else st = C_state(h) end
        end
        local idle = false
        if conns[c] == nil then
          c = NONE
        else
          idle = band(st, S_IDLE_DRAINED) == S_IDLE_DRAINED
        end
        if idle and c._draining then
          c:close()
          c = NONE
        elseif c ~= NONE then
          if idle then
            idle_memory(server, c, h)
            if park(c, server._keepalive_timeout) then c = NONE end
          end
          if c ~= NONE and not more(c) then c = NONE end
        end
      else
        ended(c)
        c = NONE
      end
    end
  end
end

-- Connections with input wait in the server's run queue, and one worker,
-- the runner, serves them one after the other: a hub event per connection
-- costs no switch between green threads (the runner goes back to the pool
-- once the queue is empty). A runner that blocks (a handler waiting, a
-- slow peer) must not hold up the queue: the hub's tick hook (`check`)
-- sees a queue that a started runner left and hands it to a new runner
-- before the hub polls.
local function worker(server)
  local hub = server.hub
  local me = hub:current()
  while true do
    if server._runner == me then server._started = true end
    serve_queue(server, server._handler, me)
    if server._runner == me then server._runner = false end
    local pool = server._workers
    if #pool >= 64 then return end
    pool[#pool + 1] = me
    hub:pause()
  end
end

-- a runner for the queue: from the pool, or a new one
local function start_runner(server)
  local pool = server._workers
  local co = pool[#pool]
  if co then
    pool[#pool] = nil
  else
    co = coroutine.create(worker)
  end
  server._runner, server._started = co, false
  server.hub:resume(co, server)
end

-- from the hub's dispatch (or the accept thread): c's parked State saw
-- readiness
activate = function(c)
  local server = c.server
  local t = server._rt
  server._rq[t] = c
  server._rt = t + 1
  if not server._runner then start_runner(server) end
end

-- the hub's tick hook: a runner that started and blocked left connections
-- in the queue (true: the server is closed and done, drop the hook)
local function check(server)
  if server._rh < server._rt then
    if server._started then start_runner(server) end
  elseif server.closed and server.nconns == 0 then
    return true
  end
end

-- ---------------------------------------------------------------------
-- server: the listener

local Server = {}
Server.__index = Server

local function new_serverconn(server, conn)
  local h = W.engine(SERVER, server._limits, server._max_body)
  local self = setmetatable({conn = conn, h = h, server = server}, ServerConn)
  if conn.r_ev then conn_state(conn.r_ev, self) end
  server.conns[self] = true
  server.nconns = server.nconns + 1
  return self
end

-- recv() -> err, conn: the next connection (a server connection object).
function Server:recv()
  if self.closed then return CLOSED end
  local err, conn = self.listener:recv()
  if err then return err end
  return nil, new_serverconn(self, conn)
end

Server.__call = call_iter

function Server:addr() return self.listener:addr() end
function Server:port() return self.listener:port() end

-- close(): stops accepting (open connections carry on).
function Server:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.listener:close()
  local waiters = self._waiters
  if waiters then
    self._waiters = nil
    for i = 1, #waiters do self.hub:resume(waiters[i]) end
  end
  return nil
end

-- wait() -> nil: blocks until the server is closed (close() or shutdown()).
function Server:wait()
  if self.closed then return nil end
  local waiters = self._waiters or {}
  self._waiters = waiters
  waiters[#waiters + 1] = self.hub:current()
  self.hub:pause()
  return nil
end

-- serve(handler) -> self: accepts in a new green thread and answers every
-- request with handler(req), in order per connection (see ServerConn:serve
-- for errors). An idle keep-alive connection holds no green thread: a pool
-- of workers serves the connections that have input.
function Server:serve(handler)
  self._handler = handler
  self._workers = {}
  self._rq, self._rh, self._rt, self._runner, self._started = {}, 1, 1, false, false
  self._hot, self._nhot = setmetatable({}, WEAK_KEYS), 0
  self.hub:_tick_hook(check, self)
  self.hub:spawn(function()
    for c in self do
      c.conn.r_ev.http = nil
      -- a new connection waits for its first head like a parked one; but
      -- a TLS handshake may have read the first request into the TLS
      -- session already, and no readiness would announce it: such a
      -- connection is served at once (it parks when a read says WANT)
      if c.conn.tls or not park(c, self._head_timeout) then activate(c) end
    end
  end)
  return self
end

-- shutdown([drain_ms=5000]) -> err: stops accepting, closes idle
-- keep-alive connections, lets in-flight requests finish and closes their
-- connections after the response, and force-closes what is left at the
-- deadline. Returns once every connection is closed.
function Server:shutdown(drain_ms)
  self:close()
  if self.nconns == 0 then return nil end
  local hub = self.hub
  local s, r = hub:value()
  self._drained = s
  for c in pairs(self.conns) do
    c._draining = true
    C_drain(c.h)
    if band(C_state(c.h), S_CLOSE) ~= 0 then
      H.flush(c)
      c:close()
    end
  end
  if self.nconns == 0 then
    self._drained = nil
    return nil
  end
  local err = r:recv(drain_ms or 5000)
  if err then
    for c in pairs(self.conns) do c:close() end
  end
  self._drained = nil
  return nil
end

local function listen_options(a, b, c)
  if type(a) == "table" then return a end
  local o = {port = a, host = b}
  if type(c) == "table" then for k, v in pairs(c) do o[k] = v end end
  return o
end

-- ---------------------------------------------------------------------
-- request bodies (and response bodies, below)

request_body = {}

-- true once the body has been read to its end (or there is none)
function request_body.consumed(self)
  if self.body then return #self.body == 0 end
  if self.chunks then return self.chunks.done end
  return true
end

local function drain_body(self, each)
  if self.body then return self.body:drain(each) end
  if self.chunks then return self.chunks:drain(each) end
  return nil, 0
end

-- tobuffer, tostring, discard, save, splice, json
for k, f in pairs(W.body_methods(drain_body)) do Request[k] = f end

-- ---------------------------------------------------------------------
-- client

local Client = {}
Client.__index = Client

local ClientResponse = {}
ClientResponse.__index = ClientResponse
for k, f in pairs(W.body_methods(drain_body)) do ClientResponse[k] = f end
ClientResponse.__tostring = function(self)
  return ("levee.http.Response: %d %s"):format(self.code, self.reason)
end

-- Pending: the recver client:request returns; recv([ms]) -> err, Response
-- (sticky: every recv gives it).
local Pending = {}
Pending.__index = Pending
Pending.__call = call_iter

function Pending:recv(ms)
  if self.res then return nil, self.res end
  if self.err then return self.err end
  local client = self.client
  -- a response still being read on this connection is read into memory
  -- for its owner, so waiting for a later one never deadlocks
  client._wanted = true
  local co = client._body_waiter
  if co then
    client._body_waiter = nil
    client.hub:resume(co)
  end
  self.co = client.hub:current()
  local err = client.hub:pause(ms)
  self.co = nil
  if self.res then return nil, self.res end
  if self.err then return self.err end
  return err or CLOSED
end

function Pending:close()
  if not self.res and not self.err then self.err = CLOSED end
  return nil
end

local function deliver(p, err, res)
  if p.res or p.err then return end
  p.res, p.err = res, err
  if p.co then
    local co = p.co
    p.co = nil
    p.client.hub:resume(co)
  end
end

-- a response body was read to its end: the reader goes on
local function body_done(self)
  local co = self._body_waiter
  if co then
    self._body_waiter = nil
    self.hub:resume(co)
  end
end

-- reads one response head -> err, Response
local function read_response(self)
  local h = self.h
  while true do
    local rc = C_next(h, MSG, TOKS, NTOKS)
    if rc == HEAD then
      local msg = MSG
      local p, t = msg.base, TOKS[0]
      local res = setmetatable({
        code = tonumber(msg.status), reason = fstring(p + t.a_off, t.a_len), version = msg.version,
        headers = W.head_fields(table_new(0, msg.ntoks - 2)),
      }, ClientResponse)
      local body = msg.body
      if body == BODY_LENGTH then
        res.body = H.body(self, msg.id, body_done)
      elseif body == BODY_CHUNKED then
        res.chunks = H.chunks(self, msg.id, body_done)
      elseif body == BODY_CLOSE then
        res.body = H.body(self, msg.id, body_done)
        res._until_close = true
      end
      return nil, res
    elseif rc == NEED then
      if self.conn.closed then return CLOSED end
      local err = H.fill(self)
      if err == TIMEOUT then return TIMEOUT end
      if err and self.conn.closed then return CLOSED end
    elseif rc < 0 and rc ~= E_TOOSHORT then
      return errors.get(rc)
    else
      -- the connection ending, even inside a head, is CLOSED (lua-api.md §8)
      return CLOSED
    end
  end
end

-- reads what is left of a response body into memory, for its owner
local function detach(res)
  if res.body then
    H.detach(res.body)
  elseif res.chunks then
    res.chunks:detach()
  end
end

-- the reader thread: reads responses in request order
local function reader(self)
  local queue = self._queue
  while true do
    local p = queue[self._qh + 1]
    if not p then
      self._reader_idle = self.hub:current()
      self.hub:pause()
      self._reader_idle = nil
      if self.closed then break end
    else
      queue[self._qh + 1] = nil
      self._qh = self._qh + 1
      local err, res = read_response(self)
      self.response_to_request[p] = nil
      if err then
        deliver(p, err)
        self:close()
        break
      end
      deliver(p, nil, res)
      -- the next response is read once this body was read (or a later
      -- response is wanted: then the body is kept in memory)
      while not self.closed and not request_body.consumed(res) do
        if self._wanted and self._qh < self._qt then
          detach(res)
          break
        end
        self._body_waiter = self.hub:current()
        self.hub:pause()
      end
      self._wanted = false
      if self.closed then break end
      if band(C_state(self.h), S_CLOSE) ~= 0 then
        self:close()
        break
      end
      local after = self._after_body
      if after then
        self._after_body = nil
        after(self)
      end
    end
  end
  -- what is still queued will never be answered
  for p in pairs(self.response_to_request) do deliver(p, CLOSED) end
  self.response_to_request = {}
end

-- request(method, path[, params[, headers[, data]]]) -> err, recver whose
-- recv([ms]) gives the Response. The request is written at once.
function Client:request(method, path, params, headers, data)
  if self.closed then return CLOSED end
  if type(method) ~= "string" then return EINVAL end
  local target = W.query(path or "/", params)
  if data ~= nil then data = tostring(data) end
  if not W.request(method, target, headers, data, self._defaults) then return EINVAL end
  local id = C_request(self.h, W.OUT)
  W.release()
  if id < 0 then return failure(id) end
  local p = setmetatable({client = self, method = method}, Pending)
  self.response_to_request[p] = true
  self._qt = self._qt + 1
  self._queue[self._qt] = p
  local err = H.flush(self)
  if err then
    self:close()
    return err
  end
  local co = self._reader_idle
  if co then
    self._reader_idle = nil
    self.hub:resume(co)
  end
  return nil, p
end

function Client:get(path, o)
  o = o or {}
  return self:request("GET", path, o.params, o.headers)
end

function Client:head(path, o)
  o = o or {}
  return self:request("HEAD", path, o.params, o.headers)
end

function Client:post(path, o)
  o = o or {}
  return self:request("POST", path, o.params, o.headers, o.data)
end

function Client:put(path, o)
  o = o or {}
  return self:request("PUT", path, o.params, o.headers, o.data)
end

function Client:delete(path, o)
  o = o or {}
  return self:request("DELETE", path, o.params, o.headers)
end

function Client:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.conn:close()
  local a, b = self._body_waiter, self._reader_idle
  self._body_waiter, self._reader_idle = nil, nil
  if a then self.hub:resume(a) end
  if b then self.hub:resume(b) end
  local after = self._after_body
  if after then
    self._after_body = nil
    after(self)
  end
  return nil
end

local function new_client(hub, conn, o)
  local h = W.engine(CLIENT, W.limits(o.parser))
  local default = o.tls and 443 or 80
  local port = o.port or default
  local host = o.host or "127.0.0.1"
  local hoststr = host:find(":", 1, true) and ("[" .. host .. "]") or host
  local HOST = tonumber(port) == default and hoststr or (hoststr .. ":" .. tostring(port))
  local self = setmetatable({
    hub = hub, conn = conn, h = h, buf = H.rbuf(h), HOST = HOST,
    response_to_request = {}, closed = false, _queue = {}, _qh = 0, _qt = 0,
    _defaults = {"Host", HOST, "User-Agent", W.USER_AGENT, "Accept", "*/*"},
  }, Client)
  self.responses = self  -- the queue of requests awaiting responses
  hub:spawn(reader, self)
  return self
end

-- ---------------------------------------------------------------------
-- the pool

local Pool = {}
Pool.__index = Pool

-- a pooled connection is free when no request is in flight on it and the
-- body of its last response has been read
local function pool_free(c)
  return not c.closed and not c._pool_busy and (not c._pool_res or request_body.consumed(c._pool_res))
end

local function pool_wake(self)
  local co = table.remove(self.waiters, 1)
  if co then self.hub:resume(co) end
end

-- take() -> err, client: a free connection, a new one while fewer than
-- `size` are open, else the next one that becomes free
function Pool:_take()
  while true do
    if self.closed then return CLOSED end
    local conns = self.conns
    for i = #conns, 1, -1 do
      if conns[i].closed then table.remove(conns, i) end
    end
    for i = 1, #conns do
      if pool_free(conns[i]) then return nil, conns[i] end
    end
    if #conns + self.dialing < self.size then
      self.dialing = self.dialing + 1
      local err, c = self.http:connect(self.url, self.options)
      self.dialing = self.dialing - 1
      if err then
        pool_wake(self)
        return err
      end
      conns[#conns + 1] = c
      return nil, c
    end
    local co = self.hub:current()
    self.waiters[#self.waiters + 1] = co
    local err = self.hub:pause(self.options.timeout)
    if err then
      for i, w in ipairs(self.waiters) do
        if w == co then table.remove(self.waiters, i) break end
      end
      return err
    end
  end
end

-- request(method, path[, params[, headers[, data]]]) -> err, Response: the
-- response head; its connection is reused once its body has been read (or
-- discarded).
function Pool:request(method, path, params, headers, data)
  local err, c = self:_take()
  if err then return err end
  c._pool_busy = true
  c._after_body = function() pool_wake(self) end
  local rerr, r = c:request(method, path, params, headers, data)
  local res
  if not rerr then rerr, res = r:recv(self.options.timeout) end
  c._pool_busy = false
  if rerr then
    c:close()
    pool_wake(self)
    return rerr
  end
  c._pool_res = res
  if request_body.consumed(res) then pool_wake(self) end
  return nil, res
end

function Pool:get(path, o) o = o or {} return self:request("GET", path, o.params, o.headers) end
function Pool:head(path, o) o = o or {} return self:request("HEAD", path, o.params, o.headers) end
function Pool:post(path, o)
  o = o or {}
  return self:request("POST", path, o.params, o.headers, o.data)
end

-- close(): closes every connection of the pool.
function Pool:close()
  if self.closed then return CLOSED end
  self.closed = true
  for _, c in ipairs(self.conns) do c:close() end
  self.conns = {}
  while #self.waiters > 0 do pool_wake(self) end
end

-- ---------------------------------------------------------------------
-- h.http

local HTTP = {}
HTTP.__index = HTTP

-- The part of an h.http options table that h.stream takes (the HTTP
-- limits and settings stay here).
local STREAM_KEYS = require("levee.net.stream").KEYS
local function stream_options(o)
  local so = {}
  for k, v in pairs(o) do
    if STREAM_KEYS[k] then so[k] = v end
  end
  return so
end

-- connect(port[, host[, options]]), connect{port=, host=, timeout=,
-- connect_timeout=, parser=, tls=}, or connect("http[s]://host[:port]"[,
-- options]) -> err, client. https (or tls=) is the same HTTP over TLS.
function HTTP:connect(a, b, c)
  local o
  if type(a) == "table" then
    o = a
  elseif type(a) == "string" and a:find("://", 1, true) then
    -- h.stream parses the URL (https: TLS, port 443); the Host header
    -- comes from what it parsed
    local scheme = a:match("^(%a[%w+.-]*)://"):lower()
    if scheme ~= "http" and scheme ~= "https" then
      error("h.http:connect: expected an http:// or https:// URL, got " .. a, 2)
    end
    local err, conn = self.hub.stream:dial(a, b)
    if err then return err end
    o = conn.options
    if o.port == "https" or o.port == "http" then o.port = o.port == "https" and 443 or 80 end
    return nil, new_client(self.hub, conn, o)
  else
    o = {port = a, host = b}
    if type(c) == "table" then for k, v in pairs(c) do o[k] = v end end
  end
  local err, conn = self.hub.stream:dial(stream_options(o))
  if err then return err end
  return nil, new_client(self.hub, conn, o)
end

-- a timeout option: the default when absent, false for none
local function timeout_option(v, default)
  if v == nil then return default end
  if v == false then return nil end
  v = tonumber(v)
  if not v or v < 0 then error("levee.http: bad timeout", 3) end
  return v
end

-- listen([port[, host[, config]]]) or listen{port=, host=, ...limits,
-- timeout=, max_body=, head_timeout=60000, keepalive_timeout=75000,
-- on_error=} -> err, server
function HTTP:listen(a, b, c)
  local o = listen_options(a, b, c)
  local limits = W.limits(o)
  local head_timeout = timeout_option(o.head_timeout, 60000)
  local keepalive_timeout = timeout_option(o.keepalive_timeout, 75000)
  local err, listener = self.hub.stream:listen(stream_options(o))
  if err then return err end
  return nil, setmetatable({hub = self.hub, listener = listener, config = o, conns = {},
    nconns = 0, closed = false, on_error = o.on_error, _limits = limits,
    _max_body = o.max_body and ffi.new("uint64_t", o.max_body) or nil,
    _head_timeout = head_timeout, _keepalive_timeout = keepalive_timeout}, Server)
end

-- pool(url[, {size=8, timeout=, connect_timeout=, tls=}]) -> pool:
-- request/get/head/post over reused keep-alive connections to url
-- ("http://host[:port]" or "https://...").
function HTTP:pool(url, o)
  o = o or {}
  local scheme = tostring(url):match("^(%a[%w+.-]*)://")
  if scheme ~= "http" and scheme ~= "https" then
    error("h.http:pool: expected http:// or https://host[:port], got " .. tostring(url), 2)
  end
  local options = {timeout = o.timeout, connect_timeout = o.connect_timeout, tls = o.tls}
  return setmetatable({hub = self.hub, http = self, url = url, options = options,
    size = o.size or 8, conns = {}, dialing = 0, waiters = {}, closed = false}, Pool)
end

-- droplet(port[, host[, config]]) -> err, droplet: a server with routes
function HTTP:droplet(a, b, c)
  return require("levee.p.http.droplet")(self, a, b, c)
end

local M = {
  Request = Request, Response = ClientResponse, Server = Server, Client = Client,
  ServerConn = ServerConn, query = W.query, http_date = W.http_date,
}
setmetatable(M, {__call = function(_, hub) return setmetatable({hub = hub}, HTTP) end})
return M
