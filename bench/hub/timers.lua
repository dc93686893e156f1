-- Timers: N green threads each sleeping a random 0..1000 ms. Reports the
-- wall time from the first spawn until the last thread woke, beside the
-- longest sleep, and the resident memory per sleeping green thread beyond
-- what the same number of bare suspended coroutines costs.
--   luajit bench/hub/timers.lua [n]
local ffi = require("ffi")
local N = tonumber(arg[1]) or 100000

local function rss_kib()
  local f = assert(io.open("/proc/self/statm"))
  local _, resident = f:read("*n", "*n")
  f:close()
  return resident * 4
end

local function body() coroutine.yield() end

-- 1. bare suspended coroutines: the cost of "the coroutine itself"
collectgarbage()
local r0 = rss_kib()
local bare = {}
for i = 1, N do
  local co = coroutine.create(function() local x = 0 coroutine.yield() return x end)
  coroutine.resume(co)
  bare[i] = co
end
collectgarbage()
local r1 = rss_kib()
bare = nil
collectgarbage()

-- 2. sleeping green threads
local h = require("levee").Hub()
math.randomseed(42)
local woke, longest = 0, 0
local t0 = require("levee.lib").levee_clock_ms()
local r2 = rss_kib()
for _ = 1, N do
  local ms = math.random(0, 1000)
  if ms > longest then longest = ms end
  h:spawn_later(0, function() h:sleep(ms) woke = woke + 1 end)
end
h:sleep(1)  -- every thread has started and is asleep
collectgarbage()
local r3 = rss_kib()
while woke < N do h:sleep(10) end
local wall = require("levee.lib").levee_clock_ms() - t0

local coro = (r1 - r0) * 1024 / N
local thread = (r3 - r2) * 1024 / N
print(("timers: %d green threads sleeping 0..1000 ms"):format(N))
print(("  wall time %.0f ms for a longest sleep of %d ms (%.2fx)"):format(wall, longest, wall / longest))
print(("  RSS per bare suspended coroutine  %6.0f B"):format(coro))
print(("  RSS per sleeping green thread     %6.0f B"):format(thread))
print(("  beyond the coroutine itself       %6.0f B   (goal <= 1024 B)"):format(thread - coro))
