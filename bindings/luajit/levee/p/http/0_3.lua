-- levee.p.http.0_3: HTTP/1.1 client and server in the 0.3 style, reached as
-- h.http (lua-api.md §8, extensions.md "Serving for real"; docs/http.md).
--
-- Server: one green thread per connection runs the app's `for req in conn`
-- loop; conn:recv() parses the next request head straight from the stream
-- with the bulk tokenizer (one C call per head). Responses are encoded into
-- one write buffer per connection and written in request order; responses
-- to pipelined requests already buffered are written together when the
-- loop asks for the next request. No extra green thread per connection or
-- per request.
--
-- Client: requests are written at once (pipelining); one reader thread per
-- connection parses responses in order and hands each to its recver, then
-- waits until that response's body has been consumed.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local d = require("levee.d")
local Status = require("levee.p.http.status")
local Parser = require("levee.p.http.parse")
local call_iter = require("levee.core.message").call_iter

local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT
local ESYNTAX = errors.get(L.LEVEE_HTTP_ESYNTAX)
local T_REQUEST, T_RESPONSE = L.LEVEE_HTTP_T_REQUEST, L.LEVEE_HTTP_T_RESPONSE
local T_FIELD, T_BODY_START = L.LEVEE_HTTP_T_FIELD, L.LEVEE_HTTP_T_BODY_START
local T_BODY_END = L.LEVEE_HTTP_T_BODY_END
local C_parse, C_next, C_reset = L.levee_http_parse, L.levee_http_next, L.levee_http_reset
local UNTIL_CLOSE = 0xffffffffffffffffULL
local WANT_READ, WANT_WRITE = L.LEVEE_WANT_READ, L.LEVEE_WANT_WRITE
local C_read = L.levee_stream_read
local MAX_TOKENS = 256
local USER_AGENT = "levee/v0.3.4-alpha.1"

-- One token array for every connection of the process: tokens are read
-- right after the parse call, before anything can yield.
local TOKS = ffi.new("levee_http_token[?]", MAX_TOKENS)
local TOK = ffi.new("levee_http_token")
local fstring = ffi.string
local table_new = require("table.new")

local W = require("levee.p.http.common")
local http_date, status_line, query = W.http_date, W.status_line, W.query
local bad_header, check_headers, write_headers = W.bad_header, W.check_headers, W.write_headers
local header, add_header, has_token = W.header, W.add_header, W.has_token
local flush_buffer, response_head = W.flush_buffer, W.response_head

-- ---------------------------------------------------------------------
-- chunked bodies: an iterable recver of io.Chunks, one per HTTP chunk

local Chunks = {}
Chunks.__index = Chunks

-- owner: the object whose stream and parser carry the body; done(owner)
-- runs once the last chunk was read (or the stream failed).
local function new_chunks(owner, on_done)
  return setmetatable({owner = owner, on_done = on_done, done = false}, Chunks)
end

-- recv() -> err, chunk: the next HTTP chunk as an io.Chunk (what the last
-- chunk left unread is skipped first); CLOSED after the last one.
function Chunks:recv()
  if self.done then return CLOSED end
  local owner = self.owner
  local prev = self.current
  if prev and #prev > 0 then
    local err = prev:discard()
    if err then return self:_finish(err) end
  end
  self.current = nil
  local stream, tok = owner.stream, TOK
  while true do
    local p, n = stream:value()
    local rc = n > 0 and C_next(owner.parser.h, p, n, tok) or 0
    if rc < 0 then return self:_finish(errors.get(rc)) end
    if rc > 0 then
      stream:trim(rc)
      if tok.type == T_BODY_END then return self:_finish(CLOSED) end
      local c = stream:chunk(tonumber(tok.length))
      self.current = c
      return nil, c
    end
    local err = stream:readin()
    if err then return self:_finish(ESYNTAX) end
  end
end

