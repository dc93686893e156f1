-- Spawn + wait of /bin/true per second with h.process (stdio inherited,
-- as posix_spawn's reference does).
--   luajit bench/proc/spawn.lua RUNS N   -> prints the median spawns/s
local levee = require("levee")
local runs, n = tonumber(arg[1]) or 5, tonumber(arg[2]) or 2000
local h = levee.Hub()
local clock = require("levee.lib").levee_clock_ms
local inherit = {STDIN = "inherit", STDOUT = "inherit", STDERR = "inherit"}

local rates = {}
for r = 1, runs do
  local t0 = clock()
  for _ = 1, n do
    local p = h.process:spawn("/bin/true", {io = inherit})
    local _, c = p.done:recv()
    assert(c.exit_code == 0)
  end
  rates[r] = n / ((clock() - t0) / 1000)
end
table.sort(rates)
print(("%.0f"):format(rates[math.floor(runs / 2) + 1]))
