-- levee.p.registered: the protocols an io's `.p` offers by name (lua-api.md
-- §10): json, msgpack and http (HTTP 0.4). json.io(p) and msgpack.io(p)
-- give the convenience object that `p.json` / `p.msgpack` are.
return {
  json = require("levee.p.json"),
  msgpack = require("levee.p.msgpack"),
  http = require("levee.p.http.0_4"),
}
