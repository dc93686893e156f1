-- The levee.h block loads in LuaJIT's FFI and names exactly the library's
-- exported levee_* functions.
local ffi = require("ffi")
local L = require("levee.lib")

local function block()
  local f = assert(io.open(os.getenv("LEVEE_HEADER") or "include/levee.h"))
  local text = f:read("*a")
  f:close()
  return assert(text:match("/%* levee:cdef%-begin %*/(.-)/%* levee:cdef%-end %*/"))
end

local function declared_functions(text)
  text = text:gsub("/%*.-%*/", "")
  local names = {}
  for name in text:gmatch("(levee_[%w_]+)%s*%(") do names[name] = true end
  return names
end

local function exported()
  local lib = os.getenv("LEVEE_LIBRARY") or "build/liblevee.so.0"
  local p = assert(io.popen("nm -D --defined-only " .. lib))
  local names = {}
  for line in p:lines() do
    local kind, name = line:match("^%x+ (%a) (%S+)$")
    if name and kind:match("[TW]") then names[name:match("^[^@]+")] = true end
  end
  p:close()
  return names
end

describe("ffi", function()
  it("loads the cdef block into a fresh FFI state", function()
    -- a second state would refuse redefinitions; here the block is already
    -- loaded, so check that every declared function resolves
    for name in pairs(declared_functions(block())) do
      assert.truthy(pcall(function() return L[name] end), "unresolved " .. name)
    end
  end)

  it("declares exactly the exported levee_* functions", function()
    local declared, exp = declared_functions(block()), exported()
    for name in pairs(declared) do assert.truthy(exp[name], name .. " declared, not exported") end
    for name in pairs(exp) do
      assert.truthy(name:match("^levee_"), name .. " exported outside levee_*")
      assert.truthy(declared[name], name .. " exported, not declared")
    end
  end)

  it("reports the version of the loaded library", function()
    assert.equal("0.1.0", ffi.string(L.levee_version_string()))
    assert.equal(100, L.levee_version())
  end)
end)
