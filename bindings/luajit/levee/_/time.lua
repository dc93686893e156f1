-- levee._.time (lua-api.md §11 `_.time`): wall-clock Time values (timeval
-- cdata), Date (broken-down UTC or local time), Timer. Uses the wall clock
-- (ARCHITECTURE "Clocks"); timers of the hub use the monotonic clock.
local ffi = require("ffi")
local C = ffi.C

local decls = {
  "struct levee_timeval { int64_t tv_sec; int64_t tv_usec; };",
  "struct levee_timespec { int64_t tv_sec; int64_t tv_nsec; };",
  "int clock_gettime(int clk, struct levee_timespec *tp);",
  "struct tm { int tm_sec; int tm_min; int tm_hour; int tm_mday; int tm_mon; int tm_year; int tm_wday; int tm_yday; int tm_isdst; long tm_gmtoff; const char *tm_zone; };",
  "int64_t timegm(struct tm *tm);",
  "struct tm *gmtime_r(const int64_t *t, struct tm *out);",
  "struct tm *localtime_r(const int64_t *t, struct tm *out);",
}
for i = 1, #decls do pcall(ffi.cdef, decls[i]) end

local M = {}

-- sec, usec → whole seconds and 0 <= usec < 1e6. Fractional seconds are
-- truncated to the microsecond, as the original's C assignment did
-- (1430851877.73641 gives usec 736409).
local function split(sec, usec)
  usec = usec or 0
  local whole = math.floor(sec)
  usec = usec + math.floor((sec - whole) * 1e6)
  whole = whole + math.floor(usec / 1e6)
  usec = usec % 1e6
  return whole, usec
end

local Time = {}
local TimeT
local make_date -- defined with Date below

local function as_time(v)
  if type(v) == "number" then return TimeT(split(v)) end
  return v
end

function Time:seconds() return tonumber(self.tv_sec) + tonumber(self.tv_usec) / 1e6 end
function Time:copy() return TimeT(self.tv_sec, self.tv_usec) end

function Time:add(t)
  t = as_time(t)
  local s, u = split(tonumber(self.tv_sec + t.tv_sec), tonumber(self.tv_usec + t.tv_usec))
  self.tv_sec, self.tv_usec = s, u
  return self
end

function Time:sub(t)
  t = as_time(t)
  local s, u = split(tonumber(self.tv_sec - t.tv_sec), tonumber(self.tv_usec - t.tv_usec))
  self.tv_sec, self.tv_usec = s, u
  return self
end

function Time:utcdate() return make_date(self, true) end
function Time:localdate() return make_date(self, false) end

local function cmp(a, b)
  a, b = as_time(a), as_time(b)
  if a.tv_sec ~= b.tv_sec then return a.tv_sec < b.tv_sec and -1 or 1 end
  if a.tv_usec ~= b.tv_usec then return a.tv_usec < b.tv_usec and -1 or 1 end
  return 0
end

TimeT = ffi.metatype("struct levee_timeval", {
  __index = Time,
  __add = function(a, b) return as_time(a):copy():add(b) end,
  __sub = function(a, b) return as_time(a):copy():sub(b) end,
  __eq = function(a, b) return cmp(a, b) == 0 end,
  __lt = function(a, b) return cmp(a, b) < 0 end,
  __le = function(a, b) return cmp(a, b) <= 0 end,
  __tostring = function(self)
    return string.format("%d.%06d", tonumber(self.tv_sec), tonumber(self.tv_usec))
  end,
})

-- Time(sec[, usec]) → Time (fractional seconds accepted).
function M.Time(sec, usec) return TimeT(split(sec or 0, usec)) end

-- now() → the current wall-clock Time.
function M.now()
  local ts = ffi.new("struct levee_timespec")
  C.clock_gettime(0, ts) -- CLOCK_REALTIME
  return TimeT(ts.tv_sec, math.floor(tonumber(ts.tv_nsec) / 1000))
end

-- Date ------------------------------------------------------------------

local months = { "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December" }
local weekdays = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" }
local month_index = {}
for i, m in ipairs(months) do month_index[m:sub(1, 3)] = i end

local Date = {}
Date.__index = Date

function make_date(t, utc)
  local secs = ffi.new("int64_t[1]", t.tv_sec)
  local tm = ffi.new("struct tm")
  if utc then C.gmtime_r(secs, tm) else C.localtime_r(secs, tm) end
  return setmetatable({ t = t:copy(), tm = tm, utc = utc }, Date)
end


function Date:copy() return make_date(self.t, self.utc) end
function Date:time() return self.t:copy() end
function Date:microsecond() return tonumber(self.t.tv_usec) end
function Date:second() return self.tm.tm_sec end
function Date:minute() return self.tm.tm_min end
function Date:hour() return self.tm.tm_hour end
function Date:day() return self.tm.tm_mday end
function Date:month() return self.tm.tm_mon + 1 end
function Date:month_name() return months[self.tm.tm_mon + 1] end
function Date:month_abbr() return months[self.tm.tm_mon + 1]:sub(1, 3) end
function Date:year() return self.tm.tm_year + 1900 end
function Date:weekday() return self.tm.tm_wday + 1 end
function Date:weekday_name() return weekdays[self.tm.tm_wday + 1] end
function Date:weekday_abbr() return weekdays[self.tm.tm_wday + 1]:sub(1, 3) end
function Date:tz_offset() return tonumber(self.tm.tm_gmtoff) end
function Date:tz_name() return self.tm.tm_zone ~= nil and ffi.string(self.tm.tm_zone) or "UTC" end
function Date:tz_string()
  local off = self:tz_offset()
  local sign = off < 0 and "-" or "+"
  off = math.abs(off)
  return string.format("%s%02d%02d", sign, math.floor(off / 3600), math.floor(off % 3600 / 60))