function Chunks:_finish(err)
  if not self.done then
    self.done = true
    self.error = err ~= CLOSED and err or nil
    self.on_done(self.owner, self.error)
  end
  return err
end

Chunks.__call = call_iter

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
    if rerr then return self:_finish(ESYNTAX) end  -- cut short inside a chunk
    total = total + n
  end
end

-- ---------------------------------------------------------------------
-- body conveniences shared by Response (client) and Request (server)

local Body

local function drain_body(self, each)
  if self.body then
    local c = self.body
    if not self._until_close then return c:drain(each) end
    -- a body framed by the connection's end: CLOSED ends it
    local total = 0
    local err = c:drain(function(p, n)
      local werr = each(p, n)
      if not werr then total = total + n end
      return werr
    end)
    if err and err ~= CLOSED then return err end
    c:trim(#c)
    return nil, total
  elseif self.chunks then
    return self.chunks:drain(each)
  end
  return nil, 0
end

-- tobuffer, tostring, discard, save, splice, json
Body = W.body_methods(drain_body)

-- true once the body has been read to its end
local function body_consumed(self)
  if self.body then return #self.body == 0 end
  if self.chunks then return self.chunks.done end
  return true
end

-- ---------------------------------------------------------------------
-- server: Request and its response sender

local Request = {}
Request.__index = Request
for k, f in pairs(Body) do Request[k] = f end
Request.__tostring = function(self)
  return ("levee.http.Request: %s %s"):format(self.method, self.path)
end

local Response = {}  -- req.response: the sender of the response to one request
Response.__index = Response

local ServerConn = {}
ServerConn.__index = ServerConn

-- queue of requests awaiting (the end of) their responses, head first
local function q_push(self, req)
  local t = self._qt + 1
  self._qt = t
  self._q[t] = req
end

local function q_head(self) return self._q[self._qh + 1] end

-- The head request's response is complete: pop it, append the buffered
-- complete responses behind it, wake a streaming response that waited
-- for its turn, and close the connection when its last response is out.
local function advance(self)
  local q = self._q
  while true do
    local h = self._qh + 1
    local req = q[h]
    if not req or req._state ~= "done" then break end
    q[h] = nil
    self._qh = h
    if req._out then
      self.wbuf:write(req._out)
      req._out = nil
    end
    if req._close then self._closing = true end
  end
  if self._qh == self._qt then self._qh, self._qt = 0, 0 end
  local head = q[self._qh + 1]
  if head and head._waiter then
    local co = head._waiter
    head._waiter = nil
    self.hub:resume(co)
  end
  if self._waiter and (not head or head._state == "done") then
    local co = self._waiter
    self._waiter = nil
    self.hub:resume(co)
  end
end

-- writes out the connection's buffer; one writer at a time
local function flush(self)
  if self._flushing then
    local waiters = self._flush_waiters
    if not waiters then
      waiters = {}
      self._flush_waiters = waiters
    end
    waiters[#waiters + 1] = self.hub:current()
    self.hub:pause()
    return self.conn.closed and CLOSED or nil
  end
  self._flushing = true
  local err = flush_buffer(self.conn, self.wbuf)
  self._flushing = false
  local waiters = self._flush_waiters
  if waiters and #waiters > 0 then
    self._flush_waiters = {}
    for i = 1, #waiters do self.hub:resume(waiters[i]) end
  end
  if not err and self._closing and self._qh == self._qt then
    self:close()
  end
  if err then self:close() end
  return err
end

-- After a response completed: write now unless the loop thread will ask
-- for the next pipelined request (already buffered) and write then.
local function after_complete(self, req)
  req._state = "done"
  if self.hub:current() ~= self._loop_co or #self.stream.buf == 0 or self._closing
    or self._draining then
    advance(self)
    return flush(self)
  end
  advance(self)
end

-- Blocks a streaming response until its request is at the head.
local function wait_turn(self, req)
  while q_head(self) ~= req do
    if self.conn.closed then return CLOSED end
    req._waiter = self.hub:current()
    self.hub:pause()
  end
end

-- Encodes the head of a response (and a string body) into buf; returns
-- err, mode: "done" (nothing follows), "length" (the app writes n bytes) or
-- "chunked". The app's headers table is not changed: Date, the framing
-- header and Connection are written beside it.
local function encode_head(req, buf, status, headers, body)
  local t = type(body)
  local length, chunked, mode = nil, false, "done"
  if status:no_content() then
    body = nil
  elseif t == "string" then
    length = #body
    if req.method == "HEAD" then body = nil end
  elseif t == "number" or t == "cdata" then
    length = tonumber(body)
    if length < 0 or length % 1 ~= 0 then return errors.system.EINVAL end
    if req.method ~= "HEAD" then mode = "length" end
    body = nil
  elseif body == nil then
    chunked = true
    if req.method ~= "HEAD" then mode = "chunked" end
  else
    return errors.system.EINVAL
  end
  local err, closing = response_head(buf, status_line(status), headers, length, chunked,
    req._close, body)
  if err then return err end
  if closing then req._close = true end
  return nil, mode
end

-- send(v): the first send is {status, headers, body}; later sends are
-- chunks (string, or a number of bytes the app writes to req.conn itself).
function Response:send(v)
  local req = self.req
  local conn = req.serve
  if req._state == "done" or conn.conn.closed then return CLOSED end
  if not req._state then
    if conn._draining then req._close = true end
    if type(v) ~= "table" then return errors.system.EINVAL end
    local status, headers, body = v[1], v[2] or {}, v[3]
    if type(status) == "number" then status = Status(status) end
    if type(status) ~= "table" or not status.code then return errors.system.EINVAL end
    local head = q_head(conn) == req
    local buf
    if head then
      buf = conn.wbuf
    else
      if body ~= nil and type(body) ~= "string" then
        local err = wait_turn(conn, req)
        if err then return err end
        buf = conn.wbuf
      else
        buf = d.Buffer()
      end
    end
    local err, mode = encode_head(req, buf, status, headers, body)
    if err then return err end
    if mode == "done" then
      if buf ~= conn.wbuf then req._out = buf end
      return after_complete(conn, req)
    end
    req._state = mode
    req._nobody = req.method == "HEAD"
    return flush(conn)
  end
  -- streaming the body
  if req._state == "length" then return errors.system.EINVAL end
  if req._crlf then
    -- the end of the chunk the app wrote itself
    conn.wbuf:write("\r\n")
    req._crlf = false
  end
  if type(v) == "string" then
    if #v == 0 then return flush(conn) end
    conn.wbuf:write(("%x\r\n"):format(#v))
    conn.wbuf:write(v)
    conn.wbuf:write("\r\n")
    return flush(conn)
  elseif type(v) == "number" then
    -- the app writes v bytes to req.conn itself, then sends "" or closes
    if v > 0 then conn.wbuf:write(("%x\r\n"):format(v)) end
    req._crlf = v > 0
    return flush(conn)
  end
  return errors.system.EINVAL
end

-- close(): ends the response (terminating chunk for a chunked body, the end
-- of a Content-Length body the app wrote itself).
function Response:close()
  local req = self.req
  local conn = req.serve
  local state = req._state
  if state == "done" then return CLOSED end
  if not state then
    -- no response was sent: answer 500 so the connection stays in sync
    return self:send({Status(500), {}, "Internal Server Error\n"})
  end
  if state == "chunked" then
    if req._crlf then conn.wbuf:write("\r\n") end
    conn.wbuf:write("0\r\n\r\n")
  end
  return after_complete(conn, req)
end

-- req:sendfile(path) -> err: 200 with the file's bytes via sendfile(2), or
-- 404 "Not Found\n" when it cannot be opened or is not a regular file.
function Request:sendfile(path)
  local hub = self.serve.hub
  local err, f = hub.io:open(path, "r")
  local st
  if not err then
    err, st = f:stat()
    if not err and not st:is_reg() then err = errors.system.EISDIR end
  end
  if err then
    if f then f:close() end
    return self.response:send({Status(404), {}, "Not Found\n"})
  end
  local size = tonumber(st.st_size)
  err = self.response:send({Status(200), {}, size})
  if not err and self.method ~= "HEAD" then
    local serr, n = f:sendfile(self.conn, size)
    if not serr and n < size then serr = errors.system.EIO end
    err = serr
  end
  f:close()
  if err then self.serve:close() return err end
  return self.response:close()
end

-- error responses for requests the parser refused; the connection closes
local function refuse(self, code)
  local status = Status(code)
  local body = status.reason .. "\n"
  self.wbuf:write(status_line(status))
  self.wbuf:write(("Date: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"):format(http_date(), #body))
  self.wbuf:write(body)
  self._closing = true
  self._qt = self._qh
  flush(self)
  self:close()
end

-- Reads what the socket has into the stream buffer. A read that came back
-- short drained the socket, so the next one waits for readiness first
-- instead of spending a read(2) on EAGAIN (the fd is edge-triggered: data
-- arriving after the short read is reported again).
local function readin(self)
  local conn, buf = self.conn, self.stream.buf
  local wait = self._drained
  while true do
    if conn.closed then return CLOSED end
    if wait then
      -- an idle connection keeps no buffer memory
      if #buf == 0 then
        buf:release()
        self.wbuf:release()
      end
      if conn.r_error then return CLOSED end
      local err, _, ev = conn.r_ev:recv(conn.timeout)
      if err then return err end
      if ev < 0 then conn.r_error = true end
    end
    if buf:available() < 1024 then buf:ensure(4096) end
    local ptr, avail = buf:tail()
    local n = tonumber(C_read(conn.s, ptr, avail))
    if n > 0 then
      buf:bump(n)
      self._drained = n < avail
      return nil
    end
    if n == WANT_WRITE then
      local err = conn.w_ev:recv(conn.timeout)
      if err then return err end
    elseif n ~= WANT_READ then
      return CLOSED
    end
    wait = n == WANT_READ
  end
end

-- Finish what the previous request left: wait for its response when its
-- body was left to another thread, then skip whatever body is unread.
local function settle(self, prev)
  if body_consumed(prev) then return end
  if prev._state ~= "done" and q_head(self) ~= nil then
    self._waiter = self.hub:current()
    self.hub:pause()
  end
  if not body_consumed(prev) then return (prev:discard()) end
end

local function request_done(self) C_reset(self.parser.h) end

-- recv() -> err, req: the next request on this connection.
function ServerConn:recv()
  if self.closed then return CLOSED end
  self._loop_co = self.hub:current()
  local prev = self._last
  if prev then
    self._last = nil
    local err = settle(self, prev)
    if err then
      self:close()
      return CLOSED
    end
  end
  if self._closing or self._draining then
    if self._qh ~= self._qt then
      self._waiter = self.hub:current()
      self.hub:pause()
    end
    flush(self)
    self:close()
    return CLOSED
  end
  local stream, buf, toks, ph = self.stream, self.stream.buf, TOKS, self.parser.h
  local req = nil
  while true do
    local p, n = buf:value()
    local count = n > 0 and C_parse(ph, p, n, toks, MAX_TOKENS) or 0
    if count < 0 then
      local code = 400
      if count == L.LEVEE_HTTP_ESIZE then
        code = (req and req.method) and 431 or (buf:peek(64):find(" ", 1, true) and 414 or 400)
      end
      refuse(self, code)
      return CLOSED
    end
    if count > 0 then
      -- the fields every request gets, up front: one allocation of 8 slots
      -- (the rare ones, _close, _out, _waiter, _connection, come later)
      req = req or setmetatable({headers = table_new(0, 4), method = false, path = false,
        version = 0, conn = false, serve = false, response = false, _state = false}, Request)
      local headers = req.headers
      for i = 0, count - 1 do
        local t = toks[i]
        local ty = t.type
        if ty == T_FIELD then
          local name, value = fstring(p + t.a_off, t.a_len), fstring(p + t.b_off, t.b_len)
          local nlen = t.a_len
          if nlen == 10 and name:lower() == "connection" then
            req._connection = value
          elseif nlen == 6 and name:lower() == "expect" then
            req._expect = value
          end
          add_header(headers, name, value)
        elseif ty == T_REQUEST then
          req.method = fstring(p + t.a_off, t.a_len)
          req.path = fstring(p + t.b_off, t.b_len)
          req.version = t.version
        elseif ty == T_BODY_START then
          buf:trim(t["end"])
          return self:_request(req, t.chunked == 1, t.length)
        end
      end
      buf:trim(toks[count - 1]["end"])
    else
      if n == 0 and not req then
        -- idle between requests: a draining server closes now
        if self._draining then
          self:close()
          return CLOSED
        end
        flush(self)
        if self.closed then return CLOSED end
      else
        flush(self)
      end
      self._reading = true
      local err = readin(self)
      self._reading = false
      if err then
        self:close()
        return err == TIMEOUT and TIMEOUT or CLOSED
      end
    end
  end
end

function ServerConn:_request(req, chunked, length)
  req.conn, req.serve = self.conn, self
  req.response = setmetatable({req = req}, Response)
  local version = req.version
  local connection = req._connection
  if version == 0 then
    if not has_token(connection, "keep-alive") then req._close = true end
  elseif connection and has_token(connection, "close") then
    req._close = true
  end
  if chunked then
    req.chunks = new_chunks(self, request_done)
  else
    request_done(self)
    length = tonumber(length)
    local max = self.server.config.max_body
    if max and length > max then
      q_push(self, req)
      req._state = "done"
      self._qt = self._qh
      refuse(self, 413)
      return CLOSED
    end
    if length > 0 then req.body = self.stream:chunk(length) end
  end
  -- a client waiting for "100 Continue" before sending its body gets it
  -- now, unless earlier responses are still due (then it sends after its
  -- own timeout)
  if req._expect and (chunked or length > 0) and req.version == 1 and q_head(self) == nil
    and req._expect:lower() == "100-continue" then
    self.wbuf:write("HTTP/1.1 100 Continue\r\n\r\n")
    flush(self)
  end
  q_push(self, req)
  self._last = req
  self.requests = self.requests + 1
  return nil, req
end

ServerConn.__call = call_iter

function ServerConn:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.conn:close()
  local server = self.server
  if server then
    server.conns[self] = nil
    server.nconns = server.nconns - 1
    if server._drained and server.nconns == 0 then server._drained:send(true) end
  end
  -- wake anyone waiting for their turn or a flush
  local q = self._q
  for i = self._qh + 1, self._qt do
    local r = q[i]
    if r and r._waiter then
      local co = r._waiter
      r._waiter = nil
      self.hub:resume(co)
    end
  end
  if self._waiter then
    local co = self._waiter
    self._waiter = nil
    self.hub:resume(co)
  end
  return nil
end

-- ---------------------------------------------------------------------
-- server: the listener

local Server = {}
Server.__index = Server

local function new_serverconn(server, conn)
  local hub = server.hub
  local parser = Parser.Request(server.config)
  local self = setmetatable({
    hub = hub, conn = conn, stream = conn:stream(), parser = parser, requests = 0,
    server = server, wbuf = d.Buffer(0),
    _q = {}, _qh = 0, _qt = 0, closed = false,
  }, ServerConn)
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
  return nil
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
    if c._reading and #c.stream.buf == 0 and c._qh == c._qt then c:close() end
  end
  if self.nconns == 0 then return nil end
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
-- client

local Client = {}
Client.__index = Client

local ClientResponse = {}
ClientResponse.__index = ClientResponse
for k, f in pairs(Body) do ClientResponse[k] = f end
ClientResponse.__tostring = function(self)
  return ("levee.http.Response: %d %s"):format(self.code, self.reason)
end

-- a chunked response body ended: the reader may go on
local function client_body_done(self)
  C_reset(self.parser.h)
  local co = self._body_waiter
  if co then
    self._body_waiter = nil
    self.hub:resume(co)
  end
end

-- reads one response head for `method` from the client's stream
local function read_response(self, method)
  local stream, buf, toks, ph = self.stream, self.stream.buf, TOKS, self.parser.h
  local res = nil
  while true do
    local p, n = buf:value()
    local count = n > 0 and C_parse(ph, p, n, toks, MAX_TOKENS) or 0
    if count < 0 then return errors.get(count) end
    if count > 0 then
      res = res or setmetatable({headers = {}}, ClientResponse)
      for i = 0, count - 1 do
        local t = toks[i]
        local ty = t.type
        if ty == T_FIELD then
          add_header(res.headers, fstring(p + t.a_off, t.a_len), fstring(p + t.b_off, t.b_len))
        elseif ty == T_RESPONSE then
          res.code = tonumber(t.status)
          res.reason = fstring(p + t.a_off, t.a_len)
          res.version = t.version
        elseif ty == T_BODY_START then
          buf:trim(t["end"])
          if res.code < 200 then
            -- an interim response: skip it and read the real one
            C_reset(ph)
            res = nil
            break
          end
          if method == "HEAD" then
            C_reset(ph)
          elseif t.chunked == 1 then
            res.chunks = new_chunks(self, client_body_done)
          else
            C_reset(ph)
            local len = t.length
            if len == UNTIL_CLOSE then
              res.body = stream:chunk(math.huge)
              res._until_close = true
            elseif len > 0 then
              res.body = stream:chunk(tonumber(len))
            end
          end
          return nil, res
        end
      end
      if res then buf:trim(toks[count - 1]["end"]) end
    else
      -- the connection ending, even inside a head, is the stream's error
      -- (CLOSED, as lua-api.md §8 says for connection errors)
      local err = stream:readin()
      if err then return err end
    end
  end
end

-- the reader thread: parses responses in request order
local function reader(self)
  local pending = self._pending_r
  while true do
    local err, item = pending:recv()
    if err then break end
    local rerr, res = read_response(self, item.method)
    if rerr then
      -- the response in flight gets the error (CLOSED when the peer went
      -- away between responses, errors.http.* for a malformed one)
      self.response_to_request[item] = nil
      item.sender:error(rerr)
      self:close()
      break
    end
    self.response_to_request[item] = nil
    item.sender:send(res)
    -- the next response is parsed only once this body was consumed
    if res.body then
      local c = res.body
      if #c > 0 then c.done:recv() end
      if res._until_close then self:close() break end
    elseif res.chunks then
      while not res.chunks.done and not self.closed do
        self._body_waiter = self.hub:current()
        self.hub:pause()
      end
    end
    if self.closed then break end
    if has_token(header(res.headers, "Connection"), "close") then
      self:close()
      break
    end
    local after = self._after_body
    if after then
      self._after_body = nil
      after(self)
    end
  end
  -- what is still queued will never be answered
  for item in pairs(self.response_to_request) do item.sender:close() end
  self.response_to_request = {}
end

-- request(method, path[, params[, headers[, data]]]) -> err, recver whose
-- recv([ms]) gives the Response. The request is written at once.
function Client:request(method, path, params, headers, data)
  if self.closed then return CLOSED end
  headers = headers or {}
  local buf = self.wbuf
  local target = query(path or "/", params)
  if bad_header(method) or target:find("[%s%z]") then return errors.system.EINVAL end
  buf:write(method); buf:write(" "); buf:write(target); buf:write(" HTTP/1.1\r\n")
  if header(headers, "Host") == nil then buf:write("Host: "); buf:write(self.HOST); buf:write("\r\n") end
  if header(headers, "User-Agent") == nil then buf:write("User-Agent: " .. USER_AGENT .. "\r\n") end
  if header(headers, "Accept") == nil then buf:write("Accept: */*\r\n") end
  if data ~= nil then
    data = tostring(data)
    if header(headers, "Content-Length") == nil then
      buf:write(("Content-Length: %d\r\n"):format(#data))
    end
  end
  local err = check_headers(headers)
  if err then buf:trim() return err end
  write_headers(buf, headers)
  buf:write("\r\n")
  if data then buf:write(data) end
  local s, r = self.hub:value()
  local item = {method = method, sender = s}
  self.response_to_request[item] = true
  self._pending_s:send(item)
  err = flush_buffer(self.conn, buf)
  if err then
    self:close()
    return err
  end
  return nil, r
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
  self._pending_s:close()
  local co = self._body_waiter
  if co then
    self._body_waiter = nil
    self.hub:resume(co)
  end
  local after = self._after_body
  if after then
    self._after_body = nil
    after(self)
  end
  return nil
end

local function new_client(hub, conn, o)
  local parser = Parser.Response(o.parser)
  local port = o.port or 80
  local host = o.host or "127.0.0.1"
  local hoststr = host:find(":", 1, true) and ("[" .. host .. "]") or host
  local self = setmetatable({
    hub = hub, conn = conn, stream = conn:stream(), parser = parser,
    HOST = tonumber(port) == 80 and hoststr or (hoststr .. ":" .. tostring(port)),
    response_to_request = {}, wbuf = d.Buffer(0),
    closed = false,
  }, Client)
  self._pending_s, self._pending_r = hub:queue()
  self.responses = self._pending_r
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
  return not c.closed and not c._pool_busy and (not c._pool_res or body_consumed(c._pool_res))
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
      local err, c = self.http:connect(self.options)
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
  if body_consumed(res) then pool_wake(self) end
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

-- connect(port[, host[, options]]) or connect{port=, host=, timeout=,
-- connect_timeout=, parser=} -> err, client
function HTTP:connect(a, b, c)
  local o
  if type(a) == "table" then
    o = a
  else
    o = {port = a, host = b}
    if type(c) == "table" then for k, v in pairs(c) do o[k] = v end end
  end
  local err, conn = self.hub.stream:dial(stream_options(o))
  if err then return err end
  return nil, new_client(self.hub, conn, o)
end

-- listen([port[, host[, config]]]) or listen{port=, host=, ...limits,
-- timeout=, max_body=} -> err, server
function HTTP:listen(a, b, c)
  local o = listen_options(a, b, c)
  local err, listener = self.hub.stream:listen(stream_options(o))
  if err then return err end
  return nil, setmetatable({hub = self.hub, listener = listener, config = o, conns = {},
    nconns = 0, closed = false}, Server)
end

-- pool(url[, {size=8, timeout=}]) -> pool: request/get/head/post over
-- reused keep-alive connections to url ("http://host:port").
function HTTP:pool(url, o)
  o = o or {}
  local scheme, host, port = url:match("^(%a+)://%[?([^%]/]-)%]?:?(%d*)/?$")
  if scheme ~= "http" then error("h.http:pool: expected http://host[:port], got " .. tostring(url), 2) end
  local options = {host = host, port = tonumber(port) or 80, timeout = o.timeout,
    connect_timeout = o.connect_timeout}
  return setmetatable({hub = self.hub, http = self, options = options, size = o.size or 8,
    conns = {}, dialing = 0, waiters = {}, closed = false}, Pool)
end

local M = {
  Request = Request, Response = ClientResponse, Server = Server, Client = Client,
  query = query, http_date = http_date,
}
setmetatable(M, {__call = function(_, hub) return setmetatable({hub = hub}, HTTP) end})
return M
