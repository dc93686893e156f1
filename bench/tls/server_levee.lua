-- TLS server on h.stream:listen{tls = ...}, for bench/tls/run.sh.
--   luajit server_levee.lua PORT CERT KEY MODE [ARG]
-- MODE handshake: every connection is closed once its handshake completed.
-- MODE bulk: answers each connection's request (anything up to a blank
--   line) with an HTTP/1.1 200 carrying ARG MiB of zeros, then closes.
-- MODE idle: holds ARG handshaken connections, then prints the resident
--   memory added per connection and exits.
local levee = require("levee")
local h = levee.Hub()
local port, cert, key, mode, arg5 = tonumber(arg[1]), arg[2], arg[3], arg[4], tonumber(arg[5])

local function rss()
  local f = io.open("/proc/self/statm")
  local _, resident = f:read("*n", "*n")
  f:close()
  return resident * 4096
end

local err, serve = h.stream:listen({port = port, backlog = 4096,
  tls = {cert_file = cert, key_file = key}})
assert(not err, tostring(err))

local CHUNK = 256 * 1024
local zeros = levee.d.Buffer(CHUNK)
zeros:bump(CHUNK)  -- the buffer's fresh memory: its content does not matter

local function bulk(conn)
  local buf = levee.d.Buffer(4096)
  while true do
    if conn:readinto(buf) then return conn:close() end
    if buf:peek():find("\r\n\r\n", 1, true) then break end
  end
  local total = arg5 * 1024 * 1024
  conn:write(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"):format(total))
  local ptr = zeros:value()
  while total > 0 do
    local n = math.min(total, CHUNK)
    if conn:write(ptr, n) then break end
    total = total - n
  end
  conn:close()
end

collectgarbage()
local before = rss()
print("ready")
io.stdout:flush()
local held = {}
for conn in serve do
  if mode == "handshake" then
    conn:close()
  elseif mode == "bulk" then
    h:spawn(bulk, conn)
  else
    held[#held + 1] = conn
    if #held == arg5 then
      collectgarbage()
      collectgarbage()
      print(("levee: %d idle TLS connections: %.0f bytes of RSS each"):format(arg5, (rss() - before) / arg5))
      io.stdout:flush()
      os.exit(0)
    end
  end
end
