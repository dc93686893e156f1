-- Endpoint: a socket address (levee_endpoint) as a cdata object with
-- host(), port(), path(), family() and tostring ("1.2.3.4:80", "[::1]:80",
-- the unix path).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local AF_INET, AF_INET6, AF_UNIX = 2, 10, 1
local text = ffi.new("char[128]")

local methods = {}

function methods:family() return L.levee_endpoint_family(self) end

function methods:host()
  local n = L.levee_endpoint_host(self, text, 128)
  if n < 0 then return nil end
  return ffi.string(text, n)
end

function methods:port()
  local p = L.levee_endpoint_port(self)
  if p < 0 then return nil end
  return p
end

function methods:path()
  if L.levee_endpoint_family(self) ~= AF_UNIX then return nil end
  local n = L.levee_endpoint_format(self, text, 128)
  if n < 0 then return nil end
  return ffi.string(text, n)
end

-- name(): the unix path, or the textual host.
function methods:name() return methods.path(self) or methods.host(self) end

local Endpoint = ffi.metatype("levee_endpoint", {
  __index = methods,
  __tostring = function(self)
    local n = L.levee_endpoint_format(self, text, 128)
    if n < 0 then return ("levee.Endpoint: %p"):format(self) end
    return ffi.string(text, n)
  end,
  __eq = function(a, b)
    return ffi.istype("levee_endpoint", b) and a.len == b.len and
      ffi.C.memcmp(a.addr, b.addr, a.len) == 0
  end,
})
pcall(ffi.cdef, "int memcmp(const void *a, const void *b, size_t n);")

local M = {Endpoint = Endpoint, AF_INET = AF_INET, AF_INET6 = AF_INET6, AF_UNIX = AF_UNIX}

-- endpoint() -> an empty endpoint (for getsockname and friends).
function M.endpoint() return Endpoint() end

-- endpoint_in([host="127.0.0.1"[, port=0]]) -> err, Endpoint (IP literals).
function M.endpoint_in(host, port)
  local ep = Endpoint()
  local rc = L.levee_endpoint_in(ep, host, port or 0)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

-- endpoint_unix(path) -> err, Endpoint ("@name": abstract namespace).
function M.endpoint_unix(path)
  local ep = Endpoint()
  local rc = L.levee_endpoint_unix(ep, path)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

-- parse(text[, default_port]) -> err, Endpoint.
function M.parse(s, port)
  local ep = Endpoint()
  local rc = L.levee_endpoint_parse(ep, s, port or 0)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

-- resolve(host, service[, family[, socktype]]) -> err, {Endpoint...}.
local out = ffi.new("levee_endpoint[16]")
function M.resolve(host, service, family, socktype)
  local n = L.levee_resolve(host, service and tostring(service), family or 0, socktype or 1, out, 16)
  if n < 0 then return errors.get(n) end
  local list = {}
  for i = 0, n - 1 do
    local ep = Endpoint()
    ffi.copy(ep, out[i], ffi.sizeof("levee_endpoint"))
    list[#list + 1] = ep
  end
  return nil, list
end

function M.sockname(fd)
  local ep = Endpoint()
  local rc = L.levee_endpoint_sockname(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

function M.peername(fd)
  local ep = Endpoint()
  local rc = L.levee_endpoint_peername(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

return M
