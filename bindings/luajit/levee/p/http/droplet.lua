-- levee.p.http.droplet: h.http:droplet(port[, host[, config]]), a server
-- with routes (lua-api.md §8): route(path, f) answers path with f(h, req);
-- bundle(prefix, assets) serves static assets under prefix; anything else
-- is 404. It serves with server:serve, so idle connections are lean.
local Status = require("levee.p.http.status")

local TYPES = {
  html = "text/html", htm = "text/html", css = "text/css", js = "application/javascript",
  json = "application/json", txt = "text/plain", svg = "image/svg+xml", png = "image/png",
  jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif", ico = "image/x-icon",
  wasm = "application/wasm",
}

local function content_type(name)
  local ext = name:match("%.(%w+)$")
  return ext and TYPES[ext:lower()] or "application/octet-stream"
end

local NOT_FOUND = "Not Found\n"
local TEXT = {["Content-Type"] = "text/plain"}

local Droplet = {}
Droplet.__index = Droplet

-- route(path, f): requests for path (query aside) are answered by
-- f(h, req). f returns the body (a string: 200, text/plain), a response
-- table {status, headers, body}, or nothing when it answered itself.
-- Returns the droplet.
function Droplet:route(path, f)
  if type(path) ~= "string" or type(f) ~= "function" then
    error("droplet:route(path, f): path is a string, f a function", 2)
  end
  self.routes[path] = f
  return self
end

-- bundle(prefix, assets): serves assets under prefix. assets is a table
-- name -> content (or {content, content_type}), or the path of a
-- directory whose regular files are served (no ".." segments). Returns
-- the droplet.
function Droplet:bundle(prefix, assets)
  if type(prefix) ~= "string" or (type(assets) ~= "table" and type(assets) ~= "string") then
    error("droplet:bundle(prefix, assets): prefix is a string, assets a table or a directory", 2)
  end
  prefix = prefix:gsub("/+$", "")
  self.bundles[#self.bundles + 1] = {prefix = prefix, assets = assets}
  table.sort(self.bundles, function(a, b) return #a.prefix > #b.prefix end)
  return self
end

local function serve_asset(req, bundle, name)
  local assets = bundle.assets
  if type(assets) == "table" then
    local a = assets[name] or assets["/" .. name]
    if a == nil then return false end
    local body, ctype = a, nil
    if type(a) == "table" then body, ctype = a[1], a[2] end
    req:send({Status(200), {["Content-Type"] = ctype or content_type(name)}, body})
    return true
  end
  for seg in name:gmatch("[^/]+") do
    if seg == ".." then return false end
  end
  if name == "" then return false end
  local path = assets .. "/" .. name
  local f = io.open(path, "rb")
  if not f then return false end
  f:close()
  req:sendfile(path, {["Content-Type"] = content_type(name)})
  return true
end

local function dispatch(self, req)
  local path = req.path:match("^[^?]*")
  local f = self.routes[path]
  if f then
    local out = f(self.hub, req)
    if req._state then return end  -- f answered itself
    local t = type(out)
    if t == "string" then
      req:send({Status(200), TEXT, out})
    elseif t == "table" then
      req:send(out)
    else
      req:send({Status(500), TEXT, "Internal Server Error\n"})
    end
    return
  end
  for _, b in ipairs(self.bundles) do
    local p = b.prefix
    if path == p or path:sub(1, #p + 1) == p .. "/" then
      if serve_asset(req, b, path:sub(#p + 2)) then return end
    end
  end
  req:send({Status(404), TEXT, NOT_FOUND})
end

function Droplet:port() return self.server:port() end
function Droplet:addr() return self.server:addr() end
function Droplet:close() return self.server:close() end
function Droplet:wait() return self.server:wait() end
function Droplet:shutdown(ms) return self.server:shutdown(ms) end

return function(http, a, b, c)
  local err, server = http:listen(a, b, c)
  if err then return err end
  local self = setmetatable({hub = http.hub, server = server, routes = {}, bundles = {}}, Droplet)
  server:serve(function(req) return dispatch(self, req) end)
  return nil, self
end
