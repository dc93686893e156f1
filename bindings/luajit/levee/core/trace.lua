-- h.trace: where a hub's green threads come from and where their time goes
-- (lua-api.md §2 "Trace"; docs/hub.md).
--
-- While tracing, every spawn and spawn_later records its call site, and
-- every resume of a green thread by the hub is timed (process CPU time) and
-- charged to the site that spawned the thread. Nothing is recorded, and the
-- scheduler takes its untraced path, while tracing is stopped.
local co_running, co_resume = coroutine.running, coroutine.resume

local Trace = {}
Trace.__index = Trace

local function new_state()
  return {sites = {}, started = os.clock(), stopped = nil}
end

local function site_of(level)
  local info = debug.getinfo(level, "Sl")
  if not info then return "?" end
  return ("%s:%d"):format(info.short_src, info.currentline)
end

local function record(state, site)
  local rec = state.sites[site]
  if not rec then
    rec = {site = site, spawns = 0, resumes = 0, time = 0}
    state.sites[site] = rec
  end
  return rec
end

-- start(): begins (or restarts) recording into a fresh state.
function Trace:start()
  local hub = self.hub
  local state = new_state()
  self.state = state
  local owner = setmetatable({}, {__mode = "k"})  -- thread -> its record
  self._owner = owner
  local prefix = self
  local Hub = getmetatable(hub)

  -- the thread a traced function runs in is charged to rec
  local function wrap(f, rec)
    return function(...)
      owner[co_running()] = rec
      return f(...)
    end
  end

  rawset(hub, "spawn", function(h, f, ...)
    local site = site_of(3)
    if prefix._context then site = prefix._context .. " > " .. site end
    local rec = record(state, site)
    rec.spawns = rec.spawns + 1
    return Hub.spawn(h, wrap(f, rec), ...)
  end)
  rawset(hub, "spawn_later", function(h, ms, f)
    local site = site_of(3)
    if prefix._context then site = prefix._context .. " > " .. site end
    local rec = record(state, site)
    rec.spawns = rec.spawns + 1
    return Hub.spawn_later(h, ms, wrap(f, rec))
  end)
  -- the scheduler calls this for every resume of a green thread
  hub._trace_resume = function(co, a, b, c)
    local t0 = os.clock()
    local ok, err = co_resume(co, a, b, c)
    local rec = owner[co]
    if rec then
      rec.resumes = rec.resumes + 1
      rec.time = rec.time + (os.clock() - t0)
    end
    return ok, err
  end
  return state
end

-- stop() -> state: stops recording; the scheduler is untraced again.
function Trace:stop()
  local hub = self.hub
  rawset(hub, "spawn", nil)
  rawset(hub, "spawn_later", nil)
  hub._trace_resume = false
  if self.state then self.state.stopped = os.clock() end
  return self.state
end

-- context(f, ...) -> f's results: threads spawned while f runs are recorded
-- under f's own definition site as a named frame ("frame > spawn site").
function Trace:context(f, ...)
  local info = debug.getinfo(f, "S")
  local name = ("%s:%d"):format(info.short_src, info.linedefined)
  local outer = self._context
  self._context = outer and (outer .. " > " .. name) or name
  local results = {pcall(f, ...)}
  self._context = outer
  if not results[1] then error(results[2], 0) end
  return unpack(results, 2, table.maxn(results))
end

-- report([state]) -> the records of state (default: the current one), the
-- most expensive first: {site, spawns, resumes, time (seconds)}.
function Trace:report(state)
  state = state or self.state
  local list = {}
  if not state then return list end
  for _, rec in pairs(state.sites) do list[#list + 1] = rec end
  table.sort(list, function(a, b)
    if a.time ~= b.time then return a.time > b.time end
    return a.site < b.site
  end)
  return list
end

-- pprint([state][, out=io.stdout]): the report as a table.
function Trace:pprint(state, out)
  out = out or io.stdout
  out:write(("%-48s %8s %8s %10s\n"):format("spawned at", "spawns", "resumes", "cpu ms"))
  for _, rec in ipairs(self:report(state)) do
    out:write(("%-48s %8d %8d %10.3f\n"):format(rec.site, rec.spawns, rec.resumes,
      rec.time * 1000))
  end
end

return function(hub) return setmetatable({hub = hub, state = nil}, Trace) end
