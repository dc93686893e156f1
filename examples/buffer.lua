-- The seed's d.Buffer example (docs "d.Buffer"), verbatim, with printed values.
local ffi = require("ffi")
local levee = require("levee")
local d = levee.d

local buf = d.Buffer()

buf:ensure(3)
ffi.copy(buf:tail(), "foo")
buf:bump(3)
print(ffi.string(buf:value()))  -- foo

buf:write("bar")
print(ffi.string(buf:value()))  -- foobar

print(ffi.string(buf:value(3)))  -- foo
print(ffi.string(buf:value(3, 1)))  -- b

buf:trim()
print(("%q"):format(ffi.string(buf:value())))  -- ""
print(#buf)  -- 0
