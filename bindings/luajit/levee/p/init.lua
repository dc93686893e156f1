-- levee.p: protocol modules, each loaded on first access
-- (`require("levee").p.json` loads levee.p.json).
local submodules = {
  json = "levee.p.json",
  http = "levee.p.http",
  msgpack = "levee.p.msgpack",
  registered = "levee.p.registered",
  uri = "levee.p.uri",
  utf8 = "levee.p.utf8",
  base64 = "levee.p.base64",
  line = "levee.p.line",
  StringStream = "levee.p.stringstream",
}

return require("levee.lazy")(submodules)
