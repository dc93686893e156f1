-- The d.Buffer example of the original levee's documentation, verbatim. Each of the
-- example's expression lines is followed by a print of the same expression
-- (quoted with %q, as the documentation writes the value) so the comment is checked.
local ffi = require("ffi")
local levee = require("levee")
local d = levee.d

local buf = d.Buffer()

buf:ensure(3)
ffi.copy(buf:tail(), "foo")
buf:bump(3)
ffi.string(buf:value())  -- "foo"
print(("%q"):format(ffi.string(buf:value())))  -- "foo"

buf:write("bar")
ffi.string(buf:value())  -- "foobar"
print(("%q"):format(ffi.string(buf:value())))  -- "foobar"

ffi.string(buf:value(3))  -- "foo"
print(("%q"):format(ffi.string(buf:value(3))))  -- "foo"
ffi.string(buf:value(3, 1))  -- "b"
print(("%q"):format(ffi.string(buf:value(3, 1))))  -- "b"

buf:trim()
ffi.string(buf:value())  -- ""
print(("%q"):format(ffi.string(buf:value())))  -- ""
print(#buf)  -- 0
