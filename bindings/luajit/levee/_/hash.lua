-- levee._.hash: checksums and hashes (lua-api.md §11: not merged into
-- levee._, require("levee._.hash")). docs/hash.md.
--
-- crc32 / crc32c(s[, len[, crc=0]]) -> number (chain with crc);
-- metro(s[, len[, seed=0]]) -> uint64 cdata (MetroHash64);
-- sip / sipcase(s[, len[, seed]]) -> uint64 cdata (SipHash-2-4; sipcase
-- folds ASCII case first); seed([bytes]) -> a 16-byte key, random unless
-- given. s is a string, a pointer with its length, or a d.Buffer. Without a seed, sip
-- uses levee's fixed key, so it equals what d.HashRing and d.Bloom use.
-- A d.Buffer hashes its bytes.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local type, tonumber, error = type, tonumber, error

-- s, len: a string (len defaults to #s and is clipped to it), a pointer
-- with its length, or a d.Buffer / stream (levee.p.input).
local source = require("levee.p.input")("levee._.hash")

local Seed_t = ffi.typeof("struct { uint8_t key[16]; }")
local M = {}

-- seed([bytes]) -> a 16-byte key for sip/sipcase (and metro, which uses
-- its first 8 bytes): random (getrandom) unless a 16-byte string is given.
function M.seed(bytes)
  local s = Seed_t()
  if bytes ~= nil then
    if type(bytes) ~= "string" or #bytes ~= 16 then
      error("levee._.hash.seed: expects 16 bytes", 2)
    end
    ffi.copy(s.key, bytes, 16)
    return s
  end
  local rc = L.levee_rand_bytes(s.key, 16)
  if rc < 0 then error("levee._.hash.seed: " .. tostring(errors.get(rc)), 2) end
  return s
end

local function key_of(seed, who)
  if seed == nil then return nil end
  if ffi.istype(Seed_t, seed) then return seed.key end
  if type(seed) == "string" and #seed == 16 then return seed end
  error("levee._.hash." .. who .. ": seed must come from hash.seed() or be 16 bytes", 3)
end

function M.crc32(s, len, crc)
  s, len = source(s, len, "crc32")
  return tonumber(L.levee_crc32(crc or 0, s, len))
end

function M.crc32c(s, len, crc)
  s, len = source(s, len, "crc32c")
  return tonumber(L.levee_crc32c(crc or 0, s, len))
end

local u64 = ffi.typeof("uint64_t")
local u64p = ffi.typeof("const uint64_t *")

function M.metro(s, len, seed)
  s, len = source(s, len, "metro")
  if seed == nil then
    seed = 0
  elseif ffi.istype(Seed_t, seed) then
    seed = ffi.cast(u64p, seed.key)[0]
  elseif type(seed) ~= "number" and not ffi.istype(u64, seed) and not ffi.istype("int64_t", seed) then
    error("levee._.hash.metro: seed must be a number or come from hash.seed()", 2)
  end
  return L.levee_metrohash64(s, len, seed)
end

function M.sip(s, len, seed)
  s, len = source(s, len, "sip")
  return L.levee_siphash_keyed(s, len, key_of(seed, "sip"))
end

function M.sipcase(s, len, seed)
  s, len = source(s, len, "sipcase")
  return L.levee_siphash_case(s, len, key_of(seed, "sipcase"))
end

return M
