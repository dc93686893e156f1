-- require("levee") → { errors, _, d, p, Hub, HTTPStatus } (and meta)
--
-- Submodules load on first access, so `require("levee")` stays cheap for
-- programs that only need a part. Loading levee ignores SIGPIPE (writes to
-- a vanished peer return errors.system.EPIPE) and sets the global `C` to
-- ffi.C when the program has none (the documented examples use it).
local ffi = require("ffi")
require("levee.lib")
-- The libc functions, structs and constants of lua-api.md §0.2, declared
-- once each (guarded) so that ffi.C has them without loading anything else.
require("levee.sys.cdefs")

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

ffi.C.signal(ffi.C.SIGPIPE, ffi.cast("levee_sighandler_t", 1)) -- SIG_IGN
if rawget(_G, "C") == nil then rawset(_G, "C", ffi.C) end

return levee
