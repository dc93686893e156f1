-- levee.errors: the error registry as Lua sees it.
--
-- An error is a `const levee_error *` cdata pointing into the C core's
-- process-wide registry, so errors compare by identity
-- (`err == errors.CLOSED`) in every Lua state and OS thread. Fields `code`,
-- `domain`, `name`, `msg`; `is_<domain>_<name>` pseudo-attributes; methods
-- `is`, `exit`, `abort`; tostring "<msg> (<domain>.<name>)".
local ffi = require("ffi")
local L = require("levee.lib")

local errors = {}

local function wrap(e)
  if e == nil then return nil end -- a NULL pointer becomes a real nil
  return e
end

local methods = {}

function methods:is(domain, name)
  return ffi.string(L.levee_error_domain(self)) == domain and
    ffi.string(L.levee_error_name(self)) == name
end

function methods:exit(code)
  io.stderr:write(tostring(self), "\n")
  os.exit(code or 1)
end

function methods:abort()
  io.stderr:write(tostring(self), "\n", debug.traceback(), "\n")
  ffi.C.abort()
end

pcall(ffi.cdef, "void abort(void);")

local fields = {
  code = function(e) return L.levee_error_code(e) end,
  domain = function(e) return ffi.string(L.levee_error_domain(e)) end,
  name = function(e) return ffi.string(L.levee_error_name(e)) end,
  msg = function(e) return ffi.string(L.levee_error_msg(e)) end,
}

ffi.metatype("levee_error", {
  __index = function(self, key)
    local field = fields[key]
    if field then return field(self) end
    local m = methods[key]
    if m then return m end
    if type(key) == "string" then
      local domain, name = key:match("^is_([a-zA-Z0-9]+)_([a-zA-Z0-9]+)$")
      if domain then return self:is(domain, name) end
    end
    return nil
  end,
  __tostring = function(self)
    return string.format("%s (%s.%s)", ffi.string(L.levee_error_msg(self)),
      ffi.string(L.levee_error_domain(self)), ffi.string(L.levee_error_name(self)))
  end,
})

local function file(e)
  local domain, name = ffi.string(L.levee_error_domain(e)), ffi.string(L.levee_error_name(e))
  local t = rawget(errors, domain)
  if not t then
    t = {}
    errors[domain] = t
  end
  t[name] = e
end

for i = 0, tonumber(L.levee_error_count()) - 1 do file(L.levee_error_at(i)) end

-- Names Linux gives to the same numbers.
errors.system.EWOULDBLOCK = errors.system.EAGAIN
errors.system.EOPNOTSUPP = errors.system.ENOTSUP
errors.system.EDEADLOCK = errors.system.EDEADLK

errors.TIMEOUT = errors.levee.TIMEOUT
errors.CLOSED = errors.levee.CLOSED

-- errors.get(code): the error with this code (sign-insensitive) or nil.
function errors.get(code)
  if type(code) ~= "number" and type(code) ~= "cdata" then return nil end
  return wrap(L.levee_error_get(tonumber(code)))
end

-- errors.get_eai(rc): the addr-domain error of a getaddrinfo return value.
function errors.get_eai(rc)
  rc = tonumber(rc)
  if not rc or rc == 0 then return nil end
  if rc > 0 then rc = -rc end
  return wrap(L.levee_error_get(-200 + rc))
end

local out = ffi.new("const levee_error *[1]")

-- errors.add(code, domain, name, msg): registers a user error (|code| >=
-- 2000). Returns the new error, or nil when the code is taken or invalid.
function errors.add(code, domain, name, msg)
  local rc = L.levee_error_add(code, domain, name, msg or "", out)
  if rc ~= 0 then return nil end
  file(out[0])
  return out[0]
end

-- errors.checkset(code, domain, name, msg): like add, but returns the
-- existing error when the code is already registered.
function errors.checkset(code, domain, name, msg)
  local rc = L.levee_error_add(code, domain, name, msg or "", out)
  if rc == 0 then
    file(out[0])
    return out[0]
  end
  if out[0] ~= nil then return out[0] end
  return nil
end

return errors
