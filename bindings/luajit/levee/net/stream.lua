-- h.stream (alias h.tcp): stream sockets over TCP (IPv4 and IPv6) and unix
-- paths (lua-api.md §4). dial/connect and listen take positional
-- (port, host, timeout, connect_timeout) arguments, a table of options, or
-- a URI "scheme://host[:port]" plus an optional options table.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local sys = require("levee._")

local SOCK_STREAM = 1
local AF_UNIX = 1

-- The options of a dial/listen call as a table.
local function options(a, b, c, d)
  if type(a) == "table" then return a end
  if type(a) == "string" and a:find("://", 1, true) then
    local scheme, rest = a:match("^(%a[%w+.-]*)://(.*)$")
    local o = {}
    if type(b) == "table" then for k, v in pairs(b) do o[k] = v end end
    o.scheme = scheme
    local host, port
    if rest:sub(1, 1) == "[" then
      host, port = rest:match("^%[([^%]]+)%]:?(%d*)")
    else
      host, port = rest:match("^([^:/]*):?(%d*)")
    end
    o.host = o.host or (host ~= "" and host or nil)
    o.port = o.port or (port ~= "" and tonumber(port)) or scheme
    if scheme == "https" and o.tls == nil then o.tls = {server_name = o.host} end
    return o
  end
  return {port = a, host = b, timeout = c, connect_timeout = d}
end

-- async dial: the addresses of host from h.dns:resolve (A, then AAAA), as
-- h.dialer finds them (a port outside 0..65535 or an unknown service name
-- is addr.ENONAME).
local function resolve_async(hub, host, port, dns)
  return require("levee.net.dialer").resolve_async(hub, 0, SOCK_STREAM, host, port, dns)
end

-- The endpoints to try for options o: IP literals need no lookup; names
-- go through h.dns:lookup (the getaddrinfo worker), or h.dns:resolve with
-- o.async, so the hub never blocks.
local function endpoints(hub, o)
  if o.unix then
    local ep, err = sys.endpoint_unix(o.unix)
    if err then return err end
    return nil, {ep}
  end
  local host = o.host or "127.0.0.1"
  local port = o.port or 0
  if host == "localhost" then host = "127.0.0.1" end
  if type(port) == "number" then
    local ep = sys.endpoint_in(host, port)
    if ep then return nil, {ep} end
  end
  if o.async then return resolve_async(hub, host, port, o.dns) end
  return hub.dns:lookup(host, {port = port, socktype = SOCK_STREAM})
end

-- Socket options that dial and listen accept by name, beside `sockopts`
-- (extensions.md): {port = 0, reuseport = true, nodelay = true}.
local SOCKOPTS = {"nodelay", "keepalive", "keepidle", "keepintvl", "keepcnt", "reuseaddr",
  "reuseport", "rcvbuf", "sndbuf", "rcvlowat", "sndlowat", "cork", "oobinline", "linger"}

-- sets the options of o on fd: err or nil
local function set_sockopts(fd, o)
  local function set(name, value)
    local rc = L.levee_socket_setopt(fd, name, value == true and 1 or value == false and 0 or value)
    if rc < 0 then return errors.get(rc) end
  end
  for _, name in ipairs(SOCKOPTS) do
    if o[name] ~= nil then
      local err = set(name, o[name])
      if err then return err end
    end
  end
  for name, value in pairs(o.sockopts or {}) do
    local err = set(name, value)
    if err then return err end
  end
end

local Stream = {}
Stream.__index = Stream

local function close_fd(fd) ffi.C.close(fd) end
pcall(ffi.cdef, "int close(int fd);")

-- Connects to one endpoint: err, conn.
local function connect(self, ep, o)
  local hub = self.hub
  local fd = L.levee_socket_new(ep.af, SOCK_STREAM, 0)
  if fd < 0 then return errors.get(fd) end
  if ep.af ~= AF_UNIX then
    local err = set_sockopts(fd, o)
    if err then
      close_fd(fd)
      return err
    end
  end
  local rc = L.levee_socket_connect(fd, ep)
  if rc < 0 and rc ~= -115 then  -- not EINPROGRESS
    close_fd(fd)
    return errors.get(rc)
  end
  local conn, err = hub.io:rw(fd, o.timeout)
  if not conn then
    close_fd(fd)
    return err
  end
  if rc ~= 0 then
    local werr = conn.w_ev:recv(o.connect_timeout)
    if not werr then
      rc = L.levee_socket_error(fd)
      werr = rc < 0 and errors.get(rc) or nil
    end
    if werr then
      conn:close()
      return werr
    end
  end
  conn.options = o
  return nil, conn
