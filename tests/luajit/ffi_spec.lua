-- The levee.h block loads in LuaJIT's FFI and names exactly the library's
-- exported levee_* functions; the loader refuses a library older than the
-- declarations it was given.
local ffi = require("ffi")
local L = require("levee.lib")

local HEADER = os.getenv("LEVEE_HEADER") or "include/levee.h"

local function header()
  local f = assert(io.open(HEADER))
  local text = f:read("*a")
  f:close()
  return text
end

local function block()
  return assert(header():match("/%* levee:cdef%-begin %*/(.-)/%* levee:cdef%-end %*/"))
end

local function header_version()
  local text, v = header(), {}
  for _, part in ipairs({"MAJOR", "MINOR", "PATCH"}) do
    v[#v + 1] = tonumber(assert(text:match("#define LEVEE_VERSION_" .. part .. " (%d+)")))
  end
  return v
end

-- Runs `require("levee")` in a child luajit whose declarations come from a
-- copy of the header with the minor (or major) version raised by one.
local function require_with_raised(part)
  local path = os.tmpname()
  local text = header():gsub("(#define LEVEE_VERSION_" .. part .. " )(%d+)",
    function(p, n) return p .. (tonumber(n) + 1) end)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  -- (io.popen's close gives no exit status without Lua 5.2 compatibility)
  local p = assert(io.popen("LEVEE_HEADER=" .. path ..
    " luajit -e 'require(\"levee\")' 2>&1; echo \"exit=$?\""))
  local out = p:read("*a")
  p:close()
  os.remove(path)
  return out:match("exit=0%s*$") ~= nil, out
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

  it("reports the version levee.h declares", function()
    local v = header_version()
    assert.equal(table.concat(v, "."), ffi.string(L.levee_version_string()))
    assert.equal(v[1] * 10000 + v[2] * 100 + v[3], L.levee_version())
  end)

  it("refuses a library older than its declarations", function()
    local ok, out = require_with_raised("MINOR")
    assert.falsy(ok)
    assert.truthy(out:find("older than or incompatible", 1, true), out)
  end)

  it("refuses declarations of the next major version", function()
    local ok, out = require_with_raised("MAJOR")
    assert.falsy(ok)
    assert.truthy(out:find("older than or incompatible", 1, true), out)
  end)
end)
