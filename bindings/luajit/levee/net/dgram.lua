-- h.dgram: UDP sockets (lua-api.md §4). bind() gives a Dgram with
-- sendto/recvfrom; dial() a connected io.RW; listen() a bound io.R. Every
-- Dgram method on a closed object returns errors.CLOSED (the original
-- raised a Lua error).
local L = require("levee.lib")
local errors = require("levee.errors")
local sys = require("levee._")

local SOCK_DGRAM = L.LEVEE_SOCK_DGRAM
local EAGAIN = L.LEVEE_EAGAIN
local CLOSED = errors.CLOSED

-- Checks the (port, host) of a call: raises for wrong types; nil, or err,
-- detail for a port outside 0..65535 (or a missing one where required).
local function args(what, port, host, need_port)
  if port ~= nil and type(port) ~= "number" and type(port) ~= "string" then
    error(("%s: port must be a number or a service name, got %s"):format(what, type(port)), 3)
  end
  if host ~= nil and type(host) ~= "string" then
    error(("%s: host must be a string, got %s"):format(what, type(host)), 3)
  end
  if need_port and port == nil then return errors.system.EINVAL, what .. ": no port" end
  return require("levee.net.stream").check_port(what, port)
end

-- A bound (or connected) datagram socket: err, fd, ep. Names are looked
-- up with h.dns:lookup (off the hub thread).
local function open(hub, host, port, connect)
  local ep = sys.endpoint_in(host or "127.0.0.1", port or 0)
  if not ep then
    local err, eps = hub.dns:lookup(host, {port = port or 0, socktype = SOCK_DGRAM})
    if err then return err end
    ep = eps[1]
  end
  local fd = L.levee_socket_new(ep.af, SOCK_DGRAM, 0)
  if fd < 0 then return errors.get(fd) end
  local rc
  if connect then
    rc = L.levee_socket_connect(fd, ep)
  else
    rc = L.levee_socket_setopt(fd, "reuseaddr", 1)
    if rc >= 0 then rc = L.levee_socket_bind(fd, ep) end
  end
  if rc < 0 then
    L.levee_fd_close(fd)
    return errors.get(rc)
  end
  return nil, fd
end

local Dgram = {}
Dgram.__index = Dgram

-- sendto(endpoint, buf[, len]) -> err, n: never waits (a full socket
-- buffer is errors.system.EAGAIN).
function Dgram:sendto(ep, buf, len)
  if self.closed then return CLOSED end
  local n = L.levee_socket_sendto(self.no, buf, len or #buf, ep)
  if n < 0 then return errors.get(tonumber(n)) end
  return nil, tonumber(n)
end

-- recvfrom(buf, len) -> err, who, n: blocks until a datagram arrives
-- (0-byte datagrams give n = 0); the io's timeout applies.
function Dgram:recvfrom(buf, len)
  while true do
    if self.closed then return CLOSED end
    local who = sys.endpoint()
    local n = L.levee_socket_recvfrom(self.no, buf, len, who)
    if n >= 0 then return nil, who, n end
    if n ~= EAGAIN then return errors.get(tonumber(n)) end
    local err = self.r_ev:recv(self.timeout)
    if err then return err end
  end
end

-- addr() -> err, Endpoint
function Dgram:addr()
  if self.closed then return CLOSED end
  return require("levee.core.io").sockname(self.no)
end

-- close() -> nil, then errors.CLOSED.
function Dgram:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.hub:unregister(self.no)
  self.hub:continue()
  return nil
end

local Factory = {}
Factory.__index = Factory

-- bind([port=0[, host="127.0.0.1"]]) -> err, Dgram
function Factory:bind(port, host)
  local err, detail = args("h.dgram:bind", port, host)
  if err then return err, nil, detail end
  local fd
  err, fd = open(self.hub, host, port, false)
  if err then return err end
  local r_ev, _, rerr = self.hub:register(fd, true, false)
  if rerr then
    L.levee_fd_close(fd)
    return rerr
  end
  return nil, setmetatable({hub = self.hub, no = fd, r_ev = r_ev, closed = false}, Dgram)
end

-- dial(port[, host]) -> err, io.RW connected to host:port (send with
-- write, receive with read: one datagram per read).
function Factory:dial(port, host)
  local err, detail = args("h.dgram:dial", port, host, true)
  if err then return err, nil, detail end
  local fd
  err, fd = open(self.hub, host, port, true)
  if err then return err end
  local conn, rerr = self.hub.io:rw(fd)
  if not conn then
    L.levee_fd_close(fd)
    return rerr
  end
  return nil, conn
end

-- listen(port[, host]) -> err, io.R bound to host:port.
function Factory:listen(port, host)
  local err, detail = args("h.dgram:listen", port, host)
  if err then return err, nil, detail end
  local fd
  err, fd = open(self.hub, host, port, false)
  if err then return err end
  local r, rerr = self.hub.io:r(fd)
  if not r then
    L.levee_fd_close(fd)
    return rerr
  end
  return nil, r
end

return function(hub) return setmetatable({hub = hub}, Factory) end
