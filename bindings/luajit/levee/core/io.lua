-- h.io: non-blocking fds as io objects, streams and chunks (lua-api.md §3).
--
-- io.R / io.W / io.RW are tables over an fd registered with the hub. Reads
-- block the green thread (not the process) until data, EOF or the io's
-- timeout; EOF and read errors close the io and return errors.CLOSED.
-- Writes write everything, closing the io and returning the system error
-- on failure (errors.system.EPIPE for a vanished reader). Successful writes
-- yield one tick, as in the original.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local d = require("levee.d")
local message = require("levee.core.message")

local CLOSED = errors.CLOSED
local WANT_READ, WANT_WRITE = L.LEVEE_WANT_READ, L.LEVEE_WANT_WRITE
local C_read, C_read_buffer, C_write = L.levee_stream_read, L.levee_stream_read_buffer,
  L.levee_stream_write
local C_writev, C_write_iovec, C_want = L.levee_stream_writev, L.levee_stream_write_iovec,
  L.levee_stream_want
local C_cap = L.levee_buffer_cap
local charp = ffi.typeof("const char *")
local entryp = ffi.typeof("levee_iovec_entry *")

-- The original's io declared struct iovec for writev; programs still cast
-- to it (lua-api.md §3 w:writev).
pcall(ffi.cdef, "struct iovec { void *iov_base; size_t iov_len; };")

-- Every io holds a levee_stream (lib/stream.cc) over its fd: the core moves
-- the bytes and answers "would block" with WANT_READ / WANT_WRITE; the io
-- waits on its hub states and keeps the original's answers.
local stream_out = ffi.new("levee_stream *[1]")

-- A collected io leaves its fd open (the hub may still hold it): release,
-- then free.
local function stream_gc(s)
  L.levee_stream_release(s)
  L.levee_stream_free(s)
end

local function own(s) return ffi.gc(s, stream_gc) end

-- new_stream(fd) -> stream or nil, err
local function new_stream(fd)
  local rc = L.levee_stream_new(stream_out, fd)
  if rc < 0 then return nil, errors.get(rc) end
  return own(stream_out[0])
end

local IO = {}
IO.__index = IO

-- =====================================================================
-- reading

local R = setmetatable({}, {__index = IO})
R.__index = R

-- After a read answered WANT_READ or WANT_WRITE: waits for that readiness.
-- nil to read again; TIMEOUT (the io stays open); CLOSED when a hang-up
-- was seen and there is still nothing to read (the io closes).
local function read_wait(self, want)
  if want == WANT_WRITE then return (self.w_ev:recv(self.timeout)) end
  if self.r_error then
    self:close()
    return CLOSED
  end
  local err, _, ev = self.r_ev:recv(self.timeout)
  if err then return err end
  if ev < 0 then self.r_error = true end
end

-- After a read answered rc <= 0: err to return, or nil to read again. The
-- end of input and every read error close the io and give CLOSED (the
-- original discards the errno).
local function read_failed(self, rc)
  if rc == WANT_READ or rc == WANT_WRITE then return read_wait(self, rc) end
  self:close()
  return CLOSED
end

-- read(buf, len) -> err, n (n > 0). EOF and errors close the io (CLOSED);
-- a timeout leaves it open (TIMEOUT).
function R:read(buf, len)
  if self.closed then return CLOSED end
  local s = self.s
  while true do
    local n = tonumber(C_read(s, buf, len))
    if n > 0 then return nil, n end
    local err = read_failed(self, n)
    if err then return err end
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

-- _fill(buf, n, exact) -> err: reads into the d.Buffer buf until #buf >= n.
-- What arrives is bumped into view only once n bytes are there (or the
-- read stopped with an error or a timeout, so nothing is lost). exact
-- reads no byte beyond n; otherwise up to the free tail.
function R:_fill(buf, n, exact)
  if self.closed then return CLOSED end
  local want = n - #buf
  if want <= 0 then return nil end
  buf:ensure(want)
  local s, got = self.s, 0
  while got < want do
    local ptr, avail = buf:tail()
    local rc = tonumber(C_read(s, ptr + got, (exact and want or avail) - got))
    if rc > 0 then
      got = got + rc
    else
      local err = read_failed(self, rc)
      if err then
        if got > 0 then buf:bump(got) end
        return err
      end
    end
  end
  buf:bump(got)
