-- levee._.rand: random bytes and numbers from the kernel's CSPRNG
-- (getrandom), for keys, tokens and nonces (lua-api.md §11: not merged
-- into levee._, require("levee._.rand")). docs/hash.md.
--
-- bytes(n) -> uint8_t[n] cdata; string(n) -> a string of n bytes;
-- integer() -> uint64 cdata, integer(n) -> 1..n, integer(m, n) -> m..n
-- (uniform, no modulo bias); number() -> a float in [0, 1) (53 bits).
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local floor, type, tonumber, error = math.floor, type, tonumber, error

local POOL = 512
local pool = ffi.new("uint8_t[?]", POOL)
local pool64 = ffi.cast("uint64_t *", pool)
local left = 0 -- uint64s not yet used, at the end of the pool

local function fill(p, n)
  local rc = L.levee_rand_bytes(p, n)
  if rc < 0 then error("levee._.rand: " .. tostring(errors.get(rc)), 3) end
end

local function u64()
  if left == 0 then
    fill(pool, POOL)
    left = POOL / 8
  end
  left = left - 1
  return pool64[left]
end

local M = {}

local function count(n, who)
  if type(n) ~= "number" or n < 0 or n % 1 ~= 0 then
    error("levee._.rand." .. who .. ": n must be a whole number >= 0", 3)
  end
  return n
end

function M.bytes(n)
  count(n, "bytes")
  local buf = ffi.new("uint8_t[?]", n)
  if n > 0 then fill(buf, n) end
  return buf
end

function M.string(n)
  count(n, "string")
  if n == 0 then return "" end
  local buf = ffi.new("uint8_t[?]", n)
  fill(buf, n)
  return ffi.string(buf, n)
end

-- A uniform integer in [0, span) for 1 <= span <= 2^53 (rejection of the
-- top partial range keeps it unbiased).
local function below(span)
  local s = ffi.new("uint64_t", span)
  local limit = (0ULL - s) % s -- 2^64 mod span
  while true do
    local x = u64()
    if x >= limit then return tonumber(x % s) end
  end
end

function M.integer(m, n)
  if m == nil then return u64() end
  if n == nil then m, n = 1, m end
  if type(m) ~= "number" or type(n) ~= "number" or m % 1 ~= 0 or n % 1 ~= 0 then
    error("levee._.rand.integer: bounds must be whole numbers", 2)
  end
  if m > n then error("levee._.rand.integer: interval is empty", 2) end
  local span = n - m + 1
  if span > 2 ^ 53 then error("levee._.rand.integer: interval wider than 2^53", 2) end
  return m + below(span)
end

function M.number()
  return tonumber(u64() / 2048ULL) / 2 ^ 53 -- the top 53 bits
end

return M
