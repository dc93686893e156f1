-- lua-cqueues echo server for the echo bench: luajit echo_cqueues.lua PORT
local cqueues = require("cqueues")
local socket = require("cqueues.socket")
local cq = cqueues.new()
local srv = socket.listen({host = "127.0.0.1", port = tonumber(arg[1]), reuseaddr = true})
srv:listen()
cq:wrap(function()
  for conn in srv:clients() do
    cq:wrap(function()
      conn:setmode("b", "b")
      -- a reset by the load generator at its end raises here: that ends
      -- this connection, not the server (whose CPU time is read after)
      pcall(function()
        while true do
          local data = conn:xread(-65536, "b")
          if not data then break end
          conn:write(data)
          conn:flush()
        end
      end)
      conn:close()
    end)
  end
end)
print("ready")
io.stdout:flush()
assert(cq:loop())
