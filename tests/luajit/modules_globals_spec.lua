-- lua-api.md §0.6 for the modules of §10/§11 added with p.uri: using
-- each of them writes no global and reads no missing one.
describe("globals", function()
  it("p.uri, p.utf8, p.line, p.base64, StringStream, json markers, _.* and h.dialer touch none", function()
    local levee = require("levee")
    setmetatable(_G, {
      __newindex = function(t, k, v)
        if k ~= "C" then error("levee wrote the global " .. tostring(k), 2) end
        rawset(t, k, v)
      end,
      __index = function(_, k) error("levee read the missing global " .. tostring(k), 2) end,
    })
    local ok, err = pcall(function()
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
    setmetatable(_G, nil)
    assert.is_true(ok, tostring(err))
  end)
end)
