-- levee._.version: semantic version numbers (lua-api.md §11, docs/sys.md).
--
-- Version("v1.2.3-alpha.1"), Version("1.2"), Version{major = 1, minor = 2}
-- or Version(1, 2, 3) -> a Version, or nil when the text does not parse.
-- Fields major minor patch pre_release_name pre_release_version
-- pre_release; `string` and tostring() give "v1.2.3-alpha.1". Versions
-- compare with == < <= (a pre-release sorts before its release).
local Version = {}
local Version_mt = {}

local function format(v)
  local s = string.format("v%d.%d.%d", v.major, v.minor, v.patch)
  local pre = v.pre_release
  if pre then s = s .. "-" .. pre end
  return s
end

Version_mt.__index = function(self, key)
  if key == "string" then return format(self) end
  if key == "pre_release" then
    local name, num = rawget(self, "pre_release_name"), rawget(self, "pre_release_version")
    if name and num then return name .. "." .. num end
    if name then return name end
    if num then return tostring(num) end
    return nil
  end
  return Version[key]
end

Version_mt.__tostring = format

local function new(major, minor, patch, pre_name, pre_version)
  return setmetatable({major = major, minor = minor or 0, patch = patch or 0,
    pre_release_name = pre_name, pre_release_version = pre_version}, Version_mt)
end

local function nonneg_int(x)
  return type(x) == "number" and x >= 0 and x % 1 == 0
end

-- "alpha.1", "alpha1", "rc", "2" -> name, number
local function parse_pre(s)
  local name, num = s:match("^(%a[%w%-]-)%.?(%d+)$")
  if name then return name, tonumber(num) end
  if s:match("^%a[%w%-]*$") then return s, nil end
  if s:match("^%d+$") then return nil, tonumber(s) end
  return false
end

local function parse(s)
  local body = s:match("^%s*[vV]?(.-)%s*$")
  body = body:gsub("%+[%w%.%-]*$", "") -- build metadata does not count
  local nums, pre = body:match("^([%d%.]+)%-(.+)$")
  if not nums then nums = body end
  local major, minor, patch = nums:match("^(%d+)%.(%d+)%.(%d+)$")
  if not major then major, minor = nums:match("^(%d+)%.(%d+)$") end
  if not major then major = nums:match("^(%d+)$") end
  if not major then return nil end
  local name, num
  if pre then
    name, num = parse_pre(pre)
    if name == false then return nil end
  end
  return new(tonumber(major), tonumber(minor or 0), tonumber(patch or 0), name, num)
end

-- -1, 0, 1: semantic version precedence
local function compare(a, b)
  for _, k in ipairs({"major", "minor", "patch"}) do
    if a[k] ~= b[k] then return a[k] < b[k] and -1 or 1 end
  end
  local ap, bp = a.pre_release, b.pre_release
  if ap == bp then return 0 end
  if ap == nil then return 1 end -- a release sorts after its pre-releases
  if bp == nil then return -1 end
  local an, bn = a.pre_release_name or "", b.pre_release_name or ""
  if an ~= bn then return an < bn and -1 or 1 end
  local av, bv = a.pre_release_version or 0, b.pre_release_version or 0
  if av == bv then return 0 end
  return av < bv and -1 or 1
end

Version_mt.__eq = function(a, b) return compare(a, b) == 0 end
Version_mt.__lt = function(a, b) return compare(a, b) < 0 end
Version_mt.__le = function(a, b) return compare(a, b) <= 0 end

-- is_compatible(v) -> true when this version can stand in for v: the same
-- major version (the same minor too while major is 0) and not older.
function Version:is_compatible(v)
  if type(v) ~= "table" then v = parse(tostring(v)) end
  if not v or self.major ~= v.major then return false end
  if self.major == 0 and self.minor ~= v.minor then return false end
  return compare(self, v) >= 0
end

local ORDER = {major = 1, minor = 2, patch = 3}

-- bump([field="patch"[, val]]) -> self: adds one to field ("major",
-- "minor", "patch" or "pre_release"), or sets it to val; bumping a number
-- resets the ones after it and drops the pre-release.
function Version:bump(field, val)
  field = field or "patch"
  if field == "pre_release" or field == "pre_release_version" then
    self.pre_release_version = val or (self.pre_release_version or 0) + 1
    return self
  end
  local rank = ORDER[field]
  if not rank then error("levee._.version: bump() field must be major, minor, patch or pre_release", 2) end
  if val ~= nil and not nonneg_int(val) then
    error("levee._.version: bump() value must be a non-negative integer", 2)
  end
  self[field] = val or self[field] + 1
  if rank < 2 then self.minor = 0 end
  if rank < 3 then self.patch = 0 end
  self.pre_release_name, self.pre_release_version = nil, nil
  return self
end

function Version:copy()
  return new(self.major, self.minor, self.patch, self.pre_release_name, self.pre_release_version)
end

local function construct(_, a, ...)
  if type(a) == "string" then return parse(a) end
  if type(a) == "number" then
    local minor, patch = ...
    if not (nonneg_int(a) and (minor == nil or nonneg_int(minor)) and (patch == nil or nonneg_int(patch))) then
      return nil
    end
    return new(a, minor, patch, select(3, ...))
  end
  if type(a) == "table" then
    if getmetatable(a) == Version_mt then return a:copy() end
    local major = a.major or a[1]
    if not nonneg_int(major) then return nil end
    local minor, patch = a.minor or a[2] or 0, a.patch or a[3] or 0
    if not (nonneg_int(minor) and nonneg_int(patch)) then return nil end
    local name, num = a.pre_release_name, a.pre_release_version
    if a.pre_release and not name and not num then
      name, num = parse_pre(a.pre_release)
      if name == false then return nil end
    end
    return new(major, minor, patch, name, num)
  end
  return nil
end

return setmetatable({Version = Version, mt = Version_mt, parse = parse},
  {__call = construct})
