-- h.io: non-blocking fds as io objects, streams and chunks (lua-api.md §3).
--
-- io.R / io.W / io.RW are tables over an fd registered with the hub. Reads
-- block the green thread (not the process) until data, EOF or the io's
-- timeout; EOF and read errors close the io and return errors.CLOSED.
-- Writes write everything, closing the io and returning the system error
-- on failure (errors.system.EPIPE for a vanished reader). Successful writes
-- yield one tick, as in the original.
local ffi = require("ffi")
local bit = require("bit")
local L = require("levee.lib")
local errors = require("levee.errors")
local d = require("levee.d")
local message = require("levee.core.message")

local C = ffi.C
local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT

for _, decl in ipairs({
  "ssize_t read(int fd, void *buf, size_t count);",
  "ssize_t write(int fd, const void *buf, size_t count);",
  "struct iovec { void *iov_base; size_t iov_len; };",
  "ssize_t writev(int fd, const struct iovec *iov, int iovcnt);",
  "int close(int fd);",
  "int fcntl(int fd, int cmd, ...);",
  "int pipe(int fds[2]);",
  "int open(const char *path, int flags, ...);",
  "int socketpair(int domain, int type, int protocol, int sv[2]);",
  "ssize_t sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);",
}) do pcall(ffi.cdef, decl) end

local EAGAIN, EINTR = 11, 4
local F_GETFL, F_SETFL, O_NONBLOCK = 3, 4, 2048
local O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_CLOEXEC =
  0, 1, 2, 64, 128, 512, 1024, 524288
local IOV_MAX = 1024

local function nonblock(fd)
  local flags = C.fcntl(fd, F_GETFL)
  if flags < 0 then return errors.get(-ffi.errno()) end
  if C.fcntl(fd, F_SETFL, ffi.cast("int", bit.bor(flags, O_NONBLOCK))) < 0 then
    return errors.get(-ffi.errno())
  end
end

local IO = {}
IO.__index = IO

-- =====================================================================
-- reading

local R = setmetatable({}, {__index = IO})
R.__index = R

-- read(buf, len) -> err, n (n > 0). EOF and errors close the io (CLOSED);
-- a timeout leaves it open (TIMEOUT).
function R:read(buf, len)
  if self.closed then return CLOSED end
  while true do
    local n = C.read(self.no, buf, len)
    if n > 0 then return nil, tonumber(n) end
    if n == 0 then
      self:close()
      return CLOSED
    end
    local e = ffi.errno()
    if e ~= EAGAIN and e ~= EINTR then
      self:close()
      return CLOSED
    end
    if e == EAGAIN then
      if self.r_error then
        self:close()
        return CLOSED
      end
      local err, _, ev = self.r_ev:recv(self.timeout)
      if err then return err end
      if ev < 0 then self.r_error = true end
    end
  end
end

-- readn(buf, n[, len]) -> err, total with n <= total <= len.
function R:readn(buf, n, len)
  len = len or n
  local p = ffi.cast("char *", buf)
  local total = 0
  while total < n do
    local err, got = self:read(p + total, len - total)
    if err then return err end
    total = total + got
  end
  return nil, total
end

