-- h.dns: name resolution that never blocks the hub (lua-api.md §4,
-- extensions.md "Addresses and name resolution").
--
-- lookup(name[, options]) runs getaddrinfo on the C worker pool
-- (levee_dns_lookup_*) and waits on the request's descriptor like on any
-- fd. resolve(qname[, qtype[, options]]) asks the nameservers of a
-- resolv.conf itself over a hub UDP socket, with the C message codec
-- (levee_dns_query / levee_dns_answer_parse).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local sys = require("levee._")

local EAGAIN = L.LEVEE_EAGAIN
local ENOANSWER = L.LEVEE_DNS_ENOANSWER
local TIMEOUT = errors.TIMEOUT
local AF_INET, AF_INET6 = L.LEVEE_AF_INET, L.LEVEE_AF_INET6
local MAX_ENDPOINTS = 64
local MAX_SERVERS = 8
local ANSWER_SIZE = 65536

local FAMILIES = {inet = AF_INET, inet6 = AF_INET6, [0] = 0, [AF_INET] = AF_INET,
  [AF_INET6] = AF_INET6}
local STREAM, DGRAM, RAW = L.LEVEE_SOCK_STREAM, L.LEVEE_SOCK_DGRAM, L.LEVEE_SOCK_RAW
local SOCKTYPES = {stream = STREAM, dgram = DGRAM, raw = RAW, [0] = 0, [STREAM] = STREAM,
  [DGRAM] = DGRAM, [RAW] = RAW}

local Dns = {}
Dns.__index = Dns

local function copy_endpoints(out, n)
  local list = {}
  for i = 0, n - 1 do
    local ep = sys.Endpoint()
    ffi.copy(ep, out[i], ffi.sizeof("levee_endpoint"))
    list[i + 1] = ep
  end
  return list
end

-- lookup(name[, {family=, socktype=, port=}]) -> err, {Endpoint...}
-- getaddrinfo semantics (/etc/hosts, resolv.conf, service names) on a
-- worker thread; the calling green thread waits, the hub runs on. family
-- "inet"/"inet6" (or AF_* numbers; default both), socktype "stream" (default)
-- or "dgram", port a number or service name. IP literals with a numeric
-- port come back at once.
function Dns:lookup(name, o)
  o = o or {}
  local family, socktype = FAMILIES[o.family or 0], SOCKTYPES[o.socktype or 0]
  if not family then return errors.system.EAFNOSUPPORT end
  if not socktype then return errors.system.ESOCKTNOSUPPORT end
  local port = o.port
  if name ~= nil and (port == nil or type(port) == "number") then
    local ep = sys.endpoint_in(name, port or 0)
    if ep then
      if family ~= 0 and ep.af ~= family then return errors.addr.EFAMILY end
      return nil, {ep}
    end
  end
  local reqp, fdp = ffi.new("levee_dns_lookup *[1]"), ffi.new("int32_t[1]")
  local rc = L.levee_dns_lookup_start(reqp, name, port ~= nil and tostring(port) or nil,
    family, socktype, fdp)
  if rc < 0 then return errors.get(rc) end
  local req = ffi.gc(reqp[0], L.levee_dns_lookup_free)
  local fd = fdp[0]
  local hub = self.hub
  local r_ev, _, err = hub:register(fd, true, false)
  if err then
    L.levee_fd_close(fd)
    return err
  end
  local out = ffi.new("levee_endpoint[?]", MAX_ENDPOINTS)
  -- Always wait for the descriptor (readable at once when the worker was
  -- quicker than the registration): a lookup lets the hub run once, fast
  -- or slow, so callers see one behaviour.
  local n, ev
  repeat
    err, _, ev = r_ev:recv()
    n = L.levee_dns_lookup_result(req, out, MAX_ENDPOINTS)
    if not err and n == EAGAIN and ev < 0 then err = errors.CLOSED end
  until err or n ~= EAGAIN
  hub:unregister(fd)
  L.levee_dns_lookup_free(ffi.gc(req, nil))
  if err then return err end
  if n < 0 then return errors.get(n) end
  return nil, copy_endpoints(out, n)
end

