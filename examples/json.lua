-- levee.p.json: strict JSON in and out of Lua tables.
local ffi = require("ffi")
local levee = require("levee")
local p = levee.p

-- the example of the original levee's documentation, verbatim
local err, data = p.json.decode([[{"foo": "bar"}]])
print(data.foo)                                   -- bar

err, data = p.json.decode('{"list": [1, 2.5, true], "big": 9007199254740993}')
print(data.list[1], data.list[2], data.list[3])   -- 1 2.5 true
print(data.big)                                   -- 9007199254740993LL

-- errors are errors.json.* with the byte offset of the fault
local off
err, data, off = p.json.decode("[1, 2,]")
print(err, off)                                   -- invalid JSON syntax (json.ESYNTAX) 6

-- encode keeps the original levee's text format
local buf
err, buf = p.json.encode({"a", 1, {k = "v"}})
print(ffi.string(buf:value()))                    -- ["a", 1, {"k": "v"}]
err, buf = p.json.encode({})
print(ffi.string(buf:value()))                    -- {}

-- a decoder takes a value in pieces: 0 means "need more"
local d = p.json.decoder()
local doc = '{"k": [1, 2]}'
print(d:feed(doc, 6, false))                      -- nil 0
print(d:feed(doc, #doc, false))                   -- nil 13
print(d.value.k[2])                               -- 2

-- or one token per call, as the original's decoder:next: each call gets
-- the bytes after the previous token
d = p.json.decoder()
local pos, names = 1, {}
repeat
  local rest = doc:sub(pos)
  local _, n = d:next(rest, #rest, true)
  names[#names + 1] = d.type
  pos = pos + n
until d:is_done()
print(table.concat(names, " "))  -- object string array number number array_end object_end
