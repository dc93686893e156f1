-- d.Data(ptr, len): adopts a malloc'd region; frees it when collected.
local ffi = require("ffi")

pcall(ffi.cdef, "void free(void *ptr);")
ffi.cdef([[struct levee_lua_data { void *ptr; size_t len; };]])

local methods = {}

function methods:value() return ffi.cast("char *", self.ptr), tonumber(self.len) end
function methods:string() return ffi.string(self.ptr, self.len) end
function methods:writeinto_iovec(iov) iov:writeraw(self.ptr, tonumber(self.len)) end

local Data = ffi.metatype("struct levee_lua_data", {
  __index = methods,
  __len = function(self) return tonumber(self.len) end,
  __tostring = function(self) return ffi.string(self.ptr, self.len) end,
  __gc = function(self)
    if self.ptr ~= nil then ffi.C.free(self.ptr) end
  end,
})

-- Data(ptr, len): ptr a malloc'd pointer (owned from now on), len its size.
return function(ptr, len)
  if type(ptr) ~= "cdata" then error("d.Data: ptr must be a pointer, got " .. type(ptr), 2) end
  if type(len) ~= "number" and type(len) ~= "cdata" then
    error("d.Data: len must be a number, got " .. type(len), 2)
  end
  return Data(ptr, len)
end