end

-- readinto(buf[, n]) -> err: reads into a d.Buffer: once (making room as
-- needed), or with n until #buf >= n, bumping only once n bytes arrived.
function R:readinto(buf, n)
  if n ~= nil then return R._fill(self, buf, n, false) end
  if self.closed then return CLOSED end
  if C_cap(buf) == 0 then
    -- The original's caveat (lua-api.md §3): a d.Buffer() made without a
    -- hint has no room, so the read reads 0 bytes, which is EOF.
    self:close()
    return CLOSED
  end
  local s = self.s
  while true do
    local rc = tonumber(C_read_buffer(s, buf, 0))
    if rc > 0 then return nil end
    local err = read_failed(self, rc)
    if err then return err end
  end
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

-- sendfile(to, len[, off=0]) -> err, n: file bytes to a writable io, in
-- the kernel when to's transport allows (plain fds), else through a
-- buffer (TLS).
function R:sendfile(to, len, off)
  if self.closed or to.closed then return CLOSED end
  off = off or 0
  local sent = 0
  while sent < len do
    local n = tonumber(L.levee_stream_sendfile(to.s, self.no, off + sent, len - sent))
    if n > 0 then
      sent = sent + n
    elseif n == 0 then
      break
    elseif n == WANT_WRITE then
      local err = to.w_ev:recv(to.timeout)
      if err then return err end
    elseif n == L.LEVEE_ENOTSUP then
      local buf = ffi.new("char[?]", 65536)
      while sent < len do
        local got = tonumber(L.levee_fd_pread(self.no, buf, math.min(65536, len - sent), off + sent))
        if got < 0 then return errors.get(got) end
        if got == 0 then break end
        local err = to:write(buf, got)
        if err then return err end
        sent = sent + got
      end
      break
    else
      return errors.get(n)
    end
  end
  return nil, sent
end

-- Moves up to len bytes from the io `from` to the io `to` inside the
-- kernel (levee_stream_splice), waiting for either side as needed: err,
-- bytes moved, and true when from's input ended first. ENOTSUP where a
-- side cannot (TLS), before anything moved.
local function splice_loop(from, to, len)
  local moved = 0
  while moved < len do
    local rc = tonumber(L.levee_stream_splice(to.s, from.s, len - moved))
    if rc > 0 then
      moved = moved + rc
    elseif rc == WANT_READ then
      local err, _, ev = from.r_ev:recv(from.timeout)
      if err then return err, moved end
      if ev < 0 then from.r_error = true end
    elseif rc == WANT_WRITE then
      local err = to.w_ev:recv(to.timeout)
      if err then return err, moved end
    elseif rc == L.LEVEE_CLOSED then
      return nil, moved, true
    else
      return errors.get(rc), moved
    end
  end
  return nil, moved
end

-- _splice(to, len) -> err, n: moves up to len bytes from this io to the
-- io to inside the kernel (splice(2); Linux), waiting for either side as
-- needed; stops early at the end of input. ENOTSUP where a side cannot
-- (TLS).
function R:_splice(to, len)
  if self.closed or to.closed then return CLOSED end
  local err, moved = splice_loop(self, to, len)
  if err then return err end
  return nil, moved
end

-- _tee(to, len) -> err, n: copies up to len bytes from this pipe to the
-- pipe to without consuming them (tee(2); Linux).
function R:_tee(to, len)
  if self.closed or to.closed then return CLOSED end
  while true do
    local rc = tonumber(L.levee_fd_tee(self.no, to.no, len))
    if rc >= 0 then return nil, rc end
    if rc ~= L.LEVEE_EAGAIN then return errors.get(rc) end
    local err = self.r_ev:recv(self.timeout)
    if err then return err end
  end
end

-- =====================================================================
-- writing

