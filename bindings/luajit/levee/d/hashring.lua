-- d.HashRing([hashfn]): a consistent-hash ring. Each node owns `replicas`
-- points on a 64-bit ring (hashfn of "key:i"); a value belongs to the
-- first point at or after its hash, wrapping around. hashfn(ptr_or_string,
-- len) -> uint64; the default is SipHash-2-4 under levee's fixed key.
local ffi = require("ffi")
local L = require("levee.lib")
local errors = require("levee.errors")

local function siphash(val, len) return L.levee_siphash(val, len or #val) end

local Node = {}
Node.__index = Node

function Node:key() return self._key end
function Node:available() return self.avail > 0 end
-- restore(): gives back one reservation taken by Replica:reserve().
function Node:restore() self.avail = self.avail + 1 end

local Replica = {}
Replica.__index = Replica

-- next(): the following point on the ring (wrapping around).
function Replica:next()
  local points = self.ring.points
  local i = self.index % #points + 1
  return points[i]
end

function Replica:available() return self.node.avail > 0 end

-- reserve(): walks the ring from this point to the first node with
-- availability, takes one unit of it and returns the node (nil if none).
function Replica:reserve()
  local points = self.ring.points
  local n = #points
  for k = 0, n - 1 do
    local r = points[(self.index - 1 + k) % n + 1]
    if r.node.avail > 0 then
      r.node.avail = r.node.avail - 1
      return r.node
    end
  end
end

-- iter(): the node of every point once around the ring, starting at this
-- point: a node with 3 replicas appears 3 times (as the original).
function Replica:iter()
  local points = self.ring.points
  local n, k = #points, 0
  return function()
    if k >= n then return nil end
    local r = points[(self.index - 1 + k) % n + 1]
    k = k + 1
    return r.node
  end
end

local Ring = {}
Ring.__index = Ring

local function reindex(self)
  table.sort(self.points, function(a, b)
    if a.hash ~= b.hash then return a.hash < b.hash end
    return a.node._key < b.node._key
  end)
  for i, r in ipairs(self.points) do r.index = i end
end

-- put(key[, replicas=1[, avail=1]]) -> err: adds a node.
function Ring:put(key, replicas, avail)
  if type(key) ~= "string" and type(key) ~= "number" then
    error("d.HashRing:put: key must be a string, got " .. type(key), 2)
  end
  if replicas ~= nil and type(replicas) ~= "number" then
    error("d.HashRing:put: replicas must be a number, got " .. type(replicas), 2)
  end
  if avail ~= nil and type(avail) ~= "number" then
    error("d.HashRing:put: avail must be a number, got " .. type(avail), 2)
  end
  if self.nodes[key] then return errors.system.EEXIST end
  replicas = replicas or 1
  if replicas < 1 then return errors.system.EINVAL end
  local node = setmetatable({_key = key, avail = avail or 1, replicas = replicas}, Node)
  self.nodes[key] = node
  for i = 1, replicas do
    local label = key .. ":" .. i
    local r = setmetatable({node = node, ring = self, hash = self.hashfn(label, #label)}, Replica)
    self.points[#self.points + 1] = r
  end
  reindex(self)
end

function Ring:get(key) return self.nodes[key] end

-- del(key) -> true when the node existed.
function Ring:del(key)
  local node = self.nodes[key]
  if not node then return false end
  self.nodes[key] = nil
  local kept = {}
  for _, r in ipairs(self.points) do
    if r.node ~= node then kept[#kept + 1] = r end
  end
  self.points = kept
  reindex(self)
  return true
end

-- find(value) -> the replica owning value, nil when the ring is empty.
function Ring:find(value, len)
  local points = self.points
  local n = #points
  if n == 0 then return nil end
  local h = self.hashfn(value, len or #value)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if points[mid].hash < h then lo = mid + 1 else hi = mid end
  end
  if lo > n then lo = 1 end
  return points[lo]
end

function Ring:first() return self.points[1] end

-- iter(): the node of every point in ring order from the first point
-- (once per replica).
function Ring:iter()
  local first = self.points[1]
  if not first then return function() end end
  return first:iter()
end

return function(hashfn)
  if hashfn ~= nil and type(hashfn) ~= "function" then
    error("d.HashRing: hashfn must be a function, got " .. type(hashfn), 2)
  end
  return setmetatable({hashfn = hashfn or siphash, nodes = {}, points = {}}, Ring)
end
