-- Green threads: spawn runs the child until it blocks, then main continues.
local levee = require("levee")
local h = levee.Hub()

local trace = {}
h:spawn(function()
  trace[#trace + 1] = "child starts"
  h:sleep(10)
  trace[#trace + 1] = "child wakes"
end)
trace[#trace + 1] = "main continues"
h:sleep(20)
print(table.concat(trace, ", "))  -- child starts, main continues, child wakes

local sender, recver = h:pipe()
h:spawn(function()
  for i = 1, 3 do sender:send(i) end
  sender:close()
end)
local got = {}
for v in recver do got[#got + 1] = v end
print(table.concat(got, " "))  -- 1 2 3

print(recver:recv())  -- channel is closed (levee.CLOSED)
local _, r2 = h:pipe()
print(r2:recv(5))  -- operation timed out (levee.TIMEOUT)
