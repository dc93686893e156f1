-- Hello-world keep-alive HTTP server on N OS threads sharing one port
-- (SO_REUSEPORT, one hub per thread), for bench/proc/http.sh. The same
-- answer as bench/http/server_levee.lua and the nginx reference.
--   luajit bench/proc/server_threads.lua PORT N
local levee = require("levee")
local h = levee.Hub()
local port, n = tonumber(arg[1]), tonumber(arg[2]) or 1
local term = h:signal("SIGTERM")

local function worker(h, port)
  local levee = require("levee")
  local stop = h:signal("SIGTERM")
  local err, serve = h.http:listen({port = port, backlog = 4096, reuseport = true})
  if err then h.parent:send(tostring(err)) return end
  local S200 = levee.HTTPStatus(200)
  h:spawn(function()
    for conn in serve do
      h:spawn(function()
        for req in conn do
          req.response:send({S200, {["Content-Type"] = "text/plain"}, "Hello World\n"})
        end
      end)
    end
  end)
  h.parent:send("ready")
  stop:recv()
  serve:close()
end

local threads = {}
for i = 1, n do
  threads[i] = h.thread:spawn(worker, port)
  local _, msg = threads[i]:recv()
  assert(msg == "ready", msg)
end
print("ready")
io.stdout:flush()
term:recv()
for i = 1, n do threads[i]:recv() end
