-- levee._.path (lua-api.md §11 `_.path`): path string helpers. Provided
-- here: cwd abs real join clean dirname basename pop split splitext match
-- exists procname envname. (walk, Dir and Path objects are not provided.)
local ffi = require("ffi")
local errors = require("levee.errors")
local C = ffi.C

local decls = {
  "char *getcwd(char *buf, size_t size);",
  "int chdir(const char *path);",
  "char *realpath(const char *path, char *resolved);",
  "int access(const char *path, int mode);",
  "ssize_t readlink(const char *path, char *buf, size_t size);",
  "void free(void *p);",
}
for i = 1, #decls do pcall(ffi.cdef, decls[i]) end

local M = {}

local cached_cwd

-- cwd([dir]) → err, cwd. Cached at load; chdir (and re-read) when dir is given.
function M.cwd(dir)
  if dir then
    if C.chdir(dir) ~= 0 then return errors.get(-ffi.errno()) end
    cached_cwd = nil
  end
  if not cached_cwd then
    local buf = ffi.new("char[4096]")
    if C.getcwd(buf, 4096) == nil then return errors.get(-ffi.errno()) end
    cached_cwd = ffi.string(buf)
  end
  return nil, cached_cwd
end
M.cwd()

-- clean(p): lexical cleanup ("" → ".", "a//b/../c/." → "a/c").
function M.clean(p)
  if p == "" then return "." end
  local rooted = p:sub(1, 1) == "/"
  local out = {}
  for part in p:gmatch("[^/]+") do
    if part == ".." then
      if #out > 0 and out[#out] ~= ".." then
        out[#out] = nil
      elseif not rooted then
        out[#out + 1] = ".."
      end
    elseif part ~= "." then
      out[#out + 1] = part
    end
  end
  local s = table.concat(out, "/")
  if rooted then return "/" .. s end
  if s == "" then return "." end
  return s
end

-- join(a, ...) → cleaned path; an absolute later part resets the result.
function M.join(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local p = select(i, ...)
    if p:sub(1, 1) == "/" then parts = {} end
    if p ~= "" then parts[#parts + 1] = p end
  end
  return M.clean(table.concat(parts, "/"))
end

-- abs(p) → absolute cleaned path (relative to the cached cwd).
function M.abs(p)
  if p:sub(1, 1) == "/" then return M.clean(p) end
  local _e, cwd = M.cwd()
  return M.join(cwd, p)
end

-- real(p) → err, realpath.
function M.real(p)
  local r = C.realpath(p, nil)
  if r == nil then return errors.get(-ffi.errno()) end
  local s = ffi.string(r)
  C.free(r)
  return nil, s
end

local function components(p)
  local list = {}
  for part in M.clean(p):gmatch("[^/]+") do list[#list + 1] = part end
  return list, p:sub(1, 1) == "/"
end

-- split(p[, n=1]) → head, tail: tail is the last n components (negative n:
-- head is the first -n components).
function M.split(p, n)
  n = n or 1
  local list, rooted = components(p)
  local cut = n >= 0 and #list - n or -n
  if cut < 0 then cut = 0 end
  if cut > #list then cut = #list end
  local head = table.concat(list, "/", 1, cut)
  local tail = table.concat(list, "/", cut + 1, #list)
  if rooted then head = "/" .. head end
  if head == "" then head = "." end
  return head, tail
end

-- dirname(p[, n=1]): p without its last n components.
function M.dirname(p, n) return (M.split(p, n or 1)) end
-- basename(p[, n=1]): the last n components.
function M.basename(p, n) return select(2, M.split(p, n or 1)) end
-- pop(p[, n=1]): p with n components removed from the end.
function M.pop(p, n) return (M.split(p, n or 1)) end

-- splitext(p) → root, ext (ext without the dot; "" when none).
function M.splitext(p)
  local root, ext = p:match("^(.*[^/])%.([^./]*)$")
  if not root or root:match("/$") then return p, "" end
  return root, ext
end

-- exists(p) → bool.
function M.exists(p) return C.access(p, 0) == 0 end

local function glob_to_patterns(glob)
  -- expand {a,b} first into alternatives
  local a, b = glob:find("%b{}")
  if a then
    local out = {}
    for alt in glob:sub(a + 1, b - 1):gmatch("[^,]*") do
      for _i, g in ipairs(glob_to_patterns(glob:sub(1, a - 1) .. alt .. glob:sub(b + 1))) do
        out[#out + 1] = g
      end
    end
    return out
  end
  local pat = { "^" }
  local i = 1
  while i <= #glob do
    local c = glob:sub(i, i)
    if c == "*" then
      pat[#pat + 1] = "[^/.]*"
    elseif c == "?" then
      pat[#pat + 1] = "[^/]"
    elseif c == "[" then
      local close = glob:find("]", i + 1, true)
      if not close then
        pat[#pat + 1] = "%["
      else
        local set = glob:sub(i + 1, close - 1):gsub("^!", "^"):gsub("%%", "%%%%")
        pat[#pat + 1] = "[" .. set .. "]"
        i = close
      end
    elseif c:match("%p") then
      pat[#pat + 1] = "%" .. c
    else
      pat[#pat + 1] = c
    end
    i = i + 1
  end
  pat[#pat + 1] = "$"
  return { table.concat(pat) }
end

-- match(p, glob) → bool. `*` matches within one component and stops at
-- `.`; `?`, `[set]`, `{a,b}` are supported.
function M.match(p, glob)
  for _i, pat in ipairs(glob_to_patterns(glob)) do
    if p:match(pat) then return true end
  end
  return false
end

-- procname() → err, path of the running executable.
function M.procname()
  local buf = ffi.new("char[4096]")
  local n = C.readlink("/proc/self/exe", buf, 4096)
  if n < 0 then return errors.get(-ffi.errno()) end
  return nil, ffi.string(buf, n)
end

-- envname(name) → err, path: looks name up in $PATH.
function M.envname(name)
  if name:find("/") then
    if M.exists(name) then return nil, M.abs(name) end
    return errors.system.ENOENT
  end
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local p = M.join(dir, name)
    if C.access(p, 1) == 0 then return nil, p end
  end
  return errors.system.ENOENT
end

return M
