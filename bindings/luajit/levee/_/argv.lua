-- levee._.argv: a command line parser (lua-api.md §11 "Others",
-- docs/argv.md).
--
-- argv(args[, start=1[, stop=#args]][, exit_cb]) -> a parser over
-- args[start..stop]. Options are "-x" (short ones cluster: "-xyz" is x, y,
-- z) and "--name" ("--name=value" leaves value as the next argument); "--"
-- ends the options and "-" alone is an argument (stdin / stdout). Errors
-- print "<message>" to stderr and exit(1), unless exit_cb(idx, opt, msg)
-- is given: it is called instead and the failing method returns nil.
local ffi = require("ffi")
local bit = require("bit")
require("levee.sys.cdefs")
local C = ffi.C

local Argv = {}
Argv.__index = Argv

-- The current argument: the value of a "--name=value" just read, the
-- rest of a short-option cluster ("-yz" after x of "-xyz"), or args[idx].
local function current(self)
  if self.pending then return self.pending end
  if self.cluster then return "-" .. self.cluster end
  if self.idx > self.stop then return nil end
  return self.args[self.idx]
end

local function consume(self)
  if self.pending then
    self.pending = nil
  elseif self.cluster then
    self.cluster = nil
  else
    self.idx = self.idx + 1
  end
end

-- exit(fmt, ...): reports an error (see the top of this file).
function Argv:exit(fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or tostring(fmt)
  if self.exit_cb then
    self.exit_cb(self.idx, self.opt, msg)
    return nil
  end
  io.stderr:write(msg, "\n")
  os.exit(1)
end

-- more() -> true while arguments (or clustered short options) remain.
function Argv:more() return current(self) ~= nil end

-- peek() -> the next argument without consuming it (nil at the end).
function Argv:peek() return current(self) end

-- is_option() -> true when the next argument is an option.
function Argv:is_option()
  if self.ended then return false end
  local a = current(self)
  return a ~= nil and #a > 1 and a:sub(1, 1) == "-" and a ~= "--"
end

-- option() -> the next option's name ("x" for -x, "name" for --name), or
-- nil when the next argument is not an option. "--" is consumed and ends
-- the options.
function Argv:option()
  if self.ended then return nil end
  local a = current(self)
  if a == "--" then
    consume(self)
    self.ended = true
    return nil
  end
  if not self:is_option() then return nil end
  local name
  if a:sub(2, 2) == "-" then
    consume(self)
    local long, value = a:match("^%-%-([^=]+)=(.*)$")
    name = long or a:sub(3)
    self.pending = value -- the value is the next argument
  else
    name = a:sub(2, 2)
    local rest = a:sub(3)
    consume(self)
    if #rest > 0 then self.cluster = rest end
  end
  self.opt = name
  return name
end

-- next([fn[, msg]]) -> the next argument (consumed); with fn, fn(arg),
-- and an error (msg, or a default) when fn returns nil. A missing argument
-- is an error too.
function Argv:next(fn, msg)
  local a = current(self)
  if a == nil then
    return self:exit(self.opt and ("option " .. self.opt .. ": argument expected") or "argument expected")
  end
  if self.cluster and not self.pending then
    -- "-ovalue": the rest of the cluster is the option's argument
    a = self.cluster
  end
  consume(self)
  if fn == nil then return a end
  local v = fn(a)
  if v == nil then return self:exit(msg or ("invalid argument: " .. a)) end
  return v
end

-- argn(n) -> the next n arguments as a list.
function Argv:argn(n)
  local t = {}
  for i = 1, n do
    if not self:more() then return self:exit(string.format("%d arguments expected", n)) end
    t[i] = self:next()
  end
  return t
end

-- remain() -> every argument left, as a list.
function Argv:remain()
  local t = {}
  while self:more() do t[#t + 1] = self:next() end
  return t
end

-- number() -> the next argument as a number.
function Argv:number() return self:next(tonumber, "number expected") end

-- file(mode) -> the next argument opened with io.open(name, mode); "-" is
-- io.stdin for reading modes, io.stdout otherwise.
function Argv:file(mode)
  mode = mode or "r"
  local name = self:next()
  if name == nil then return nil end
  if name == "-" then return mode:find("r") and io.stdin or io.stdout end
  local f, err = io.open(name, mode)
  if not f then return self:exit(err) end
  return f
end

-- input() / output() -> the next argument as a file for reading / writing
-- ("-", or no argument left, is stdin / stdout).
function Argv:input()
  if not self:more() then return io.stdin end
  return self:file("r")
end

function Argv:output()
  if not self:more() then return io.stdout end
  return self:file("w")
end

local function open_fd(self, flags, default)
  if not self:more() then return default end
  local name = self:next()
  if name == nil then return nil end
  if name == "-" then return default end
  local fd = C.open(name, flags, tonumber("666", 8))
  if fd < 0 then return self:exit(name .. ": " .. ffi.string(C.strerror(ffi.errno()))) end
  return fd
end

pcall(ffi.cdef, "int open(const char *path, int flags, ...);")

-- inputfd() / outputfd() -> the next argument opened as a file descriptor
-- ("-" or none: 0 / 1; output files are created or truncated).
function Argv:inputfd() return open_fd(self, C.O_RDONLY, 0) end
function Argv:outputfd() return open_fd(self, bit.bor(C.O_WRONLY, C.O_CREAT, C.O_TRUNC), 1) end

-- commands(usage, cmds, ...) -> what cmds[name](self, ...) returns for the
-- next argument's name; an unknown or missing command prints usage (a
-- string, or a function returning one) as the error.
function Argv:commands(usage, cmds, ...)
  local name = self:peek()
  local cmd = name and cmds[name]
  if not cmd then
    if type(usage) == "function" then usage = usage() end
    if name then usage = "unknown command: " .. name .. "\n" .. usage end
    return self:exit(usage)
  end
  self:next()
  return cmd(self, ...)
end

return function(args, start, stop, exit_cb)
  if type(start) == "function" then start, stop, exit_cb = nil, nil, start end
  if type(stop) == "function" then stop, exit_cb = nil, stop end
  if type(args) ~= "table" then error("levee._.argv: args must be a table", 2) end
  return setmetatable({args = args, idx = start or 1, stop = stop or #args, exit_cb = exit_cb},
    Argv)
end
