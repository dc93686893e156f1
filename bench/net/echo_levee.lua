-- levee echo server for the echo bench: luajit echo_levee.lua PORT
local levee = require("levee")
local h = levee.Hub()
local err, serve = h.stream:listen({port = tonumber(arg[1])})
assert(not err, tostring(err))
print("ready")
io.stdout:flush()
for conn in serve do
  h:spawn(function()
    local buf = levee.d.Buffer(4096)
    while not conn:readinto(buf) do
      if conn:write(buf:value()) then break end
      buf:trim()
    end
    conn:close()
  end)
end
