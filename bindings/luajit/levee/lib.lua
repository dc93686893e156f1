-- Loads liblevee for the Lua binding: feeds the levee.h declaration block
-- (between the levee:cdef-begin / levee:cdef-end lines) to ffi.cdef and
-- opens the shared library. Returns the library namespace; every module
-- calls the ABI through it (`local L = require("levee.lib")`).
--
-- The declarations come from $LEVEE_HEADER, else from the header of the
-- source tree when this file sits in one (<tree>/bindings/luajit/levee),
-- else from levee._cdef, the copy of the block generated when the binding
-- was built and installed with it (tools/gen-cdef). The library is
-- $LEVEE_LIBRARY, then the in-tree build, then the path `make install`
-- wrote into levee._install, then the system's liblevee.so.0.
local ffi = require("ffi")

local function readable(path)
  local f = path and path ~= "" and io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
-- The source tree, when this file is bindings/luajit/levee/lib.lua in one.
local tree = here:match("^(.*)/bindings/luajit/levee$") or
  (here == "bindings/luajit/levee" and ".") or nil
if tree and not readable(tree .. "/include/levee.h") then tree = nil end

local function header_declarations(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local block = text:match("/%* levee:cdef%-begin %*/(.-)/%* levee:cdef%-end %*/")
  if not block then error("levee: " .. path .. " has no levee:cdef block") end
  local v = {}
  for _, part in ipairs({"MAJOR", "MINOR", "PATCH"}) do
    v[#v + 1] = text:match("#define LEVEE_VERSION_" .. part .. " (%d+)")
  end
  return block, table.concat(v, "."), path
end

-- (block, version of the header it came from, where it came from)
local function declarations()
  local env = os.getenv("LEVEE_HEADER")
  if env and env ~= "" then return header_declarations(env) end
  if tree then return header_declarations(tree .. "/include/levee.h") end
  local ok, shipped = pcall(require, "levee._cdef")
  if ok and type(shipped) == "table" then return shipped.cdef, shipped.version, "levee._cdef" end
  error("levee: no declarations: levee._cdef is missing (an incomplete install?) and " ..
    "LEVEE_HEADER is not set")
end

local function open_library()
  local env = os.getenv("LEVEE_LIBRARY")
  if env and env ~= "" then return ffi.load(env), env end
  if tree and readable(tree .. "/build/liblevee.so.0") then
    return ffi.load(tree .. "/build/liblevee.so.0"), tree .. "/build/liblevee.so.0"
  end
  local ok, installed = pcall(require, "levee._install")
  if ok and type(installed) == "table" and readable(installed.library) then
    return ffi.load(installed.library), installed.library
  end
  return ffi.load("liblevee.so.0"), "liblevee.so.0"
end

local function parse_version(s)
  local a, b, c = tostring(s):match("^(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return tonumber(a) * 10000 + tonumber(b) * 100 + tonumber(c)
end

-- A program (or a second copy of this module) may have declared the block
-- already; ffi.cdef refuses redefined enums and structs, so only declare it
-- when levee's types are unknown.
local block, version, source = declarations()
if not pcall(function() return ffi.typeof("levee_error") end) then
  ffi.cdef(block)
end

local L, path = open_library()
-- The declarations may name functions a library older than them lacks, and
-- another major version is another ABI: refuse both with a clear message
-- rather than fail later on a missing symbol.
local want, have = parse_version(version), L.levee_version()
if want and (math.floor(have / 10000) ~= math.floor(want / 10000) or have < want) then
  error(("levee: %s is liblevee %s, older than or incompatible with the declarations " ..
    "of levee.h %s (%s)"):format(path, ffi.string(L.levee_version_string()), version, source))
end
return L
