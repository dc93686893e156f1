# levee (Python) echo server for the echo bench: python3 echo_levee.py PORT
import sys

import levee

h = levee.Hub()
serve = h.stream.listen(port=int(sys.argv[1]))


def echo(conn):
    with conn:
        while True:
            try:
                data = conn.read()
            except levee.Closed:
                return
            conn.write(data)


print("ready", flush=True)
for conn in serve:
    h.spawn(echo, conn)
