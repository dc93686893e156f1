-- levee._.path string helpers (lua-api.md §11 `_.path`).
local path = require("levee")._.path
local errors = require("levee").errors

describe("path", function()
  it("clean and join", function()
    assert.equal(".", path.clean(""))
    assert.equal("a/c", path.clean("a//b/../c/."))
    assert.equal("/", path.clean("/../.."))
    assert.equal("../x", path.clean("../x"))
    assert.equal("a/b/c", path.join("a", "b/", "c"))
    assert.equal("/etc/x", path.join("a", "/etc", "x"))
  end)

  it("abs, cwd, real, exists", function()
    local err, cwd = path.cwd()
    assert.is_nil(err)
    assert.equal(cwd .. "/x", path.abs("x"))
    assert.equal("/y", path.abs("/x/../y"))
    local e, real = path.real("/")
    assert.is_nil(e)
    assert.equal("/", real)
    assert.equal(errors.system.ENOENT, (path.real("/nonexistent-levee-path")))
    assert.is_true(path.exists("/"))
    assert.is_false(path.exists("/nonexistent-levee-path"))
  end)

  it("dirname, basename, pop, split, splitext", function()
    assert.equal("/a/b", path.dirname("/a/b/c"))
    assert.equal("/a", path.dirname("/a/b/c", 2))
    assert.equal("c", path.basename("/a/b/c"))
    assert.equal("b/c", path.basename("/a/b/c", 2))
    assert.equal("a", path.pop("a/b"))
    assert.same({ "/a", "b/c" }, { path.split("/a/b/c", 2) })
    assert.same({ "/a", "b/c" }, { path.split("/a/b/c", -2) })
    assert.same({ "dir/file", "txt" }, { path.splitext("dir/file.txt") })
    assert.same({ "dir/file", "" }, { path.splitext("dir/file") })
    assert.same({ ".bashrc", "" }, { path.splitext(".bashrc") })
  end)

  it("match supports *, [set] and {a,b}; * stops at / and .", function()
    assert.is_true(path.match("foo.lua", "*.lua"))
    assert.is_false(path.match("foo.bar.lua", "*.lua"))
    assert.is_false(path.match("a/foo.lua", "*.lua"))
    assert.is_true(path.match("a1", "a[0-9]"))
    assert.is_true(path.match("x.c", "x.{c,h}"))
    assert.is_true(path.match("x.h", "x.{c,h}"))
    assert.is_false(path.match("x.o", "x.{c,h}"))
  end)

  it("procname and envname", function()
    local err, exe = path.procname()
    assert.is_nil(err)
    assert.matches("luajit", exe)
    local e, sh = path.envname("sh")
    assert.is_nil(e)
    assert.matches("/sh$", sh)
    assert.equal(errors.system.ENOENT, (path.envname("no-such-program-levee")))
  end)
end)

describe("path.split and pop, exactly as the original", function()
  it("cuts between components, the root counting as one", function()
    assert.same({"/test", "path"}, {path.split("/test/path")})
    assert.same({"/", "a/b"}, {path.split("/a/b", 2)})
    assert.same({"/a", "b"}, {path.split("/a/b", -2)})
    assert.same({"a", "b"}, {path.split("a/b", -1)})
    assert.same({"a/b", ""}, {path.split("a/b", 0)})
  end)

  it("an empty head is \"\", never \".\"", function()
    assert.same({"", "test"}, {path.split("test", 1)})
    assert.same({"", "test"}, {path.split("test")})
  end)

  it("when n exceeds the components the head is \"\" and the tail the whole path", function()
    assert.same({"", "/a/b"}, {path.split("/a/b", 3)})
    assert.same({"", "/a/b"}, {path.split("/a/b", -3)})
    assert.same({"", "a/b"}, {path.split("a/b", 5)})
  end)

  it("a trailing slash stays on the tail", function()
    assert.same({"/test", "path/"}, {path.split("/test/path/", 2)})
    assert.same({"/test/path", ""}, {path.split("/test/path/", 1)})
  end)

  it("a negative n counts the root", function()
    assert.same({"/", "a/b"}, {path.split("/a/b", -1)})
    assert.same({"", "/"}, {path.split("/", -1)})
  end)

  it("the empty path splits into two empty strings", function()
    for _, n in ipairs({-2, -1, 0, 1, 2}) do
      assert.same({"", ""}, {path.split("", n)})
    end
  end)

  it("pop is the head", function()
    assert.equal("", path.pop("/path/to/file.txt", 4))
    assert.equal("/", path.pop("/path/to/file.txt", 3))
    assert.equal("/path/to", path.pop("/path/to/file.txt"))
    assert.equal("", path.pop("file.txt"))
  end)
end)

