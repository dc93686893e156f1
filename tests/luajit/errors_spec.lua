-- levee.errors: lua-api.md §1.
local ffi = require("ffi")
local levee = require("levee")
local errors = levee.errors

describe("errors", function()
  it("compares by identity with the registry tables", function()
    assert.equal(errors.system.ENOENT, errors.get(2))
    assert.equal(errors.get(2), errors.get(-2))
    assert.equal(errors.TIMEOUT, errors.levee.TIMEOUT)
    assert.equal(errors.CLOSED, errors.levee.CLOSED)
    assert.not_equal(errors.TIMEOUT, errors.CLOSED)
    assert.equal("cdata", type(errors.TIMEOUT))
  end)

  it("exposes code, domain, name and msg", function()
    local e = errors.system.EPIPE
    assert.equal(-32, e.code)
    assert.equal("system", e.domain)
    assert.equal("EPIPE", e.name)
    assert.equal("broken pipe", e.msg)
    assert.equal(-10100, errors.TIMEOUT.code)
    assert.equal("operation timed out", errors.TIMEOUT.msg)
    assert.equal(-10101, errors.CLOSED.code)
    assert.equal("channel is closed", errors.CLOSED.msg)
  end)

  it("formats with tostring as '<msg> (<domain>.<name>)'", function()
    assert.equal("operation timed out (levee.TIMEOUT)", tostring(errors.TIMEOUT))
    assert.equal("no such file or directory (system.ENOENT)", tostring(errors.system.ENOENT))
  end)

  it("answers is_<domain>_<name> pseudo-attributes", function()
    assert.is_true(errors.system.EAGAIN.is_system_EAGAIN)
    assert.is_false(errors.system.EAGAIN.is_system_EPIPE)
    assert.is_true(errors.TIMEOUT.is_levee_TIMEOUT)
    assert.is_true(errors.dns.NXDOMAIN.is_dns_NXDOMAIN)
    assert.is_true(errors.utf8.ETOOSHORT.is_utf8_ETOOSHORT)
    assert.is_false(errors.TIMEOUT.is_nosuch_THING)
    assert.is_nil(errors.TIMEOUT.no_such_field)
  end)

  it("has is(domain, name)", function()
    assert.is_true(errors.json.ESYNTAX:is("json", "ESYNTAX"))
    assert.is_false(errors.json.ESYNTAX:is("http", "ESYNTAX"))
  end)

  it("registers every domain of the original with its counts", function()
    local expect = {addr = 14, utf8 = 7, http = 4, json = 6, msgpack = 2, path = 3, uri = 4,
      levee = 5, dns = 30}  -- levee: + EINTERNAL, EUNKNOWN, EFORKED
    for domain, n in pairs(expect) do
      local count = 0
      for _ in pairs(errors[domain]) do count = count + 1 end
      assert.equal(n, count, domain)
    end
    -- the 59 system names the original listed are all there
    for name in ([[EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG EBADF ENOMEM EACCES EFAULT EBUSY
      EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ETXTBSY EFBIG ENOSPC ESPIPE EROFS
      EMLINK EPIPE ERANGE EAGAIN EINPROGRESS EALREADY ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE
      ENOPROTOOPT EPROTONOSUPPORT ENOTSUP EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN
      ENETUNREACH ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETIMEDOUT
      ECONNREFUSED ELOOP ENAMETOOLONG EHOSTDOWN EHOSTUNREACH ENOTEMPTY ENOSYS ECANCELED
      EPROTO]]):gmatch("%S+") do
      assert.not_nil(errors.system[name], name)
    end
    -- and the rest of Linux's errnos too
    assert.equal(-121, errors.system.EREMOTEIO.code)
    assert.equal(errors.system.EAGAIN, errors.system.EWOULDBLOCK)
  end)

  it("uses the original's fixed codes", function()
    assert.equal(-1001, errors.utf8.ESIZE.code)
    assert.equal(-1007, errors.utf8.EBUFS.code)
    assert.equal(-1010, errors.http.ESYNTAX.code)
    assert.equal(-1013, errors.http.ETOOSHORT.code)
    assert.equal(-1020, errors.json.ESYNTAX.code)
    assert.equal(-1025, errors.json.EBYTE.code)
    assert.equal(-1030, errors.msgpack.ESYNTAX.code)
    assert.equal(-1032, errors.msgpack.ESTACK.code)
    assert.equal(-1051, errors.path.EBUFS.code)
    assert.equal(-1060, errors.uri.ESYNTAX.code)
    assert.equal(-202, errors.addr.ENONAME.code)
  end)

  it("get returns nil for 0 and unknown codes, and EPERM for 1", function()
    assert.is_nil(errors.get(0))
    assert.is_nil(errors.get(-1040)) -- the line errors are not registered
    assert.is_nil(errors.get(123456))
    assert.equal(errors.system.EPERM, errors.get(1))
    assert.is_nil(errors.get("2"))
  end)

  it("get_eai maps getaddrinfo return values to the addr domain", function()
    assert.equal(errors.addr.ENONAME, errors.get_eai(-2)) -- EAI_NONAME
    assert.equal(errors.addr.EAGAIN, errors.get_eai(-3))
    assert.equal(errors.addr.ESERVICE, errors.get_eai(-8))
    assert.is_nil(errors.get_eai(0))
  end)

  it("add registers user codes >= 2000 once and files them by domain", function()
    local e = errors.add(3001, "app", "EBROKE", "the app broke")
    assert.not_nil(e)
    assert.equal(-3001, e.code)
    assert.equal(e, errors.app.EBROKE)
    assert.equal(e, errors.get(3001))
    assert.equal("the app broke (app.EBROKE)", tostring(e))
    assert.is_nil(errors.add(3001, "app", "EOTHER", "x"))
    assert.is_nil(errors.add(100, "app", "ELOW", "x"))
    assert.is_nil(errors.app.ELOW)
  end)

  it("checkset returns the existing error when the code is taken", function()
    local a = errors.checkset(3002, "app", "EONE", "one")
    local b = errors.checkset(3002, "app", "ETWO", "two")
    assert.equal(a, b)
    assert.equal("EONE", b.name)
  end)

  it("exit prints '<msg> (<domain>.<name>)' to stderr and exits with the code", function()
    local cmd = [[luajit -e 'require("levee").errors.system.ENOENT:exit(3)' 2>&1; echo "rc=$?"]]
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    assert.matches("no such file or directory %(system%.ENOENT%)", out)
    assert.matches("rc=3", out)
  end)

  it("abort prints the error and a traceback and aborts", function()
    local p = io.popen([[luajit -e 'require("levee").errors.TIMEOUT:abort()' 2>&1; echo "rc=$?"]])
    local out = p:read("*a")
    p:close()
    assert.matches("operation timed out %(levee%.TIMEOUT%)", out)
    assert.matches("stack traceback", out)
    assert.matches("rc=134", out) -- SIGABRT
  end)

  it("keeps identity across separate lookups and the C registry", function()
    local L = require("levee.lib")
    local e = L.levee_error_get(-32)
    assert.equal(errors.system.EPIPE, e)
    assert.equal("system.EPIPE", ffi.string(L.levee_errname(-32)))
  end)
end)

