-- The echo server of the original levee's documentation ("Network"), with a client in the same
-- process. As the design notes, readinto takes the d.Buffer itself.
local levee = require("levee")
local h = levee.Hub()

-- a basic echo server
local err, serve = h.stream:listen({port = 0})
print(err)  -- nil

h:spawn(function()
  while true do
    local err, conn = serve:recv()
    if err then break end
    h:spawn(function()
      local buf = levee.d.Buffer(4096)
      while not conn:readinto(buf) do
        conn:write(buf:value())
        buf:trim()
      end
      conn:close()
    end)
  end
end)

local err, conn = h.stream:dial({port = serve:port()})
conn:write("hello, echo")
print(conn:reads())  -- hello, echo
conn:close()
serve:close()
h:continue()
print(h:in_use())  -- false
