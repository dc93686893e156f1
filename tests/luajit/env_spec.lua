-- lua-api.md §0, the environment contract: what require("levee") alone
-- gives a program. Each case runs in a fresh luajit so that nothing another
-- spec loaded first can make it pass.
local function luajit(code)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  local p = assert(io.popen("luajit " .. path .. " 2>&1; echo \"exit=$?\""))
  local out = p:read("*a")
  p:close()
  os.remove(path)
  local status = tonumber(out:match("exit=(%d+)%s*$"))
  return status, out:gsub("exit=%d+%s*$", "")
end

describe("require('levee') alone", function()
  it("declares the libc functions and constants of §0.2 in ffi.C", function()
    local status, out = luajit([[
      local ffi = require("ffi")
      require("levee")
      local C = ffi.C
      for _, name in ipairs({"kill", "getpid", "usleep", "strlen", "malloc", "free",
          "memset", "access", "inet_ntop", "socket", "fcntl", "signal", "close", "read",
          "write", "pipe"}) do
        assert(pcall(function() return C[name] end), "no " .. name)
      end
      assert(C.AF_INET == 2 and C.AF_INET6 == 10 and C.AF_UNIX == 1)
      assert(C.SOCK_STREAM == 1 and C.SOCK_DGRAM == 2)
      assert(C.SIGALRM == 14 and C.SIGTERM == 15)
      assert(C.F_GETFL == 3 and C.O_NONBLOCK == 2048 and C.O_RDONLY == 0 and C.O_WRONLY == 1)
      assert(C.F_OK == 0 and C.WNOHANG == 1)
      assert(C.INET_ADDRSTRLEN == 16 and C.INET6_ADDRSTRLEN == 46)
      assert(ffi.sizeof("struct sockaddr") == 16)
      assert(ffi.sizeof("struct sockaddr_in") == 16)
      assert(ffi.sizeof("struct sockaddr_in6") == 28)
      assert(ffi.sizeof("struct sockaddr_un") == 110)
      assert(ffi.sizeof("struct sockaddr_storage") == 128)
      local p = C.malloc(16)
      C.memset(p, 65, 3)
      ffi.cast("char *", p)[3] = 0
      assert(C.strlen(p) == 3)
      C.free(p)
      assert(C.getpid() > 0)
      print("ok")
    ]])
    assert.equal(0, status, out)
    assert.equal("ok\n", out)
  end)

  it("sets the global C to ffi.C, and keeps a C the program set first", function()
    local status, out = luajit([[
      local ffi = require("ffi")
      require("levee")
      assert(C == ffi.C, "C is not ffi.C")
      print("ok")
    ]])
    assert.equal(0, status, out)
    status, out = luajit([[
      C = "mine"
      require("levee")
      assert(C == "mine")
      print("ok")
    ]])
    assert.equal(0, status, out)
  end)

  it("loads after a program declared the same libc functions and structs itself", function()
    local status, out = luajit([[
      local ffi = require("ffi")
      ffi.cdef("void *malloc(size_t n); void free(void *p); int getpid(void);")
      ffi.cdef("struct sockaddr { unsigned short sa_family; char sa_data[14]; };")
      ffi.cdef("enum { AF_INET = 2 };")
      ffi.cdef("typedef void (*sighandler_t)(int); sighandler_t signal(int, sighandler_t);")
      local levee = require("levee")
      local h = levee.Hub()
      h:sleep(1)
      assert(ffi.C.SOCK_STREAM == 1)
      print("ok")
    ]])
    assert.equal(0, status, out)
    assert.equal("ok\n", out)
  end)

  it("ignores SIGPIPE: writing to a closed pipe returns EPIPE", function()
    local status, out = luajit([[
      local levee = require("levee")
      local h = levee.Hub()
      local r, w = h.io:pipe()
      r:close()
      h:continue()  -- the hub closes the fd at the end of a tick
      local err = w:write("x")
      assert(err == levee.errors.system.EPIPE, tostring(err))
      print("ok")
    ]])
    assert.equal(0, status, out)
  end)

  it("returns exactly errors, _, d, p, Hub and HTTPStatus", function()
    local status, out = luajit([[
      local levee = require("levee")
      local keys = {}
      for _, k in ipairs({"errors", "_", "d", "p", "Hub", "HTTPStatus"}) do
        assert(levee[k] ~= nil, k)
      end
      assert(levee.HTTPStatus == levee.p.http.Status)
      assert(levee.HTTPStatus(404).code == 404)
      print("ok")
    ]])
    assert.equal(0, status, out)
  end)
end)
