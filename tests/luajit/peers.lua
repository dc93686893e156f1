-- Helpers for specs that talk to peer processes (curl, openssl, nginx):
--   local peers = dofile(here .. "/peers.lua")
-- Not a spec itself (the runner only runs *_spec.lua).
local M = {}

-- bg(h, cmd) -> job: runs a shell command in the background; job.wait()
-- polls (sleeping in the hub, so the servers under test keep running)
-- until it finished and returns its output and exit status. A sanitizer
-- run preloads libasan into luajit; the peer must not inherit it (curl
-- hangs with it).
function M.bg(h, cmd)
  local base = os.tmpname()
  os.execute(("( (unset LD_PRELOAD; %s) > %s.out 2>&1; echo $? > %s.rc ) &"):format(cmd, base, base))
  local job = {}
  function job.wait()
    for _ = 1, 1500 do
      local f = io.open(base .. ".rc")
      if f then
        local rc = f:read("*n")
        f:close()
        if rc then
          local o = io.open(base .. ".out")
          local out = o:read("*a")
          o:close()
          os.remove(base .. ".rc")
          os.remove(base .. ".out")
          os.remove(base)
          return out, rc
        end
      end
      h:sleep(10)
    end
    error("background command did not finish: " .. cmd)
  end
  return job
end

-- raw(h, port, data[, want[, timeout=2000]]) -> everything a server sends
-- back to the raw bytes data on a new connection, read until it closes (or
-- `want` bytes arrived, or the read fails)
function M.raw(h, port, data, want, timeout)
  local err, conn = h.stream:dial({port = port, timeout = timeout or 2000})
  assert(not err, tostring(err))
  conn:write(data)
  local buf = require("levee").d.Buffer(4096)
  while not want or #buf < want do
    if conn:readinto(buf) then break end
  end
  conn:close()
  return buf:take()
end

-- free_port(h) -> a TCP port nothing listens on now, for a peer that
-- cannot listen on port 0 itself.
function M.free_port(h)
  local err, l = h.stream:listen({port = 0})
  assert(not err, tostring(err))
  local port = l:port()
  l:close()
  return port
end

-- await_port(h, port): waits until something accepts on port.
function M.await_port(h, port)
  for _ = 1, 500 do
    local err, c = h.stream:dial({port = port})
    if not err then
      c:close()
      return
    end
    h:sleep(10)
  end
  error("nothing listens on " .. port)
end

return M
