-- LuaJIT p.json decode/encode MB/s beside lua-cjson, same bytes, same run.
-- Usage: luajit bench/json/lua_bench.lua DATA_DIR [runs [file...]]
-- (bench-json runs one process per file: the JIT's traces then fit that
-- file's shape, as in a program that handles one kind of document; see
-- docs/bench/json.md for the figures of one process over all three.)
local json = require("levee").p.json
local cjson = require("cjson")
local ffi = require("ffi")

local dir = arg[1] or "tests/data/json/bench"
local runs = tonumber(arg[2] or "9")
local files = {"canada.json", "citm_catalog.json", "twitter.json"}
if arg[3] then files = {unpack(arg, 3)} end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

-- Median MB/s of f over runs, each run repeating f until 0.2 s elapsed.
local function measure(bytes, f)
  local rates = {}
  for _ = 1, runs do
    local n, t0 = 0, os.clock()
    local dt
    repeat
      f()
      n = n + 1
      dt = os.clock() - t0
    until dt > 0.2
    rates[#rates + 1] = bytes * n / dt / 1e6
  end
  return median(rates)
end

if not os.getenv("JSON_NO_HEADER") then
  print(string.format("%-18s %-10s %10s %10s %7s", "file", "op", "levee", "cjson", "ratio"))
end
for _, name in ipairs(files) do
  local s = read(dir .. "/" .. name)
  local value = select(2, json.decode(s))
  local cvalue = cjson.decode(s)
  -- interleave the two measurements so machine load hits both alike
  local a, b = {}, {}
  for _ = 1, 3 do
    a[#a + 1] = measure(#s, function() local err, v = json.decode(s) end)
    b[#b + 1] = measure(#s, function() local v = cjson.decode(s) end)
  end
  local da, db = median(a), median(b)
  print(string.format("%-18s %-10s %10.1f %10.1f %7.2f", name, "decode", da, db, da / db))
  local _, buf = json.encode(value)
  local elen = #buf:peek()
  local clen = #cjson.encode(cvalue)
  -- "encode": into a reused buffer (the levee idiom: a connection's wbuf);
  -- "encode+new": into a new buffer each call (fresh memory every time).
  local c = {}
  a, b = {}, {}
  for _ = 1, 3 do
    a[#a + 1] = measure(elen, function() buf:trim(); local err = json.encode(value, buf) end)
    c[#c + 1] = measure(elen, function() local err, out = json.encode(value) end)
    b[#b + 1] = measure(clen, function() local out = cjson.encode(cvalue) end)
  end
  da, db = median(a), median(b)
  local dc = median(c)
  print(string.format("%-18s %-10s %10.1f %10.1f %7.2f", name, "encode+new", dc, db, dc / db))
  print(string.format("%-18s %-10s %10.1f %10.1f %7.2f", name, "encode", da, db, da / db))
end
