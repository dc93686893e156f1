-- h.thread: OS threads, each with its own Lua state and hub, and the
-- channels between them (lua-api.md §7).
--
-- A channel (levee_chan) is the inbox of one hub: senders on any thread
-- push messages, the hub wakes on the channel's fd and a pump thread
-- hands each message to its recver (a queue). Values cross as numbers,
-- strings, booleans, nil, int64/uint64 cdata, levee errors (the same
-- registry entry: identity holds), d.Buffer (its bytes move: the sender's
-- buffer is left empty), d.Data (ownership moves), senders, and tables
-- (msgpack). A thread runs a function dumped with string.dump (upvalues
-- are lost) in a new Lua state on a new OS thread; the C core starts the
-- state through the Lua entry points this module passes, and the new
-- state loads levee itself.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")
local message = require("levee.core.message")

local C = ffi.C
local CLOSED, TIMEOUT = errors.CLOSED, errors.TIMEOUT

pcall(ffi.cdef, "int close(int fd);")
-- LuaJIT exports its C API: the core calls these to start a thread's state.
for _, decl in ipairs({
  "typedef struct lua_State lua_State;",
  "lua_State *luaL_newstate(void);",
  "void luaL_openlibs(lua_State *L);",
  "int luaL_loadbuffer(lua_State *L, const char *buff, size_t sz, const char *name);",
  "void lua_pushlightuserdata(lua_State *L, void *p);",
  "int lua_pcall(lua_State *L, int nargs, int nresults, int errfunc);",
  "const char *lua_tolstring(lua_State *L, int idx, size_t *len);",
  "void lua_close(lua_State *L);",
}) do pcall(ffi.cdef, decl) end

local VAL_NIL, VAL_BOOL, VAL_NUMBER, VAL_INT64, VAL_UINT64 = L.LEVEE_VAL_NIL,
  L.LEVEE_VAL_BOOL, L.LEVEE_VAL_NUMBER, L.LEVEE_VAL_INT64, L.LEVEE_VAL_UINT64
local VAL_STRING, VAL_BYTES, VAL_ERROR, VAL_BUFFER = L.LEVEE_VAL_STRING, L.LEVEE_VAL_BYTES,
  L.LEVEE_VAL_ERROR, L.LEVEE_VAL_BUFFER
local VAL_SENDER, VAL_DATA, VAL_MSGPACK = L.LEVEE_VAL_SENDER, L.LEVEE_VAL_DATA,
  L.LEVEE_VAL_MSGPACK
local CHAN_CLOSED = L.LEVEE_CHAN_CLOSED
local BATCH = 256

local int64_t, uint64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
local error_t = ffi.typeof("const levee_error *")
local buffer_t = ffi.typeof("levee_buffer *")
local sender_t = ffi.typeof("levee_chan_sender *")
local data_t

local function d() return require("levee.d") end
local function msgpack() return require("levee.p.msgpack") end

local M = {}

-- =====================================================================
-- Sender (cdata levee_chan_sender *): usable from any thread

local Sender = {}
Sender.__index = Sender

