-- What the process, signal and thread specs count before and after each
-- test (loaded with dofile; not a spec itself).
local L = require("levee.lib")
local M = {}

-- Open fds of this process.
function M.fds() return L.levee_sys_fdcount() end

-- OS threads of this process.
function M.threads()
  local f = io.open("/proc/self/status")
  local n = f:read("*a"):match("Threads:%s*(%d+)")
  f:close()
  return tonumber(n)
end

return M