end
function Date:isdst() return self.tm.tm_isdst > 0 end
function Date:isutc() return self.utc == true end
function Date:isleap()
  local y = self:year()
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end
function Date:utcdate() return make_date(self.t, true) end
function Date:localdate() return make_date(self.t, false) end

-- replace(yr, mo, day, hr, min, sec, usec) → a new Date (UTC) with the
-- given fields; nil keeps a field. A table {year=, month=, day=, hour=,
-- minute=, second=, microsecond=} is accepted too.
function Date:replace(yr, mo, day, hr, min, sec, usec)
  if type(yr) == "table" then
    local f = yr
    yr, mo, day, hr, min, sec, usec = f.year, f.month, f.day, f.hour, f.minute, f.second,
      f.microsecond
  end
  local d = self:utcdate()
  return M.Date(yr or d:year(), mo or d:month(), day or d:day(), hr or d:hour(),
    min or d:minute(), sec or d:second(), usec or d:microsecond())
end

-- http() → "Sun, 06 Nov 1994 08:49:37 GMT" (always UTC).
function Date:http()
  local d = self:utcdate()
  return string.format("%s, %02d %s %04d %02d:%02d:%02d GMT", d:weekday_abbr(), d:day(),
    d:month_abbr(), d:year(), d:hour(), d:minute(), d:second())
end

-- iso8601() → "1994-11-06T08:49:37Z" (UTC; ".ffffff" when there are usecs).
function Date:iso8601()
  local d = self:utcdate()
  local frac = d:microsecond() > 0 and string.format(".%06d", d:microsecond()) or ""
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d%sZ", d:year(), d:month(), d:day(),
    d:hour(), d:minute(), d:second(), frac)
end

Date.__tostring = Date.http
Date.__eq = function(a, b) return a.t == b.t end
Date.__lt = function(a, b) return a.t < b.t end
Date.__le = function(a, b) return a.t <= b.t end

-- Date(yr, mo, day, hr, min, sec, usec) → Date (UTC).
function M.Date(yr, mo, day, hr, min, sec, usec)
  local tm = ffi.new("struct tm")
  tm.tm_year, tm.tm_mon, tm.tm_mday = (yr or 1970) - 1900, (mo or 1) - 1, day or 1
  tm.tm_hour, tm.tm_min, tm.tm_sec = hr or 0, min or 0, sec or 0
  local secs = C.timegm(tm)
  return make_date(TimeT(secs, usec or 0), true)
end

function M.utcdate() return make_date(M.now(), true) end
function M.localdate() return make_date(M.now(), false) end

-- parse_http("Sun, 06 Nov 1994 08:49:37 GMT") → Date or nil.
function M.parse_http(s)
  if type(s) ~= "string" then return nil end
  local day, mon, yr, hr, mi, se = s:match("^%a%a%a, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not day or not month_index[mon] then return nil end
  return M.Date(tonumber(yr), month_index[mon], tonumber(day), tonumber(hr), tonumber(mi), tonumber(se))
end

-- parse_iso8601("1994-11-06T08:49:37[.ffffff](Z|+hh:mm)") → Date or nil.
function M.parse_iso8601(s)
  if type(s) ~= "string" then return nil end
  local yr, mo, day, hr, mi, se, rest = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)[T ](%d%d):(%d%d):(%d%d)(.*)$")
  if not yr then return nil end
  local usec = 0
  local frac, tz = rest:match("^%.(%d+)(.*)$")
  if frac then
    usec = math.floor(tonumber("0." .. frac) * 1e6 + 0.5)
    rest = tz
  end
  local off = 0
  if rest ~= "Z" and rest ~= "" then
    local sign, oh, om = rest:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    off = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
  end
  local d = M.Date(tonumber(yr), tonumber(mo), tonumber(day), tonumber(hr), tonumber(mi), tonumber(se), usec)
  if off ~= 0 then d = make_date(d.t - off, true) end
  return d
end

function M.parse(s) return M.parse_http(s) or M.parse_iso8601(s) end

-- Timer -----------------------------------------------------------------

local Timer = {}
Timer.__index = Timer

local function mono_ns()
  local ts = ffi.new("struct levee_timespec")
  C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

function Timer:start() self.t0 = mono_ns() self.t1 = nil return self end
function Timer:finish() self.t1 = mono_ns() return self end
function Timer:nanoseconds() return (self.t1 or mono_ns()) - self.t0 end
function Timer:microseconds() return self:nanoseconds() / 1e3 end
function Timer:milliseconds() return self:nanoseconds() / 1e6 end
function Timer:seconds() return self:nanoseconds() / 1e9 end
-- time() → the elapsed time as a string with an automatic unit.
function Timer:time()
  local ns = self:nanoseconds()
  if ns < 1e3 then return string.format("%dns", ns) end
  if ns < 1e6 then return string.format("%.3fus", ns / 1e3) end
  if ns < 1e9 then return string.format("%.3fms", ns / 1e6) end
  return string.format("%.3fs", ns / 1e9)
end

function M.Timer() return setmetatable({}, Timer):start() end

return M
