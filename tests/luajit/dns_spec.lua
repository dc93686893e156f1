-- h.dns: resolve against a DNS responder written here (a green thread on
-- h.dgram answering canned responses on 127.0.0.1, found through a
-- resolv.conf written to a temp file), and lookup through the getaddrinfo
-- worker with names from /etc/hosts only: nothing leaves the machine.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors
local sys = require("levee._")
local bit = require("bit")

local function u16(v) return string.char(bit.rshift(v, 8) % 256, v % 256) end
local function u32(v) return u16(math.floor(v / 65536)) .. u16(v % 65536) end

local function wire_name(name)
  local out = {}
  for label in name:gmatch("[^.]+") do out[#out + 1] = string.char(#label) .. label end
  return table.concat(out) .. "\0"
end

local TYPES = {A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28,
  SRV = 33, SSHFP = 44}

-- The question of a query: name (lower case, no trailing dot), type, and
-- the offset just past the question.
local function question(q)
  local labels, off = {}, 13
  while q:byte(off) ~= 0 do
    local n = q:byte(off)
    labels[#labels + 1] = q:sub(off + 1, off + n)
    off = off + n + 1
  end
  local qtype = q:byte(off + 1) * 256 + q:byte(off + 2)
  return table.concat(labels, "."):lower(), qtype, off + 5
end

-- A response to query q: rcode and answer records {owner, type, ttl, rdata}
-- (owner nil = a pointer to the question name).
local function response(q, rcode, answers)
  local _, _, qend = question(q)
  local out = {q:sub(1, 2), string.char(0x81, 0x80 + (rcode or 0)), u16(1), u16(#answers),
    u16(0), u16(0), q:sub(13, qend - 1)}
  for _, a in ipairs(answers) do
    out[#out + 1] = a[1] and wire_name(a[1]) or "\192\12"
    out[#out + 1] = u16(TYPES[a[2]]) .. u16(1) .. u32(a[3]) .. u16(#a[4]) .. a[4]
  end
  return table.concat(out)
end

-- The canned zone: qname -> function(query) -> datagram(s) to send back (a
-- table for several) or nil to stay silent.
local ZONE = {
  ["imgx.com"] = function(q)
    return response(q, 0, {{nil, "A", 300, "\162\255\119\249"}, {nil, "A", 60, "\10\0\0\1"}})
  end,
  ["v6.test"] = function(q)
    return response(q, 0, {{nil, "AAAA", 30, "\32\1\13\184" .. ("\0"):rep(11) .. "\1"}})
  end,
  ["mail.test"] = function(q)
    return response(q, 0, {{nil, "MX", 3600, u16(10) .. "\2mx\192\12"},
      {nil, "MX", 3600, u16(20) .. wire_name("backup.example")}})
  end,
  ["txt.test"] = function(q)
    return response(q, 0, {{nil, "TXT", 5, "\11v=spf1 -all"}})
  end,
  ["www.opendns.com"] = function(q)
    return response(q, 0, {{nil, "CNAME", 100, wire_name("www.opendns.org")},
      {"www.opendns.org", "A", 50, "\67\215\92\210"}})
  end,
  ["_sip._tcp.test"] = function(q)
    return response(q, 0, {{nil, "SRV", 86400, u16(10) .. u16(60) .. u16(5060) ..
      wire_name("sip.test")}})
  end,
  ["nowhere.test"] = function(q) return response(q, 3, {}) end,
  ["notimp.test"] = function(q) return response(q, 4, {}) end,
  ["refused.test"] = function(q) return response(q, 5, {}) end,
  ["broken.test"] = function(q)  -- an owner name pointing at itself
    local r = response(q, 0, {{nil, "A", 5, "\1\2\3\4"}})
    local _, _, qend = question(q)
    local at = qend - 1
    return r:sub(1, at) .. string.char(0xC0, at) .. r:sub(at + 3)
  end,
  ["stray.test"] = function(q)  -- a datagram with another id first
    local wrong = string.char(bit.bxor(q:byte(1), 0xff)) .. q:sub(2)
    return {response(wrong, 0, {{nil, "A", 5, "\9\9\9\9"}}),
      response(q, 0, {{nil, "A", 5, "\1\2\3\4"}})}
  end,
  ["svc.test"] = function(q)
    local _, qtype = question(q)
    if qtype ~= TYPES.A then return response(q, 0, {}) end
    return response(q, 0, {{nil, "A", 5, "\127\0\0\1"}})
  end,
}

-- A responder on 127.0.0.1: answers from ZONE (silent when told so).
-- Returns its Dgram, its port and the list of questions it saw.
local function responder(h, silent)
  local err, d = h.dgram:bind(0, "127.0.0.1")
  assert(not err, tostring(err))
  local seen = {}
  h:spawn(function()
    local buf = ffi.new("char[512]")
    while true do
      local rerr, who, n = d:recvfrom(buf, 512)
      if rerr then return end
      local q = ffi.string(buf, n)
      local name, qtype = question(q)
      seen[#seen + 1] = name .. "/" .. qtype
      local handler = ZONE[name]
      local out = not silent and handler and handler(q)
      if type(out) == "string" then out = {out} end
      for _, datagram in ipairs(out or {}) do d:sendto(who, datagram) end
    end
  end)
  local _, ep = d:addr()
  return d, ep:port(), seen
end

local tmpdir
local function resconf(...)
  local path = tmpdir .. "/resolv.conf"
  local f = assert(io.open(path, "w"))
  f:write("# written by dns_spec\nsearch example.com\n")
  for _, line in ipairs({...}) do f:write(line, "\n") end
  f:close()
  return path
end

local function with_server(f)
  local h = levee.Hub()
  local d, port, seen = responder(h)
  local conf = resconf(("nameserver [127.0.0.1]:%d"):format(port))
  f(h, conf, seen)
  d:close()
  h:continue()
  assert.is_false(h:in_use())
end

describe("h.dns:resolve", function()
  before_each(function()
    tmpdir = os.tmpname()
    os.remove(tmpdir)
    os.execute("mkdir -p " .. tmpdir)
  end)
  after_each(function() os.execute("rm -rf " .. tmpdir) end)

  it("A records with FQDN owner names, textual data and TTLs", function()
    with_server(function(h, conf, seen)
      local err, recs = h.dns:resolve("imgx.com", "A", {resconf = conf})
      assert.is_nil(err)
      assert.same({{name = "imgx.com.", type = "A", record = "162.255.119.249", ttl = 300},
        {name = "imgx.com.", type = "A", record = "10.0.0.1", ttl = 60}}, recs)
      assert.same({"imgx.com/1"}, seen)
      -- qtype defaults to A; a trailing dot asks the same question
      err, recs = h.dns:resolve("imgx.com.", nil, {resconf = conf})
      assert.is_nil(err)
      assert.equal(2, #recs)
    end)
  end)

  it("AAAA, MX, TXT (quotes kept), SRV", function()
    with_server(function(h, conf)
      local o = {resconf = conf}
      local err, recs = h.dns:resolve("v6.test", "AAAA", o)
      assert.is_nil(err)
      assert.same({{name = "v6.test.", type = "AAAA", record = "2001:db8::1", ttl = 30}}, recs)
      err, recs = h.dns:resolve("mail.test", "MX", o)
      assert.is_nil(err)
      assert.equal("10 mx.mail.test.", recs[1].record)
      assert.equal("20 backup.example.", recs[2].record)
      assert.equal("MX", recs[2].type)
      err, recs = h.dns:resolve("txt.test", "TXT", o)
      assert.is_nil(err)
      assert.same({{name = "txt.test.", type = "TXT", record = '"v=spf1 -all"', ttl = 5}}, recs)
      err, recs = h.dns:resolve("_sip._tcp.test", "srv", o)
      assert.is_nil(err)
      assert.equal("10 60 5060 sip.test.", recs[1].record)
      assert.equal("_sip._tcp.test.", recs[1].name)
    end)
  end)

  it("a CNAME chain reports the A record under its own owner name", function()
    with_server(function(h, conf)
      local err, recs = h.dns:resolve("www.opendns.com", "A", {resconf = conf})
      assert.is_nil(err)
      assert.same({{name = "www.opendns.org.", type = "A", record = "67.215.92.210", ttl = 50}}, recs)
      err, recs = h.dns:resolve("www.opendns.com", "CNAME", {resconf = conf})
      assert.is_nil(err)
      assert.same({{name = "www.opendns.com.", type = "CNAME", record = "www.opendns.org.",
        ttl = 100}}, recs)
    end)
  end)

  it("RCODEs are errors.dns.<RCODE>", function()
    with_server(function(h, conf)
      local err = h.dns:resolve("nowhere.test", "A", {resconf = conf})
      assert.equal(errors.dns.NXDOMAIN, err)
      assert.is_true(err.is_dns_NXDOMAIN)
      err = h.dns:resolve("notimp.test", "A", {resconf = conf})
      assert.is_true(err.is_dns_NOTIMP)
      assert.equal(errors.dns.REFUSED, (h.dns:resolve("refused.test", "MX", {resconf = conf})))
    end)
  end)

  it("a malformed answer is errors.dns.EILLEGAL; a stray datagram is ignored", function()
    with_server(function(h, conf)
      assert.equal(errors.dns.EILLEGAL, (h.dns:resolve("broken.test", "A", {resconf = conf})))
      local err, recs = h.dns:resolve("stray.test", "A", {resconf = conf})
      assert.is_nil(err)
      assert.same({{name = "stray.test.", type = "A", record = "1.2.3.4", ttl = 5}}, recs)
    end)
  end)

  it("a silent nameserver times out and the next one is asked; all silent is TIMEOUT", function()
    local h = levee.Hub()
    local quiet, qport, qseen = responder(h, true)
    local good, gport, gseen = responder(h)
    local conf = resconf(("nameserver [127.0.0.1]:%d"):format(qport), "nameserver 0.0.0.0",
      ("nameserver [127.0.0.1]:%d"):format(gport))
    local ticks = 0
    h:spawn(function() for _ = 1, 5 do ticks = ticks + 1; h:sleep(1) end end)
    local err, recs = h.dns:resolve("imgx.com", "A", {resconf = conf, timeout = 30})
    assert.is_nil(err)
    assert.equal("162.255.119.249", recs[1].record)
    assert.same({"imgx.com/1"}, qseen)
    assert.same({"imgx.com/1"}, gseen)
    -- the hub ran other threads while resolve waited: the 1 ms timer expires
    -- before the 30 ms nameserver timeout, whatever the load
    assert.is_true(ticks >= 2)
    conf = resconf(("nameserver [127.0.0.1]:%d"):format(qport))
    assert.equal(errors.TIMEOUT, (h.dns:resolve("imgx.com", "A", {resconf = conf, timeout = 10})))
    quiet:close() good:close()
    h:continue()
    assert.is_false(h:in_use())
  end)

  it("host and port override every configured nameserver", function()
    local h = levee.Hub()
    local d, port, seen = responder(h)
    -- 192.0.2.1 (TEST-NET) is never asked: the override replaces it.
    local conf = resconf("nameserver 192.0.2.1")
    local err, recs = h.dns:resolve("txt.test", "TXT",
      {resconf = conf, host = "127.0.0.1", port = port})
    assert.is_nil(err)
    assert.equal('"v=spf1 -all"', recs[1].record)
    assert.same({"txt.test/16"}, seen)
    d:close()
  end)

  it("IP literals are NXDOMAIN; bad arguments are errors, not crashes", function()
    local h = levee.Hub()
    assert.equal(errors.dns.NXDOMAIN, (h.dns:resolve("127.0.0.1")))
    assert.equal(errors.dns.NXDOMAIN, (h.dns:resolve("::1", "AAAA")))
    assert.equal(errors.system.EINVAL, (h.dns:resolve("x.test", "ANY")))
    assert.equal(errors.system.ENOENT, (h.dns:resolve("x.test", "A", {resconf = tmpdir .. "/none"})))
    assert.equal(errors.dns.ESERVICE, (h.dns:resolve("x.test", "A",
      {resconf = resconf("nameserver 0.0.0.0")})))
    assert.equal(errors.dns.EILLEGAL, (h.dns:resolve("a..b", "A", {resconf = resconf()})))
    assert.is_false(h:in_use())
  end)

  it("opens one socket per resolve and closes it", function()
    with_server(function(h, conf)
      local before = sys.fdcount()
      for _ = 1, 3 do assert.is_nil((h.dns:resolve("imgx.com", "A", {resconf = conf}))) end
      h:continue()
      assert.equal(before, sys.fdcount())
    end)
  end)
end)

-- The first IPv4 name of /etc/hosts other than localhost, and its address.
local function hosts_name()
  for line in io.lines("/etc/hosts") do
    local addr, names = line:match("^%s*(%d+%.%d+%.%d+%.%d+)%s+([^#]+)")
    if addr then
      for name in names:gmatch("%S+") do
        if name ~= "localhost" then return name, addr end
      end
    end
  end
end

describe("h.dns:lookup", function()
  it("localhost, service names and IP literals", function()
    local h = levee.Hub()
    local err, eps = h.dns:lookup("localhost", {port = 80, family = "inet"})
    assert.is_nil(err)
    assert.equal("127.0.0.1:80", tostring(eps[1]))
    err, eps = h.dns:lookup("localhost", {port = "http", family = "inet", socktype = "stream"})
    assert.is_nil(err)
    assert.equal(80, eps[1]:port())
    err, eps = h.dns:lookup("::1", {port = "https"})
    assert.is_nil(err)
    assert.equal("[::1]:443", tostring(eps[1]))
    err, eps = h.dns:lookup("10.1.2.3", {port = 7})
    assert.is_nil(err)
    assert.equal("10.1.2.3:7", tostring(eps[1]))
    assert.equal(errors.addr.EFAMILY, (h.dns:lookup("10.1.2.3", {family = "inet6"})))
    err = h.dns:lookup("127.0.0.1", {port = "no-such-service-x"})
    assert.is_true(err == errors.addr.ESERVICE or err == errors.addr.ENONAME)
    assert.equal(errors.system.EAFNOSUPPORT, (h.dns:lookup("localhost", {family = "unix"})))
    assert.is_false(h:in_use())
  end)

  it("a name from /etc/hosts", function()
    local name, addr = hosts_name()
    assert.truthy(name, "/etc/hosts lists no IPv4 name besides localhost")
    local h = levee.Hub()
    local err, eps = h.dns:lookup(name, {family = "inet"})
    assert.is_nil(err)
    local found = false
    for _, ep in ipairs(eps) do found = found or ep:host() == addr end
    assert.is_true(found)
  end)

  it("waits on the worker thread while other green threads run", function()
    local h = levee.Hub()
    local before = sys.fdcount()
    local results, order = {}, {}
    for i = 1, 3 do
      h:spawn(function()
        local err, eps = h.dns:lookup("localhost", {family = "inet", port = i})
        results[i] = err or tostring(eps[1])
        order[#order + 1] = "done " .. i
      end)
      -- spawn returns when the new thread blocks: a lookup run on the hub
      -- thread would have finished by now, this one waits on its worker.
      order[#order + 1] = "spawned " .. i
      assert.is_nil(results[i])
    end
    while not (results[1] and results[2] and results[3]) do h:continue() end
    for i = 1, 3 do
      local spawned, done
      for k, v in ipairs(order) do
        if v == "spawned " .. i then spawned = k elseif v == "done " .. i then done = k end
      end
      assert.is_true(spawned < done)
    end
    assert.same({"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}, results)
    h:continue()
    assert.is_false(h:in_use())
    assert.equal(before, sys.fdcount())
  end)
end)

describe("h.stream:dial name resolution", function()
  it("dials names through the lookup worker", function()
    local h = levee.Hub()
    local _, serve = h.stream:listen({port = 0})
    local port = serve:port()
    local name = hosts_name()
    for _, host in ipairs({"localhost", name}) do
      local err, conn = h.stream:dial({host = host, port = port})
      assert.is_nil(err)
      local _, peer = conn:peername()
      assert.equal(port, peer:port())
      conn:close()
    end
    local _, conn = h.stream:dial(port, "127.0.0.1")
    conn:close()
    serve:close()
  end)

  it("async = true resolves through h.dns:resolve (options in dns)", function()
    tmpdir = os.tmpname()
    os.remove(tmpdir)
    os.execute("mkdir -p " .. tmpdir)
    local h = levee.Hub()
    local d, dport, seen = responder(h)
    local conf = resconf(("nameserver [127.0.0.1]:%d"):format(dport))
    local _, serve = h.stream:listen({port = 0})
    local err, conn = h.stream:dial({host = "svc.test", port = serve:port(), async = true,
      dns = {resconf = conf}})
    assert.is_nil(err)
    assert.same({"svc.test/1"}, seen)
    conn:close()
    err = h.stream:dial({host = "nowhere.test", port = serve:port(), async = true,
      dns = {resconf = conf}})
    assert.equal(errors.dns.NXDOMAIN, err)
    err = h.stream:dial({host = "svc.test", port = 70000, async = true, dns = {resconf = conf}})
    assert.equal(errors.addr.ENONAME, err)
    serve:close()
    d:close()
    os.execute("rm -rf " .. tmpdir)
  end)
end)
