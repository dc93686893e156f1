-- levee._.template: small text templates (lua-api.md §11 "Others",
-- docs/template.md).
--
-- template(s) -> tmpl, a callable: tmpl(t) -> string. {{ name }} is
-- replaced by tostring(t.name) ("" for nil; dotted names walk tables:
-- {{ user.name }}); {% if name %}...{% else %}...{% end %} keeps a part
-- when the value is truthy (not nil or false), and nests; {% if not name %}
-- inverts. A malformed template raises a Lua error when it is compiled.
local M = {}

-- The value of a dotted name in t.
local function lookup(t, name)
  local v = t
  for part in name:gmatch("[^%.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  return v
end

local NAME = "^[%a_][%w_]*[%w_%.]*$"

-- Parses s into a tree: a list of strings, {var = name} and
-- {cond = name, negate = bool, yes = tree, no = tree}.
local function parse(s)
  local root = {}
  local stack = {{node = root}}
  local pos = 1
  local function fail(msg, at)
    local line = select(2, s:sub(1, at):gsub("\n", "")) + 1
    error(string.format("levee._.template: %s at line %d", msg, line), 4)
  end
  while pos <= #s do
    local a, b, kind = s:find("{([{%%])", pos)
    local top = stack[#stack].node
    if not a then
      top[#top + 1] = s:sub(pos)
      break
    end
    if a > pos then top[#top + 1] = s:sub(pos, a - 1) end
    local close = kind == "{" and "}}" or "%}"
    local c, d = s:find(close, b + 1, true)
    if not c then fail("unclosed " .. (kind == "{" and "{{" or "{%"), a) end
    local body = s:sub(b + 1, c - 1):match("^%s*(.-)%s*$")
    if kind == "{" then
      if not body:match(NAME) then fail("bad name {{ " .. body .. " }}", a) end
      top[#top + 1] = {var = body}
    else
      local word, rest = body:match("^(%a+)%s*(.-)$")
      if word == "if" then
        local negate, name = false, rest
        local n = rest:match("^not%s+(.+)$")
        if n then negate, name = true, n end
        if not name:match(NAME) then fail("bad condition {% if " .. rest .. " %}", a) end
        local node = {cond = name, negate = negate, yes = {}, no = {}}
        top[#top + 1] = node
        stack[#stack + 1] = {node = node.yes, cond = node}
      elseif word == "else" and rest == "" then
        local frame = stack[#stack]
        if not frame.cond or frame.in_else then fail("{% else %} without {% if %}", a) end
        frame.node, frame.in_else = frame.cond.no, true
      elseif word == "end" and rest == "" then
        if #stack == 1 then fail("{% end %} without {% if %}", a) end
        stack[#stack] = nil
      else
        fail("unknown tag {% " .. body .. " %}", a)
      end
    end
    pos = d + 1
  end
  if #stack > 1 then fail("{% if %} without {% end %}", #s) end
  return root
end

local function render(tree, t, out)
  for i = 1, #tree do
    local n = tree[i]
    if type(n) == "string" then
      out[#out + 1] = n
    elseif n.var then
      local v = lookup(t, n.var)
      if v ~= nil then out[#out + 1] = tostring(v) end
    else
      local v = lookup(t, n.cond)
      local yes = v ~= nil and v ~= false
      if n.negate then yes = not yes end
      render(yes and n.yes or n.no, t, out)
    end
  end
  return out
end

local Template = {}
Template.__index = Template
Template.__call = function(self, t) return table.concat(render(self.tree, t or {}, {})) end

function M.compile(s)
  if type(s) ~= "string" then error("levee._.template: expects a string", 2) end
  return setmetatable({source = s, tree = parse(s)}, Template)
end

return setmetatable(M, {__call = function(_, s) return M.compile(s) end})
