-- The URLs the p.uri benches parse: 1000 distinct, deterministic, of the
-- shapes servers and clients meet (request targets, absolute URLs with
-- ports, user info, queries and fragments). Shared by uri.lua and
-- (as text, through `luajit urls.lua`) by uri.py.
local hosts = {"example.com", "api.example.org", "cdn.images.example.net", "127.0.0.1",
  "[2001:db8::1]", "localhost"}
local paths = {"/", "/index.html", "/api/v1/users/42", "/static/js/app.min.js",
  "/search", "/a/b/c/d/e/f.txt", "/images/2016/06/photo.jpg"}
local queries = {"", "?q=levee", "?w=640&h=480&fit=crop&auto=format", "?page=2&sort=desc",
  "?token=abcdef0123456789&exp=1466000000", "?a=1&b=2&c=3&d=4&e=5"}

local urls = {}
for i = 1, 1000 do
  local h = hosts[i % #hosts + 1]
  local p = paths[i % #paths + 1]
  local q = queries[i % #queries + 1]
  local kind = i % 4
  local u
  if kind == 0 then
    u = p .. q .. (q == "" and "?i=" or "&i=") .. i -- a request target
  elseif kind == 1 then
    u = "http://" .. h .. p .. q .. "#s" .. i
  elseif kind == 2 then
    u = "https://" .. h .. ":" .. (8000 + i % 100) .. p .. q
  else
    u = "https://user" .. i .. ":secret@" .. h .. p .. "?id=" .. i
  end
  urls[i] = u
end

if arg and arg[0] and arg[0]:match("urls%.lua$") then
  for _, u in ipairs(urls) do print(u) end
end
return urls
