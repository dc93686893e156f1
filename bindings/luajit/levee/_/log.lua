-- levee._.log: leveled loggers (lua-api.md §11 "Others", docs/log.md).
--
-- Log(name) -> a logger with trace/debug/info/warn/error(fmt, ...) (a
-- string.format format; a lone argument is printed as it is) and
-- fatal(...), which logs, sleeps a second and exits with status 1. A line
-- is "<UTC time> <LEVEL> <name>: <message>\n". Messages below the logger's
-- level (logger.level, else log.default_level, "info" to start with) are
-- dropped. log.patch(f) routes every line to f(line) instead of stderr and
-- returns the writer it replaced.
local ffi = require("ffi")
require("levee.sys.cdefs")

local LEVELS = {trace = 1, debug = 2, info = 3, warn = 4, error = 5, fatal = 6}
local NAMES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

local M = {LEVELS = LEVELS, default_level = "info"}

local writer = function(line) io.stderr:write(line) end

-- patch(f) -> the previous writer.
function M.patch(f)
  if type(f) ~= "function" then error("levee._.log.patch: expects a function", 2) end
  local old = writer
  writer = f
  return old
end

local function rank(level, who)
  if level == nil then return nil end
  local r = LEVELS[level] or (type(level) == "number" and level) or nil
  if not r then error("levee._.log: unknown level " .. tostring(level) .. who, 3) end
  return r
end

local Log = {}
Log.__index = Log

local function message(fmt, ...)
  if select("#", ...) == 0 then return tostring(fmt) end
  return string.format(fmt, ...)
end

local function emit(self, r, fmt, ...)
  local min = rank(self.level, "") or rank(M.default_level, " (default_level)")
  if r < min then return end
  writer(string.format("%s %-5s %s: %s\n", os.date("!%Y-%m-%dT%H:%M:%SZ"), NAMES[r], self.name,
    message(fmt, ...)))
end

for name, r in pairs(LEVELS) do
  if name ~= "fatal" then
    Log[name] = function(self, fmt, ...) return emit(self, r, fmt, ...) end
  end
end

-- fatal(...): logs at the fatal level (always), waits a second so the line
-- can leave, and exits with status 1.
function Log:fatal(fmt, ...)
  writer(string.format("%s %-5s %s: %s\n", os.date("!%Y-%m-%dT%H:%M:%SZ"), "FATAL", self.name,
    message(fmt, ...)))
  ffi.C.sleep(1)
  os.exit(1)
end

-- enabled(level) -> true when a message at level would be written.
function Log:enabled(level)
  return rank(level, "") >= (rank(self.level, "") or rank(M.default_level, " (default_level)"))
end

function M.Log(name, level)
  rank(level, "")
  return setmetatable({name = name or "levee", level = level}, Log)
end

return M
