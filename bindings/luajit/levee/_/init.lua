-- levee._: syscalls and helpers (lua-api.md §11). Functions return `err`
-- first (nil on success, a levee.errors value on failure) unless noted.
-- Sub-modules (levee._.time, levee._.path, ...) load on first access when
-- their file exists.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
require("levee.sys.cdefs")
local C = ffi.C

local _ = {}

local function err_of(rc)
  rc = tonumber(rc)
  if rc < 0 then return errors.get(rc) end
  return nil
end

-- Endpoint --------------------------------------------------------------

local AF_INET, AF_INET6, AF_UNIX = 2, 10, 1
local textbuf = ffi.new("char[256]")
local Endpoint = {}
local family_names = { [AF_INET] = "inet", [AF_INET6] = "inet6", [AF_UNIX] = "unix" }

function Endpoint:host()
  local n = L.levee_endpoint_host(self, textbuf, 256)
  if n < 0 then return nil end
  return ffi.string(textbuf, n)
end

function Endpoint:port()
  local p = L.levee_endpoint_port(self)
  if p < 0 then return nil end
  return p
end

function Endpoint:path()
  local n = L.levee_endpoint_path(self, textbuf, 256)
  if n < 0 then return nil end
  return ffi.string(textbuf, n)
end

function Endpoint:family()
  return family_names[self.af]
end

pcall(ffi.cdef, [[
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags);
]])

-- name([full]): the unix path, or the reverse-DNS name of the host (falls
-- back to the textual address). Blocking; full is accepted for
-- compatibility (the name is always the full one).
function Endpoint:name(full) -- luacheck: ignore full
  if self.af == AF_UNIX then return self:path() end
  local host = ffi.new("char[1025]")
  local rc = C.getnameinfo(ffi.cast("const struct sockaddr *", self.addr), self.len, host, 1025,
    nil, 0, 0)
  if rc ~= 0 then return self:host() end
  return ffi.string(host)
end

function Endpoint:copy()
  local ep = ffi.new("levee_endpoint")
  ffi.copy(ep, self, ffi.sizeof("levee_endpoint"))
  return ep
end

local function ep_tostring(self)
  local n = L.levee_endpoint_format(self, textbuf, 256)
  if n < 0 then return string.format("levee.Endpoint: %p", self) end
  return ffi.string(textbuf, n)
end

local EndpointT = ffi.metatype("levee_endpoint", {
  __index = Endpoint,
  __tostring = ep_tostring,
  __eq = function(a, b)
    if not ffi.istype("levee_endpoint", b) or not ffi.istype("levee_endpoint", a) then return false end
    return L.levee_endpoint_compare(a, b) == 0
  end,
  __lt = function(a, b) return L.levee_endpoint_compare(a, b) < 0 end,
  __le = function(a, b) return L.levee_endpoint_compare(a, b) <= 0 end,
})

function _.endpoint() return EndpointT() end

-- endpoint_in([host="127.0.0.1"[, port=0]]) → Endpoint, or nil, err for a
-- host that is not an IPv4/IPv6 literal (no name lookup happens).
function _.endpoint_in(host, port)
  local ep = EndpointT()
  local rc = L.levee_endpoint_in(ep, host, port or 0)
  if rc < 0 then return nil, errors.get(rc) end
  return ep
end