-- The nameservers for options o: err, {Endpoint...}.
local function nameservers(o)
  local out = ffi.new("levee_endpoint[?]", MAX_SERVERS)
  local n = L.levee_dns_resconf(o.resconf, out, MAX_SERVERS)
  if n < 0 then return errors.get(n) end
  if n == 0 then return errors.dns.ESERVICE end
  local list = copy_endpoints(out, n)
  if o.host or o.port then
    for i, ep in ipairs(list) do
      local over = sys.endpoint_in(o.host or ep:host(), o.port or ep:port())
      if not over then return errors.system.EINVAL end
      list[i] = over
    end
  end
  return nil, list
end

-- The records of the answer just parsed.
local function records(answer, n)
  local list, rec = {}, ffi.new("levee_dns_record")
  for i = 0, n - 1 do
    L.levee_dns_answer_record(answer, i, rec)
    list[i + 1] = {name = ffi.string(rec.name), type = ffi.string(L.levee_dns_type_name(rec.type)),
      record = ffi.string(rec.data), ttl = tonumber(rec.ttl)}
  end
  return list
end

-- Asks one server: err, records (its verdict); nil when it did not answer
-- in time; nil, nil, err when the query could not be sent to it.
local function ask(self, sock, server, query, qlen, timeout)
  local hub = self.hub
  local err = sock:sendto(server, query, qlen)
  if err then return nil, nil, err end
  local deadline = hub:now() + timeout
  local buf = self._buf
  while true do
    local left = deadline - hub:now()
    if left <= 0 then return nil end
    sock.timeout = left
    local who, n
    err, who, n = sock:recvfrom(buf, ANSWER_SIZE)
    if err == TIMEOUT then return nil end
    if err then return err end
    if who == server then
      local rc = L.levee_dns_answer_parse(self._answer, query, qlen, buf, n)
      if rc ~= ENOANSWER then
        if rc < 0 then return errors.get(rc) end
        return nil, records(self._answer, rc)
      end
    end
  end
end

-- resolve(qname[, qtype="A"[, {timeout=500, resconf=, host=, port=}]]) ->
-- err, {{name=, type=, record=, ttl=}...}: asks each nameserver of the
-- resolv.conf in turn (timeout ms each) over one UDP socket per address
-- family, closed before returning. IP literal -> dns.NXDOMAIN; RCODE ->
-- dns.<RCODE>; every server silent -> TIMEOUT; malformed -> dns.EILLEGAL.
function Dns:resolve(qname, qtype, o)
  o = o or {}
  local t = L.levee_dns_type(qtype or "A")
  if t < 0 then return errors.get(t) end
  if type(qname) ~= "string" then return errors.system.EINVAL end
  if sys.endpoint_in(qname, 0) then return errors.dns.NXDOMAIN end
  local err, servers = nameservers(o)
  if err then return err end
  local query, idp = ffi.new("uint8_t[512]"), ffi.new("uint16_t[1]")
  local qlen = L.levee_dns_query(query, 512, qname, t, idp)
  if qlen < 0 then return errors.get(qlen) end
  if not self._answer then
    local out = ffi.new("levee_dns_answer *[1]")
    local rc = L.levee_dns_answer_new(out)
    if rc < 0 then return errors.get(rc) end
    self._answer = ffi.gc(out[0], L.levee_dns_answer_free)
    self._buf = ffi.new("uint8_t[?]", ANSWER_SIZE)
  end
  local timeout = o.timeout or 500
  -- A server that cannot even be sent to is skipped; its error is the
  -- answer only when no server could be asked at all.
  local socks, recs, unsent, asked = {}, nil, nil, false
  err = nil
  for i = 1, #servers do
    local server = servers[i]
    local sock = socks[server.af]
    if not sock then
      unsent, sock = self.hub.dgram:bind(0, server.af == AF_INET6 and "::" or "0.0.0.0")
      socks[server.af] = sock
    end
    if sock then
      local aerr, got, serr = ask(self, sock, server, query, qlen, timeout)
      if aerr or got then
        err, recs = aerr, got
        break
      end
      if serr then unsent = serr else asked = true end
    end
  end
  for _, sock in pairs(socks) do sock:close() end
  if recs then return nil, recs end
  return err or (asked and TIMEOUT) or unsent or TIMEOUT
end

return function(hub) return setmetatable({hub = hub}, Dns) end
