-- levee.p.input: the bytes a decoder is given, in the forms the original
-- accepted: a string (len defaults to #s and is clipped to it), a pointer
-- and a length, or an object with value() -> ptr, len (a d.Buffer, a
-- stream). Anything else is a programming mistake: a Lua error naming the
-- argument, at the decoder call's caller.
--   local input = require("levee.p.input")("levee.p.json")
--   local ptr, n = input(s, len, "decode")   -- in M.decode(s, len)

local function has_value(s)
  local ok, v = pcall(function() return s.value end)
  return ok and v ~= nil
end

-- extra: how many helper frames sit between the decoder function and this
-- check (0 when the decoder calls it directly).
return function(module, extra)
  -- error level: raise, input, [helpers,] the decoder function, its caller
  local level = 4 + (extra or 0)
  local function raise(fn, s, len)
    if len ~= nil and type(len) ~= "number" and type(len) ~= "cdata" then
      error(("%s.%s: len must be a number, got %s"):format(module, fn, type(len)), level)
    end
    error(("%s.%s: expected a string, a pointer and a length, or a buffer, got %s")
      :format(module, fn, type(s)), level)
  end

  return function(s, len, fn)
    local t = type(s)
    if t == "string" then
      if len == nil then return s, #s end
      if type(len) ~= "number" then raise(fn, s, len) end
      if len > #s then len = #s end
      if len < 0 then len = 0 end
      return s, len
    end
    if len == nil then
      if (t == "table" or t == "cdata") and has_value(s) then return s:value() end
      raise(fn, s, len)
    end
    if t ~= "cdata" or (type(len) ~= "number" and type(len) ~= "cdata") or len < 0 then
      raise(fn, s, len)
    end
    return s, len
  end
end
