-- Switch rate: two green threads ping-ponging over h:pipe(), beside raw
-- coroutine.resume/yield (the limit for any scheduler) and lua-cqueues
-- (condition variables), measured in the same process. A round trip is two
-- messages. Prints the median of RUNS runs of each and the ratios.
--   luajit bench/hub/pingpong.lua [round_trips] [runs]
local N = tonumber(arg[1]) or 1000000
local RUNS = tonumber(arg[2]) or 5

local function now()
  local ffi = require("ffi")
  pcall(ffi.cdef, "struct levee_bench_ts { long sec, nsec; }; int clock_gettime(int, struct levee_bench_ts *);")
  local ts = ffi.new("struct levee_bench_ts")
  return function()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.sec) + tonumber(ts.nsec) * 1e-9
  end
end
now = now()

-- levee_run([setup]): setup(h) may register an fd or start a timer first,
-- to measure what the hub's per-tick poll costs then.
local function levee_run(setup)
  local h = require("levee").Hub()
  local teardown = setup and setup(h)
  local s1, r1 = h:pipe()
  local s2, r2 = h:pipe()
  local done_s, done_r = h:pipe()
  h:spawn(function() for v in r1 do s2:send(v) end end)
  local t0 = now()
  h:spawn(function()
    for i = 1, N do
      s1:send(i)
      r2:recv()
    end
    done_s:send(true)
  end)
  done_r:recv()
  local t = now() - t0
  s1:close()
  if teardown then teardown() end
  return 2 * N / t
end

-- A green thread blocked reading an idle pipe (as a server's accept loop
-- waits on its listening socket): the hub then asks epoll (timeout 0) on
-- every tick while threads are runnable, as the original did.
local function with_fd(h)
  local r, w = h.io:pipe()
  h:spawn(function() r:reads() end)
  return function() w:close() h:continue() end
end

-- One pending timer and no fd: every tick reads the clock and checks the
-- timer heap, without a system call.
local function with_timer(h)
  h:spawn_later(3600 * 1000, function() end)
end

-- The same ping-pong with raw coroutines: two coroutines, and the main
-- thread passing each message from one to the other (a coroutine cannot
-- resume its peer directly). Two resume/yield pairs per round trip.
local function raw_run()
  local ping = coroutine.create(function()
    for i = 1, N do coroutine.yield(i) end
  end)
  local pong = coroutine.create(function(v)
    while true do v = coroutine.yield(v) end
  end)
  local t0 = now()
  local _, msg = coroutine.resume(ping)
  for _ = 1, N do
    local _, reply = coroutine.resume(pong, msg)
    _, msg = coroutine.resume(ping, reply)
  end
  return 2 * N / (now() - t0)
end

-- The floor of the floor: one coroutine answering the main thread (one
-- resume/yield pair per round trip). Printed for reference.
local function raw1_run()
  local co = coroutine.wrap(function(v)
    while true do v = coroutine.yield(v) end
  end)
  local t0 = now()
  for i = 1, N do co(i) end
  return 2 * N / (now() - t0)
end

local function cqueues_run()
  local cqueues = require("cqueues")
  local condition = require("cqueues.condition")
  local cq = cqueues.new()
  local ping, pong = condition.new(), condition.new()
  -- `turn` makes the hand-off robust to which thread cqueues starts first
  -- (a condition signal with no waiter is lost).
  local value, turn = nil, "a"
  cq:wrap(function()
    while true do
      while turn ~= "b" do ping:wait() end
      if value == nil then return end
      turn = "a"
      pong:signal()
    end
  end)
  local t0
  cq:wrap(function()
    t0 = now()
    for i = 1, N do
      value, turn = i, "b"
      ping:signal()
      while turn ~= "a" do pong:wait() end
    end
    value, turn = nil, "b"
    ping:signal()
  end)
  assert(cq:loop())
  return 2 * N / (now() - t0)
end

local function median(t)
  table.sort(t)
  return t[math.ceil(#t / 2)]
end

local results = {levee = {}, raw = {}, raw1 = {}, cqueues = {}, fd = {}, timer = {}}
for _ = 1, RUNS do  -- interleaved, so drift on a shared machine hits all of them
  results.raw[#results.raw + 1] = raw_run()
  results.raw1[#results.raw1 + 1] = raw1_run()
  results.cqueues[#results.cqueues + 1] = cqueues_run()
  results.levee[#results.levee + 1] = levee_run()
  results.fd[#results.fd + 1] = levee_run(with_fd)
  results.timer[#results.timer + 1] = levee_run(with_timer)
end
local l, r, c = median(results.levee), median(results.raw), median(results.cqueues)
print(("ping-pong, %d round trips, median of %d runs (messages/s)"):format(N, RUNS))
print(("  levee h:pipe()       %12.0f"):format(l))
print(("  raw coroutines        %12.0f   (two coroutines, as levee's two threads)"):format(r))
print(("  raw, one coroutine    %12.0f   (main as the peer; reference only)"):format(median(results.raw1)))
print(("  cqueues conditions    %12.0f"):format(c))
print(("  levee, one timer set %12.0f   (clock read every tick)"):format(median(results.timer)))
print(("  levee, fd waited on  %12.0f   (a thread waits on it: epoll_wait every tick)"):format(median(results.fd)))
print(("  levee/raw     %.2fx   (goal >= 0.25x)"):format(l / r))
print(("  levee/raw     %.2fx   with a timer set"):format(median(results.timer) / r))
print(("  levee/raw     %.2fx   with a thread waiting on an fd"):format(median(results.fd) / r))
print(("  levee/cqueues %.2fx   (goal >= 1.0x)"):format(l / c))