end

-- dial(...) -> err, conn (io.RW): tries every resolved address in turn;
-- connect_timeout bounds each attempt (errors.TIMEOUT).
function Stream:dial(a, b, c, d)
  local o = options(a, b, c, d)
  local err, eps = endpoints(self.hub, o)
  if err then return err end
  for i = 1, #eps do
    local conn
    err, conn = connect(self, eps[i], o)
    if not err then return nil, conn end
  end
  return err
end
Stream.connect = Stream.dial

-- =====================================================================
-- Listener

local Listener = {}
Listener.__index = Listener

-- recv() -> err, conn: the next accepted connection (io.RW). At the fd
-- limit (EMFILE/ENFILE) it waits and retries: the connection stays queued,
-- nothing spins.
function Listener:recv()
  local peer = self._peer
  while true do
    if self.closed then return errors.CLOSED end
    local fd = L.levee_socket_accept(self.no, peer)
    if fd >= 0 then
      local conn, err = self.hub.io:rw(fd, self.options.timeout)
      if conn then
        conn.options = self.options
        return nil, conn
      end
      close_fd(fd)
      return err
    end
    if fd == -11 then  -- EAGAIN
      local err, _, ev = self.r_ev:recv()
      if err then return err end
      if ev < 0 and self.closed then return errors.CLOSED end
    elseif fd == -24 or fd == -23 then  -- EMFILE, ENFILE
      self.hub:sleep(self.backoff_ms)
    elseif fd ~= -103 and fd ~= -71 then  -- not ECONNABORTED / EPROTO: fatal
      return errors.get(fd)
    end
  end
end

Listener.__call = function(self)
  local err, conn = self:recv()
  if err then return nil end
  return conn
end

function Listener:addr() return require("levee.core.io").sockname(self.no) end
Listener.sockname = Listener.addr

function Listener:port()
  local err, ep = self:addr()
  if err then return nil end
  return ep:port()
end

-- spawn_every(f): spawns f(conn) for every accepted connection.
function Listener:spawn_every(f) self.hub:spawn_every(self, f) end

-- sockopt(name[, value]) -> err[, value]: reads or sets a socket option.
function Listener:sockopt(name, value)
  return require("levee.core.io").sockopt(self.no, name, value)
end

-- close() -> true the first time, nil after.
function Listener:close()
  if self.closed then return nil end
  self.closed = true
  self.hub:unregister(self.no)
  if self.options.unix and not self.options.unix:find("^@") then os.remove(self.options.unix) end
  self.hub:continue()
  return true
end

-- listen(...) -> err, listener: binds host (default 127.0.0.1) / port
-- (default 0, ephemeral) or a unix path, backlog (default 256), plus socket
-- options by name (o.reuseport, o.nodelay, ...) or in o.sockopts.
function Stream:listen(a, b, c, d)
  local o = options(a, b, c, d)
  local err, eps = endpoints(self.hub, o)
  if err then return err end
  local ep = eps[1]
  local fd = L.levee_socket_new(ep.af, SOCK_STREAM, 0)
  if fd < 0 then return errors.get(fd) end
  local function fail(rc)
    close_fd(fd)
    return errors.get(rc)
  end
  local oerr = set_sockopts(fd, o)
  if oerr then
    close_fd(fd)
    return oerr
  end
  if o.unix and not o.unix:find("^@") then os.remove(o.unix) end
  local rc = ep.af ~= AF_UNIX and L.levee_socket_setopt(fd, "reuseaddr", 1) or 0
  if rc < 0 then return fail(rc) end
  rc = L.levee_socket_bind(fd, ep)
  if rc < 0 then return fail(rc) end
  rc = L.levee_socket_listen(fd, o.backlog or 256)
  if rc < 0 then return fail(rc) end
  local r_ev, _, rerr = self.hub:register(fd, true, false)
  if rerr then
    close_fd(fd)
    return rerr
  end
  return nil, setmetatable({hub = self.hub, no = fd, r_ev = r_ev, options = o, closed = false,
    backoff_ms = 50, _peer = sys.endpoint()}, Listener)
end

return function(hub) return setmetatable({hub = hub}, Stream) end