describe("require('levee')", function()
  it("returns errors, _, d, p, Hub and HTTPStatus fields", function()
    assert.equal(errors, levee.errors)
    assert.is_nil(levee.nonexistent)
  end)

  it("sets the global C only when absent and leaks no other global", function()
    local p = io.popen([[luajit -e '
      local before = {}
      for k in pairs(_G) do before[k] = true end
      local levee = require("levee")
      local leaked = {}
      for k in pairs(_G) do if not before[k] then leaked[#leaked + 1] = k end end
      table.sort(leaked)
      print(table.concat(leaked, ","))
      print(C == require("ffi").C)' 2>&1]])
    local out = p:read("*a")
    p:close()
    assert.equal("C\ntrue\n", out)
  end)

  it("ignores SIGPIPE once loaded", function()
    local p = io.popen([[luajit -e '
      require("levee")
      local ffi = require("ffi")
      ffi.cdef("int pipe(int fds[2]); long write(int, const void *, size_t); int close(int);")
      local fds = ffi.new("int[2]")
      ffi.C.pipe(fds)
      ffi.C.close(fds[0])
      print(tonumber(ffi.C.write(fds[1], "x", 1)))' 2>&1; echo "rc=$?"]])
    local out = p:read("*a")
    p:close()
    assert.equal("-1\nrc=0\n", out)
  end)
end)
