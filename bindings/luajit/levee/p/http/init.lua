-- levee.p.http: the HTTP protocol package. `parse` (the Parser constructor)
-- and `Status`/`status` load on first access; the client and server pieces
-- (0.3 as the default, "0_4") will be added beside them once io lands.
local submodules = {
  parse = "levee.p.http.parse",
  parser = "levee.p.http.parse",
  status = "levee.p.http.status",
  Status = "levee.p.http.status",
}

return require("levee.lazy")(submodules)