local W = setmetatable({}, {__index = IO})
W.__index = W

-- Waits for the readiness a write stopped on: nil to write again, or
-- TIMEOUT when the io has a timeout (the io stays usable).
local function write_wait(self, want)
  local ev = want == WANT_READ and self.r_ev or self.w_ev
  return (ev:recv(self.timeout))
end

-- After a write answered rc < 0: nil to write again (after waiting), or the
-- error that ended the write. Failures close the io and return the system
-- error (errors.system.EPIPE for a vanished reader).
local function write_failed(self, rc)
  if rc == WANT_WRITE or rc == WANT_READ then return write_wait(self, rc) end
  if self.closed then return CLOSED end
  self:close()
  return errors.get(rc)
end

-- write(buf[, len]) -> err, n: writes everything, then yields one tick.
function W:write(buf, len)
  if self.closed then return CLOSED end
  len = len or #buf
  local s, p, sent = self.s, buf, 0
  while true do
    local n = tonumber(C_write(s, p, len - sent))
    if n >= 0 then
      sent = sent + n
      if sent >= len then break end
      p = ffi.cast(charp, buf) + sent
      local err = write_wait(self, C_want(s))
      if err then return err end
    else
      local err = write_failed(self, n)
      if err then return err end
    end
  end
  self.hub:continue()
  return nil, len
end

-- writev(iov, n) -> err, total: iov is a struct iovec * (a d.Iovec's
-- .iov works); written entries are advanced in place (to length 0).
function W:writev(iov, n)
  if self.closed then return CLOSED end
  local s, v, total = self.s, ffi.cast(entryp, iov), 0
  while true do
    local rc = tonumber(C_writev(s, v, n))
    if rc >= 0 then
      total = total + rc
      local want = C_want(s)
      if want == 0 then break end
      local err = write_wait(self, want)
      if err then return err end
    else
      local err = write_failed(self, rc)
      if err then return err end
    end
  end
  self.hub:continue()
  return nil, total
end

-- Writes and consumes every entry of the d.Iovec iov: err.
local function write_iovec(self, iov)
  if self.closed then return CLOSED end
  local s = self.s
  while #iov > 0 do
    local rc = tonumber(C_write_iovec(s, iov))
    local err
    if rc < 0 then
      err = write_failed(self, rc)
    elseif #iov > 0 then
      err = write_wait(self, C_want(s))
    end
    if err then return err end
  end
  self.hub:continue()
end

