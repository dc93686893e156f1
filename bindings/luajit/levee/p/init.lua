-- levee.p: protocol modules, each loaded on first access
-- (`require("levee").p.json` loads levee.p.json). `registered` holds the
-- protocols io objects offer as `io.p.<name>` (lua-api.md §3, §10).
local lazy = require("levee.lazy")

local submodules = {
  json = "levee.p.json",
  http = "levee.p.http",
  msgpack = "levee.p.msgpack",
  uri = "levee.p.uri",
  utf8 = "levee.p.utf8",
  base64 = "levee.p.base64",
  line = "levee.p.line",
  StringStream = "levee.p.stringstream",
}

local p = lazy(submodules)
p.registered = lazy({json = "levee.p.json", msgpack = "levee.p.msgpack", http = "levee.p.http.0_4"})
return p
