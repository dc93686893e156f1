-- _.hash throughput beside C references in the same run: zlib's crc32 for
-- crc32, the plain reference SipHash-2-4 (siphash_ref.c) for sip, xxHash's
-- XXH64 for metro, and levee's own table path (levee_hash_accel(0)) for
-- crc32c. Every side hashes the same Lua strings through LuaJIT's FFI;
-- results are checked equal (where the algorithm is the same) first.
-- Usage: luajit bench/modules/hash.lua SIPHASH_REF_SO [runs]
local ffi = require("ffi")
local L = require("levee.lib")
local hash = require("levee._.hash")

ffi.cdef[[
unsigned long crc32(unsigned long crc, const uint8_t *buf, unsigned int len);
uint64_t siphash_ref(const uint8_t *in, size_t inlen, const uint8_t *k);
unsigned long long XXH64(const void *input, size_t length, unsigned long long seed);
]]
local zlib = ffi.load("libz.so.1")
local ref = ffi.load(assert(arg[1], "usage: hash.lua SIPHASH_REF_SO [runs]"))
local xxh = ffi.load("libxxhash.so.0")
local runs = tonumber(arg[2] or "5")

local key = ffi.new("uint8_t[16]")
for i = 0, 15 do key[i] = i end

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

local sizes = {64, 1024, 65536}
local inputs = {}
for _, n in ipairs(sizes) do
  local t = {}
  for i = 1, n do t[i] = string.char((i * 131 + 7) % 256) end
  inputs[n] = table.concat(t)
end

-- agreement first
for _, n in ipairs(sizes) do
  local s = inputs[n]
  assert(hash.crc32(s) == tonumber(zlib.crc32(0, s, n)), "crc32 differs from zlib")
  assert(hash.sip(s) == ref.siphash_ref(s, n, key), "sip differs from the reference")
  L.levee_hash_accel(0)
  local table_c = hash.crc32c(s)
  L.levee_hash_accel(1)
  assert(hash.crc32c(s) == table_c, "crc32c paths differ")
end

local sink = 0ULL
-- GB/s of f over s, repeated until 0.1 s elapsed; median of runs
local function rate(n, f)
  local reps, t0 = 0, os.clock()
  local dt
  repeat
    for _ = 1, 64 do f() end
    reps = reps + 64
    dt = os.clock() - t0
  until dt > 0.1
  return n * reps / dt / 1e9
end

local function pair(n, fa, fb)
  local a, b = {}, {}
  for _ = 1, runs do
    a[#a + 1] = rate(n, fa)
    b[#b + 1] = rate(n, fb)
  end
  return median(a), median(b)
end

print(string.format("%-8s %-8s %-20s %9s %9s %7s", "hash", "bytes", "reference", "levee", "ref",
  "ratio"))
for _, n in ipairs(sizes) do
  local s = inputs[n]
  local rows = {
    {"crc32", "zlib crc32", function() sink = sink + hash.crc32(s) end,
      function() sink = sink + zlib.crc32(0, s, n) end},
    {"crc32c", "levee tables", function() sink = sink + hash.crc32c(s) end,
      function() sink = sink + L.levee_crc32c(0, s, n) end, true},
    {"sip", "reference C", function() sink = sink + hash.sip(s) end,
      function() sink = sink + ref.siphash_ref(s, n, key) end},
    {"metro", "xxHash XXH64", function() sink = sink + hash.metro(s) end,
      function() sink = sink + xxh.XXH64(s, n, 0) end},
  }
  for _, r in ipairs(rows) do
    local a, b
    if r[5] then
      -- the reference is levee's own portable path: switch between runs
      local fa, fb = r[3], r[4]
      local ra, rb = {}, {}
      for _ = 1, runs do
        L.levee_hash_accel(1)
        ra[#ra + 1] = rate(n, fa)
        L.levee_hash_accel(0)
        rb[#rb + 1] = rate(n, fb)
      end
      L.levee_hash_accel(1)
      a, b = median(ra), median(rb)
    else
      a, b = pair(n, r[3], r[4])
    end
    print(string.format("%-8s %-8d %-20s %7.2f G %7.2f G %6.2fx", r[1], n, r[2], a, b, a / b))
  end
end
print(string.format("(GB/s; CPU paths in use: %d)", L.levee_hash_accel(-1)))
