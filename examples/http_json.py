"""An HTTP server answering JSON, queried by the levee client, both on one
hub (greenlets): the Python twin of examples/http_json.lua."""
import levee
from levee import json

h = levee.Hub()


def app(req):
    if req.method == "POST":
        return (200, {"Content-Type": "application/json"},
                json.dumps({"echo": json.loads(req.read())}))
    q = dict(kv.split("=") for kv in req.path.partition("?")[2].split("&") if kv)
    return (200, {"Content-Type": "application/json"},
            json.dumps({"sum": int(q.get("a", 0)) + int(q.get("b", 0)), "path": req.path}))


with h.http.listen(port=0) as srv:
    srv.serve(app)
    with h.http.connect(srv.port) as c:
        r = c.get("/sum", params={"a": 40, "b": 2})
        print(r.code, r.headers["content-type"])   # 200 application/json
        v = r.json()
        print(v["sum"], v["path"])                 # 42 /sum?a=40&b=2
        r = c.post("/echo", data=b'{"hello": ["json", 1, true]}')
        print(r.json()["echo"]["hello"])           # ['json', 1, True]
    srv.shutdown(100)
print(h.in_use())                                  # False
