-- levee._.poller (lua-api.md §11 `_.poller()`): a standalone epoll poller
-- for programs that used the original's (the hub does not use it).
-- Times are monotonic milliseconds cached at the last poll.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local C = ffi.C

local decls = {
  "struct levee_timespec { int64_t tv_sec; int64_t tv_nsec; };",
  "int clock_gettime(int clk, struct levee_timespec *tp);",
  "typedef union levee_epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; } levee_epoll_data;",
  "struct levee_epoll_event { uint32_t events; levee_epoll_data data; } __attribute__((packed));",
  "int epoll_create1(int flags);",
  "int epoll_ctl(int epfd, int op, int fd, struct levee_epoll_event *ev);",
  "int epoll_wait(int epfd, struct levee_epoll_event *evs, int n, int timeout);",
  "typedef struct { uint64_t val[16]; } levee_sigset_t;",
  "int sigemptyset(levee_sigset_t *set);",
  "int sigaddset(levee_sigset_t *set, int signo);",
  "int sigdelset(levee_sigset_t *set, int signo);",
  "int sigprocmask(int how, const levee_sigset_t *set, levee_sigset_t *old);",
  "int signalfd(int fd, const levee_sigset_t *mask, int flags);",
  "int close(int fd);",
  "struct levee_pollev { int32_t fd; uint32_t events; int32_t signal; };",
}
for i = 1, #decls do pcall(ffi.cdef, decls[i]) end
pcall(ffi.cdef, "intptr_t read(int fd, void *buf, size_t n);")

-- The OS's numbers come from the library (levee_os_constant).
local osval = ffi.new("int64_t[1]")
local function os_constant(name)
  assert(L.levee_os_constant(name, osval) == 0, name)
  return tonumber(osval[0])
end
local EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLET = os_constant("EPOLLIN"),
  os_constant("EPOLLOUT"), os_constant("EPOLLERR"), os_constant("EPOLLHUP"),
  os_constant("EPOLLRDHUP"), os_constant("EPOLLET")
local EPOLL_CTL_ADD, EPOLL_CLOEXEC = os_constant("EPOLL_CTL_ADD"), os_constant("EPOLL_CLOEXEC")
local SIG_BLOCK, SIG_UNBLOCK = os_constant("SIG_BLOCK"), os_constant("SIG_UNBLOCK")
local SFD_NONBLOCK, SFD_CLOEXEC = os_constant("SFD_NONBLOCK"), os_constant("SFD_CLOEXEC")
local EINTR, CLOCK_MONOTONIC = os_constant("EINTR"), os_constant("CLOCK_MONOTONIC")
local MAXEV = 64

local function now_ms()
  local ts = ffi.new("struct levee_timespec")
  C.clock_gettime(CLOCK_MONOTONIC, ts)
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000
end

local Event = {}
-- value() → fd, false, false, readable, writable, error_or_hup for fds;
-- signo, false, true for signals.
function Event:value()
  if self.signal ~= 0 then return self.signal, false, true end
  local e = self.events
  return self.fd, false, false, bit.band(e, EPOLLIN) ~= 0, bit.band(e, EPOLLOUT) ~= 0,
    bit.band(e, bit.bor(EPOLLERR, EPOLLHUP, EPOLLRDHUP)) ~= 0
end
ffi.metatype("struct levee_pollev", { __index = Event })

local Poller = {}
Poller.__index = Poller

-- register(fd, r, w): edge-triggered readiness (plus ERR/HUP). Registering
-- an fd twice returns system.EEXIST.
function Poller:register(fd, r, w)
  local ev = ffi.new("struct levee_epoll_event")
  ev.events = bit.bor(EPOLLET, EPOLLERR, EPOLLHUP, r and bit.bor(EPOLLIN, EPOLLRDHUP) or 0, w and EPOLLOUT or 0)
  ev.data.fd = fd
  if C.epoll_ctl(self.fd, EPOLL_CTL_ADD, fd, ev) < 0 then return errors.get(-ffi.errno()) end
