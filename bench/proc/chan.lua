-- Messages per second from one LuaJIT OS thread (h.thread) to the main
-- thread over a levee channel: the producer sends N numbers with
-- Sender:send, the main thread receives them with Recver:recv.
--   luajit bench/proc/chan.lua RUNS N   -> prints the median msg/s
local levee = require("levee")
local runs, n = tonumber(arg[1]) or 5, tonumber(arg[2]) or 2000000
local h = levee.Hub()
local clock = require("levee.lib").levee_clock_ms

local function once()
  local r = h.thread:channel():bind()
  local s = r:create_sender()
  local t0 = clock()
  local done = h.thread:call(function(to, count)
    for i = 1, count do to:send(i) end
    to:close()
    return nil, count
  end, s, n)
  s:close()
  local expect = 1
  for v in r do
    if v ~= expect then error("out of order: " .. v .. " for " .. expect) end
    expect = expect + 1
  end
  local t = (clock() - t0) / 1000
  assert(expect == n + 1)
  done:recv()
  r:close()
  return n / t
end

local rates = {}
for i = 1, runs do rates[i] = once() end
table.sort(rates)
print(("%.0f"):format(rates[math.floor(runs / 2) + 1]))
