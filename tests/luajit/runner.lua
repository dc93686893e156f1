-- A small busted-style runner for LuaJIT (Debian's busted runs under
-- lua5.1, not LuaJIT). Usage: luajit tests/luajit/runner.lua SPEC [COUNTFILE]
--
-- Specs use describe/it/before_each/after_each and assert.* (equal, same,
-- truthy, falsy, is_nil, not_nil, is_true, is_false, has_error, matches,
-- near). Every `it` runs in its own coroutine-free pcall; a failure prints
-- the test's full name and traceback. The last line is
-- "<spec>: N passed, N failed"; COUNTFILE receives "N M".

local spec_path, count_path = arg[1], arg[2]

local function fmt(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function deep_equal(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_equal(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function dump(v, indent, seen)
  indent = indent or ""
  if type(v) ~= "table" then return fmt(v) end
  seen = seen or {}
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  local out = {"{"}
  for _, k in ipairs(keys) do
    out[#out + 1] = indent .. "  [" .. fmt(k) .. "] = " .. dump(v[k], indent .. "  ", seen) .. ","
  end
  out[#out + 1] = indent .. "}"
  return table.concat(out, "\n")
end

local function fail(msg, level)
  error(msg, (level or 1) + 2)
end

local A = {}

function A.equal(expected, actual, msg)
  if expected ~= actual then
    fail((msg and msg .. ": " or "") .. "expected " .. fmt(expected) .. ", got " .. fmt(actual))
  end
end

function A.not_equal(a, b, msg)
  if a == b then fail((msg and msg .. ": " or "") .. "expected values to differ: " .. fmt(a)) end
end

function A.same(expected, actual, msg)
  if not deep_equal(expected, actual) then
    fail((msg and msg .. ": " or "") .. "expected\n" .. dump(expected) .. "\ngot\n" .. dump(actual))
  end
end

function A.truthy(v, msg) if not v then fail(msg or ("expected truthy, got " .. fmt(v))) end end
function A.falsy(v, msg) if v then fail(msg or ("expected falsy, got " .. fmt(v))) end end
function A.is_nil(v, msg) if v ~= nil then fail(msg or ("expected nil, got " .. fmt(v))) end end
function A.not_nil(v, msg) if v == nil then fail(msg or "expected a value, got nil") end end
function A.is_true(v, msg) if v ~= true then fail(msg or ("expected true, got " .. fmt(v))) end end
function A.is_false(v, msg) if v ~= false then fail(msg or ("expected false, got " .. fmt(v))) end end

function A.near(expected, actual, tolerance, msg)
  if math.abs(expected - actual) > tolerance then
    fail((msg and msg .. ": " or "") .. "expected " .. fmt(expected) .. " ± " .. tolerance ..
      ", got " .. fmt(actual))
  end
end

function A.matches(pattern, s, msg)
  if type(s) ~= "string" or not s:find(pattern) then
    fail((msg and msg .. ": " or "") .. "expected " .. fmt(s) .. " to match " .. fmt(pattern))
  end
end

-- has_error(f[, pattern]): f must raise; the message must contain pattern
-- (plain find) when given.
function A.has_error(f, pattern)
  local ok, err = pcall(f)
  if ok then fail("expected an error, none raised") end
  if pattern and not tostring(err):find(pattern, 1, true) then
    fail("error " .. fmt(tostring(err)) .. " does not contain " .. fmt(pattern))
  end
  return err
end
A.error = A.has_error

setmetatable(A, {
  __call = function(_, v, msg, ...)
    if not v then fail(msg or "assertion failed") end
    return v, msg, ...
  end,
})
-- busted spellings: assert.are.equal, assert.is.truthy, assert.is_not_nil ...
A.are, A.is = A, A
A.is_not_nil = A.not_nil
A.are_not = {equal = A.not_equal}

-- The tree of describe blocks.
local root = {name = nil, children = {}, before = {}, after = {}}
local current = root

local env = setmetatable({}, {__index = _G})
env.assert = A
env.describe = function(name, body)
  local node = {name = name, children = {}, before = {}, after = {}, parent = current}
  table.insert(current.children, node)
  local saved = current
  current = node
  body()
  current = saved
end
env.it = function(name, body)
  table.insert(current.children, {name = name, test = body, parent = current})
end
env.pending = function() end
env.before_each = function(f) table.insert(current.before, f) end
env.after_each = function(f) table.insert(current.after, f) end
env.spec_dir = spec_path:match("^(.*)/[^/]*$") or "."

local passed, failed = 0, 0

local function full_name(node)
  local parts = {}
  while node and node.name do
    table.insert(parts, 1, node.name)
    node = node.parent
  end
  return table.concat(parts, " ")
end

local function chain(node, field, out)
  if node.parent then chain(node.parent, field, out) end
  for _, f in ipairs(node[field] or {}) do out[#out + 1] = f end
  return out
end

local function run(node)
  if node.test then
    local name = full_name(node)
    local ok, err = xpcall(function()
      for _, f in ipairs(chain(node.parent, "before", {})) do f() end
      node.test()
    end, debug.traceback)
    local afters = chain(node.parent, "after", {})
    for i = #afters, 1, -1 do
      local aok, aerr = xpcall(afters[i], debug.traceback)
      if ok and not aok then ok, err = false, aerr end
    end
    if ok then
      passed = passed + 1
      print("ok     " .. name)
    else
      failed = failed + 1
      print("FAILED " .. name .. "\n" .. tostring(err))
    end
    collectgarbage()
    return
  end
  for _, child in ipairs(node.children) do run(child) end
end

local chunk, err = loadfile(spec_path)
if not chunk then
  print("FAILED to load " .. spec_path .. ": " .. tostring(err))
  failed = 1
else
  setfenv(chunk, env)
  local ok, lerr = xpcall(chunk, debug.traceback)
  if not ok then
    print("FAILED while defining " .. spec_path .. ": " .. tostring(lerr))
    failed = failed + 1
  end
  run(root)
end

print(string.format("%s: %d passed, %d failed", spec_path, passed, failed))
if count_path then
  local f = io.open(count_path, "w")
  f:write(passed, " ", failed, "\n")
  f:close()
end
os.exit(failed == 0 and passed > 0 and 0 or 1)
