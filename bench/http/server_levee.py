"""Hello-world HTTP server on levee's Python h.http, for wrk.

    /usr/bin/python3 bench/http/server_levee.py PORT

Answers every request with 200 "Hello World\\n", the body nginx and the Lua
server send (Content-Length, keep-alive). Runs until killed.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python"))

import levee  # noqa: E402

BODY = b"Hello World\n"
HEADERS = {"Content-Type": "text/plain"}


def hello(req):
    req.respond(200, HEADERS, BODY)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    h = levee.Hub()
    srv = h.http.listen(port=port, host="127.0.0.1", backlog=1024, timeout=None)
    srv.serve(hello)
    sys.stdout.write("listening on %d\n" % srv.port)
    sys.stdout.flush()
    srv.wait()


if __name__ == "__main__":
    main()
