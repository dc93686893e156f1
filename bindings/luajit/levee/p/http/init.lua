-- levee.p.http: the HTTP protocol package, a proxy table as in the
-- original: its own keys `parse`/`parser`, `status`/`Status`, `0_3` and `0_4`
-- load those modules on first access; every other key, and calling it,
-- goes to the 0.3 client/server module (so `require("levee.p.http")(h)` is
-- h.http).
local submodules = {
  parse = "levee.p.http.parse",
  parser = "levee.p.http.parse",
  status = "levee.p.http.status",
  Status = "levee.p.http.status",
  ["0_3"] = "levee.p.http.0_3",
  ["0_4"] = "levee.p.http.0_4",
}

local M = {}
return setmetatable(M, {
  __index = function(self, key)
    local name = submodules[key]
    if name then
      local value = require(name)
      rawset(self, key, value)
      return value
    end
    return require("levee.p.http.0_3")[key]
  end,
  __call = function(_, hub) return require("levee.p.http.0_3")(hub) end,
})
