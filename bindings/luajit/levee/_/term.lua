-- levee._.term: the terminal (lua-api.md §11 "Others", docs/sys.md).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local M = {}

-- winsize([fd=1]) -> err, {row, col, xpixel, ypixel}: the size of the
-- terminal open on fd (errors.system.ENOTTY when fd is not a terminal).
function M.winsize(fd)
  local ws = ffi.new("levee_winsize")
  local rc = L.levee_term_winsize(fd or 1, ws)
  if rc < 0 then return errors.get(rc) end
  return nil, {row = ws.row, col = ws.col, xpixel = ws.xpixel, ypixel = ws.ypixel}
end

return M