end

-- unregister(): a no-op (closing the fd removes it), as in the original.
function Poller:unregister() end

function Poller:abstime(rel) return self.now + rel end
function Poller:reltime(abs) return abs - self.now end

local function update_signalfd(self)
  local fd = C.signalfd(self.sigfd, self.mask, bit.bor(SFD_NONBLOCK, SFD_CLOEXEC))
  if fd < 0 then return errors.get(-ffi.errno()) end
  if self.sigfd < 0 then
    self.sigfd = fd
    local err = self:register(fd, true, false)
    if err then return err end
  end
end

-- signal_register(signo): blocks signo and reports it as an event.
function Poller:signal_register(signo)
  C.sigaddset(self.mask, signo)
  local one = ffi.new("levee_sigset_t")
  C.sigemptyset(one)
  C.sigaddset(one, signo)
  C.sigprocmask(SIG_BLOCK, one, nil)
  return update_signalfd(self)
end

-- signal_unregister(signo): stops reporting signo and unblocks it.
function Poller:signal_unregister(signo)
  C.sigdelset(self.mask, signo)
  local one = ffi.new("levee_sigset_t")
  C.sigemptyset(one)
  C.sigaddset(one, signo)
  C.sigprocmask(SIG_UNBLOCK, one, nil)
  if self.sigfd >= 0 then return update_signalfd(self) end
end

-- signal_clear(signo): nothing to clear with signalfd (reads consume).
function Poller:signal_clear() end

-- poll([abs_ms]) → nil, events, n. nil waits forever; a time at or before
-- the cached now does not wait; EINTR is retried.
function Poller:poll(abs)
  local timeout = -1
  if abs ~= nil then
    timeout = tonumber(abs - now_ms())
    if timeout < 0 then timeout = 0 end
    timeout = math.ceil(timeout)
  end
  local n
  repeat
    n = C.epoll_wait(self.fd, self.raw, MAXEV, timeout)
  until n >= 0 or ffi.errno() ~= EINTR
  self.now = now_ms()
  if n < 0 then return errors.get(-ffi.errno()) end
  local count = 0
  for i = 0, n - 1 do
    local raw = self.raw[i]
    if raw.data.fd == self.sigfd and self.sigfd >= 0 then
      local info = ffi.new("uint8_t[128]") -- struct signalfd_siginfo
      while C.read(self.sigfd, info, 128) == 128 do
        local ev = self.events[count]
        ev.fd, ev.events, ev.signal = -1, 0, ffi.cast("uint32_t *", info)[0]
        count = count + 1
        if count >= MAXEV * 2 then break end
      end
    else
      local ev = self.events[count]
      ev.fd, ev.events, ev.signal = raw.data.fd, raw.events, 0
      count = count + 1
    end
  end
  return nil, self.events, count
end

-- close(): releases the epoll fd (and the signalfd).
function Poller:close()
  if self.sigfd >= 0 then C.close(self.sigfd) self.sigfd = -1 end
  if self.fd >= 0 then C.close(self.fd) self.fd = -1 end
end

-- poller() → Poller, or raises when epoll cannot be created.
return function()
  local fd = C.epoll_create1(EPOLL_CLOEXEC)
  if fd < 0 then error(tostring(errors.get(-ffi.errno()))) end
  local mask = ffi.new("levee_sigset_t")
  C.sigemptyset(mask)
  local p = setmetatable({
    fd = fd, sigfd = -1, mask = mask, now = now_ms(),
    raw = ffi.new("struct levee_epoll_event[?]", MAXEV),
    events = ffi.new("struct levee_pollev[?]", MAXEV * 2 + 1),
  }, Poller)
  ffi.gc(p.raw, function() if p.fd >= 0 then p:close() end end)
  return p
end
