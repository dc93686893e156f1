-- levee._.hash (crc32 crc32c metro sip sipcase seed) and levee._.rand
-- (bytes string integer number): lua-api.md §11, "not merged" into _.
local ffi = require("ffi")
local levee = require("levee")
local L = require("levee.lib")
local hash = require("levee._.hash")
local rand = require("levee._.rand")

describe("levee._.hash", function()
  it("is required, not merged into levee._", function()
    assert.is_nil(levee._.hash)
    assert.is_nil(levee._.rand)
  end)

  it("crc32 and crc32c give the standard check values and chain", function()
    assert.equal(0xCBF43926, hash.crc32("123456789"))
    assert.equal(0xE3069283, hash.crc32c("123456789"))
    assert.equal(hash.crc32("hello world"), hash.crc32(" world", nil, hash.crc32("hello")))
    assert.equal(hash.crc32c("hello world"), hash.crc32c(" world", nil, hash.crc32c("hello")))
    assert.equal(hash.crc32("hell"), hash.crc32("hello", 4))
    assert.equal(0, hash.crc32(""))
  end)

  it("crc32 and crc32c agree on the CPU and the table paths", function()
    local s = string.rep("levee hashes ", 100)
    local fast32, fast32c = hash.crc32(s), hash.crc32c(s)
    L.levee_hash_accel(0)
    local ok, err = pcall(function()
      assert.equal(fast32, hash.crc32(s))
      assert.equal(fast32c, hash.crc32c(s))
    end)
    L.levee_hash_accel(1)
    assert.is_true(ok, err)
  end)

  it("metro is MetroHash64 (reference vectors) as uint64 cdata", function()
    local key = "012345678901234567890123456789012345678901234567890123456789012"
    local h = hash.metro(key)
    assert.is_true(ffi.istype("uint64_t", h))
    assert.equal(0xAD4B7006AE3D756BULL, h)
    assert.equal(0xDFB8B9F41C480D3BULL, hash.metro(key, nil, 1))
  end)

  it("sip without a seed is the fixed-key SipHash of HashRing and Bloom", function()
    assert.equal(L.levee_siphash("key", 3), hash.sip("key"))
    -- the reference vector: key 00..0f, empty input
    assert.equal(0x726fdb47dd0e0e31ULL, hash.sip(""))
  end)

  it("sipcase folds ASCII case; seeds change the hash", function()
    assert.equal(hash.sip("content-type"), hash.sipcase("Content-Type"))
    assert.not_equal(hash.sip("Content-Type"), hash.sipcase("Content-Type"))
    local seed = hash.seed()
    assert.not_equal(hash.sip("x"), hash.sip("x", nil, seed))
    assert.equal(hash.sip("x", nil, seed), hash.sip("x", nil, seed))
    assert.equal(hash.sip("ab", nil, seed), hash.sipcase("AB", nil, seed))
    local fixed = hash.seed(string.rep("\0", 16))
    assert.equal(hash.sip("abc", nil, fixed), hash.sip("abc", nil, string.rep("\0", 16)))
    assert.not_equal(hash.metro("x", nil, seed), hash.metro("x"))
  end)

  it("takes a pointer and a length", function()
    local buf = ffi.new("char[5]", "abcde")
    assert.equal(hash.crc32("abcde"), hash.crc32(buf, 5))
    assert.equal(hash.sip("abc"), hash.sip(buf, 3))
    assert.equal(hash.crc32("abc"), hash.crc32("abc", 10)) -- len clipped to the string
    local b = levee.d.Buffer()
    b:write("abcde")
    assert.equal(hash.crc32("abcde"), hash.crc32(b)) -- a d.Buffer's bytes
  end)

  it("raises Lua errors for bad arguments", function()
    assert.has_error(function() hash.crc32(42) end, "levee._.hash.crc32: expected a string")
    assert.has_error(function() hash.crc32(ffi.new("char[2]")) end, "pointer and a length")
    assert.has_error(function() hash.sip("a", "5") end, "len must be a number")
    assert.has_error(function() hash.sip("a", nil, "short") end, "seed")
    assert.has_error(function() hash.seed("short") end, "16 bytes")
    assert.has_error(function() hash.metro("a", nil, "x") end, "seed")
  end)
end)

describe("levee._.rand", function()
  it("bytes and string give n random bytes", function()
    local b = rand.bytes(32)
    assert.equal(32, ffi.sizeof(b))
    local s1, s2 = rand.string(16), rand.string(16)
    assert.equal(16, #s1)
    assert.not_equal(s1, s2)
    assert.equal("", rand.string(0))
    assert.has_error(function() rand.string(-1) end, "whole number")
  end)

  it("integer: uint64 without bounds, else uniform in the interval", function()
    assert.is_true(ffi.istype("uint64_t", rand.integer()))
    local seen = {}
    for _ = 1, 2000 do
      local v = rand.integer(6)
      assert.is_true(v >= 1 and v <= 6 and v % 1 == 0)
      seen[v] = true
      local w = rand.integer(-3, 3)
      assert.is_true(w >= -3 and w <= 3)
    end
    for i = 1, 6 do assert.is_true(seen[i], i) end
    assert.equal(5, rand.integer(5, 5))
    assert.has_error(function() rand.integer(3, 1) end, "empty")
    assert.has_error(function() rand.integer(1.5) end, "whole")
  end)

  it("number is in [0, 1) and spread out", function()
    local lo, hi = 1, 0
    for _ = 1, 2000 do
      local x = rand.number()
      assert.is_true(x >= 0 and x < 1)
      if x < lo then lo = x end
      if x > hi then hi = x end
    end
    assert.is_true(lo < 0.05 and hi > 0.95)
  end)
end)
