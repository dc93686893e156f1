-- levee._.bundle: a directory of files as one Lua table (lua-api.md §11
-- "Others", docs/template.md), for programs that embed their static
-- assets or templates.
--
-- assets(dir) / templates(dir) -> loader: loader() -> {["/rel/path"] =
-- contents} for every regular file under dir (found with find(1), as the
-- original did; read when the loader is called); templates' values are
-- compiled _.template templates. A missing directory raises a Lua error
-- when the loader runs.
local template = require("levee._.template")

local M = {}

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function files(dir)
  local root = dir:gsub("/+$", "")
  if root == "" then root = "/" end
  local p = io.popen("find " .. quote(root) .. " -type f -print0 2>/dev/null; printf '\\0%s' $?")
  local out = p:read("*a")
  p:close()
  local list = {}
  for path in out:gmatch("([^%z]+)%z") do list[#list + 1] = path end
  local status = out:match("%z(%d+)$")
  if status ~= "0" then error("levee._.bundle: cannot read " .. dir, 3) end
  local rel = {}
  for i, path in ipairs(list) do
    rel[i] = {path = path, key = path:sub(#root + 1):gsub("^/*", "/")}
  end
  return rel
end

local function load(dir, convert)
  local t = {}
  for _, f in ipairs(files(dir)) do
    local h = assert(io.open(f.path, "rb"))
    local s = h:read("*a")
    h:close()
    t[f.key] = convert and convert(s) or s
  end
  return t
end

function M.assets(dir)
  return function() return load(dir) end
end

function M.templates(dir)
  return function() return load(dir, template) end
end

return M
