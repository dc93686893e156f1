-- levee.p.http.status (also p.http.Status, levee.HTTPStatus): HTTP status
-- objects. Status(code[, reason]) returns the shared singleton for a known
-- code with its standard (or no) reason, else a new object.
local ffi = require("ffi")
local C = require("levee.lib")

-- the standard reasons, from the core's one table (levee_http_reason)
local REASONS = {}
for code = 100, 599 do
  local r = C.levee_http_reason(code)
  if r ~= nil then REASONS[code] = ffi.string(r) end
end

local Status_mt = {}
Status_mt.__index = Status_mt

function Status_mt:__tostring()
  return "HTTP/1.1 " .. self.code .. " " .. self.reason .. "\r\n"
end

-- true for the statuses whose responses carry no body (204, 304)
function Status_mt:no_content()
  return self.code == 204 or self.code == 304
end

local function build(code, reason)
  return setmetatable({code = code, reason = reason}, Status_mt)
end

local singletons = {}
for code, reason in pairs(REASONS) do singletons[code] = build(code, reason) end

local Status = {REASONS = REASONS}

setmetatable(Status, {
  -- Status[code] is the singleton of a known code
  __index = function(_, code) return singletons[code] end,
  __call = function(_, code, reason)
    code = tonumber(code)
    if not code or code < 100 or code > 999 or code % 1 ~= 0 then
      error("levee.p.http.status: bad status code " .. tostring(code), 2)
    end
    local s = singletons[code]
    if s and (reason == nil or reason == s.reason) then return s end
    return build(code, reason or "Unknown")
  end,
})

return Status
