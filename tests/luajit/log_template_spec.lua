-- levee._.log, levee._.template, levee._.term, levee._.bundle and the
-- merged / not-merged sub-modules of levee._ (lua-api.md §11).
local levee = require("levee")
local _ = levee._
local errors = levee.errors

describe("levee._", function()
  it("merges argv time poller path template term bundle log version", function()
    for _i, name in ipairs({"argv", "time", "poller", "path", "template", "term", "bundle", "log",
                           "version"}) do
      assert.not_nil(_[name], name)
    end
    assert.is_nil(_.stats)
  end)
end)

describe("_.log", function()
  local lines, old
  before_each(function()
    lines = {}
    old = _.log.patch(function(s) lines[#lines + 1] = s end)
  end)
  after_each(function()
    _.log.patch(old)
    _.log.default_level = "info"
  end)

  it("writes formatted lines at or above the level", function()
    local log = _.log.Log("app")
    log:info("n=%d %s", 3, "x")
    log:debug("hidden")
    log:warn("100%")
    log:error("e")
    assert.equal(3, #lines)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ INFO  app: n=3 x\n$", lines[1])
    assert.matches("WARN  app: 100%%\n$", lines[2])
    assert.matches("ERROR app: e\n$", lines[3])
  end)

  it("default_level and a logger's own level filter messages", function()
    local log = _.log.Log("app")
    _.log.default_level = "trace"
    log:trace("t")
    assert.equal(1, #lines)
    local quiet = _.log.Log("quiet", "error")
    quiet:warn("no")
    quiet:error("yes")
    assert.equal(2, #lines)
    assert.is_true(quiet:enabled("error"))
    assert.is_false(quiet:enabled("warn"))
    assert.has_error(function() _.log.Log("x", "loud") end, "unknown level")
  end)

  it("patch returns the writer it replaced", function()
    local mine = function() end
    local prev = _.log.patch(mine)
    assert.equal(_.log.patch(prev), mine)
  end)

  it("fatal logs and exits with status 1", function()
    local p = io.popen([[luajit -e 'require("levee")._.log.Log("boom"):fatal("bye %d", 7)' 2>&1; echo " status=$?"]])
    local out = p:read("*a")
    p:close()
    assert.matches("FATAL boom: bye 7", out)
    assert.matches("status=1", out)
  end)
end)

describe("_.template", function()
  it("substitutes names and dotted names", function()
    local t = _.template("Hello {{ name }}, {{user.id}}! {{ missing }}.")
    assert.equal("Hello ann, 7! .", t{name = "ann", user = {id = 7}})
    assert.equal("Hello , ! .", t())
  end)

  it("if / else / end nest, and not inverts", function()
    local t = _.template("{% if a %}A{% if b %}B{% else %}b{% end %}{% else %}none{% end %}" ..
      "{% if not c %}!{% end %}")
    assert.equal("AB!", t{a = true, b = 1})
    assert.equal("Ab", t{a = "yes", c = true})
    assert.equal("none!", t{a = false})
  end)

  it("malformed templates raise errors naming the line", function()
    assert.has_error(function() _.template("x {{ name") end, "unclosed")
    assert.has_error(function() _.template("{% if a %}x") end, "without {% end %}")
    assert.has_error(function() _.template("{% end %}") end, "without {% if %}")
    assert.has_error(function() _.template("{% else %}") end, "without {% if %}")
    assert.has_error(function() _.template("a\nb {% loop %}") end, "line 2")
    assert.has_error(function() _.template("{{ 1bad }}") end, "bad name")
  end)
end)

describe("_.term", function()
  it("winsize of something that is not a terminal is ENOTTY", function()
    local r, w = levee.Hub().io:pipe()
    assert.equal(errors.system.ENOTTY, (_.term.winsize(r.no)))
    r:close()
    w:close()
  end)

  it("winsize of a terminal gives rows and columns", function()
    -- script(1) gives the child a pseudo-terminal of a known size.
    local p = io.popen(
      [[script -qc "stty rows 33 cols 99; luajit -e 'local e, ws = require(\"levee\")._.term.winsize(1) ]] ..
      [[print(e, ws.row, ws.col)'" /dev/null 2>&1]])
    local out = p:read("*a")
    p:close()
    assert.matches("nil%s+33%s+99", out)
  end)
end)

describe("_.bundle", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/sub"))
    local f = io.open(dir .. "/a.txt", "w") f:write("alpha") f:close()
    f = io.open(dir .. "/sub/page.html", "w") f:write("<p>{{ who }}</p>") f:close()
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("assets loads every file under a directory by its relative path", function()
    local load = _.bundle.assets(dir)
    assert.equal("function", type(load))
    assert.same({["/a.txt"] = "alpha", ["/sub/page.html"] = "<p>{{ who }}</p>"}, load())
  end)

  it("templates compiles each file", function()
    local t = _.bundle.templates(dir .. "/")()
    assert.equal("<p>levee</p>", t["/sub/page.html"]{who = "levee"})
  end)

  it("a missing directory is an error when loading", function()
    local load = _.bundle.assets(dir .. "/nope")
    assert.has_error(load, "cannot read")
  end)
end)
