-- h.stream (alias h.tcp): stream sockets over TCP (IPv4 and IPv6) and unix
-- paths (lua-api.md §4). dial/connect and listen take positional
-- (port, host, timeout, connect_timeout) arguments, a table of options, or
-- a URL "scheme://host[:port]" plus an optional options table; one parser
-- checks them all, and every tls option goes through one hook.
local L = require("levee.lib")
local errors = require("levee.errors")
local sys = require("levee._")

local SOCK_STREAM, AF_UNIX = L.LEVEE_SOCK_STREAM, L.LEVEE_AF_UNIX

-- Socket options that dial and listen accept by name, beside `sockopts`
-- (extensions.md): {port = 0, reuseport = true, nodelay = true}.
local SOCKOPTS = {"nodelay", "keepalive", "keepidle", "keepintvl", "keepcnt", "reuseaddr",
  "reuseport", "rcvbuf", "sndbuf", "rcvlowat", "sndlowat", "cork", "oobinline", "linger"}

-- Every option name dial/connect/listen know (lua-api.md §4 plus the
-- extensions): anything else is a programming mistake.
local KEYS = {host = "string", port = "port", timeout = "ms", connect_timeout = "ms",
  unix = "string", tls = "tls", async = "boolean", backlog = "count", dns = "table",
  sockopts = "table", scheme = "string"}
for _, name in ipairs(SOCKOPTS) do KEYS[name] = "sockopt" end

-- The URL schemes h.stream serves: the default port, and whether the
-- scheme means TLS. Any other scheme is refused: a scheme levee cannot
-- serve must never become a plaintext connection to its port.
local SCHEMES = {
  tcp = {}, tls = {tls = true},
  http = {port = 80}, https = {port = 443, tls = true},
  ws = {port = 80}, wss = {port = 443, tls = true},
  unix = {unix = true},
}

-- Raises the Lua error of a programming mistake in a dial/listen call,
-- pointing at its caller.
local function mistake(what, fmt, ...)
  error(("%s: " .. fmt):format(what, ...), 4)
end

-- A levee error with a description (returned as err, nil, detail).
local function invalid(what, fmt, ...)
  return nil, errors.system.EINVAL, ("%s: " .. fmt):format(what, ...)
end

-- The options of "scheme://host[:port][/...]" (plus the table extra):
-- o, or nil, err, detail.
local function from_url(what, url, extra)
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  local kind = scheme and SCHEMES[scheme:lower()]
  if not kind then
    return nil, errors.system.EPROTONOSUPPORT, ("%s: URL scheme %q is not served " ..
      "(tcp, tls, http, https, ws, wss, unix): %s"):format(what, tostring(scheme), url)
  end
  local o = {}
  if extra then for k, v in pairs(extra) do o[k] = v end end
  o.scheme = scheme:lower()
  if kind.unix then
    if rest == "" then return invalid(what, "no socket path in %s", url) end
    o.unix = o.unix or rest
    return o
  end
  local host, port, tail
  if rest:sub(1, 1) == "[" then
    host, port, tail = rest:match("^%[([^%]]*)%]:?([^/]*)(.*)$")
  else
    host, port, tail = rest:match("^([^:/]*):?([^/]*)(.*)$")
  end
  if not host or host == "" then return invalid(what, "no host in %s", url) end
  if port ~= "" and not port:match("^%d+$") then
    return invalid(what, "port %q of %s is not a number", port, url)
  end
  o.host = o.host or host
  o.port = o.port or (port ~= "" and tonumber(port)) or kind.port
  if o.port == nil then return invalid(what, "no port in %s", url) end
  if kind.tls and o.tls == nil then o.tls = {server_name = o.host} end
  return o
end