-- iov([size=32]) -> err, sender: a write queue drained by a writer thread
-- into gathered writes. Send strings, objects with writeinto_iovec, or
-- objects with value(). sender.empty:recv() returns once everything queued
-- was written.
function W:iov(size)
  if self.closed then return CLOSED end
  if self._iov then return nil, self._iov end
  size = size or 32
  local s, r = self.hub:stalk(size)
  s.empty = r.empty
  self._iov, self._iov_r = s, r
  self.iovec, self.empty = s, s.empty  -- the original's fields
  local iov = d.Iovec(size)
  self.hub:spawn(function()
    while true do
      if r:recv() then break end
      local n = 0
      for item in r:iter() do
        iov:write(item)
        n = n + 1
      end
      local err = write_iovec(self, iov)
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

-- send_msgpack(value) -> err: msgpack-encodes value and queues it on
-- iov() (lua-api.md §3); does not wait.
function W:send_msgpack(value)
  local err, buf = require("levee.p.msgpack").encode(value, d.Buffer())
  if err then return err end
  return self:send(buf)
end

-- =====================================================================
-- common

function IO:close()
  if self.closed then return CLOSED end
  self.closed = true
  if self._iov then self._iov:close() end
  -- The hub closes the fd on its next tick; the stream only lets go of it.
  L.levee_stream_release(self.s)
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

-- shutdown([how="w"]) -> err: "r", "w" or "rw" (or 0, 1, 2); a TLS
-- stream ends its writing side first.
function IO:shutdown(how)
  local n = ({r = 0, w = 1, rw = 2})[how or "w"] or how
  if type(n) ~= "number" then
    error(("io:shutdown: how must be \"r\", \"w\" or \"rw\", got %s"):format(tostring(how)), 2)
  end
  local rc = L.levee_stream_shutdown(self.s, n)
  if rc < 0 then return errors.get(rc) end
end

-- sockopt(fd, name[, value]) -> err, value: reads the option, or sets it
-- and reads it back (extensions.md). Flags read 0/1; an unknown name is
-- errors.system.ENOPROTOOPT, setting a read-only one errors.system.EPERM.
local optval = ffi.new("int64_t[1]")
function IO.sockopt(fd, name, value)
  if type(fd) == "table" then fd = fd.no end
  if type(name) ~= "string" then
    error(("sockopt: name must be a string, got %s"):format(type(name)), 2)
  end
  if value ~= nil then
    if value == true then value = 1 elseif value == false then value = 0 end
    if type(value) ~= "number" then
      error(("sockopt: value must be a number or a boolean, got %s"):format(type(value)), 2)
    end
    local rc = L.levee_socket_setopt(fd, name, value)
    if rc < 0 then return errors.get(rc) end
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
    if rc ~= L.LEVEE_EAGAIN then return errors.get(rc) end
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
    if rc ~= L.LEVEE_EAGAIN then return errors.get(rc) end
    local err = self.r_ev:recv(self.timeout)
    if err then return err end
  end
end

local RW = setmetatable({}, {__index = function(_, k) return R[k] or W[k] end})
RW.__index = RW
RW.read, RW.readn, RW.readinto, RW._fill, RW.reads, RW.stream, RW.sendfile =
  R.read, R.readn, R.readinto, R._fill, R.reads, R.stream, R.sendfile
RW._splice, RW._tee = R._splice, R._tee
RW.write, RW.writev, RW.iov, RW.send, RW.send_msgpack = W.write, W.writev, W.iov, W.send,
  W.send_msgpack

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

-- readinto(buf[, n]) -> err: moves the buffered bytes into the d.Buffer
-- buf (reading once when none are buffered); with n, until #buf >= n,
-- reading from the conn exactly the bytes still missing, so nothing is
-- left over in the stream's buffer.
function Stream:readinto(buf, n)
  local sbuf = self.buf
  if n == nil then
    if #sbuf == 0 then
      local err = self:readin()
      if err then return err end
    end
    buf:write(sbuf:value())
    sbuf:trim()
    return nil
  end
  local missing = n - #buf
  if missing <= 0 then return nil end
  local take = math.min(missing, #sbuf)
  if take > 0 then
    buf:write(sbuf:value(take))
    sbuf:trim(take)
  end
  if take == missing then return nil end
  return self.conn:_fill(buf, n, true)
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

-- Pages of unbuffered chunk beyond which splice moves them in the kernel
-- (the original's threshold: more than 4 pages).
local SPLICE_MIN = 4 * 4096

-- Moves the rest of the chunk, none of it buffered, from the stream's conn
-- to target inside the kernel: err, bytes moved; ENOTSUP when either side
-- cannot (TLS), with nothing moved.
local function splice_rest(st, target)
  local conn = st.stream.conn
  local err, moved, ended = splice_loop(conn, target, st.len)
  st.len = st.len - moved
  if ended then
    conn:close()
    return CLOSED, moved
  end
  return err, moved
end

-- splice(target) -> err, n: writes the rest of the chunk to target. Bytes
-- already buffered are written from the buffer; the rest, when more than 4
-- pages, moves from the conn to target inside the kernel (splice(2)),
-- else through the buffer. A failed write consumes the bytes it was given
-- and leaves the rest of the chunk unread.
function Chunk:splice(target)
  local st = chunks[self.id]
  local total = 0
  while st.len > 0 do
    local sbuf = st.stream.buf
    if #sbuf == 0 then
      local conn = st.stream.conn
      if st.len > SPLICE_MIN and conn.s and target.s and not target.closed then
        local err, n = splice_rest(st, target)
        total = total + n
        if err ~= errors.system.ENOTSUP then
          if st.len == 0 then chunk_done(st) end
          if err then return err end
          return nil, total
        end
      end
      local err = st.stream:readin()
      if err then return err end
    end
    local p, n = sbuf:value(st.len)
    local err = target:write(p, n)
    total = total + Chunk.trim(self, n)
    if err then return err end
  end
  chunk_done(st)
  return nil, total
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

-- The io over stream s (fd) registered with hub: io, or nil, err.
local function wrap(hub, mt, s, fd, timeout, r, w, nopoll)
  local r_ev, w_ev, err
  if not nopoll then
    r_ev, w_ev, err = hub:register(fd, r, w)
    -- epoll refuses regular files (EPERM): they are always ready.
    nopoll = err == errors.system.EPERM
  end
  if nopoll then r_ev, w_ev, err = hub:register_nopoll(fd, r, w) end
  if err then
    L.levee_stream_release(s)
    return nil, err
  end
  return setmetatable({hub = hub, no = fd, timeout = timeout, r_ev = r_ev, w_ev = w_ev,
    closed = false, s = s}, mt)
end

local function make(hub, mt, fd, timeout, r, w)
  local s, err = new_stream(fd)
  if not s then return nil, err end
  return wrap(hub, mt, s, fd, timeout, r, w)
end

-- r(fd[, timeout]) / w(fd[, timeout]) / rw(fd[, timeout]): the fd is made
-- non-blocking. Returns the io (nil, err if fd cannot be registered).
function HIO:r(fd, timeout) return make(self.hub, R, fd, timeout, true, false) end
function HIO:w(fd, timeout) return make(self.hub, W, fd, timeout, false, true) end
function HIO:rw(fd, timeout) return make(self.hub, RW, fd, timeout, true, true) end

-- pipe([timeout]) -> r, w (both non-blocking). No err: a failure raises.
function HIO:pipe(timeout)
  local fds = ffi.new("int32_t[2]")
  local rc = L.levee_fd_pipe(fds, 1)
  if rc < 0 then error("h.io:pipe: " .. tostring(errors.get(rc)), 2) end
  return self:r(fds[0], timeout), self:w(fds[1], timeout)
end

-- socketpair([domain=AF_UNIX[, type=SOCK_STREAM[, timeout]]]) -> a, b
-- (io.RW each).
function HIO:socketpair(domain, type_, timeout)
  local sv = ffi.new("int32_t[2]")
  local rc = L.levee_socket_pair(domain or L.LEVEE_AF_UNIX, type_ or L.LEVEE_SOCK_STREAM, sv)
  if rc < 0 then error("h.io:socketpair: " .. tostring(errors.get(rc)), 2) end
  return self:rw(sv[0], timeout), self:rw(sv[1], timeout)
end

-- open(path[, oflag="r"[, mode="666"]]) -> err, io: regular files,
-- registered without polling. oflag is a mode string (levee_fs_open_mode: r r+
-- w w+ a a+, each with an optional x) or open(2) flags. An io.W for
-- write-only, io.RW for read-write, else io.R.
function HIO:open(path, oflag, mode)
  if oflag == nil then oflag = "r" end
  if type(oflag) == "string" then
    local f = L.levee_fs_open_mode(oflag)
    if f < 0 then return errors.get(f) end
    oflag = f
  end
  mode = mode or "666"
  if type(mode) == "string" then mode = tonumber(mode, 8) end
  local rc = L.levee_stream_open(stream_out, path, oflag, mode)
  if rc < 0 then return errors.get(rc) end
  local s = own(stream_out[0])
  local acc = L.levee_fs_access(oflag)
  local mt = acc == L.LEVEE_ACCESS_WRITE and W or acc == L.LEVEE_ACCESS_RW and RW or R
  local fd = L.levee_stream_fd(s)
  local io, err = wrap(self.hub, mt, s, fd, nil, mt ~= W, mt ~= R, true)
  if not io then
    L.levee_fd_close(fd)
    return err
  end
  return nil, io
end

local function std(self, fd, mt, key)
  if not self[key] then
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
