-- A levee TCP proxy for the bulk bench: accepts one connection on PORT and
-- streams it to 127.0.0.1:TARGET (read into a d.Buffer, write it out).
--   luajit proxy_levee.lua PORT TARGET
local levee = require("levee")
local h = levee.Hub()
local err, serve = h.stream:listen({port = tonumber(arg[1])})
assert(not err, tostring(err))
print("ready")
io.stdout:flush()
local _, down = serve:recv()
local derr, up = h.stream:dial(tonumber(arg[2]))
assert(not derr, tostring(derr))
local buf = levee.d.Buffer(262144)
while not down:readinto(buf) do
  if up:write(buf:value()) then break end
  buf:trim()
end
up:close()
down:close()
