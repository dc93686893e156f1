-- levee.p.uri: URI(str), constants, lazy fields, sub, params, join,
-- tostring (lua-api.md §10), with malformed URIs.
local levee = require("levee")
local errors = levee.errors
local uri = levee.p.uri

describe("URI", function()
  it("parses every segment into lazy string fields", function()
    local err, u = uri("https://user:pw@example.com:8443/a/b.html?x=1&y=2#top")
    assert.is_nil(err)
    assert.equal("https", u.scheme)
    assert.equal("user", u.user)
    assert.equal("pw", u.password)
    assert.equal("example.com", u.host)
    assert.equal("8443", u.port) -- a string, as in the original
    assert.equal("/a/b.html", u.path)
    assert.equal("x=1&y=2", u.query)
    assert.equal("top", u.fragment)
    assert.equal("user:pw", u.userinfo)
    assert.equal("user:pw@example.com:8443", u.authority)
    assert.equal("//user:pw@example.com:8443/a/b.html", u.hierarch)
    assert.equal("/a/b.html?x=1&y=2", u.request)
    assert.equal("https://user:pw@example.com:8443/a/b.html?x=1&y=2#top", u.value)
    assert.equal(u.value, tostring(u))
  end)

  it("gives nil for absent segments", function()
    local err, u = uri("http://example.com")
    assert.is_nil(err)
    assert.equal("example.com", u.host)
    for _, k in ipairs({"user", "password", "port", "path", "query", "fragment", "userinfo"}) do
      assert.is_nil(u[k], k)
    end
    assert.equal("example.com", u.authority)
  end)

  it("parses request targets and relative references", function()
    local err, u = uri("/search?q=a+b")
    assert.is_nil(err)
    assert.is_nil(u.scheme)
    assert.is_nil(u.host)
    assert.equal("/search", u.path)
    assert.equal("/search?q=a+b", u.request)
    err, u = uri("//cdn.example.com/x.js")
    assert.is_nil(err)
    assert.equal("cdn.example.com", u.host)
    err, u = uri("http://[::1]:80/")
    assert.is_nil(err)
    assert.equal("[::1]", u.host)
    assert.equal("80", u.port)
  end)

  it("has the segment constants of the original", function()
    assert.same({0, 1, 2, 3, 4, 5, 6, 7},
      {uri.SCHEME, uri.USER, uri.PASSWORD, uri.HOST, uri.PORT, uri.PATH, uri.QUERY, uri.FRAGMENT})
    assert.equal(uri.SCHEME, uri.URI.SCHEME)
    local err, u = uri.URI("x:y")
    assert.is_nil(err)
    assert.equal("x", u.scheme)
  end)

  it("returns uri.ESYNTAX for malformed URIs", function()
    local bad = {"http://exa mple.com/", "http://host:80a/", "http://a@b@c/", "http://[::1/",
      "/p?q=\1", "/caf\195\169", "/%zz", "/%4", "http://h%/", "http://ho<st/"}
    for _, s in ipairs(bad) do
      local err, u = uri(s)
      assert.equal(errors.uri.ESYNTAX, err, s)
      assert.is_nil(u)
    end
  end)

  it("raises a Lua error for a non-string argument", function()
    assert.has_error(function() uri(42) end, "expects a string")
    assert.has_error(function() uri() end, "expects a string")
  end)
end)

describe("URI:sub", function()
  local _, u = uri("http://user:pw@host:80/p/q?a=b#f")

  it("cuts the text between two segments, by constant or by name", function()
    assert.equal("user:pw@host:80", u:sub(uri.USER, uri.PORT))
    assert.equal("/p/q?a=b", u:sub("path", "query"))
    assert.equal("a=b", u:sub(uri.QUERY))
    assert.equal("host", u:sub("host"))
  end)

  it("widens to a valid URI piece with valid = true", function()
    assert.equal("?a=b", u:sub(uri.QUERY, true))
    assert.equal("?a=b", u:sub(uri.QUERY, uri.QUERY, true))
    assert.equal("//user:pw@host:80", u:sub(uri.USER, uri.PORT, true))
    assert.equal("#f", u:sub("fragment", true))
    assert.equal("http:", u:sub("scheme", true))
  end)

  it("skips absent segments and reports impossible ranges", function()
    local _, v = uri("http://host/p")
    assert.equal("//host", v:sub(uri.USER, uri.PORT, true))
    local s, err = v:sub(uri.QUERY, uri.FRAGMENT)
    assert.is_nil(s)
    assert.equal(errors.uri.ESEGMENT, err)
    s, err = v:sub(uri.PATH, uri.HOST)
    assert.is_nil(s)
    assert.equal(errors.uri.ERANGE, err)
    s, err = v:sub("nonsense")
    assert.equal(errors.uri.ESEGMENT, err)
  end)
end)

describe("URI:params", function()
  it("decodes + and %XX and collects repeated keys into lists", function()
    local _, u = uri("/x?a=1&b=x+y&&c&a=caf%C3%A9&a=3")
    local err, t = u:params()
    assert.is_nil(err)
    assert.same({a = {"1", "café", "3"}, b = "x y", c = ""}, t)
    local err2, t2 = u:params()
    assert.is_nil(err2)
    assert.equal(t, t2) -- cached
  end)

  it("gives an empty table without a query", function()
    local _, u = uri("/x")
    assert.same({}, select(2, u:params()))
    _, u = uri("/x?")
    assert.same({}, select(2, u:params()))
  end)

  it("handles more parameters than the first batch holds", function()
    local parts = {}
    for i = 1, 300 do parts[i] = "k" .. i .. "=" .. i end
    local _, u = uri("/x?" .. table.concat(parts, "&"))
    local err, t = u:params()
    assert.is_nil(err)
    assert.equal("1", t.k1)
    assert.equal("300", t.k300)
  end)

  it("returns utf8 errors for bad escapes and invalid UTF-8", function()
    local _, u = uri("/x?a=%ff")
    assert.equal(errors.utf8.EENCODING, (u:params()))
    _, u = uri("/x?a=%ed%a0%80")
    assert.equal(errors.utf8.ESURROGATE, (u:params()))
  end)
end)

describe("URI:join", function()
  local base = "http://a/b/c/d;p?q"

  it("resolves references as RFC 3986 section 5.4 shows", function()
    local _, b = uri(base)
    local cases = {
      ["g:h"] = "g:h", g = "http://a/b/c/g", ["./g"] = "http://a/b/c/g", ["/g"] = "http://a/g",
      ["//g"] = "http://g", ["?y"] = "http://a/b/c/d;p?y", ["#s"] = "http://a/b/c/d;p?q#s",
      [""] = "http://a/b/c/d;p?q", [".."] = "http://a/b/", ["../../g"] = "http://a/g",
      ["../../../g"] = "http://a/g", ["g;x=1/../y"] = "http://a/b/c/y",
    }
    for ref, want in pairs(cases) do
      local err, t = b:join(ref)
      assert.is_nil(err, ref)
      assert.equal(want, tostring(t), ref)
    end
  end)

  it("accepts a URI and returns a parsed URI", function()
    local _, b = uri(base)
    local _, r = uri("../x?k=v")
    local err, t = b:join(r)
    assert.is_nil(err)
    assert.equal("a", t.host)
    assert.equal("/b/x", t.path)
    assert.equal("k=v", t.query)
  end)

  it("returns uri.ESYNTAX for a malformed reference", function()
    local _, b = uri(base)
    assert.equal(errors.uri.ESYNTAX, (b:join("a b")))
  end)
end)