function _.endpoint_unix(path)
  local ep = EndpointT()
  local rc = L.levee_endpoint_unix(ep, path, #path)
  if rc < 0 then return nil, errors.get(rc) end
  return ep
end

-- endpoint_parse("1.2.3.4:80" | "[::1]:80" | "/path" | "@abstract") →
-- err, Endpoint (extension).
function _.endpoint_parse(text)
  local ep = EndpointT()
  local rc = L.levee_endpoint_parse(ep, text)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

-- resolve(host[, service[, family[, socktype]]]) → err, {Endpoint...}:
-- blocking getaddrinfo (extension; h.dns:lookup runs it off the hub).
function _.resolve(host, service, family, socktype)
  local cap = 64
  local out = ffi.new("levee_endpoint[?]", cap)
  if service ~= nil then service = tostring(service) end
  local n = L.levee_endpoint_resolve(host, service, family or 0, socktype or 0, out, cap)
  if n < 0 then return errors.get(n) end
  local list = {}
  for i = 0, n - 1 do
    local ep = EndpointT()
    ffi.copy(ep, out[i], ffi.sizeof("levee_endpoint"))
    list[#list + 1] = ep
  end
  return nil, list
end

_.Endpoint = EndpointT

-- Stat ------------------------------------------------------------------

local S_IFMT, S_IFREG, S_IFDIR, S_IFLNK = 0xF000, 0x8000, 0x4000, 0xA000

-- Field names of the original (SpStat) map onto levee_stat.
local stat_alias = {
  st_device = "dev", st_dev = "dev", st_ino = "ino", st_nlink = "nlink", st_uid = "uid",
  st_gid = "gid", st_rdev = "rdev", st_atime = "atime", st_mtime = "mtime", st_ctime = "ctime",
}

-- levee_stat has a `mode` field and a `size` field; the methods mode() and
-- size() of the API win: fields read through st_mode / st_size.
local StatBox = ffi.typeof("struct { levee_stat s; }")
local StatT
StatT = ffi.metatype(StatBox, {
  __index = function(self, key)
    if key == "mode" then
      return function(st) return string.format("%o", bit.band(st.s.mode, 0x1FF)) end
    elseif key == "size" then
      return function(st) return tonumber(st.s.size) end
    elseif key == "st_mode" then
      return self.s.mode
    elseif key == "st_size" then
      return self.s.size
    elseif key == "is_reg" then
      return function(st) return bit.band(st.s.mode, S_IFMT) == S_IFREG end
    elseif key == "is_dir" then
      return function(st) return bit.band(st.s.mode, S_IFMT) == S_IFDIR end
    elseif key == "is_lnk" then
      return function(st) return bit.band(st.s.mode, S_IFMT) == S_IFLNK end
    elseif key == "kind" then
      return function(st) return L.levee_stat_kind(st.s) end
    end
    local alias = stat_alias[key]
    if alias then return self.s[alias] end
    return nil
  end,
})

local function do_stat(fn, arg)
  local st = StatT()
  local rc = fn(arg, st.s)
  if rc < 0 then return errors.get(rc) end
  return nil, st
end

-- stat(path) follows symlinks (the original did not: a defect).
function _.stat(path) return do_stat(L.levee_fs_stat, path) end
function _.lstat(path) return do_stat(L.levee_fs_lstat, path) end
function _.fstat(fd) return do_stat(L.levee_fs_fstat, fd) end

-- Files and fds ---------------------------------------------------------

_.pagesize = C.getpagesize()

-- open(path[, oflag=O_RDONLY[, mode="666"]]) → err, fd, oflag. oflag is a
-- number or a mode string as h.io:open takes them ("r", "r+", "w" (no
-- create), "w+", "a", "a+", each with an optional "x": create
-- exclusively; levee_fs_open_mode); mode an octal string or a number. fd 0
-- is a valid descriptor (the original treated it as failure).
function _.open(path, oflag, mode)
  if type(path) ~= "string" then
    error("levee._.open: path must be a string, got " .. type(path), 2)
  end
  if type(oflag) == "string" then
    local f = L.levee_fs_open_mode(oflag)
    if f < 0 then return errors.system.EINVAL end
    oflag = f
  end
  oflag = oflag or C.O_RDONLY
  if type(mode) == "string" then mode = tonumber(mode, 8) end
  mode = mode or tonumber("666", 8)
  local fd = L.levee_fs_open(path, oflag, mode)
  if fd < 0 then return errors.get(fd) end
  return nil, fd, oflag
end

-- pipe() → r, w (blocking, CLOEXEC). No err: raises on failure.
function _.pipe()
  local fds = ffi.new("int32_t[2]")
  local rc = L.levee_fd_pipe(fds, 0)
  if rc < 0 then error(tostring(errors.get(rc))) end
  return fds[0], fds[1]
end

local function buf_len(buf, len)
  if len then return len end
  if type(buf) == "string" then return #buf end
  return ffi.sizeof(buf)
end

-- write(fd, buf[, len]) → err, n. len defaults to #string / sizeof(cdata).
function _.write(fd, buf, len)
  len = buf_len(buf, len)
  local n = L.levee_fd_write(fd, buf, len)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- read(fd, buf[, len=sizeof(buf)]) → err, n (0 at EOF).
function _.read(fd, buf, len)
  len = len or ffi.sizeof(buf)
  local n = L.levee_fd_read(fd, buf, len)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- reads(fd[, len=4096]) → string, or nil on error or EOF.
function _.reads(fd, len)
  len = len or 4096
  local buf = ffi.new("char[?]", len)
  local n = L.levee_fd_read(fd, buf, len)
  if n <= 0 then return nil end
  return ffi.string(buf, n)
end

function _.close(fd)
  return err_of(L.levee_fd_close(fd))
end

-- fcntl(fd, cmd, ...) → err, rc.
function _.fcntl(fd, cmd, ...)
  local rc = C.fcntl(fd, cmd, ...)
  if rc < 0 then return errors.get(-ffi.errno()) end
  return nil, rc
end

function _.fcntl_nonblock(fd) return err_of(L.levee_fd_nonblock(fd, 1)) end
function _.fcntl_block(fd) return err_of(L.levee_fd_nonblock(fd, 0)) end

-- sendfile(from_fd, to_fd, len[, off]) → err, n.
function _.sendfile(from, to, len, off)
  local offp = nil
  if off then offp = ffi.new("int64_t[1]", off) end
  local n = L.levee_fd_sendfile(to, from, offp, len)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- splice(from, to, len[, more]) → err, n (non-blocking; one end a pipe).
function _.splice(from, to, len, more)
  local n = L.levee_fd_splice(from, to, len, more and 1 or 0)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

function _.tee(from, to, len)
  local n = L.levee_fd_tee(from, to, len)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- Sockets ---------------------------------------------------------------

-- socket(domain, type[, proto=0]) → err, fd (blocking, as the original).
function _.socket(domain, stype, proto)
  local fd = C.socket(domain, bit.bor(stype, C.SOCK_CLOEXEC), proto or 0)
  if fd < 0 then return errors.get(-ffi.errno()) end
  return nil, fd
end

-- connect(fd, endpoint) → err, fd. Closes fd on failure.
function _.connect(fd, ep)
  local rc = L.levee_socket_connect(fd, ep)
  if rc < 0 then
    L.levee_fd_close(fd)
    return errors.get(rc)
  end
  return nil, fd
end

function _.bind(fd, ep)
  ep = ep or _.endpoint_in()
  local rc = L.levee_socket_bind(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, fd
end

-- listen(fd, endpoint[, backlog=256]) → err, fd: SO_REUSEADDR, bind, listen.
function _.listen(fd, ep, backlog)
  local rc = L.levee_socket_setopt(fd, "reuseaddr", 1)
  if rc < 0 and ep and ep.af ~= AF_UNIX then return errors.get(rc) end
  rc = L.levee_socket_bind(fd, ep or _.endpoint_in())
  if rc < 0 then return errors.get(rc) end
  rc = L.levee_socket_listen(fd, backlog or 256)
  if rc < 0 then return errors.get(rc) end
  return nil, fd
end

-- accept(fd) → err, fd. The new fd is CLOEXEC and non-blocking; at the fd
-- limit the error is system.EMFILE.
function _.accept(fd)
  local c = L.levee_socket_accept(fd, nil)
  if c < 0 then return errors.get(c) end
  return nil, c
end

-- setsockopt(fd, level, name) → err, fd: sets an int option to 1.
function _.setsockopt(fd, level, name)
  local one = ffi.new("int[1]", 1)
  if C.setsockopt(fd, level, name, one, 4) < 0 then return errors.get(-ffi.errno()) end
  return nil, fd
end

-- sockopt(fd, name[, value]) → err, value: reads (no value) or sets an
-- option by name ("reuseaddr", "nodelay", "rcvbuf", "linger", ...).
-- Booleans read back as true/false. Extension.
local bool_opts = { reuseaddr = true, reuseport = true, keepalive = true, broadcast = true,
  nodelay = true, cork = true, quickack = true, v6only = true }
function _.sockopt(fd, name, value)
  if value ~= nil then
    if value == true then value = 1 elseif value == false then value = 0 end
    local rc = L.levee_socket_setopt(fd, name, value)
    if rc < 0 then return errors.get(rc) end
    return nil, value
  end
  local out = ffi.new("int64_t[1]")
  local rc = L.levee_socket_getopt(fd, name, out)
  if rc < 0 then return errors.get(rc) end
  if bool_opts[name] then return nil, out[0] ~= 0 end
  return nil, tonumber(out[0])
end

-- shutdown(fd[, how="w"]) → err. how: "r", "w", "rw" or 0/1/2. Extension.
local hows = { r = 0, w = 1, rw = 2 }
function _.shutdown(fd, how)
  how = hows[how or "w"] or how
  return err_of(L.levee_socket_shutdown(fd, how))
end

function _.getsockname(fd)
  local ep = EndpointT()
  local rc = L.levee_socket_sockname(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

function _.getpeername(fd)
  local ep = EndpointT()
  local rc = L.levee_socket_peername(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end

-- sendto(fd, endpoint, buf[, len]) → err, n.
function _.sendto(fd, ep, buf, len)
  len = buf_len(buf, len)
  local n = L.levee_socket_sendto(fd, buf, len, ep)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- recvfrom(fd, buf, len) → err, endpoint, n.
function _.recvfrom(fd, buf, len)
  local ep = EndpointT()
  local n = L.levee_socket_recvfrom(fd, buf, len or ffi.sizeof(buf), ep)
  if n < 0 then return errors.get(n) end
  return nil, ep, tonumber(n)
end

-- sendfd(sock, fd[, payload]) → err, n: passes fd over a unix socket.
function _.sendfd(sock, fd, payload)
  payload = payload or ""
  local n = L.levee_socket_sendfd(sock, fd, payload, #payload)
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

-- recvfd(sock[, len=4096]) → err, fd, payload (fd is nil when the message
-- carried none; payload "" at EOF).
function _.recvfd(sock, len)
  len = len or 4096
  local buf = ffi.new("char[?]", len)
  local fdp = ffi.new("int32_t[1]")
  local n = L.levee_socket_recvfd(sock, fdp, buf, len)
  if n < 0 then return errors.get(n) end
  local fd = fdp[0]
  if fd < 0 then fd = nil end
  return nil, fd, ffi.string(buf, n)
end

-- inet_pton(family, str) → err, in_addr* / in6_addr*.
function _.inet_pton(family, s)
  local addr
  if family == AF_INET then addr = ffi.new("struct in_addr[1]")
  elseif family == AF_INET6 then addr = ffi.new("struct in6_addr[1]")
  else return errors.system.EAFNOSUPPORT end
  local rc = C.inet_pton(family, s, addr)
  if rc ~= 1 then return errors.system.EINVAL end
  return nil, addr
end

-- Process facts ---------------------------------------------------------

function _.gethostname()
  local buf = ffi.new("char[256]")
  local n = L.levee_sys_gethostname(buf, 256)
  if n < 0 then return errors.get(n) end
  return nil, ffi.string(buf, n)
end

pcall(ffi.cdef, "int getrusage(int who, struct rusage *usage);")

-- getrusage([who=RUSAGE_SELF]) → err, struct rusage (ru_utime and
-- ru_stime are timevals with tv_sec/tv_usec; ru_maxrss in KiB, ru_minflt,
-- ...), as the original.
function _.getrusage(who)
  local r = ffi.new("struct rusage")
  if C.getrusage(who or C.RUSAGE_SELF, r) < 0 then return errors.get(-ffi.errno()) end
  return nil, r
end

function _.getcurrentrss()
  local n = L.levee_sys_rss()
  if n < 0 then return errors.get(n) end
  return nil, tonumber(n)
end

local Servent = {}
Servent.__index = Servent
function Servent:name() return ffi.string(self.ent.s_name) end
function Servent:port() return C.ntohs(self.ent.s_port) end
function Servent:proto() return ffi.string(self.ent.s_proto) end
function Servent:aliases()
  local list, i = {}, 0
  while self.ent.s_aliases[i] ~= nil do
    list[#list + 1] = ffi.string(self.ent.s_aliases[i])
    i = i + 1
  end
  return list
end

-- getservbyname(name[, proto]) → servent or nil.
function _.getservbyname(name, proto)
  local ent = C.getservbyname(name, proto)
  if ent == nil then return nil end
  return setmetatable({ ent = ent }, Servent)
end

-- fds() → list of this process's open fds; fdcount() → how many.
function _.fds()
  local cap = 1024
  while true do
    local out = ffi.new("int32_t[?]", cap)
    local n = L.levee_sys_fds(out, cap)
    if n < 0 then return {} end
    if n <= cap then
      local list = {}
      for i = 0, n - 1 do list[i + 1] = out[i] end
      return list
    end
    cap = n + 64
  end
end

function _.fdcount() return L.levee_sys_fdcount() end

-- Processes -------------------------------------------------------------

local function cargv(argv)
  local n = #argv
  local a = ffi.new("char *[?]", n + 1)
  local keep = {}
  for i = 1, n do
    keep[i] = ffi.new("char[?]", #argv[i] + 1, argv[i])
    a[i - 1] = keep[i]
  end
  a[n] = nil
  return a, keep
end

-- execv(path, argv) / execvp(name, argv): argv excludes argv[0] (the
-- program name is prepended). Return err only on failure.
function _.execv(path, argv)
  local a, keep = cargv({ path, unpack(argv or {}) }) -- luacheck: ignore keep
  C.execv(path, a)
  return errors.get(-ffi.errno())
end

function _.execvp(name, argv)
  local a, keep = cargv({ name, unpack(argv or {}) }) -- luacheck: ignore keep
  C.execvp(name, a)
  return errors.get(-ffi.errno())
end

-- waitpid(pid, options) → err, pid, exit_code, signal (nil, 0, 0, 0 when
-- there is nothing to reap).
function _.waitpid(pid, options)
  local status = ffi.new("int[1]")
  local rc = C.waitpid(pid, status, options or 0)
  if rc < 0 then return errors.get(-ffi.errno()) end
  if rc == 0 then return nil, 0, 0, 0 end
  local s = status[0]
  local code = bit.rshift(bit.band(s, 0xff00), 8)
  local sig = bit.band(s, 0x7f)
  return nil, rc, code, sig
end

function _.set_pdeathsig(sig)
  C.prctl(C.PR_SET_PDEATHSIG, sig or 15, 0, 0, 0)
end

-- Helpers ---------------------------------------------------------------

function _.is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
  end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end

local function repr(v, indent, seen)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" then return tostring(v) end
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local pad = string.rep("  ", indent + 1)
  local parts = {}
  if _.is_array(v) then
    for i = 1, #v do parts[#parts + 1] = pad .. repr(v[i], indent + 1, seen) end
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local key = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. repr(k, 0, seen) .. "]"
      parts[#parts + 1] = pad .. key .. " = " .. repr(v[k], indent + 1, seen)
    end
  end
  seen[v] = nil
  if #parts == 0 then return "{}" end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. string.rep("  ", indent) .. "}"
end

function _.repr(v) return repr(v, 0, {}) end

-- Sub-modules merged into levee._ (files under levee/_/), loaded on first
-- access. levee._.hash, levee._.rand and levee._.stats are not merged
-- (lua-api.md §11): require("levee._.hash").
local submodules = { argv = true, time = true, poller = true, path = true, template = true,
  term = true, bundle = true, log = true, version = true }

return setmetatable(_, {
  __index = function(self, key)
    if not submodules[key] then return nil end
    local m = require("levee._." .. key)
    rawset(self, key, m)
    return m
  end,
})