-- Checks a port: nil, or err, detail. A port outside 0..65535 is
-- errors.addr.ENONAME (the original's answer on the path where it checked).
local function check_port(what, port)
  if type(port) == "string" and port:match("^%d+$") then port = tonumber(port) end
  if type(port) == "number" then
    if port < 0 or port > 65535 or port % 1 ~= 0 then
      return errors.addr.ENONAME, ("%s: port %s is outside 0..65535"):format(what,
        tostring(port))
    end
  elseif port == "" then
    return errors.system.EINVAL, ("%s: the port is an empty string"):format(what)
  end
end

-- The options of a dial/listen call, checked: o, or nil, err, detail.
-- Positional (port, host, timeout, connect_timeout), one table, or a URL
-- "scheme://host[:port]" plus an optional table. Wrong types and unknown
-- option names raise (programming mistakes); values the call cannot use
-- return a levee error with a description.
local function options(what, a, b, c, d)
  local o
  if type(a) == "table" then
    o = a
  elseif type(a) == "string" and a:find("://", 1, true) then
    if b ~= nil and type(b) ~= "table" then
      mistake(what, "options after a URL must be a table, got %s", type(b))
    end
    local err, detail
    o, err, detail = from_url(what, a, b)
    if not o then return nil, err, detail end
  else
    o = {port = a, host = b, timeout = c, connect_timeout = d}
  end
  for k, v in pairs(o) do
    local kind = KEYS[k]
    if not kind then mistake(what, "unknown option %s", tostring(k)) end
    local t = type(v)
    if kind == "port" then
      if t ~= "number" and t ~= "string" then
        mistake(what, "port must be a number or a service name, got %s", t)
      end
    elseif kind == "ms" or kind == "count" then
      if t ~= "number" or v < 0 or v ~= v then
        mistake(what, "%s must be a number >= 0, got %s", k, t == "number" and tostring(v) or t)
      end
      if kind == "count" and v % 1 ~= 0 then
        mistake(what, "%s must be a whole number, got %s", k, tostring(v))
      end
    elseif kind == "sockopt" then
      if t ~= "number" and t ~= "boolean" then
        mistake(what, "%s must be a number or a boolean, got %s", k, t)
      end
    elseif kind == "tls" then
      if t ~= "table" and v ~= true then mistake(what, "tls must be a table, got %s", t) end
    elseif t ~= kind then
      mistake(what, "%s must be a %s, got %s", k, kind, t)
    end
  end
  if o.host == "" then return invalid(what, "the host is an empty string") end
  if o.unix == "" then return invalid(what, "the unix path is an empty string") end
  local err, detail = check_port(what, o.port)
  if err then return nil, err, detail end
  return o
end

-- The TLS hook: every tls option of dial and listen goes through this one
-- function. hook(role, o, conn) -> err, detail: role "client" upgrades the
-- dialed conn (handshake done on return, server_name defaulting to the
-- host), "listen" checks the options before a listener binds, "server"
-- upgrades an accepted conn. The TLS module (levee.net.tls) provides it;
-- without one, TLS is refused: never a plaintext connection.
local function tls_hook(role, o, conn)
  local ok, tls = pcall(require, "levee.net.tls")
  if ok and type(tls) == "table" and tls.stream_hook then return tls.stream_hook(role, o, conn) end
  return errors.tls.GENERIC, "TLS is not available in this build"
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
    -- "@name" is an abstract socket (no file): a leading NUL byte in C.
    local ep, err = sys.endpoint_unix(o.unix:gsub("^@", "\0"))
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

local function close_fd(fd) L.levee_fd_close(fd) end

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
  if rc < 0 and rc ~= L.LEVEE_EINPROGRESS then
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
-- connect_timeout bounds each attempt (errors.TIMEOUT). On failure a
-- third value describes it (the address, or the option at fault).
function Stream:dial(a, b, c, d)
  local o, err, detail = options("h.stream:dial", a, b, c, d)
  if not o then return err, nil, detail end
  if not o.unix and o.port == nil then
    return errors.system.EINVAL, nil, "h.stream:dial: no port to dial"
  end
  local eps
  err, eps = endpoints(self.hub, o)
  if err then
    return err, nil, ("h.stream:dial: %s: %s"):format(tostring(err), o.unix or
      ("%s:%s"):format(o.host or "127.0.0.1", tostring(o.port)))
  end
  for i = 1, #eps do
    local conn
    err, conn = connect(self, eps[i], o)
    if not err then
      if o.tls then
        local terr, tdetail = tls_hook("client", o, conn)
        if terr then
          conn:close()
          return terr, nil, tdetail
        end
      end
      return nil, conn
    end
    detail = ("h.stream:dial: %s: %s"):format(tostring(err), tostring(eps[i]))
  end
  return err, nil, detail
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
      if not conn then
        close_fd(fd)
        return err
      end
      conn.options = self.options
      -- A connection whose TLS upgrade fails is dropped; the listener goes on.
      if not self.options.tls or not tls_hook("server", self.options, conn) then
        return nil, conn
      end
      conn:close()
    end
    if fd == L.LEVEE_EAGAIN then
      local err, _, ev = self.r_ev:recv()
      if err then return err end
      if ev < 0 and self.closed then return errors.CLOSED end
    elseif fd == L.LEVEE_EMFILE or fd == L.LEVEE_ENFILE then
      self.hub:sleep(self.backoff_ms)
    elseif fd ~= L.LEVEE_ECONNABORTED and fd ~= L.LEVEE_EPROTO then  -- else fatal
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
-- options by name (o.reuseport, o.nodelay, ...) or in o.sockopts. On
-- failure a third value describes it (errors.system.EADDRINUSE names the
-- address).
function Stream:listen(a, b, c, d)
  local o, err, detail = options("h.stream:listen", a, b, c, d)
  if not o then return err, nil, detail end
  if o.tls then
    err, detail = tls_hook("listen", o)
    if err then return err, nil, detail end
  end
  local eps
  err, eps = endpoints(self.hub, o)
  if err then
    return err, nil, ("h.stream:listen: %s: %s"):format(tostring(err), o.unix or
      ("%s:%s"):format(o.host or "127.0.0.1", tostring(o.port or 0)))
  end
  local ep = eps[1]
  local fd = L.levee_socket_new(ep.af, SOCK_STREAM, 0)
  if fd < 0 then return errors.get(fd) end
  local function fail(e)
    close_fd(fd)
    return e, nil, ("h.stream:listen: %s: %s"):format(tostring(e), o.unix or tostring(ep))
  end
  local oerr = set_sockopts(fd, o)
  if oerr then return fail(oerr) end
  if o.unix and not o.unix:find("^@") then os.remove(o.unix) end
  local rc = ep.af ~= AF_UNIX and L.levee_socket_setopt(fd, "reuseaddr", 1) or 0
  if rc >= 0 then rc = L.levee_socket_bind(fd, ep) end
  if rc >= 0 then rc = L.levee_socket_listen(fd, o.backlog or 256) end
  if rc < 0 then return fail(errors.get(rc)) end
  local r_ev, _, rerr = self.hub:register(fd, true, false)
  if rerr then return fail(rerr) end
  return nil, setmetatable({hub = self.hub, no = fd, r_ev = r_ev, options = o, closed = false,
    backoff_ms = 50, _peer = sys.endpoint()}, Listener)
end

-- h.stream for a hub. KEYS: the option names dial/connect/listen know (for
-- modules that pass options on, such as h.http); options(what, ...): their
-- parser (o, or nil, err, detail; raises on a programming mistake);
-- check_port(what, port): nil, or err, detail for a port out of range.
return setmetatable({KEYS = KEYS, check_port = check_port, options = function(what, ...)
  return options(what, ...)
end}, {
  __call = function(_, hub) return setmetatable({hub = hub}, Stream) end,
})
