-- levee.p: protocol modules, each loaded on first access
-- (`require("levee").p.json` loads levee.p.json).
local submodules = {
  json = "levee.p.json",
  http = "levee.p.http",
  msgpack = "levee.p.msgpack",
  uri = "levee.p.uri",
}

return setmetatable({}, {
  __index = function(self, key)
    local name = submodules[key]
    if not name then return nil end
    local value = require(name)
    rawset(self, key, value)
    return value
  end,
})
