-- p.uri parse throughput beside Lua string patterns doing the same split
-- (scheme, userinfo, host, port, path, query, fragment), same URLs, same
-- run. Each side reads the five fields a server uses. The patterns do not
-- validate characters; p.uri does (RFC 3986).
-- Usage: luajit bench/modules/uri.lua [runs]
local uri = require("levee").p.uri
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local urls = dofile(here .. "/urls.lua")
local runs = tonumber(arg[1] or "7")

-- The same split with patterns (RFC 3986 appendix B, then the authority).
local function split(s)
  local scheme, rest = s:match("^(%a[%w+.-]*):(.*)$")
  if not scheme then rest = s end
  local host, port, user, password
  local authority, tail = rest:match("^//([^/?#]*)(.*)$")
  if authority then
    rest = tail
    local info, hostport = authority:match("^([^@]*)@(.*)$")
    if info then
      user, password = info:match("^([^:]*):(.*)$")
      if not user then user = info end
    else
      hostport = authority
    end
    if hostport:sub(1, 1) == "[" then
      host, port = hostport:match("^(%[[^%]]*%]):?(%d*)$")
    else
      host, port = hostport:match("^([^:]*):?(%d*)$")
    end
    if port == "" then port = nil end
  end
  local path, query, fragment = rest:match("^([^?#]*)(%??[^#]*)(#?.*)$")
  if path == "" then path = nil end
  query = query ~= "" and query:sub(2) or nil
  fragment = fragment ~= "" and fragment:sub(2) or nil
  return {scheme = scheme, user = user, password = password, host = host, port = port, path = path,
    query = query, fragment = fragment}
end

-- Both must agree on every URL before anything is timed.
for _, s in ipairs(urls) do
  local _, u = uri(s)
  local t = split(s)
  for _, k in ipairs({"scheme", "user", "password", "host", "port", "path", "query", "fragment"}) do
    assert(u[k] == t[k], s .. " " .. k .. ": " .. tostring(u[k]) .. " ~= " .. tostring(t[k]))
  end
end

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

local sink = 0
local function levee_pass()
  for i = 1, #urls do
    local _, u = uri(urls[i])
    local a, b, c, d, e = u.scheme, u.host, u.port, u.path, u.query
    if a then sink = sink + 1 end
    if b and c and d and e then sink = sink + 1 end
  end
end

local function pattern_pass()
  for i = 1, #urls do
    local u = split(urls[i])
    local a, b, c, d, e = u.scheme, u.host, u.port, u.path, u.query
    if a then sink = sink + 1 end
    if b and c and d and e then sink = sink + 1 end
  end
end

-- URLs per second of pass, repeated until 0.2 s elapsed.
local function rate(pass)
  local n, t0 = 0, os.clock()
  local dt
  repeat
    pass()
    n = n + 1
    dt = os.clock() - t0
  until dt > 0.2
  return #urls * n / dt
end

-- interleave the two so machine load hits both alike
local a, b = {}, {}
for _ = 1, runs do
  a[#a + 1] = rate(levee_pass)
  b[#b + 1] = rate(pattern_pass)
end
local la, lb = median(a), median(b)
print(string.format("%-34s %12s %12s %7s", "LuaJIT, 1000 URLs", "p.uri", "patterns", "ratio"))
print(string.format("%-34s %10.2f M %10.2f M %6.2fx", "parse + 5 fields (URLs/s)", la / 1e6, lb / 1e6,
  la / lb))
