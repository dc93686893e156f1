-- Hello-world keep-alive HTTP server on h.http (0.3 API), for bench/http/serve.sh.
--   luajit server_levee.lua PORT [N]
-- It serves with server:serve(handler), where an idle keep-alive
-- connection holds no green thread. With N, it reports the resident memory
-- added per connection once N requests (one per connection, from
-- bench/http/keepalive) were answered.
local levee = require("levee")
local h = levee.Hub()
local port, n = tonumber(arg[1]), tonumber(arg[2])

local function rss()
  local f = io.open("/proc/self/statm")
  local _, resident = f:read("*n", "*n")
  f:close()
  return resident * 4096
end

local err, serve = h.http:listen({port = port, backlog = 4096})
assert(not err, tostring(err))
local S200 = levee.HTTPStatus(200)
local HEADERS = {["Content-Type"] = "text/plain"}
local answered, before, heap0 = 0, nil, 0

local function report()
  collectgarbage()
  collectgarbage()
  print(("levee: %d idle keep-alive connections: %.0f bytes of RSS each (Lua heap %.0f)"):format(n,
    (rss() - before) / n, (collectgarbage("count") - heap0) * 1024 / n))
  io.stdout:flush()
  os.exit(0)
end

serve:serve(function(req)
  req.response:send({S200, HEADERS, "Hello World\n"})
  if n then
    answered = answered + 1
    -- idle: past a pass of the server's reaper, which gives back the buffers
    if answered == n then h:spawn_later(1500, report) end
  end
end)
collectgarbage()
before = rss()
heap0 = collectgarbage("count")
print("ready")
io.stdout:flush()
serve:wait()
