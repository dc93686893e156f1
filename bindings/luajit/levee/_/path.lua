-- levee._.path (lua-api.md §11 `_.path`): path string helpers (cwd abs
-- real join clean dirname basename pop split splitext match exists
-- procname envname), the Dir walker and walk, and Path objects.
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

-- The separators split() may cut at: the positions of the slashes of p,
-- except a leading one (the root "/" is a component of its own). Also
-- returns the number of components: the root, then one per separator plus
-- one (a trailing slash ends an empty last component).
local function cuts(p)
  local rooted = p:sub(1, 1) == "/"
  local seps = {}
  local i = rooted and 2 or 1
  while true do
    local j = p:find("/", i, true)
    if not j then break end
    seps[#seps + 1] = j
    i = j + 1
  end
  local n
  if p == "" then n = 0
  elseif rooted then n = p == "/" and 1 or #seps + 2
  else n = #seps + 1 end
  return seps, rooted, n
end

-- split(p[, n=1]) → head, tail: the string is cut between its components
-- (the root "/" counts as one); tail holds the last n, or with a negative
-- n head holds the first -n. When n reaches the number of components the
-- head is "" and the tail the whole path; an empty head is "", never ".";
-- a trailing slash stays on the tail. split("/test/path/", 2) → "/test",
-- "path/"; split("/a/b", -1) → "/", "a/b"; split("", n) → "", "".
function M.split(p, n)
  n = n or 1
  local seps, rooted, count = cuts(p)
  local k  -- components kept in the head
  if n >= 0 then k = count - n else k = -n end
  if k <= 0 or k >= count then
    if k >= count and n >= 0 then return p, "" end
    return "", p
  end
  if rooted then
    if k == 1 then return "/", p:sub(2) end
    local j = seps[k - 1]
    return p:sub(1, j - 1), p:sub(j + 1)
  end
  local j = seps[k]
  return p:sub(1, j - 1), p:sub(j + 1)
end

-- pop(p[, n=1]): p without its last n components (the head of split).
function M.pop(p, n) return (M.split(p, n or 1)) end

-- dirname(p[, n=1]): the cleaned p without its last n components ("."
-- when nothing is left of a relative path).
function M.dirname(p, n)
  n = n or 1
  local list, rooted = components(p)
  local keep = math.max(#list - n, 0)
  local head = table.concat(list, "/", 1, keep)
  if rooted then return "/" .. head end
  if head == "" then return "." end
  return head
end

-- basename(p[, n=1]): the last n components of the cleaned p.
function M.basename(p, n)
  n = n or 1
  local list = components(p)
  return table.concat(list, "/", math.max(#list - n, 0) + 1, #list)
end

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

-- ---------------------------------------------------------------------
-- Dir and walk: a recursive walk over a directory (levee_dir, fts(3)).

local L = require("levee.lib")

local kinds = {
  [L.LEVEE_FILE_REG] = "reg", [L.LEVEE_FILE_DIR] = "dir", [L.LEVEE_FILE_LNK] = "lnk",
  [L.LEVEE_FILE_SOCK] = "sock", [L.LEVEE_FILE_FIFO] = "fifo", [L.LEVEE_FILE_CHR] = "chr",
  [L.LEVEE_FILE_BLK] = "blk", [L.LEVEE_FILE_OTHER] = "other",
}

local function arg_string(v, what, fn)
  if type(v) ~= "string" then
    error(("levee._.path.%s: %s must be a string, got %s"):format(fn, what, type(v)), 3)
  end
end

local Dir = {}
Dir.__index = Dir

-- next() → err, more: moves to the next entry; more is false at the end.
-- A directory below the root that cannot be read gives its error (the
-- walk goes on at the next call).
function Dir:next()
  if not self.h then return nil, false end
  local rc = L.levee_dir_next(self.h)
  if rc < 0 then return errors.get(rc), true end
  if rc == 0 then
    self:close()
    return nil, false
  end
  return nil, true
end

-- for entry in dir do ... end: entry is the walker, on each entry in turn
-- (entries that cannot be read are passed over).
function Dir:__call()
  while true do
    local err, more = self:next()
    if not more then return nil end
    if not err then return self end
  end
end

function Dir:skip() if self.h then L.levee_dir_skip(self.h) end end
function Dir:follow() if self.h then L.levee_dir_follow(self.h) end end
-- type() → "reg", "dir", "lnk", "sock", "fifo", "chr", "blk" or "other".
function Dir:type() return self.h and kinds[L.levee_dir_kind(self.h)] or nil end
function Dir:is_reg() return self:type() == "reg" end
function Dir:is_dir() return self:type() == "dir" end
-- level() → how deep the entry is (1: directly under the root).
function Dir:level() return self.h and L.levee_dir_level(self.h) or 0 end
-- pathname() → the entry's path (the root joined with the names below it).
function Dir:pathname()
  if not self.h then return nil end
  local p = L.levee_dir_path(self.h)
  if p == nil then return nil end
  return ffi.string(p)
end
function Dir:dirname()
  local p = self:pathname()
  return p and (p:match("^(.*)/[^/]*$") or ".")
end
function Dir:basename()
  local p = self:pathname()
  return p and p:match("([^/]*)$")
end
-- stat() → err, Stat of the entry (symlinks followed, as _.stat).
function Dir:stat()
  local p = self:pathname()
  if not p then return errors.CLOSED end
  return require("levee._").stat(p)
end
function Dir:close()
  if self.h then
    self.h = nil
    self._gc = nil
  end
end
Dir.__tostring = function(self) return ("levee._.path.Dir: %s"):format(self:pathname() or "closed") end

-- Dir(path[, depth=255]) → err, dir: a walker positioned before the first
-- entry under path (dir:next(), or iterate it with `for e in dir do`).
function M.Dir(path, depth)
  arg_string(path, "path", "Dir")
  depth = depth or 255
  if type(depth) ~= "number" or depth < 1 then
    error("levee._.path.Dir: depth must be a number >= 1, got " .. tostring(depth), 2)
  end
  local out = ffi.new("levee_dir *[1]")
  local rc = L.levee_dir_open(out, path, depth)
  if rc < 0 then return errors.get(rc) end
  local h = ffi.gc(out[0], L.levee_dir_free)
  return nil, setmetatable({h = h, root = path}, Dir)
end

-- walk(dir[, depth=255]) → iterator of Dir entries (the same walker, on
-- each entry in turn, in name order, depth first); nothing when dir
-- cannot be opened.
function M.walk(path, depth)
  local err, dir = M.Dir(path, depth)
  if err then return function() return nil end end
  return dir
end

-- ---------------------------------------------------------------------
-- Path: a path string with file-system helpers.

local Path = {}
Path.__index = Path

local function new_path(p) return setmetatable({_path = p}, Path) end

Path.__tostring = function(self) return self._path end
-- path .. "x" and "x" .. path concatenate the strings.
Path.__concat = function(a, b) return tostring(a) .. tostring(b) end
Path.__eq = function(a, b) return a._path == b._path end
-- path("child", ...) → the Path joined with the parts.
Path.__call = function(self, ...) return new_path(M.join(self._path, ...)) end

function Path:string() return self._path end
function Path:exists() return M.exists(self._path) end
function Path:stat() return require("levee._").stat(self._path) end
function Path:is_dir()
  local err, st = self:stat()
  return not err and st:is_dir()
end
function Path:is_reg()
  local err, st = self:stat()
  return not err and st:is_reg()
end
function Path:basename() return M.basename(self._path) end
function Path:dirname() return new_path(M.dirname(self._path)) end
-- walk([depth]) → as _.path.walk(tostring(path), depth).
function Path:walk(depth) return M.walk(self._path, depth) end
-- cwd() → err, cwd: makes this path the working directory.
function Path:cwd() return M.cwd(self._path) end
-- remove([recurse]) → err: removes the file, link or empty directory;
-- with recurse a directory and everything under it.
function Path:remove(recurse)
  local rc = L.levee_fs_remove(self._path, recurse and 1 or 0)
  if rc < 0 then return errors.get(rc) end
  return nil
end
-- write(s) → err: replaces the file's contents with s (created 0666 &
-- ~umask when missing).
function Path:write(s)
  if type(s) ~= "string" then
    error("levee._.path.Path:write: expected a string, got " .. type(s), 2)
  end
  local f, _msg, code = io.open(self._path, "wb")
  if not f then return errors.get(code or 5) end
  f:write(s)
  f:close()
  return nil
end
-- read() → string or nil: the file's contents.
function Path:read()
  local f = io.open(self._path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- Path(p) → a Path; Path:tmpdir() → a new, empty directory under $TMPDIR
-- (or /tmp) as a Path: the caller removes it (tmp:remove(true)).
M.Path = setmetatable({}, {
  __call = function(_, p)
    if getmetatable(p) == Path then return p end
    arg_string(p, "path", "Path")
    return new_path(p)
  end,
  __index = {
    tmpdir = function()
      local base = os.getenv("TMPDIR")
      if not base or base == "" then base = "/tmp" end
      local tmpl = M.join(base, "levee-XXXXXX")
      local buf = ffi.new("char[?]", #tmpl + 1, tmpl)
      local rc = L.levee_fs_mkdtemp(buf)
      if rc < 0 then error("levee._.path.Path:tmpdir: " .. tostring(errors.get(rc)), 2) end
      return new_path(ffi.string(buf))
    end,
  },
})
M.Path_mt = Path

return M
