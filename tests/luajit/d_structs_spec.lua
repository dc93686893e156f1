-- levee.d Fifo, Heap, Set, Map, Bloom, HashRing: lua-api.md §9.
local ffi = require("ffi")
local levee = require("levee")
local d = levee.d

describe("d.Fifo", function()
  it("pushes and pops in order, answering #", function()
    local f = d.Fifo()
    f:push(1); f:push("two"); f:push(3)
    assert.equal(3, #f)
    assert.equal(1, f:peek())
    assert.equal(1, f:pop())
    assert.equal("two", f:pop())
    assert.equal(1, #f)
  end)

  it("keeps nil and false items", function()
    local f = d.Fifo()
    f:push(false); f:push(nil); f:push(0)
    assert.equal(3, #f)
    assert.equal(false, f:pop())
    assert.is_nil(f:pop())
    assert.equal(0, f:pop())
  end)

  it("pop and peek on an empty fifo raise 'empty'", function()
    local f = d.Fifo()
    assert.has_error(function() f:pop() end, "empty")
    assert.has_error(function() f:peek() end, "empty")
  end)

  it("remove drops the first n and refuses more than held", function()
    local f = d.Fifo()
    for i = 1, 5 do f:push(i) end
    f:remove(2)
    assert.equal(3, f:peek())
    assert.has_error(function() f:remove(4) end, "range")
    assert.equal(3, #f)
  end)

  it("iter walks without removing; popiter empties", function()
    local f = d.Fifo()
    for i = 1, 3 do f:push(i) end
    local seen = {}
    for v in f:iter() do seen[#seen + 1] = v end
    assert.same({1, 2, 3}, seen)
    assert.equal(3, #f)
    seen = {}
    for v in f:popiter() do seen[#seen + 1] = v end
    assert.same({1, 2, 3}, seen)
    assert.equal(0, #f)
  end)

  it("peekiter pops an item only when the loop comes back for the next", function()
    local f = d.Fifo()
    for i = 1, 3 do f:push(i) end
    for v in f:peekiter() do
      assert.equal(v, f:peek())
      if v == 2 then break end
    end
    assert.equal(2, #f)
    assert.equal(2, f:peek())
  end)
end)

describe("d.Heap", function()
  local REFS = require("levee.d.heap").REFS
  local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end

  it("pops the lowest priority first, as int64 cdata with its value", function()
    local h = d.Heap()
    h:push(30, "c"); h:push(10, "a"); h:push(20, "b")
    assert.equal(3, #h)
    local pri, val = h:peek()
    assert.equal("a", val)
    pri, val = h:pop()
    assert.equal("cdata", type(pri))
    assert.truthy(ffi.istype("int64_t", pri))
    assert.equal(10, tonumber(pri))
    assert.equal("a", val)
    assert.equal("b", select(2, h:pop()))
    assert.equal("c", select(2, h:pop()))
    assert.is_nil(h:pop())
  end)

  it("item:update moves an entry and item:remove takes it out", function()
    local h = d.Heap()
    local a = h:push(1, "a")
    h:push(5, "b")
    local c = h:push(9, "c")
    a:update(10)
    c:update(0)
    assert.equal("c", select(2, h:pop()))
    h:push(3, "d")
    local pri, val = a:remove()
    assert.equal(10, tonumber(pri))
    assert.equal("a", val)
    assert.equal(2, #h)
    assert.same({"d", "b"}, {select(2, h:pop()), select(2, h:pop())})
  end)

  it("orders many random priorities", function()
    local h = d.Heap()
    math.randomseed(7)
    for _ = 1, 500 do local p = math.random(1, 1000) h:push(p, p) end
    local last = -1
    for _, v in h:popiter() do
      assert.truthy(v >= last)
      last = v
    end
    assert.equal(0, #h)
  end)

  it("peekiter pops the previous top on each step", function()
    local h = d.Heap()
    h:push(2, "b"); h:push(1, "a"); h:push(3, "c")
    local seen = {}
    for _, v in h:peekiter() do
      seen[#seen + 1] = v
      if v == "b" then break end
    end
    assert.same({"a", "b"}, seen)
    assert.equal(2, #h)
  end)

  it("refs lists the held values", function()
    local h = d.Heap()
    h:push(1, "x")
    assert.same({"x"}, h:refs())
    h:clear()
  end)

  it("empties REFS when cleared and when collected", function()
    collectgarbage()
    local before = count(REFS)
    local h = d.Heap()
    for i = 1, 10 do h:push(i, {i}) end
    assert.equal(before + 10, count(REFS))
    h:clear()
    assert.equal(0, #h)
    assert.equal(before, count(REFS))
    h:push(1, {})
    h = nil
    collectgarbage()
    collectgarbage()
    assert.equal(before, count(REFS))
  end)
end)

describe("d.Set", function()
  it("puts, removes and answers has and #", function()
    local s = d.Set()
    s:put("a"):put("b"):put("a")
    assert.equal(2, #s)
    assert.is_true(s:has("a"))
    s:remove("a")
    assert.is_false(s:has("a"))
    assert.equal(1, #s)
  end)

  it("is built from arguments or a list", function()
    assert.equal(3, #d.Set(1, 2, 3))
    assert.equal(3, #d.Set({"x", "y", "z"}))
  end)

  it("union, intersect and diff work in place and return self", function()
    local a = d.Set(1, 2, 3)
    assert.equal(a, a:union(d.Set(3, 4)))
    assert.equal(a, d.Set(1, 2, 3, 4))
    a:intersect(d.Set(2, 3, 9))
    assert.equal(a, d.Set(2, 3))
    a:diff(d.Set(3))
    assert.equal(a, d.Set(2))
  end)

  it("operators make new sets: + union, / intersection, - difference, == members", function()
    local a, b = d.Set(1, 2, 3), d.Set(2, 3, 4)
    assert.is_true(a + b == d.Set(1, 2, 3, 4))
    assert.is_true(a / b == d.Set(2, 3))
    assert.is_true(a - b == d.Set(1))
    assert.is_true(a == d.Set(1, 2, 3))
    assert.is_false(a == b)
  end)

  it("iter and copy see every member; the copy is independent", function()
    local a = d.Set("x", "y")
    local seen = {}
    for k in a:iter() do seen[#seen + 1] = k end
    table.sort(seen)
    assert.same({"x", "y"}, seen)
    local c = a:copy()
    c:put("z")
    assert.equal(2, #a)
    assert.equal(3, #c)
  end)

  it("freeze keeps lookups exact and refuses mutation", function()
    local s = d.Set()
    for i = 1, 200 do s:put("k" .. i) end
    s:freeze()
    assert.is_true(s:is_frozen())
    for i = 1, 200 do assert.is_true(s:has("k" .. i)) end
    for i = 201, 400 do assert.is_false(s:has("k" .. i)) end
    assert.has_error(function() s:put("new") end, "set is frozen")
    assert.has_error(function() s:remove("k1") end, "set is frozen")
  end)
end)

describe("d.Map", function()
  local Map = require("levee.d.map")

  it("looks names up case-insensitively", function()
    local m = Map()
    m:add("Content-Type", "text/plain")
    assert.equal("text/plain", m["content-type"])
    assert.equal("text/plain", m["CONTENT-TYPE"])
    assert.is_nil(m["X-Missing"])
  end)

  it("collects repeated names into a list", function()
    local m = Map()
    m:add("Set-Cookie", "a=1")
    m:add("set-cookie", "b=2")
    assert.same({"a=1", "b=2"}, m["Set-Cookie"])
  end)

  it("assignment replaces or deletes", function()
    local m = Map()
    m:add("A", "1"); m:add("a", "2")
    m["A"] = "3"
    assert.equal("3", m.a)
    m["B"] = {"x", "y"}
    assert.same({"x", "y"}, m.b)
    m["A"] = nil
    assert.is_nil(m.a)
    assert.equal(1, #m)
  end)

  it("tostring is the wire format with the first casing, in insertion order", function()
    local m = Map()
    m:add("Host", "example")
    m:add("X-Multi", "1")
    m:add("x-multi", "2")
    m:add("Content-Length", 10)
    assert.equal("Host: example\r\nX-Multi: 1\r\nX-Multi: 2\r\nContent-Length: 10\r\n", tostring(m))
  end)

  it("writeinto_iovec adds four entries per value: name, \": \", value, CRLF", function()
    local m = Map()
    m:add("A", "b")
    m:add("X-Multi", "1")
    m:add("x-multi", "2")
    local iov = d.Iovec()
    m:writeinto_iovec(iov)
    assert.equal("A: b\r\nX-Multi: 1\r\nX-Multi: 2\r\n", iov:string())
    assert.equal(12, iov.n)
    local entries = iov:value()
    local want = {"A", ": ", "b", "\r\n", "X-Multi", ": ", "1", "\r\n"}
    for i = 1, #want do
      assert.equal(want[i], ffi.string(entries[i - 1].iov_base, entries[i - 1].iov_len))
    end
  end)

  it("takes an initial table", function()
    local m = Map({Accept = "*/*", ["X-List"] = {"1", "2"}})
    assert.equal("*/*", m.accept)
    assert.same({"1", "2"}, m["x-list"])
  end)

  it("refuses values that are not strings", function()
    assert.has_error(function() Map():add("A", {}) end, "header values")
  end)
end)

describe("d.Bloom", function()
  local Bloom = require("levee.d.bloom")

  it("never forgets an item it was given", function()
    local b = Bloom(1000, 0.01)
    for i = 1, 1000 do b:put("item" .. i) end
    for i = 1, 1000 do assert.is_true(b:maybe("item" .. i)) end
  end)

  it("keeps false positives near the requested probability", function()
    local b = Bloom(2000, 0.01)
    for i = 1, 2000 do b:put("in" .. i) end
    local fp = 0
    for i = 1, 20000 do if b:maybe("out" .. i) then fp = fp + 1 end end
    assert.truthy(fp / 20000 < 0.03)
  end)

  it("hash, put_hash and maybe_hash agree with put and maybe", function()
    local b = Bloom(10)
    local h = b:hash("abc")
    assert.equal(h, b:hash("abc"))
    assert.not_equal(h, b:hash("abd"))
    b:put_hash(h)
    assert.is_true(b:maybe("abc"))
    assert.is_true(b:maybe_hash(h))
  end)

  it("clear forgets and copy is independent", function()
    local b = Bloom(10)
    b:put("x")
    local c = b:copy()
    b:clear()
    assert.is_false(b:maybe("x"))
    assert.is_true(c:maybe("x"))
  end)

  it("is_capable compares its size with a request", function()
    local b = Bloom(1000, 0.01)
    assert.is_true(b:is_capable(1000, 0.01))
    assert.is_true(b:is_capable(100))
    assert.is_false(b:is_capable(100000, 0.01))
  end)

  it("refuses a probability outside (0, 1)", function()
    assert.has_error(function() Bloom(10, 1.5) end, "fpp must be a probability in (0, 1)")
  end)
end)

describe("d.HashRing", function()
  it("finds the same node for a value every time, and nil when empty", function()
    local r = d.HashRing()
    assert.is_nil(r:find("x"))
    r:put("a", 50); r:put("b", 50); r:put("c", 50)
    for i = 1, 100 do
      local k = "key" .. i
      assert.equal(r:find(k).node:key(), r:find(k).node:key())
    end
  end)

  it("moves only the keys of a removed node", function()
    local r = d.HashRing()
    for _, n in ipairs({"a", "b", "c", "d"}) do r:put(n, 100) end
    local before = {}
    for i = 1, 1000 do before[i] = r:find("k" .. i).node:key() end
    assert.is_true(r:del("c"))
    assert.is_false(r:del("c"))
    local moved = 0
    for i = 1, 1000 do
      local now = r:find("k" .. i).node:key()
      if before[i] ~= "c" then assert.equal(before[i], now) else moved = moved + 1 end
      assert.not_equal("c", now)
    end
    assert.truthy(moved > 100)
  end)

  it("spreads keys over nodes with enough replicas", function()
    local r = d.HashRing()
    for _, n in ipairs({"a", "b", "c"}) do r:put(n, 200) end
    local counts = {a = 0, b = 0, c = 0}
    for i = 1, 3000 do local k = r:find("v" .. i).node:key() counts[k] = counts[k] + 1 end
    for _, n in pairs(counts) do assert.truthy(n > 600 and n < 1400) end
  end)

  it("put refuses a duplicate node; get finds nodes by key", function()
    local r = d.HashRing()
    assert.is_nil(r:put("a"))
    assert.equal(levee.errors.system.EEXIST, r:put("a"))
    assert.equal("a", r:get("a"):key())
    assert.is_nil(r:get("z"))
  end)

  it("reserve walks to the next node with availability and restore returns it", function()
    local r = d.HashRing()
    r:put("a", 1, 1)
    r:put("b", 1, 1)
    local rep = r:first()
    local n1 = rep:reserve()
    local n2 = rep:reserve()
    assert.not_equal(n1, n2)
    assert.is_nil(rep:reserve())
    assert.is_false(n1:available())
    n1:restore()
    assert.is_true(n1:available())
    assert.equal(1, n1.avail)
    assert.equal(n1, rep:reserve())
  end)

  it("iter yields a node once per replica around the ring; next wraps", function()
    local r = d.HashRing()
    for _, n in ipairs({"a", "b", "c"}) do r:put(n, 5) end
    r:put("d", 1)
    local count, order = {}, {}
    for node in r:iter() do
      count[node:key()] = (count[node:key()] or 0) + 1
      order[#order + 1] = node
    end
    assert.same({a = 5, b = 5, c = 5, d = 1}, count)
    -- in ring order from the first point
    local rep = r:first()
    for i = 1, #order do
      assert.equal(rep.node, order[i])
      rep = rep:next()
    end
    local first = r:first()
    local rep, steps = first:next(), 1
    while rep ~= first do rep, steps = rep:next(), steps + 1 end
    assert.equal(16, steps)
  end)

  it("Replica:iter yields every point's node once around, from that replica", function()
    local r = d.HashRing()
    r:put("a", 3)
    r:put("b", 2)
    local start = r:first():next():next()
    local got, rep = {}, start
    for node in start:iter() do
      assert.equal(rep.node, node)
      got[#got + 1] = node:key()
      rep = rep:next()
    end
    assert.equal(5, #got)
    table.sort(got)
    assert.same({"a", "a", "a", "b", "b"}, got)
  end)

  it("uses a custom hash function", function()
    local calls = 0
    local r = d.HashRing(function(s, n) calls = calls + 1 return #s end)
    r:put("a", 2)
    assert.equal(2, calls)
    assert.equal("a", r:find("zz").node:key())
  end)
end)

describe("levee.d constructors and methods refuse bad arguments", function()
  local Map = require("levee.d.map")
  local function raises(f, pattern)
    local ok, err = pcall(f)
    assert.is_false(ok, "no error for " .. pattern)
    assert.matches("d_structs_spec%.lua:%d+: ", tostring(err))
    assert.matches(pattern, tostring(err))
  end

  it("names the argument and points at the caller", function()
    raises(function() local x = d.Iovec("x") return x end, "d.Iovec: size must be a number, got string")
    raises(function() local x = d.Iovec(-1) return x end, "d.Iovec: size must be >= 0")
    raises(function() local x = d.Bloom("x") return x end, "d.Bloom: hint must be a number >= 0, got string")
    raises(function() local x = d.Bloom(10, 2) return x end, "d.Bloom: fpp must be a probability in %(0, 1%), got 2")
    raises(function() local x = d.HashRing(42) return x end, "d.HashRing: hashfn must be a function, got number")
    raises(function() local x = Map(42) return x end, "d.Map: the initial headers must be a table, got number")
    raises(function() local x = d.Data(42, 1) return x end, "d.Data: ptr must be a pointer, got number")
    raises(function() d.Set():union(42) end, "d.Set:union: expected a d.Set, got number")
    raises(function() d.Set():diff({}) end, "d.Set:diff: expected a d.Set, got table")
    raises(function() d.HashRing():put({}) end, "d.HashRing:put: key must be a string, got table")
    raises(function() d.HashRing():put("a", "x") end, "d.HashRing:put: replicas must be a number, got string")
    raises(function() d.Heap():push("x", 1) end, "d.Heap:push: pri must be a number, got string")
    raises(function() d.Fifo():remove("x") end, "d.Fifo:remove: n must be a number, got string")
    raises(function() local x = d.Buffer("x") return x end, "size expected, got string")
  end)
end)
