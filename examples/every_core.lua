-- Serving one port on every core: N OS threads, each with its own Lua
-- state, its own hub and its own SO_REUSEPORT listener on the same port (the
-- kernel spreads the connections). SIGTERM stops them all gracefully: every
-- hub subscribed to SIGTERM sees the delivery, each thread stops accepting
-- and lets the requests in flight finish, and the main thread returns once
-- every thread has ended.
--
--   luajit examples/every_core.lua             a demo: serves, asks itself, stops itself
--   luajit examples/every_core.lua PORT [N]    serves PORT (0: any) on N threads until SIGTERM
local levee = require("levee")
local L = require("levee.lib")
local ffi = require("ffi")

local h = levee.Hub()
local serve_mode = arg and arg[1] ~= nil
local port = tonumber(serve_mode and arg[1]) or 0
local nthreads = tonumber(serve_mode and arg[2]) or 2

-- SIGTERM is levee's before any thread starts: no delivery is lost and
-- none takes the default action (which would end the process at once).
local term = h:signal("SIGTERM")

-- Runs in each thread with the thread's hub (a function dumped and loaded
-- in the new Lua state: it uses no upvalues).
local function worker(h, port, id)
  local levee = require("levee")
  local stop = h:signal("SIGTERM")
  local err, server = h.http:listen({port = port, host = "127.0.0.1", reuseport = true})
  if err then h.parent:send(tostring(err)) return end
  h.parent:send(server:port())
  h:spawn(function()
    for conn in server do
      h:spawn(function()
        for req in conn do
          local hello = "hello from thread " .. id .. "\n"
          if req.path == "/slow" then
            -- the head now, the body later: a request in flight for a while
            req.response:send({levee.HTTPStatus(200), {}, nil})
            h:sleep(300)
            req.response:send(hello)
            req.response:close()
          else
            req.response:send({levee.HTTPStatus(200), {}, hello})
          end
        end
      end)
    end
  end)
  stop:recv()
  server:shutdown(2000)  -- stop accepting; requests in flight finish
  stop:close()
end

-- The first thread picks the port when it is 0; the others share it.
local threads = {}
for id = 1, nthreads do
  threads[id] = h.thread:spawn(worker, port, id)
  local err, got = threads[id]:recv()
  assert(not err and type(got) == "number", "thread " .. id .. ": " .. tostring(got or err))
  port = got
end
io.write(("listening on 127.0.0.1:%d with %d threads\n"):format(port, nthreads))
io.flush()

if not serve_mode then
  -- the demo: a few requests, then SIGTERM to ourselves
  local answered = 0
  for _ = 1, 10 do
    local _, c = h.http:connect(port)
    local _, responses = c:get("/")
    local _, resp = responses:recv()
    if resp:tostring():match("^hello from thread %d") then answered = answered + 1 end
    c:close()
  end
  print(("answered %d requests"):format(answered))  -- answered 10 requests
  L.levee_signal_send(ffi.C.getpid(), L.LEVEE_SIGTERM)
end

term:recv()
for id = 1, nthreads do
  assert(threads[id]:recv() == levee.errors.CLOSED)  -- the thread has ended
end
term:close()
print("every thread shut down")  -- every thread shut down
