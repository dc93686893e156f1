-- require("levee") → { errors, _, d, p, Hub, HTTPStatus } (and meta)
--
-- Submodules load on first access, so `require("levee")` stays cheap for
-- programs that only need a part. Loading levee ignores SIGPIPE (writes to
-- a vanished peer return errors.system.EPIPE) and sets the global `C` to
-- ffi.C when the program has none (the documented examples use it).
local ffi = require("ffi")
require("levee.lib")

local modules = {
  errors = "levee.errors",
  _ = "levee._",
  d = "levee.d",
  p = "levee.p",
  Hub = "levee.core.hub",
  HTTPStatus = "levee.p.http.status",
  meta = "levee.meta",
}

local levee = require("levee.lazy")(modules)

levee.errors = require("levee.errors")

pcall(ffi.cdef, "typedef void (*levee_sighandler_t)(int);")
pcall(ffi.cdef, "levee_sighandler_t signal(int signum, levee_sighandler_t handler);")
ffi.C.signal(13, ffi.cast("levee_sighandler_t", 1)) -- SIGPIPE, SIG_IGN
if rawget(_G, "C") == nil then rawset(_G, "C", ffi.C) end

return levee
