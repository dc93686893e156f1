-- h:signal(sig, ...): signal deliveries as a Queue recver (lua-api.md §7).
--
-- The C hub does the work (levee_hub_signal): a process-wide handler
-- counts every delivery in each subscribed hub and the hub's poll reports
-- the counts; this module fans them out to the subscribed recvers. Every
-- recver subscribed to a signal gets every delivery, as many times as it
-- was delivered; closing a recver unsubscribes it, and when a signal's
-- last recver closes, the hub unsubscribes and the signal's previous
-- action is back.
local L = require("levee.lib")
local errors = require("levee.errors")

-- Signal numbers by name (SIGTERM = 15 ...), from the core: the binding
-- holds no OS number of its own.
local numbers = {}
for sig = 1, 64 do
  local name = L.levee_signal_name(sig)
  if name ~= nil then numbers[require("ffi").string(name)] = sig end
end

local Signal = {}
Signal.__index = Signal

-- h:signal(sig, ...) -> recver (the hub passes itself first). Each sig is
-- a number or a name ("SIGTERM" or "TERM"); a signal levee cannot take
-- (SIGKILL, SIGSEGV, ...) raises a Lua error naming it.
function Signal:__call(_, ...)
  local sigs = {...}
  for i = 1, #sigs do
    local sig = sigs[i]
    if type(sig) == "string" then
      sig = numbers[sig] or numbers["SIG" .. sig]
      if not sig then error("h:signal: unknown signal " .. tostring(sigs[i]), 2) end
    end
    if type(sig) ~= "number" then error("h:signal: a signal number or name expected", 2) end
    sigs[i] = sig
  end
  local hub = self.hub
  for i = 1, #sigs do
    local sig = sigs[i]
    if not self.registered[sig] then
      local rc = L.levee_hub_signal(hub.handle, sig, 1)
      if rc < 0 then
        self:_release_unused()
        error(("h:signal: cannot take signal %d: %s"):format(sig, tostring(errors.get(rc))), 2)
      end
      self.registered[sig] = {}
      hub._private = hub._private + 1
    end
  end
  local sender, recver = hub:queue()
  local mine = {}
  for i = 1, #sigs do
    local list = self.registered[sigs[i]]
    list[#list + 1] = sender
    mine[#mine + 1] = sigs[i]
  end
  self.reverse[recver] = mine
  recver.on_close = function(r) self:_unsubscribe(r) end
  return recver
end

-- Unsubscribes the hub from signals no recver waits for any more.
function Signal:_release_unused()
  for sig, list in pairs(self.registered) do
    if #list == 0 then
      L.levee_hub_signal(self.hub.handle, sig, 0)
      self.registered[sig] = nil
      self.hub._private = self.hub._private - 1
    end
  end
end

function Signal:_unsubscribe(recver)
  local sigs = self.reverse[recver]
  if not sigs then return end
  self.reverse[recver] = nil
  local sender = recver.sender
  for i = 1, #sigs do
    local list = self.registered[sigs[i]]
    if list then
      for j = #list, 1, -1 do
        if list[j] == sender then table.remove(list, j) end
      end
    end
  end
  self:_release_unused()
end

-- Called by the hub for count deliveries of sig: each recver gets sig
-- count times (queues never block the sender).
function Signal:_deliver(sig, count)
  local list = self.registered[sig]
  if not list then return end
  for i = 1, #list do
    local s = list[i]
    for _ = 1, count do s:send(sig) end
  end
end

-- The signal numbers by name ("SIGTERM" -> 15), for programs that want
-- them without declaring them through ffi.
Signal.numbers = numbers

return function(hub)
  return setmetatable({hub = hub, registered = {}, reverse = {}}, Signal)
end
