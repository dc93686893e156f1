-- h.dialer: resolve a name and connect a socket of any family and type
-- (lua-api.md §4, docs/net.md). h.stream and h.dgram dial through the same
-- pieces: h.dns for names (never blocking the hub), a non-blocking
-- connect per address in turn.
--
-- dial(family, socktype, node, service[, timeout[, async]]) ->
-- err, {hub, no, r_ev, w_ev}: a raw connected socket registered with the
-- hub for reading and writing (set a metatable such as h.io.RW_mt on it,
-- or call h.io:rw on its fd after unregistering). family: AF_INET,
-- AF_INET6, AF_UNSPEC (0) or "inet"/"inet6"; socktype SOCK_STREAM /
-- SOCK_DGRAM or "stream"/"dgram"; node defaults to "127.0.0.1"; service
-- is a port number or a service name ("0" by default). timeout (ms)
-- bounds each connect (errors.TIMEOUT). async resolves with
-- h.dns:resolve (A / AAAA records) instead of getaddrinfo on a worker;
-- h.dialer.defaults.async sets the default.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local sys = require("levee._")
require("levee.sys.cdefs")
local C = ffi.C

local EINPROGRESS = L.LEVEE_EINPROGRESS

local FAMILIES = {inet = C.AF_INET, inet6 = C.AF_INET6, [0] = 0, [C.AF_INET] = C.AF_INET,
  [C.AF_INET6] = C.AF_INET6}
local SOCKTYPES = {stream = C.SOCK_STREAM, dgram = C.SOCK_DGRAM, [C.SOCK_STREAM] = C.SOCK_STREAM,
  [C.SOCK_DGRAM] = C.SOCK_DGRAM}

local Dialer = {}
Dialer.__index = Dialer

-- The port of service for an async dial: a number 0..65535 or a name from
-- /etc/services; else addr.ENONAME (the original's rule).
local function service_port(service, socktype)
  if type(service) == "number" or tostring(service):match("^%d+$") then
    local n = tonumber(service)
    if n < 0 or n > 65535 or n % 1 ~= 0 then return errors.addr.ENONAME end
    return nil, n
  end
  -- A numeric host never leaves the machine: this only reads /etc/services.
  local err, eps = sys.resolve("127.0.0.1", tostring(service), 0, socktype)
  if err then return errors.addr.ENONAME end
  return nil, eps[1]:port()
end

-- err, endpoints for node via h.dns:resolve: IP literals and localhost
-- need no query; A records for inet (or unspecified, then AAAA when there
-- are none), AAAA for inet6. A failed query's error is returned at once.
-- h.stream's async dial resolves through this too.
local function resolve_async(hub, family, socktype, node, service, dns)
  local err, port = service_port(service, socktype)
  if err then return err end
  if node == nil or node == "localhost" then node = "127.0.0.1" end
  local ep = sys.endpoint_in(node, port)
  if ep then
    if family ~= 0 and ep.af ~= family then return errors.addr.EFAMILY end
    return nil, {ep}
  end
  local qtypes = family == C.AF_INET6 and {"AAAA"} or family == C.AF_INET and {"A"} or {"A", "AAAA"}
  local list = {}
  for _, qtype in ipairs(qtypes) do
    local recs
    err, recs = hub.dns:resolve(node, qtype, dns)
    if err then return err end
    for _, rec in ipairs(recs) do
      local e = sys.endpoint_in(rec.record, port)
      if e then list[#list + 1] = e end
    end
    if #list > 0 then return nil, list end
  end
  return errors.addr.ENODATA
end

-- Connects a new socket of socktype to ep, registered with the hub:
-- err, fd, r_ev, w_ev.
local function connect(hub, ep, socktype, timeout)
  local fd = L.levee_socket_new(ep.af, socktype, 0)
  if fd < 0 then return errors.get(fd) end
  local rc = L.levee_socket_connect(fd, ep)
  if rc < 0 and rc ~= EINPROGRESS then
    C.close(fd)
    return errors.get(rc)
  end
  local r_ev, w_ev, err = hub:register(fd, true, true)
  if err then
    C.close(fd)
    return err
  end
  if rc == EINPROGRESS then
    local werr = w_ev:recv(timeout)
    if not werr then
      rc = L.levee_socket_error(fd)
      if rc < 0 then werr = errors.get(rc) end
    end
    if werr then
      hub:unregister(fd)
      return werr
    end
  end
  return nil, fd, r_ev, w_ev
end

-- dial(family, socktype, node, service[, timeout[, async]]) -> err, conn
function Dialer:dial(family, socktype, node, service, timeout, async)
  local af = FAMILIES[family or 0]
  if af == nil then error("levee h.dialer:dial: bad family " .. tostring(family), 2) end
  local st = SOCKTYPES[socktype]
  if st == nil then error("levee h.dialer:dial: bad socktype " .. tostring(socktype), 2) end
  if node ~= nil and type(node) ~= "string" then
    error("levee h.dialer:dial: node must be a string", 2)
  end
  if timeout ~= nil and (type(timeout) ~= "number" or timeout < 0) then
    error("levee h.dialer:dial: timeout must be a number of ms >= 0", 2)
  end
  service = service == nil and "0" or tostring(service)
  if async == nil then async = self.defaults.async end
  local hub = self.hub
  local err, eps
  if async then
    err, eps = resolve_async(hub, af, st, node, service, self.defaults.dns)
  else
    err, eps = hub.dns:lookup(node or "127.0.0.1",
      {family = af, socktype = st, port = tonumber(service) or service})
  end
  if err then return err end
  for i = 1, #eps do
    local fd, r_ev, w_ev
    err, fd, r_ev, w_ev = connect(hub, eps[i], st, timeout)
    if not err then return nil, {hub = hub, no = fd, r_ev = r_ev, w_ev = w_ev} end
  end
  return err
end

-- h.dialer for a hub; resolve_async(hub, family, socktype, node, service,
-- dns_options) is shared with h.stream.
return setmetatable({resolve_async = resolve_async}, {
  __call = function(_, hub)
    return setmetatable({hub = hub, defaults = {async = false}}, Dialer)
  end,
})