-- readinto(buf[, n]) -> err: reads into a d.Buffer; with n, until #buf >= n.
function R:readinto(buf, n)
  if n == nil then
    buf:ensure()
    local ptr, avail = buf:tail()
    local err, got = self:read(ptr, avail)
    if err then return err end
    buf:bump(got)
    return nil
  end
  while #buf < n do
    buf:ensure(n - #buf)
    local ptr, avail = buf:tail()
    local err, got = self:read(ptr, avail)
    if err then return err end
    buf:bump(got)
  end
  return nil
end

-- reads([len=4096]) -> string, or nil on any error.
function R:reads(len)
  len = len or 4096
  local buf = ffi.new("char[?]", len)
  local err, n = self:read(buf, len)
  if err then return nil end
  return ffi.string(buf, n)
end

function R:stream() return IO.Stream(self) end

-- sendfile(to, len[, off=0]) -> err, len: file bytes to a writable io.
function R:sendfile(to, len, off)
  if self.closed or to.closed then return CLOSED end
  local offp = ffi.new("int64_t[1]", off or 0)
  local sent = 0
  while sent < len do
    local n = C.sendfile(to.no, self.no, offp, len - sent)
    if n > 0 then
      sent = sent + tonumber(n)
    elseif n == 0 then
      break
    else
      local e = ffi.errno()
      if e ~= EAGAIN then return errors.get(-e) end
      local err = to.w_ev:recv(to.timeout)
      if err then return err end
    end
  end
  return nil, sent
end

-- =====================================================================
-- writing

local W = setmetatable({}, {__index = IO})
W.__index = W

-- After a write returned -1: nil to try again (after waiting for
-- writability on EAGAIN), or the error that ended the write. A timeout
-- leaves the io usable; any other failure closes it.
local function write_failed(self)
  local e = ffi.errno()
  if e == EAGAIN then return (self.w_ev:recv(self.timeout)) end
  if e == EINTR then return nil end
  self:close()
  return errors.get(-e)
end

-- write(buf[, len]) -> err, n: writes everything, then yields one tick.
function W:write(buf, len)
  if self.closed then return CLOSED end
  len = len or #buf
  local p = ffi.cast("const char *", buf)
  local sent = 0
  while sent < len do
    local n = C.write(self.no, p + sent, len - sent)
    if n >= 0 then
      sent = sent + tonumber(n)
    else
      local err = write_failed(self)
      if err then return err end
    end
  end
  self.hub:continue()
  return nil, len
end

-- writev(iov, n) -> err, total: iov is a struct iovec * (a d.Iovec's
-- .iov works); entries are advanced in place on partial writes.
function W:writev(iov, n)
  if self.closed then return CLOSED end
  local v = ffi.cast("struct iovec *", iov)
  local total = 0
  while n > 0 do
    local rc = C.writev(self.no, v, n > IOV_MAX and IOV_MAX or n)
    if rc >= 0 then
      local left = tonumber(rc)
      total = total + left
      while n > 0 and left >= tonumber(v[0].iov_len) do
        left = left - tonumber(v[0].iov_len)
        v = v + 1
        n = n - 1
      end
      if left > 0 then
        v[0].iov_base = ffi.cast("char *", v[0].iov_base) + left
        v[0].iov_len = v[0].iov_len - left
      end
    else
      local err = write_failed(self)
      if err then return err end
    end
  end
  self.hub:continue()
  return nil, total
end

-- iov([size=32]) -> err, sender: a write queue drained by a writer thread
-- into writev. Send strings, objects with writeinto_iovec, or objects with
-- value(). sender.empty:recv() returns once everything queued was written.
function W:iov(size)
  if self.closed then return CLOSED end
  if self._iov then return nil, self._iov end
  size = size or 32
  local s, r = self.hub:stalk(size)
  s.empty = r.empty
  self._iov, self._iov_r = s, r
  local iov = d.Iovec(size)
  self.hub:spawn(function()
    while true do
      if r:recv() then break end
      local n = 0
      for item in r:iter() do
        iov:write(item)
        n = n + 1
      end
      local err = self:writev(iov.iov, iov.n)
      iov:reset()
      r:remove(n)
      if err then break end
    end
    while #r > 0 do r:remove(#r) end
    r:close()
  end)
  return nil, s
end

-- send(...) -> err: queues every argument on iov(); does not wait.
function W:send(...)
  local err, s = self:iov()
  if err then return err end
  for i = 1, select("#", ...) do
    err = s:send((select(i, ...)))
    if err then return err end
  end
end

-- =====================================================================
-- common

function IO:close()
  if self.closed then return CLOSED end
  self.closed = true
  if self._iov then self._iov:close() end
  self.hub:unregister(self.no)
  self.hub:continue()
  return nil
end

-- stat() -> err, Stat (fstat), when levee._ provides it.
function IO:stat()
  local ok, sys = pcall(require, "levee._")
  if not ok or not sys.fstat then return errors.system.ENOSYS end
  return sys.fstat(self.no)
end

-- ---------------------------------------------------------------------
-- socket extras (any io over a socket)

-- sockname(fd) / peername(fd) -> err, Endpoint (levee._ Endpoints).
local function name_of(fd, f)
  local ep = require("levee._").endpoint()
  local rc = f(fd, ep)
  if rc < 0 then return errors.get(rc) end
  return nil, ep
end
function IO:sockname() return name_of(self.no, L.levee_socket_sockname) end
function IO:peername() return name_of(self.no, L.levee_socket_peername) end

-- shutdown([how="w"]) -> err: "r", "w" or "rw" (or 0, 1, 2).
function IO:shutdown(how)
  local n = ({r = 0, w = 1, rw = 2})[how or "w"] or how
  local rc = L.levee_socket_shutdown(self.no, n)
  if rc < 0 then return errors.get(rc) end
end

-- sockopt(fd, name[, value]) -> err[, value]: set when value is given.
local optval = ffi.new("int64_t[1]")
function IO.sockopt(fd, name, value)
  if type(fd) == "table" then fd = fd.no end
  if value ~= nil then
    if value == true then value = 1 elseif value == false then value = 0 end
    local rc = L.levee_socket_setopt(fd, name, value)
    if rc < 0 then return errors.get(rc) end
    return nil
  end
  local rc = L.levee_socket_getopt(fd, name, optval)
  if rc < 0 then return errors.get(rc) end
  return nil, tonumber(optval[0])
end

-- sendfd(fd[, data="\0"]) -> err: passes fd (SCM_RIGHTS) over a unix socket.
function IO:sendfd(fd, data)
  if self.closed then return errors.CLOSED end
  data = data or "\0"
  while true do
    local rc = tonumber(L.levee_socket_sendfd(self.no, fd, data, #data))
    if rc >= 0 then return nil end
    if rc ~= -11 then return errors.get(rc) end
    local err = self.w_ev:recv(self.timeout)
    if err then return err end
  end
end

-- recvfd() -> err, fd, data: the next fd passed over a unix socket.
function IO:recvfd()
  if self.closed then return errors.CLOSED end
  local buf = ffi.new("char[256]")
  local out = ffi.new("int32_t[1]")
  while true do
    local rc = tonumber(L.levee_socket_recvfd(self.no, out, buf, 256))
    if rc > 0 then return nil, out[0], ffi.string(buf, rc) end
    if rc == 0 then
      self:close()
      return errors.CLOSED
    end
    if rc ~= -11 then return errors.get(rc) end
    local err = self.r_ev:recv(self.timeout)
    if err then return err end
  end
end

local RW = setmetatable({}, {__index = function(_, k) return R[k] or W[k] end})
RW.__index = RW
RW.read, RW.readn, RW.readinto, RW.reads, RW.stream, RW.sendfile =
  R.read, R.readn, R.readinto, R.reads, R.stream, R.sendfile
RW.write, RW.writev, RW.iov, RW.send = W.write, W.writev, W.iov, W.send

-- close() -> true the first time, nil after (the original's RW answer).
function RW:close()
  if self.closed then return nil end
  IO.close(self)
  return true
end

-- An __index that serves methods, and makes field `key` with make(self)
-- on first access.
local function lazy_field(methods, key, make)
  return function(self, k)
    if k == key then
      local v = make(self)
      rawset(self, key, v)
      return v
    end
    return methods[k]
  end
end

-- `.p`: the protocol conveniences, made on first access.
for _, mt in ipairs({R, W, RW}) do
  mt.__index = lazy_field(mt, "p", function(io) return IO.P(io) end)
end

-- =====================================================================
-- Stream: a d.Buffer in front of a readable io

local Stream = {}
Stream.__index = Stream
Stream.__tostring = function(self) return ("levee.Stream: buffered=%d"):format(#self.buf) end

function IO.Stream(conn) return setmetatable({conn = conn, buf = d.Buffer(4096)}, Stream) end

function Stream:readin(n) return self.conn:readinto(self.buf, n) end

function Stream:read(buf, len)
  if #self.buf > 0 then return nil, self.buf:move(buf, len) end
  return self.conn:read(buf, len)
end

function Stream:readn(buf, n, len)
  len = len or n
  local moved = 0
  if #self.buf > 0 then moved = self.buf:move(buf, math.min(#self.buf, len)) end
  if moved >= n then return nil, moved end
  local err, got = self.conn:readn(ffi.cast("char *", buf) + moved, n - moved, len - moved)
  if err then return err end
  return nil, moved + got
end

function Stream:readinto(buf, n)
  if #self.buf == 0 then
    local err = self:readin()
    if err then return err end
  end
  local want = n and (n - #buf) or #self.buf
  while true do
    local take = math.min(want, #self.buf)
    if take > 0 then
      buf:write(self.buf:value(take))
      self.buf:trim(take)
      want = want - take
    end
    if n == nil or want <= 0 then return nil end
    local err = self:readin()
    if err then return err end
  end
end

function Stream:value() return self.buf:value() end
function Stream:trim(n) return self.buf:trim(n) end

-- take([n]) -> string: n bytes (reading them first; nil on error) or
-- everything buffered.
function Stream:take(n)
  if n == nil then return self.buf:take() end
  local err = self:readin(n)
  if err then return nil end
  return self.buf:take(n)
end

-- line([delim="\n"[, max]]) -> err, line: p.line.stream over this stream
-- (the line without its delimiter; a line longer than max, 1 MiB by
-- default, is errors.system.EMSGSIZE).
function Stream:line(delim, max) return require("levee.p.line").stream(self, delim, max) end

function Stream:json_decoder()
  if not self._json then self._json = require("levee.p.json").decoder() end
  return self._json
end

-- json() -> err, value: one JSON value from the stream.
function Stream:json() return self:json_decoder():stream(self) end

function Stream:msgpack_decoder()
  if not self._msgpack then self._msgpack = require("levee.p.msgpack").decoder() end
  return self._msgpack
end

-- msgpack() -> err, value: one msgpack value from the stream.
function Stream:msgpack() return self:msgpack_decoder():stream_value(self) end

function Stream:chunk(len) return IO.Chunk(self, len) end

-- =====================================================================
-- Chunk: the next len bytes of a stream. `#chunk` is the bytes not yet
-- consumed, so the chunk is cdata (Debian's LuaJIT has no __len on tables).

local chunks, next_chunk = {}, 0
local Chunk = {}

local function chunk_done(st)
  if not st.done_closed then
    st.done_closed = true
    st.done.sender:close()
  end
end

function Chunk:readin(n) return chunks[self.id].stream:readin(n) end

function Chunk:value()
  local st = chunks[self.id]
  local p, n = st.stream:value()
  return p, math.min(n, st.len)
end

-- trim([n]) -> bytes trimmed (at most what remains).
function Chunk:trim(n)
  local st = chunks[self.id]
  n = n or st.len
  assert(n <= st.len, "chunk: trim beyond the chunk")
  local got = st.stream:trim(n)
  st.len = st.len - got
  if st.len == 0 then chunk_done(st) end
  return got
end

-- tostring() -> the whole chunk as a string (nil if the stream ended).
function Chunk:tostring()
  local st = chunks[self.id]
  local s = st.stream:take(st.len)
  if s == nil then return nil end
  st.len = 0
  chunk_done(st)
  return s
end

-- Consumes the rest of the chunk, handing each buffered piece to
-- each(ptr, n) (which may return an error) before trimming it.
-- -> err, bytes consumed.
local function drain(self, each)
  local st = chunks[self.id]
  local total = 0
  while st.len > 0 do
    if #st.stream.buf == 0 then
      local err = st.stream:readin()
      if err then return err end
    end
    local p, n = st.stream.buf:value(st.len)
    local err = each(p, n)
    if err then return err end
    total = total + Chunk.trim(self, n)
  end
  chunk_done(st)
  return nil, total
end

-- drain(each) -> err, n: hands every remaining byte of the chunk to
-- each(ptr, len) (reading in as needed) and consumes it; stops at the
-- error each or the stream returns.
Chunk.drain = drain

-- tobuffer([buf]) -> err, buf with the whole chunk appended.
function Chunk:tobuffer(buf)
  buf = buf or d.Buffer(chunks[self.id].len)
  local err = drain(self, function(p, n) buf:write(p, n) end)
  if err then return err end
  return nil, buf
end

-- discard() -> err, n: consumes the rest of the chunk.
function Chunk:discard() return drain(self, function() end) end

-- splice(target) -> err, n: writes the rest of the chunk to target.
function Chunk:splice(target)
  return drain(self, function(p, n) return (target:write(p, n)) end)
end

-- tee(target, ...[, f]) -> err, n: copies the rest of the chunk to every
-- target. With a function last, f(recver) is spawned and receives the same
-- bytes as sub-Chunks over a pipe, each of which it must consume before the
-- next is sent (if f closes the recver, the rest is only copied).
function Chunk:tee(...)
  local targets = {...}
  local f = targets[#targets]
  if type(f) == "function" then
    targets[#targets] = nil
    local st = chunks[self.id]
    local s, r = st.hub:pipe()
    st.hub:spawn(f, r)
    local total = 0
    while st.len > 0 do
      if #st.stream.buf == 0 then
        local err = st.stream:readin()
        if err then
          s:close()
          return err
        end
      end
      local p, n = st.stream.buf:value(st.len)
      for i = 1, #targets do
        local err = targets[i]:write(p, n)
        if err then
          s:close()
          return err
        end
      end
      local sub = IO.Chunk(st.stream, n)
      if s:send(sub) then
        sub:trim()  -- the recver is gone: consume it here
      else
        sub.done:recv()
      end
      st.len = st.len - n
      total = total + n
    end
    chunk_done(st)
    s:close()
    return nil, total
  end
  return drain(self, function(p, n)
    for i = 1, #targets do
      local err = targets[i]:write(p, n)
      if err then return err end
    end
  end)
end

-- json() -> err, value decoded from the chunk.
function Chunk:json()
  local st = chunks[self.id]
  if not st.decoder then st.decoder = require("levee.p.json").decoder() end
  return st.decoder:stream(self)
end

-- msgpack() -> err, value decoded from the chunk.
function Chunk:msgpack()
  local st = chunks[self.id]
  if not st.msgpack then st.msgpack = require("levee.p.msgpack").decoder() end
  return st.msgpack:stream_value(self)
end

ffi.cdef([[struct levee_lua_chunk { int32_t id; };]])
local chunk_ct = ffi.metatype("struct levee_lua_chunk", {
  __index = function(self, key)
    local m = Chunk[key]
    if m then return m end
    local st = chunks[self.id]
    if key == "len" then return st.len end
    return st[key]
  end,
  __len = function(self) return chunks[self.id].len end,
  __tostring = function(self) return ("levee.Chunk: len=%d"):format(chunks[self.id].len) end,
  __gc = function(self) chunks[self.id] = nil end,
})

function IO.Chunk(stream, len)
  next_chunk = next_chunk + 1
  local hub = stream.conn.hub
  local s, r = hub:value()
  chunks[next_chunk] = {hub = hub, stream = stream, len = len, done = message.Pair(s, r)}
  local c = chunk_ct(next_chunk)
  if len == 0 then chunk_done(chunks[next_chunk]) end
  return c
end

-- =====================================================================
-- p: the 0.4-style conveniences (rbuf / wbuf over the io)

local P = {}
-- p.json and p.http are made on first access
local p_json = lazy_field(P, "json", function(p) return IO.PJson(p) end)
P.__index = function(self, k)
  if k == "http" then
    local v = require("levee.p.http.0_4").P(self)
    rawset(self, "http", v)
    return v
  elseif k == "msgpack" then
    local v = IO.PMsgpack(self)
    rawset(self, "msgpack", v)
    return v
  end
  return p_json(self, k)
end

function IO.P(io)
  local p = {hub = io.hub, io = io, options = io.options}
  if io.read then p.rbuf = d.Buffer(4096) end
  if io.write then p.wbuf = d.Buffer(4096) end
  return setmetatable(p, P)
end

function P:readin(n) return self.io:readinto(self.rbuf, n) end
function P:value(off, len) return self.rbuf:value(off, len) end
function P:trim(n) return self.rbuf:trim(n) end

-- tostring([len]) -> err, s: len bytes, or everything until EOF.
function P:tostring(len)
  if len then
    local err = self:readin(len)
    if err then return err end
    return nil, self.rbuf:take(len)
  end
  while true do
    local err = self:readin()
    if err then break end
  end
  return nil, self.rbuf:take()
end

-- splice(target[, len]) -> err, n: len bytes (or everything until EOF,
-- where CLOSED is not an error) from rbuf and the io to target.
function P:splice(target, len)
  local total = 0
  local rbuf = self.rbuf
  while len == nil or total < len do
    if #rbuf == 0 then
      local err = self:readin()
      if err then
        if len == nil and err == CLOSED then return nil, total end
        return err
      end
    end
    local n = #rbuf
    if len and n > len - total then n = len - total end
    local err = target:write(rbuf:value(), n)
    if err then return err end
    rbuf:trim(n)
    total = total + n
  end
  return nil, total
end

-- save(path[, len]) -> err, n: as splice, into the file at path ("w+").
function P:save(path, len)
  local err, f = self.hub.io:open(path, "w+")
  if err then return err end
  local n
  err, n = self:splice(f, len)
  f:close()
  if err then return err end
  return nil, n
end

-- chunk(len) -> P_Chunk: the next len bytes of the io.
function P:chunk(len) return IO.PChunk(self, len) end

-- P_Chunk: a fixed-length window over a p (fields hub, p, len).
local PChunk = {}
PChunk.__index = lazy_field(PChunk, "json", function(c) return IO.PJson(c) end)

function IO.PChunk(p, len) return setmetatable({hub = p.hub, p = p, len = len}, PChunk) end

-- readin([n]) -> err: more bytes of the chunk; CLOSED once it is exhausted.
function PChunk:readin(n)
  if self.len <= 0 then return CLOSED end
  if n then n = math.min(n, self.len) end
  if n and #self.p.rbuf >= n then return nil end
  return self.p:readin(n)
end

-- value([off][, len]) -> ptr, len clipped to the chunk
function PChunk:value(off, len)
  local p, n = self.p.rbuf:value(off, len)
  local left = self.len - (off or 0)
  if left < 0 then left = 0 end
  if n > left then n = left end
  return p, n
end

-- trim([n]) -> n trimmed (at most the chunk's remaining length)
function PChunk:trim(n)
  n = math.min(n or self.len, self.len)
  n = self.p.rbuf:trim(n)
  self.len = self.len - n
  return n
end

-- tostring([len]) -> err, s: len (default all remaining) bytes; nil, ""
-- once consumed.
function PChunk:tostring(len)
  if self.len <= 0 then return nil, "" end
  len = math.min(len or self.len, self.len)
  local err = self.p:readin(len)
  if err then return err end
  self.len = self.len - len
  return nil, self.p.rbuf:take(len)
end

function PChunk:splice(target)
  local err, n = self.p:splice(target, self.len)
  if err then return err end
  self.len = 0
  return nil, n
end

function PChunk:save(path)
  local err, n = self.p:save(path, self.len)
  if err then return err end
  self.len = 0
  return nil, n
end

-- p.msgpack: read() -> err, value; write(data) -> err, n
local PMsgpack = {}
PMsgpack.__index = PMsgpack

function IO.PMsgpack(p) return setmetatable({p = p}, PMsgpack) end

function PMsgpack:read()
  if not self.decoder then self.decoder = require("levee.p.msgpack").decoder() end
  return self.decoder:stream_value(self.p)
end

-- Encodes data with codec into p.wbuf and writes it to the io: err, n.
local function write_encoded(p, codec, data)
  p.wbuf:trim()
  local err = require(codec).encode(data, p.wbuf)
  if err then return err end
  local ptr, n = p.wbuf:value()
  err = p.io:write(ptr, n)
  p.wbuf:trim()
  if err then return err end
  return nil, n
end

function PMsgpack:write(data) return write_encoded(self.p, "levee.p.msgpack", data) end

local PJson = {}
PJson.__index = PJson
PJson.__call = function(self)
  local err, value = self:read()
  if err then return nil end
  return value
end

function IO.PJson(p) return setmetatable({p = p}, PJson) end

-- read() -> err, value: one JSON value from the io.
function PJson:read()
  if not self.decoder then self.decoder = require("levee.p.json").decoder() end
  return self.decoder:stream(self.p)
end

-- write(data) -> err, n: the JSON text of data, written to the io.
function PJson:write(data) return write_encoded(self.p, "levee.p.json", data) end

-- =====================================================================
-- h.io

local HIO = {}
HIO.__index = HIO
HIO.R_mt, HIO.W_mt, HIO.RW_mt, HIO.Stream_mt, HIO.Chunk_mt, HIO.P_mt = R, W, RW, Stream, Chunk, P
HIO.iovec = d.Iovec

local function make(hub, mt, fd, timeout, r, w)
  local r_ev, w_ev, err = hub:register(fd, r, w)
  -- epoll refuses regular files (EPERM): they are always ready.
  if err == errors.system.EPERM then r_ev, w_ev, err = hub:register_nopoll(fd, r, w) end
  if err then return nil, err end
  return setmetatable({hub = hub, no = fd, timeout = timeout, r_ev = r_ev, w_ev = w_ev,
    closed = false}, mt)
end

-- r(fd[, timeout]) / w(fd[, timeout]) / rw(fd[, timeout]): the fd must be
-- non-blocking. Returns the io (nil, err if fd cannot be registered).
function HIO:r(fd, timeout) return make(self.hub, R, fd, timeout, true, false) end
function HIO:w(fd, timeout) return make(self.hub, W, fd, timeout, false, true) end
function HIO:rw(fd, timeout) return make(self.hub, RW, fd, timeout, true, true) end

-- pipe([timeout]) -> r, w (both non-blocking).
function HIO:pipe(timeout)
  local fds = ffi.new("int[2]")
  assert(C.pipe(fds) == 0, "h.io:pipe: pipe(2) failed")
  nonblock(fds[0])
  nonblock(fds[1])
  return self:r(fds[0], timeout), self:w(fds[1], timeout)
end

-- socketpair(domain, type[, timeout]) -> a, b (io.RW each).
function HIO:socketpair(domain, type_, timeout)
  local sv = ffi.new("int[2]")
  if C.socketpair(domain or 1, type_ or 1, 0, sv) < 0 then
    error("h.io:socketpair: " .. tostring(errors.get(-ffi.errno())), 2)
  end
  nonblock(sv[0])
  nonblock(sv[1])
  return self:rw(sv[0], timeout), self:rw(sv[1], timeout)
end

local modes = {
  r = O_RDONLY, ["r+"] = O_RDWR,
  w = O_WRONLY + O_TRUNC, ["w+"] = O_RDWR + O_CREAT + O_TRUNC,
  a = O_WRONLY + O_APPEND + O_CREAT, ["a+"] = O_RDWR + O_APPEND + O_CREAT,
}
for k, v in pairs({r = modes.r, ["r+"] = modes["r+"], w = modes.w, ["w+"] = modes["w+"],
  a = modes.a, ["a+"] = modes["a+"]}) do
  modes[k .. "x"] = bit.bor(v, O_CREAT, O_EXCL)  -- x: create, failing if it exists
end

-- open(path[, oflag[, mode="666"]]) -> err, io: regular files, registered
-- without polling. An io.W for write-only, io.RW for read-write, else io.R.
function HIO:open(path, oflag, mode)
  if type(oflag) == "string" then
    local f = modes[oflag]
    if not f then return errors.system.EINVAL end
    oflag = f
  end
  oflag = oflag or O_RDONLY
  mode = mode or "666"
  if type(mode) == "string" then mode = tonumber(mode, 8) end
  local fd = C.open(path, bit.bor(oflag, O_NONBLOCK, O_CLOEXEC), ffi.cast("int", mode))
  if fd < 0 then return errors.get(-ffi.errno()) end
  local acc = bit.band(oflag, 3)
  local mt = acc == O_WRONLY and W or acc == O_RDWR and RW or R
  local r_ev, w_ev = self.hub:register_nopoll(fd, mt ~= W, mt ~= R)
  return nil, setmetatable({hub = self.hub, no = fd, r_ev = r_ev, w_ev = w_ev, closed = false}, mt)
end

local function std(self, fd, mt, key)
  if not self[key] then
    nonblock(fd)
    rawset(self, key, make(self.hub, mt, fd, nil, mt == R, mt == W))
  end
  return self[key]
end
function HIO:stdin() return std(self, 0, R, "_stdin") end
HIO.stdio = HIO.stdin -- the seed's spelling
function HIO:stdout() return std(self, 1, W, "_stdout") end
function HIO:stderr() return std(self, 2, W, "_stderr") end

local M = {sockopt = IO.sockopt}
function M.sockname(fd) return name_of(fd, L.levee_socket_sockname) end
return setmetatable(M, {__call = function(_, hub) return setmetatable({hub = hub}, HIO) end})
