-- Memory per idle connection: accepts N connections, each served by an
-- echo green thread, then prints the resident memory added per connection.
-- MODE "eager" gives each connection its 4 KiB d.Buffer up front (the
-- documented echo shape); "lazy" waits for the first readiness before making
-- the buffer, so an idle connection holds no buffer at all.
--   luajit idle_levee.lua PORT N [MODE=lazy]
local levee = require("levee")
local h = levee.Hub()
local n = tonumber(arg[2])
local lazy = (arg[3] or "lazy") == "lazy"

local function rss()
  local f = io.open("/proc/self/statm")
  local _, resident = f:read("*n", "*n")
  f:close()
  return resident * 4096
end

local err, serve = h.stream:listen({port = tonumber(arg[1]), backlog = 4096})
assert(not err, tostring(err))
collectgarbage()
local before = rss()
print("ready")
io.stdout:flush()
local accepted = 0
for conn in serve do
  accepted = accepted + 1
  h:spawn(function()
    if lazy then conn.r_ev:recv() end
    local buf = levee.d.Buffer(4096)
    while not conn:readinto(buf) do
      conn:write(buf:value())
      buf:trim()
    end
    conn:close()
  end)
  if accepted == n then break end
end
collectgarbage()
collectgarbage()
local per = (rss() - before) / n
print(("%d idle connections (%s buffers): %.0f bytes of RSS each (goal <= 4096)"):format(n,
  lazy and "lazy" or "eager", per))
