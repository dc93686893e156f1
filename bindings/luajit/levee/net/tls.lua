-- levee.net.tls: TLS for io.RW connections (lua-api.md §5), over the C
-- core's libtls sessions (lib/tls.cc).
--
-- Config(opts) -> err, config. The options table is handed to the core as
-- JSON, which parses, validates and applies every option once for both
-- bindings. A TLS connection is the same io.RW table whose core stream got
-- a TLS transport: every io method (read, readinto, write, writev,
-- stream, chunk, p, ...) then moves TLS records unchanged. Errors are
-- registry errors of the tls domain (errors.tls.HANDSHAKE, .VERIFY,
-- .CONFIG, ...); message() gives libtls's text for the last one.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local WANT_READ, WANT_WRITE = L.LEVEE_WANT_READ, L.LEVEE_WANT_WRITE
local DEFAULT_HANDSHAKE_TIMEOUT = 10000

local M = {}

local last_message = ""

-- err for rc (< 0), remembering the core's text for message().
local function failure(rc)
  last_message = ffi.string(L.levee_last_message())
  return errors.get(rc)
end

-- message() -> string: libtls's text for the last TLS failure in this Lua
-- state ("" when none), e.g. "certificate verification failed: certificate
-- has expired".
function M.message() return last_message end

local cfg_out = ffi.new("levee_tls_config *[1]")
local srv_out = ffi.new("levee_tls_server *[1]")

-- =====================================================================
-- Config

local Config = {}
Config.__index = Config

