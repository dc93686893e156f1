-- Loads liblevee for the Lua binding: feeds the levee.h declaration block
-- (between the levee:cdef-begin / levee:cdef-end lines) to ffi.cdef and
-- opens the shared library. Returns the library namespace; every module
-- calls the ABI through it (`local L = require("levee.lib")`).
--
-- The header is looked for at $LEVEE_HEADER, then in the source tree next
-- to this file, then at the path `make install` wrote into levee._install.
-- The library is $LEVEE_LIBRARY, then the in-tree build, then the system's
-- liblevee.so.0.
local ffi = require("ffi")

local function readable(path)
  local f = path and io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local tree = here .. "/../../.."

local function find_header()
  local candidates = {os.getenv("LEVEE_HEADER"), tree .. "/include/levee.h"}
  local ok, installed = pcall(require, "levee._install")
  if ok and type(installed) == "table" then candidates[#candidates + 1] = installed.header end
  for i = 1, #candidates do
    if readable(candidates[i]) then return candidates[i] end
  end
  error("levee: cannot find levee.h (set LEVEE_HEADER)")
end

local function cdef_block(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local block = text:match("/%* levee:cdef%-begin %*/(.-)/%* levee:cdef%-end %*/")
  if not block then error("levee: " .. path .. " has no levee:cdef block") end
  return block
end

local function open_library()
  local env = os.getenv("LEVEE_LIBRARY")
  if env and env ~= "" then return ffi.load(env) end
  local built = tree .. "/build/liblevee.so.0"
  if readable(built) then return ffi.load(built) end
  return ffi.load("liblevee.so.0")
end

-- A program (or a second copy of this module) may have declared the block
-- already; ffi.cdef refuses redefined enums and structs, so only declare it
-- when levee_version is unknown.
if not pcall(function() return ffi.typeof("levee_error") end) then
  ffi.cdef(cdef_block(find_header()))
end

return open_library()
