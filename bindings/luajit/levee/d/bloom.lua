-- require("levee.d.bloom")(hint, fpp): a Bloom filter (levee_bloom) over
-- SipHash-2-4 of the items (levee_siphash, fixed key).
local ffi = require("ffi")
local L = require("levee.lib")

local methods = {}

-- hash(val[, len]) -> uint64 cdata: the hash the filter uses for val.
function methods.hash(_, val, len)
  if type(val) == "number" then val = tostring(val) end
  return L.levee_siphash(val, len or #val)
end
local hash = methods.hash

function methods:put(val, len) L.levee_bloom_put_hash(self, hash(nil, val, len)) end
function methods:put_hash(h) L.levee_bloom_put_hash(self, h) end
function methods:maybe(val, len) return L.levee_bloom_maybe_hash(self, hash(nil, val, len)) == 1 end
function methods:maybe_hash(h) return L.levee_bloom_maybe_hash(self, h) == 1 end
function methods:is_capable(hint, fpp) return L.levee_bloom_is_capable(self, hint, fpp or 0.01) == 1 end
function methods:clear() L.levee_bloom_clear(self) end

local out = ffi.new("levee_bloom *[1]")
local function check(rc, what)
  if rc < 0 then
    error(("d.Bloom:%s: %s"):format(what, tostring(require("levee.errors").get(rc))), 3)
  end
end

function methods:copy()
  check(L.levee_bloom_copy(out, self), "copy")
  return ffi.gc(out[0], L.levee_bloom_free)
end

ffi.metatype("struct levee_bloom", {__index = methods})

return function(hint, fpp)
  if hint ~= nil and (type(hint) ~= "number" or hint < 0) then
    error("d.Bloom: hint must be a number >= 0, got " .. (type(hint) == "number" and hint or type(hint)), 2)
  end
  if fpp ~= nil and (type(fpp) ~= "number" or not (fpp > 0 and fpp < 1)) then
    error("d.Bloom: fpp must be a probability in (0, 1), got " .. (type(fpp) == "number" and fpp or type(fpp)), 2)
  end
  check(L.levee_bloom_new(out, hint or 0, fpp or 0.01), "new")
  return ffi.gc(out[0], L.levee_bloom_free)
end
