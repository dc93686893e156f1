-- lua-api.md §0.6: levee leaks no globals besides C, and reads none that
-- do not exist (a misspelt local would read a nil global at run time).
-- Runs f with _G refusing new globals (but C) and reads of missing ones.
local function strictly(f)
  setmetatable(_G, {
    __newindex = function(t, k, v)
      if k ~= "C" then error("levee wrote the global " .. tostring(k), 2) end
      rawset(t, k, v)
    end,
    __index = function(_, k) error("levee read the missing global " .. tostring(k), 2) end,
  })
  local ok, err = pcall(f)
  setmetatable(_G, nil)
  assert.is_true(ok, tostring(err))
end

describe("globals", function()
  it("loading and using every module writes only C and reads no missing global", function()
    strictly(function()
      local levee = require("levee")
      local d, h = levee.d, levee.Hub()
      local buf = d.Buffer(100000)
      buf:write("x")
      buf:ensure(300000)
      local iov = d.Iovec()
      iov:write(buf)
      local s = d.Set(1, 2)
      s:freeze()
      local _ = #d.Fifo(), #d.Heap(), require("levee.d.map")(), d.HashRing(), d.Bloom(10)
      local err, v = levee.p.json.decode('{"a": [1, 2]}')
      levee.p.json.encode(v)
      local p = levee.p.http.parse()
      local sender, recver = h:pipe()
      h:spawn(function() sender:send(1) sender:close() end)
      for _ in recver do end
      local r, w = h.io:pipe()
      w:write("line\n")
      r:stream():line()
      r:close() w:close()
      local e, serve = h.stream:listen({port = 0})
      local e2, conn = h.stream:dial(serve:port())
      conn:close() serve:close()
      h:sleep(1)
      local _ = levee.errors.system.EPIPE.is_system_EPIPE, tostring(levee.HTTPStatus(200))
      local tmp = levee._.path.Path:tmpdir()
      tmp("f"):write("x")
      for entry in levee._.path.walk(tostring(tmp)) do local _t = entry:type() end
      tmp:remove(true)
      local dec = levee.p.json.decoder()
      dec:next("[1]", 3, true)
      local _t = levee._.time.Time(1.5):utcdate():replace(2000)
      local _r = levee._.getrusage()
      local _m = levee.p.msgpack.decode(select(2, levee.p.msgpack.encode({1})))
      local _g = levee.p.registered
    end)
  end)

  it("p.uri, p.utf8, p.line, p.base64, StringStream, json markers, _.* and h.dialer touch none", function()
    local levee = require("levee")
    strictly(function()
      local p, sys = levee.p, levee._
      local _, u = p.uri("http://u:p@h:1/a?b=c+d#f")
      local _ = u.scheme, u.authority, u.hierarch, u.request, u:sub("query", true), u:params(),
        u:join("../x")
      local x = p.utf8.Utf8()
      x:encode("a b", nil, p.utf8.JSON)
      x:decode("%41")
      local _ = p.utf8.charlen("é"), p.utf8.validate("\255"), x:peek()
      local s = p.StringStream("a\nb")
      p.line.stream(s)
      p.line.stream(s)
      local _ = p.base64.decode(p.base64.encode("xyz")), p.base64.decode("Q")
      local _, v = p.json.decode("[null, []]", {null = true, array_mt = true})
      p.json.encode(v)
      local hash, rand = require("levee._.hash"), require("levee._.rand")
      local _ = hash.crc32("a"), hash.crc32c("a"), hash.metro("a"), hash.sip("a", nil, hash.seed()),
        hash.sipcase("A"), rand.integer(3), rand.number(), rand.string(3)
      local a = sys.argv({"-xy", "--k=v", "z"}, function() end)
      while a:more() do if not a:option() then a:next() end end
      local lines = {}
      local old = sys.log.patch(function(l) lines[#lines + 1] = l end)
      sys.log.Log("g"):warn("w %d", 1)
      sys.log.patch(old)
      local _ = sys.template("{{ a }}{% if b %}x{% end %}"){a = 1}, sys.version("1.2.3"):bump(),
        levee.meta.version.string, sys.term.winsize(-1)
      local h = levee.Hub()
      local _, serve = h.stream:listen(0)
      local _, conn = h.dialer:dial("inet", "stream", "127.0.0.1", serve:port())
      h:unregister(conn.no)
      serve:close()
      h:sleep(1)
    end)
  end)
end)
