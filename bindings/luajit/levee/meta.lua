-- levee.meta: what this levee is. `name` is "levee"; `version` is a
-- levee._.version Version built from the loaded library's
-- levee_version_string(), so the version number lives in one place (the
-- C core). The HTTP User-Agent is meta.name .. "/" .. meta.version.string.
local ffi = require("ffi")
local L = require("levee.lib")
local Version = require("levee._.version")

return {
  name = "levee",
  version = Version(ffi.string(L.levee_version_string())),
}
