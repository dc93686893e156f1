-- levee errors: identity-comparable values from one process-wide registry.
local levee = require("levee")
local errors = levee.errors

local err = errors.get(2)
print(err)                                -- no such file or directory (system.ENOENT)
print(err == errors.system.ENOENT)        -- true
print(err.code, err.domain, err.name)     -- -2 system ENOENT
print(errors.TIMEOUT.is_levee_TIMEOUT)    -- true

local mine = errors.add(4000, "app", "EQUOTA", "quota exceeded")
print(mine, mine == errors.app.EQUOTA)    -- quota exceeded (app.EQUOTA) true