describe("path.Path, Dir and walk", function()
  local function sh(cmd) assert.is_true(os.execute(cmd) == 0, cmd) end

  it("Path:tmpdir makes a new empty directory; remove(true) deletes the tree", function()
    local tmp = path.Path:tmpdir()
    assert.truthy(tmp:exists())
    assert.truthy(tmp:is_dir())
    local other = path.Path:tmpdir()
    assert.not_equal(tostring(tmp), tostring(other))
    assert.is_nil(other:remove())  -- empty: no recurse needed
    assert.is_false(other:exists())
    assert.is_nil(tmp("f"):write("hello"))
    assert.equal(errors.system.ENOTEMPTY, tmp:remove())
    assert.is_nil(tmp:remove(true))
    assert.is_false(tmp:exists())
    assert.equal(errors.system.ENOENT, tmp:remove(true))
  end)

  it("a Path joins with path(\"child\"), concatenates with .. and knows its file", function()
    local tmp = path.Path:tmpdir()
    local f = tmp("sub", "..", "a.txt")
    assert.equal(tostring(tmp) .. "/a.txt", tostring(f))
    assert.equal(tostring(tmp) .. "/x", tmp .. "/x")
    assert.equal("<" .. tostring(tmp), "<" .. tmp)
    assert.is_false(f:exists())
    assert.is_nil(f:write("abc"))
    assert.truthy(f:exists())
    assert.is_false(f:is_dir())
    assert.equal("abc", f:read())
    local err, st = f:stat()
    assert.is_nil(err)
    assert.equal(3, st:size())
    assert.equal(path.Path(tostring(f)), f)
    assert.equal("a.txt", f:basename())
    assert.is_nil(tmp:remove(true))
  end)

  it("Path:cwd changes the working directory", function()
    local tmp = path.Path:tmpdir()
    local _e, before = path.cwd()
    local err, now = tmp:cwd()
    assert.is_nil(err)
    local _r, real = path.real(tostring(tmp))
    assert.equal(real, now)
    path.cwd(before)
    assert.is_nil(tmp:remove(true))
  end)

  it("walk visits every entry under a directory, in name order, depth first", function()
    local tmp = path.Path:tmpdir()
    local root = tostring(tmp)
    sh("mkdir -p " .. root .. "/b/c " .. root .. "/d && touch " .. root .. "/a "
      .. root .. "/b/c/x " .. root .. "/b/y && ln -s " .. root .. "/b " .. root .. "/e")
    local seen = {}
    for entry in path.walk(root) do
      seen[#seen + 1] = entry:pathname():sub(#root + 2) .. ":" .. entry:type() .. ":" .. entry:level()
    end
    assert.same({"a:reg:1", "b:dir:1", "b/c:dir:2", "b/c/x:reg:3", "b/y:reg:2", "d:dir:1",
      "e:lnk:1"}, seen)
    assert.is_nil(tmp:remove(true))
  end)

  it("walk stops at depth; skip() does not descend; follow() enters a linked directory", function()
    local tmp = path.Path:tmpdir()
    local root = tostring(tmp)
    sh("mkdir -p " .. root .. "/b/c && touch " .. root .. "/b/c/x && ln -s b " .. root .. "/l")
    local seen = {}
    for e in path.walk(root, 2) do seen[#seen + 1] = e:pathname():sub(#root + 2) end
    assert.same({"b", "b/c", "l"}, seen)
    seen = {}
    for e in tmp:walk() do
      seen[#seen + 1] = e:pathname():sub(#root + 2)
      if e:basename() == "b" then e:skip() end
      if e:type() == "lnk" then e:follow() end
    end
    assert.same({"b", "l", "l/c", "l/c/x"}, seen)
    assert.is_nil(tmp:remove(true))
  end)

  it("Dir gives err for a missing path and answers entry questions", function()
    assert.equal(errors.system.ENOENT, (path.Dir("/nonexistent-levee-path")))
    local tmp = path.Path:tmpdir()
    local root = tostring(tmp)
    assert.is_nil(tmp("f.txt"):write("12345"))
    assert.equal(errors.system.ENOTDIR, (path.Dir(root .. "/f.txt")))
    local err, dir = path.Dir(root)
    assert.is_nil(err)
    assert.same({nil, true}, {dir:next()})
    assert.is_true(dir:is_reg())
    assert.is_false(dir:is_dir())
    assert.equal(root, dir:dirname())
    assert.equal("f.txt", dir:basename())
    local e2, st = dir:stat()
    assert.is_nil(e2)
    assert.equal(5, st:size())
    assert.same({nil, false}, {dir:next()})
    assert.is_nil(dir:pathname())
    dir:close()
    -- an empty directory and a missing one iterate nothing
    local n = 0
    for _ in path.walk("/nonexistent-levee-path") do n = n + 1 end
    assert.is_nil(tmp("f.txt"):remove())
    for _ in path.walk(root) do n = n + 1 end
    assert.equal(0, n)
    assert.is_nil(tmp:remove())
  end)

  it("bad arguments are Lua errors naming them", function()
    assert.has_error(function() path.Path(42) end, "path must be a string")
    assert.has_error(function() path.Dir(nil) end, "path must be a string")
    assert.has_error(function() path.Dir("/", 0) end, "depth must be a number >= 1")
  end)
end)
