-- levee.p.http.status (also p.http.Status, levee.HTTPStatus): HTTP status
-- objects. Status(code[, reason]) returns the shared singleton for a known
-- code with its standard (or no) reason, else a new object.
local REASONS = {
  [100] = "Continue", [101] = "Switching Protocols", [102] = "Processing",
  [103] = "Early Hints",
  [200] = "OK", [201] = "Created", [202] = "Accepted",
  [203] = "Non-Authoritative Information", [204] = "No Content",
  [205] = "Reset Content", [206] = "Partial Content", [207] = "Multi-Status",
  [208] = "Already Reported", [226] = "IM Used",
  [300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found",
  [303] = "See Other", [304] = "Not Modified", [305] = "Use Proxy",
  [307] = "Temporary Redirect", [308] = "Permanent Redirect",
  [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required",
  [403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
  [406] = "Not Acceptable", [407] = "Proxy Authentication Required",
  [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone",
  [411] = "Length Required", [412] = "Precondition Failed",
  [413] = "Payload Too Large", [414] = "URI Too Long",
  [415] = "Unsupported Media Type", [416] = "Range Not Satisfiable",
  [417] = "Expectation Failed", [418] = "I'm a teapot",
  [419] = "Authentication Timeout", [420] = "Enhance Your Calm",
  [421] = "Misdirected Request", [422] = "Unprocessable Entity",
  [423] = "Locked", [424] = "Failed Dependency", [425] = "Too Early",
  [426] = "Upgrade Required", [428] = "Precondition Required",
  [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
  [440] = "Login Timeout", [444] = "No Response", [449] = "Retry With",
  [450] = "Blocked by Windows Parental Controls",
  [451] = "Unavailable For Legal Reasons", [494] = "Request Header Too Large",
  [495] = "Cert Error", [496] = "No Cert", [497] = "HTTP to HTTPS",
  [498] = "Token expired/invalid", [499] = "Client Closed Request",
  [500] = "Internal Server Error", [501] = "Not Implemented",
  [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout", [505] = "HTTP Version Not Supported",
  [506] = "Variant Also Negotiates", [507] = "Insufficient Storage",
  [508] = "Loop Detected", [509] = "Bandwidth Limit Exceeded",
  [510] = "Not Extended", [511] = "Network Authentication Required",
  [520] = "Origin Error", [521] = "Web Server Is Down",
  [522] = "Connection Timed Out", [523] = "Proxy Declined Request",
  [524] = "A Timeout Occurred", [598] = "Network Read Timeout Error",
  [599] = "Network Connect Timeout Error",
}

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