-- Config([opts]) -> err, config: builds a TLS configuration from the
-- options table of lua-api.md §5 (plus alpn, certs, insecure).
function M.Config(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("levee.net.tls.Config: options must be a table", 2) end
  local ok, err, buf = pcall(require("levee.p.json").encode, opts)
  if not ok or err then
    last_message = "tls options: " .. tostring(ok and err or err)
    return errors.tls.CONFIG
  end
  local json = buf:peek()
  local rc = L.levee_tls_config_new(cfg_out, json, #json)
  if rc < 0 then return failure(rc) end
  return nil, setmetatable({_c = ffi.gc(cfg_out[0], L.levee_tls_config_free), opts = opts}, Config)
end

-- config:server() -> err, TLSServer: a server context (needs cert and key).
function Config:server()
  local rc = L.levee_tls_server_new(srv_out, self._c)
  if rc < 0 then return failure(rc) end
  return nil, setmetatable({config = self, _s = ffi.gc(srv_out[0], L.levee_tls_server_free)},
    M.Server)
end

local Conn = {}

-- Gives the io.RW rw a TLS transport made by upgrade_fn: the same table,
-- which now answers tls_info() and handshake().
local function upgrade(rw, config, upgrade_fn, ...)
  if rw.closed then return errors.CLOSED end
  local rc = upgrade_fn(rw.s, ...)
  if rc < 0 then return failure(rc) end
  rw.config = config
  rw.tls = true
  rw.handshake = Conn.handshake
  rw.tls_info = Conn.tls_info
  return nil, rw
end

-- config:upgrade(rw[, server_name]) -> err, conn: the client side over a
-- connected io.RW. server_name defaults to the options' server_name; it is
-- sent as SNI and verified unless insecure.verify_name is false.
function Config:upgrade(rw, server_name)
  return upgrade(rw, self, L.levee_stream_tls_client, self._c, server_name)
end

-- =====================================================================
-- Server

local Server = {}
Server.__index = Server
M.Server = Server

-- server:upgrade(rw) -> err, conn: the server side over an accepted io.RW.
function Server:upgrade(rw)
  return upgrade(rw, self.config, L.levee_stream_tls_accept, self._s)
end

-- =====================================================================
-- Connections

-- conn:handshake([timeout]) -> err (nil, 0 when done): runs the handshake,
-- waiting on the hub; timeout in ms (default: the io's timeout). A failure
-- is returned again by every later call.
function Conn:handshake(timeout)
  if self.closed then return errors.CLOSED end
  timeout = timeout or self.timeout
  local s = self.s
  while true do
    local rc = L.levee_stream_handshake(s)
    if rc == 0 then return nil, 0 end
    -- A hang-up while waiting needs no care: the next step reads the EOF
    -- and fails the handshake.
    local err
    if rc == WANT_READ then
      err = self.r_ev:recv(timeout)
    elseif rc == WANT_WRITE then
      err = self.w_ev:recv(timeout)
    else
      return failure(rc)
    end
    if err then return err end
  end
end

-- conn:tls_info() -> err, {version, cipher, alpn, server_name, peer =
-- {subject, issuer, hash, not_before, not_after} or nil}.
local info = ffi.new("levee_tls_info")
function Conn:tls_info()
  if self.closed then return errors.CLOSED end
  local rc = L.levee_stream_tls_info(self.s, info)
  if rc < 0 then return errors.get(rc) end
  local s = ffi.string
  local t = {
    version = s(info.version), cipher = s(info.cipher), server_name = s(info.server_name),
    alpn = info.alpn[0] ~= 0 and s(info.alpn) or nil,
    cipher_strength = info.cipher_strength, resumed = info.session_resumed == 1,
  }
  if info.peer_cert == 1 then
    t.peer = {subject = s(info.subject), issuer = s(info.issuer), hash = s(info.hash),
      not_before = tonumber(info.not_before), not_after = tonumber(info.not_after)}
  end
  return nil, t
end

M.Conn = Conn

-- =====================================================================
-- dial / listen hooks (levee.net.stream)

-- The handshake timeout of tls options o: o.handshake_timeout, else the
-- connect timeout, else 10 s.
function M.handshake_timeout(o, fallback)
  return o.handshake_timeout or fallback or DEFAULT_HANDSHAKE_TIMEOUT
end

-- client(conn, tls_opts, host, timeout) -> err, conn: upgrades a freshly
-- dialed conn and completes the handshake; closes conn on failure.
function M.client(conn, o, host, timeout)
  if o == true then o = {} end
  local err, config = M.Config(o)
  if not err then err = config:upgrade(conn, o.server_name or host) end
  if not err then err = conn:handshake(M.handshake_timeout(o, timeout)) end
  if err then
    conn:close()
    return err
  end
  return nil, conn
end

-- listen(listener, tls_opts) -> err, listener: makes listener deliver
-- handshaken TLS connections. An acceptor green thread accepts, and each
-- connection is handshaken in a green thread of its own (bounded by the
-- handshake timeout), so a slow or hostile peer holds up nobody else; a
-- failed handshake closes that connection and the listener goes on. At
-- most `backlog` (default 256) connections are in handshake or waiting for
-- recv(); beyond that the acceptor waits and the kernel's backlog queues.
function M.listen(listener, o)
  if o == true then o = {} end
  local err, config = M.Config(o)
  local server
  if not err then err, server = config:server() end
  if err then
    listener:close()
    return err
  end
  local hub = listener.hub
  local plain_recv, plain_close = listener.recv, listener.close
  local timeout = M.handshake_timeout(o)
  local limit = listener.options.backlog or 256
  local q_send, q_recv = hub:queue()
  local room_send, room_recv = hub:pipe()
  local inflight, waiting = 0, false

  local function room()
    if waiting then
      waiting = false
      room_send:send(true)
    end
  end

  local function handshake(conn)
    local herr = server:upgrade(conn)
    if not herr then herr = conn:handshake(timeout) end
    inflight = inflight - 1
    if herr or listener.closed or q_send:send(conn) then
      conn:close()
      room()
    end
  end

  hub:spawn(function()
    while not listener.closed do
      if inflight + q_recv.count >= limit then
        waiting = true
        room_recv:recv()
      else
        local aerr, conn = plain_recv(listener)
        if aerr then break end
        inflight = inflight + 1
        hub:spawn(handshake, conn)
      end
    end
    q_send:close()
  end)

  listener.tls = server
  -- recv() -> err, conn: the next handshaken connection.
  function listener.recv()
    local rerr, conn = q_recv:recv()
    if conn then room() end
    return rerr, conn
  end
  -- close(): stops accepting; connections not yet received are closed.
  function listener.close(self)
    local first = plain_close(self)
    if not first then return first end
    room()
    while q_recv.count > 0 do
      local _, conn = q_recv:recv()
      if conn then conn:close() end
    end
    q_recv:close()
    return first
  end
  return nil, listener
end

return M