-- pass(err, value) -> err: nil, errors.CLOSED when the recver or its
-- channel is gone. Raises a Lua error for a value that cannot travel.
function Sender:pass(err, v)
  local code = 0
  if err ~= nil then
    if not ffi.istype(error_t, err) then error("levee.thread: err must be a levee error", 2) end
    code = err.code
  end
  local rc
  local t = type(v)
  if v == nil then
    rc = L.levee_chan_send(self, code, VAL_NIL, 0, 0, nil, 0)
  elseif t == "boolean" then
    rc = L.levee_chan_send(self, code, VAL_BOOL, v and 1 or 0, 0, nil, 0)
  elseif t == "number" then
    rc = L.levee_chan_send(self, code, VAL_NUMBER, 0, v, nil, 0)
  elseif t == "string" then
    rc = L.levee_chan_send(self, code, VAL_BYTES, 0, 0, v, #v)
  elseif t == "table" then
    local _, buf = msgpack().encode(v)
    local p, n = buf:value()
    rc = L.levee_chan_send(self, code, VAL_MSGPACK, 0, 0, p, n)
  elseif t == "cdata" then
    if ffi.istype(int64_t, v) then
      rc = L.levee_chan_send(self, code, VAL_INT64, v, 0, nil, 0)
    elseif ffi.istype(uint64_t, v) then
      rc = L.levee_chan_send(self, code, VAL_UINT64, ffi.cast(int64_t, v), 0, nil, 0)
    elseif ffi.istype(error_t, v) then
      rc = L.levee_chan_send(self, code, VAL_ERROR, v.code, 0, nil, 0)
    elseif ffi.istype(buffer_t, v) then
      rc = L.levee_chan_send(self, code, VAL_BUFFER, 0, 0, v, 0)
    elseif ffi.istype(sender_t, v) then
      rc = L.levee_chan_send(self, code, VAL_SENDER, 0, 0, v, 0)
    else
      data_t = data_t or ffi.typeof("struct levee_lua_data")
      if ffi.istype(data_t, v) then
        rc = L.levee_chan_send(self, code, VAL_DATA, 0, 0, v.ptr, v.len)
        if rc == 0 then v.ptr, v.len = nil, 0 end  -- the receiver owns it now
      else
        local ok, n = pcall(tonumber, v)
        if not ok or n == nil then error("levee.thread: cannot send this cdata", 2) end
        rc = L.levee_chan_send(self, code, VAL_NUMBER, 0, n, nil, 0)
      end
    end
  else
    error("levee.thread: cannot send a " .. t, 2)
  end
  if rc < 0 then return errors.get(rc) end
  return nil
end

function Sender:send(v) return Sender.pass(self, nil, v) end
function Sender:error(e) return Sender.pass(self, e) end

-- close() -> nil the first time, errors.CLOSED after. The recver closes
-- once its last sender is closed or collected.
function Sender:close()
  local rc = L.levee_chan_sender_close(self)
  if rc < 0 then return errors.get(rc) end
end

-- connect(chan) -> recver: binds a new recver on chan (this hub's
-- channel) and sends a sender for it to this sender's recver, which can
-- then answer. nil, err when the peer is gone.
function Sender:connect(chan)
  local r = chan:bind()
  local s = r:create_sender()
  local err = Sender.pass(self, nil, s)
  s:close()
  if err then
    r:close()
    return nil, err
  end
  return r
end

ffi.metatype("levee_chan_sender", {__index = Sender,
  __tostring = function(self) return "levee.thread.Sender" end})

local function adopt_sender(p)
  return ffi.gc(ffi.cast(sender_t, p), L.levee_chan_sender_free)
end

-- The value of a message record.
local function decode(m)
  local t = m.type
  if t == VAL_NIL then return nil
  elseif t == VAL_BOOL then return m.i ~= 0
  elseif t == VAL_NUMBER then return m.num
  elseif t == VAL_BYTES or t == VAL_STRING then return ffi.string(m.ptr, m.len)
  elseif t == VAL_INT64 then return int64_t(m.i)
  elseif t == VAL_UINT64 then return ffi.cast(uint64_t, m.i)
  elseif t == VAL_ERROR then return errors.get(tonumber(m.i))
  elseif t == VAL_BUFFER then return d().Buffer:from_ptr(m.ptr)
  elseif t == VAL_SENDER then return adopt_sender(m.ptr)
  elseif t == VAL_DATA then return d().Data(m.ptr, m.len)
  elseif t == VAL_MSGPACK then
    local _, v = msgpack().decode(m.ptr, tonumber(m.len))
    return v
  end
  return ffi.string(m.ptr, m.len)  -- a Python pickle: its bytes
end

-- =====================================================================
-- Recver: a recver bound on a hub's channel

local Recver = {}
Recver.__index = Recver
Recver.__call = message.call_iter

-- recv([ms]) -> err, value
function Recver:recv(ms) return self.r:recv(ms) end

-- create_sender() -> Sender (cdata) for this recver; nil, CLOSED once closed.
function Recver:create_sender()
  if self.closed then return nil, CLOSED end
  local out = ffi.new("levee_chan_sender *[1]")
  local rc = L.levee_chan_sender_new(out, self.chan.handle, self.id)
  if rc < 0 then return nil, errors.get(rc) end
  return adopt_sender(out[0])
end

-- close() -> nil, or errors.CLOSED when already closed. Senders get
-- errors.CLOSED from now on.
function Recver:close()
  if self.closed then return CLOSED end
  self.closed = true
  self.chan.recvers[self.id] = nil
  if self.chan.handle then L.levee_chan_unbind(self.chan.handle, self.id) end
  self.r:close()
  return nil
end

-- =====================================================================
-- Channel: one per hub

local Channel = {}
Channel.__index = Channel

local function new_channel(hub, handle, first_id)
  local fd = L.levee_chan_watch_fd(handle)
  if fd < 0 then error("levee.thread: " .. tostring(errors.get(fd)), 3) end
  local ev, err = hub:_register_private(fd)
  if not ev then
    C.close(fd)
    error("levee.thread: " .. tostring(err), 3)
  end
  local self = setmetatable({hub = hub, handle = handle, fd = fd, ev = ev, recvers = {},
    next_id = first_id, msgs = ffi.new("levee_chan_msg[?]", BATCH)}, Channel)
  local co = coroutine.create(function()
    while true do
      local _, _, v = ev:recv()
      if v < 0 or not self.handle then break end
      self:pump()
    end
  end)
  hub:resume(co)
  return self
end

-- A Lua recver for id (bound in C already).
function Channel:_recver(id, link)
  local s, r = self.hub:queue()
  local recver = setmetatable({chan = self, id = id, s = s, r = r, closed = false, link = link},
    Recver)
  self.recvers[id] = recver
  return recver
end

-- bind() -> Recver
function Channel:bind()
  if not self.handle then error("levee.thread: the channel is closed", 2) end
  local id = self.next_id
  self.next_id = id + 1
  local rc = L.levee_chan_bind(self.handle, id)
  if rc < 0 then error("levee.thread: " .. tostring(errors.get(rc)), 2) end
  return self:_recver(id)
end

-- pump(): hands every waiting message to its recver (run by the hub when
-- the channel's fd is readable).
function Channel:pump()
  local msgs, recvers = self.msgs, self.recvers
  while self.handle do
    local n = L.levee_chan_recv(self.handle, msgs, BATCH)
    for i = 0, n - 1 do
      local m = msgs[i]
      local r = recvers[tonumber(m.recver)]
      if m.type == CHAN_CLOSED then
        if r and not r.link then r.s:close() end
      else
        local v = decode(m)
        if r then
          local code = m.err
          r.s:pass(code ~= 0 and errors.get(code) or nil, v)
        end
      end
    end
    if n == 0 then break end  -- only an empty answer re-arms the channel's fd
  end
end

-- event_id() -> the fd the hub watches for this channel.
function Channel:event_id() return self.fd end

-- close(): every recver closes, senders get errors.CLOSED.
function Channel:close()
  if not self.handle then return CLOSED end
  local handle = self.handle
  self.handle = nil
  for _, r in pairs(self.recvers) do
    r.closed = true
    r.r:close()
  end
  self.recvers = {}
  L.levee_chan_close(handle)
  self.hub:_unregister_private(self.fd)
  if self.owned then L.levee_chan_free(ffi.gc(handle, nil)) end
  return nil
end

-- =====================================================================
-- threads

-- The parent's end of a thread: a recver that closes only once the
-- thread has ended and been joined (so the thread is gone when recv
-- answers CLOSED), whatever the thread did with its sender.
local function watch_thread(hub, thread, link)
  local fd = L.levee_thread_watch_fd(thread)
  if fd < 0 then error("levee.thread: " .. tostring(errors.get(fd)), 3) end
  local ev, _, err = hub:register(fd, true, false)
  if err then
    C.close(fd)
    error("levee.thread: " .. tostring(err), 3)
  end
  local co = coroutine.create(function()
    ev:recv()
    local rc = L.levee_thread_join(thread)
    if rc < 0 then
      io.stderr:write("levee.thread: ", ffi.string(L.levee_thread_error(thread)), "\n")
    end
    hub:unregister(fd)
    local chan = link.chan
    if chan.handle then chan:pump() end  -- what the thread sent last
    link.s:close()
    if chan.recvers[link.id] == link then
      chan.recvers[link.id] = nil
      if chan.handle then L.levee_chan_unbind(chan.handle, link.id) end
    end
  end)
  hub:resume(co)
end

-- The chunk a new thread's state runs: the parent's module paths, then
-- levee's child entry point with the inbox.
local function boot_chunk()
  return ("package.path = %q\npackage.cpath = %q\n" ..
    "return require('levee.core.thread')._child(...)\n"):format(package.path, package.cpath)
end

local api
local function lua_api()
  if not api then
    api = ffi.new("levee_lua_api")
    api.luaL_newstate = ffi.cast("void *", C.luaL_newstate)
    api.luaL_openlibs = ffi.cast("void *", C.luaL_openlibs)
    api.luaL_loadbuffer = ffi.cast("void *", C.luaL_loadbuffer)
    api.lua_pushlightuserdata = ffi.cast("void *", C.lua_pushlightuserdata)
    api.lua_pcall = ffi.cast("void *", C.lua_pcall)
    api.lua_tolstring = ffi.cast("void *", C.lua_tolstring)
    api.lua_close = ffi.cast("void *", C.lua_close)
  end
  return api
end

local Thread = {}
Thread.__index = Thread

-- channel() -> this hub's Channel (made on first use).
function Thread:channel()
  if not self._chan then
    local out = ffi.new("levee_chan *[1]")
    local rc = L.levee_chan_new(out)
    if rc < 0 then error("levee.thread: " .. tostring(errors.get(rc)), 2) end
    self._chan = new_channel(self.hub, ffi.gc(out[0], L.levee_chan_free), 1)
    self._chan.owned = true
  end
  return self._chan
end

-- Starts f on a new OS thread: mode "call" or "spawn". Returns the
-- parent's link recver and the sender to the child's inbox.
local function start(self, mode, f, ...)
  if type(f) ~= "function" then error("h.thread:" .. mode .. ": a function expected", 3) end
  local code = string.dump(f)
  local chan = self:channel()
  local link = chan:bind()
  link.link = true
  local reply = link:create_sender()
  local out = ffi.new("levee_chan *[1]")
  local rc = L.levee_chan_new(out)
  if rc < 0 then error("levee.thread: " .. tostring(errors.get(rc)), 3) end
  local inbox = out[0]
  assert(L.levee_chan_bind(inbox, 1) == 0)
  local sout = ffi.new("levee_chan_sender *[1]")
  assert(L.levee_chan_sender_new(sout, inbox, 1) == 0)
  local to_child = adopt_sender(sout[0])
  local n = select("#", ...)
  to_child:send(mode)
  to_child:send(code)
  to_child:send(reply)
  to_child:send(n)
  for i = 1, n do
    local err = to_child:send((select(i, ...)))
    if err then error("levee.thread: " .. tostring(err), 3) end
  end
  reply:close()
  local tout = ffi.new("levee_thread *[1]")
  local boot = boot_chunk()
  rc = L.levee_thread_lua(tout, lua_api(), boot, #boot, inbox)
  if rc < 0 then
    link:close()
    error("levee.thread: cannot start a thread: " .. tostring(errors.get(rc)), 3)
  end
  local thread = ffi.gc(tout[0], L.levee_thread_free)
  link.thread = thread
  watch_thread(self.hub, thread, link)
  return link, to_child
end

-- A call's recver: recv returns f's err, value once the thread has ended.
local Call = {}
Call.__index = Call
Call.__call = message.call_iter

function Call:recv(ms)
  if self.result then return self.result[1], self.result[2] end
  local err, v = self.link:recv(ms)
  if err == TIMEOUT then return err end
  if err ~= CLOSED then self.link:recv() end  -- the CLOSED that follows the join
  self.result = {err, v}
  return err, v
end

function Call:close() return self.link:close() end

-- call(f, ...) -> recver: f(...) runs in a new Lua state on a new OS
-- thread and should return err, value; recver:recv([ms]) gives them (or
-- errors.CLOSED when f raised). f loses its upvalues.
function Thread:call(f, ...)
  local link, to_child = start(self, "call", f, ...)
  to_child:close()
  return setmetatable({link = link}, Call)
end

-- spawn(f) -> Pair: f(child_hub) runs on a new OS thread with its own hub;
-- child_hub.parent is a Pair back to this thread. The Pair's recv answers
-- CLOSED once the thread has ended.
function Thread:spawn(f, ...)
  local link, to_child = start(self, "spawn", f, ...)
  return message.Pair(to_child, link)
end

-- _adopt(inbox): this (new) hub's channel is the inbox its parent filled.
function Thread:_adopt(inbox)
  self._chan = new_channel(self.hub, inbox, 2)
  return self._chan
end

-- The entry point of a new thread's state (see boot_chunk).
function M._child(inbox)
  local levee = require("levee")
  local h = levee.Hub()
  local chan = h.thread:_adopt(ffi.cast("levee_chan *", inbox))
  local r = chan:_recver(1)
  local _, mode = r:recv()
  local _, code = r:recv()
  local _, reply = r:recv()
  local _, n = r:recv()
  local args = {}
  for i = 1, n do
    local _, v = r:recv()
    args[i] = v
  end
  local f = assert(loadstring(code, "=levee.thread"))
  local ok, err, value
  if mode == "spawn" then
    h.parent = message.Pair(reply, r)
    ok, err = xpcall(function() return f(h, unpack(args, 1, n)) end, debug.traceback)
    if not ok then io.stderr:write("levee: uncaught error in a thread: ", tostring(err), "\n") end
  else
    ok, err, value = xpcall(function() return f(unpack(args, 1, n)) end, debug.traceback)
    if ok then
      local sent, why = pcall(reply.pass, reply, err, value)
      if not sent then  -- the parent's recv answers CLOSED
        io.stderr:write("levee: a thread's result cannot be sent: ", tostring(why), "\n")
      end
    else
      io.stderr:write("levee: uncaught error in a thread: ", tostring(err), "\n")
    end
  end
  reply:close()
  r:close()
  chan:close()
  collectgarbage()
end

M.Sender = Sender
M.Recver = Recver
M.Channel = Channel

return setmetatable(M, {__call = function(_, hub)
  return setmetatable({hub = hub}, Thread)
end})
