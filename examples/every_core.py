"""Serving one port on every core from N processes: each worker is a fork()
of this one with its own hub and its own SO_REUSEPORT listener on the same
port (the kernel spreads the connections). SIGTERM stops them all
gracefully: the parent passes it on, each worker stops accepting and lets
the requests in flight finish, and the parent returns once every worker has
exited.

    python3 examples/every_core.py             a demo: serves, asks itself, stops itself
    python3 examples/every_core.py PORT [N]    serves PORT (0: any) with N processes until SIGTERM
"""
import os
import signal
import socket
import sys
import traceback

import levee

serve_mode = len(sys.argv) > 1
port = int(sys.argv[1]) if serve_mode else 0
nproc = int(sys.argv[2]) if len(sys.argv) > 2 else 2

# Port 0 becomes a real port the workers can share: bound here with
# SO_REUSEPORT but never listening, so it takes no connection.
reserve = socket.socket()
reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
reserve.bind(("127.0.0.1", port))
port = reserve.getsockname()[1]

# SIGTERM waits (blocked) until a hub subscribes to it: h.signal unblocks it,
# so a worker cannot be killed by the default action while it starts.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def worker(wid, ready):
    h = levee.Hub()  # made after fork(): a hub of the parent's would be refused (EFORKED)
    stop = h.signal("SIGTERM")
    srv = h.http.listen(port=port, reuseport=True)

    def app(req):
        hello = "hello from process %d\n" % wid
        if req.path == "/slow":
            # the head now, the body later: a request in flight for a while
            w = req.respond(200, None, None)
            h.sleep(300)
            w.send(hello)
            w.close()
            return None
        return hello
    srv.serve(app)
    os.write(ready, b"+")
    stop.recv()
    srv.shutdown(2000)  # stop accepting; requests in flight finish
    stop.close()


r, w = os.pipe()
children = []
for wid in range(1, nproc + 1):
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            worker(wid, w)
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    children.append(pid)
os.close(w)

h = levee.Hub()
term = h.signal("SIGTERM")
ready = h.io.r(r)
started = b""
while len(started) < nproc:
    started += ready.read()
ready.close()
print("listening on 127.0.0.1:%d with %d processes" % (port, nproc), flush=True)

if not serve_mode:
    # the demo: a few requests, then SIGTERM to ourselves
    answered = 0
    for _ in range(10):
        with h.http.connect(port) as c:
            if c.get("/").read().startswith(b"hello from process"):
                answered += 1
    print("answered %d requests" % answered)  # answered 10 requests
    os.kill(os.getpid(), signal.SIGTERM)

term.recv()
for pid in children:
    os.kill(pid, signal.SIGTERM)
failed = 0
for pid in children:
    _, status = os.waitpid(pid, 0)  # they are on their way out
    failed += os.waitstatus_to_exitcode(status) != 0
term.close()
reserve.close()
print("every process shut down" if not failed else "%d workers failed" % failed, flush=True)  # every process shut down
sys.exit(1 if failed else 0)
