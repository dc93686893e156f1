-- An HTTP server that answers JSON, queried by the levee client, in one
-- hub: the server green thread and the client run side by side.
local levee = require("levee")
local json = levee.p.json
local h = levee.Hub()

local err, serve = h.http:listen({port = 0})
assert(not err, tostring(err))
local port = serve:port()

-- the server: GET /sum?a=..&b=.. answers {"sum": a + b}; POST /echo
-- answers the JSON it was sent, wrapped
h:spawn(function()
  for conn in serve do
    h:spawn(function()
      for req in conn do
        local body
        if req.method == "POST" then
          local jerr, value = req:json()
          body = {echo = jerr and tostring(jerr) or value}
        else
          local a, b = req.path:match("a=(%-?%d+)&b=(%-?%d+)")
          body = {sum = tonumber(a or 0) + tonumber(b or 0), path = req.path}
        end
        local _, buf = json.encode(body)
        req.response:send({levee.HTTPStatus(200), {["Content-Type"] = "application/json"},
          buf:take()})
      end
    end)
  end
end)

-- the client: two requests pipelined on one keep-alive connection
local _, c = h.http:connect(port)
local _, r1 = c:get("/sum", {params = {a = 40, b = 2}})
local _, r2 = c:post("/echo", {data = '{"hello": ["json", 1, true]}',
  headers = {["Content-Type"] = "application/json"}})

local _, res = r1:recv(1000)
print(res.code, res.headers["Content-Type"])  -- 200 application/json
local _, v = res:json()
print(v.sum, v.path)                           -- 42 /sum?a=40&b=2
_, res = r2:recv(1000)
_, v = res:json()
print(v.echo.hello[1], v.echo.hello[2], v.echo.hello[3])  -- json 1 true
c:close()
serve:shutdown(100)
print(h:in_use())                              -- false
