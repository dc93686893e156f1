-- lazy(names): a table whose fields are modules required on first access
-- (names maps a field to a module name). levee, levee.d, levee.p and
-- levee.p.http are built this way so a program loads only what it touches.
return function(names, t)
  return setmetatable(t or {}, {
    __index = function(self, key)
      local name = names[key]
      if not name then return nil end
      local value = require(name)
      rawset(self, key, value)
      return value
    end,
  })
end
