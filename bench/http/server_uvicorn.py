"""Hello-world HTTP server on uvicorn (uvloop + httptools, Debian's
python3-uvicorn / python3-httptools / python3-uvloop), the reference the
Python levee server is measured against in bench/http/serve.sh.

    /usr/bin/python3 bench/http/server_uvicorn.py PORT

Answers every request with 200, Content-Type text/plain and the body
"Hello World\\n", as nginx and the levee servers do. Runs until killed.
"""
import sys

import uvicorn

BODY = b"Hello World\n"
START = {"type": "http.response.start", "status": 200,
         "headers": [(b"content-type", b"text/plain"), (b"content-length", b"12")]}
END = {"type": "http.response.body", "body": BODY}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(START)
    await send(END)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
                log_level="error", access_log=False, lifespan="off", server_header=False,
                date_header=True)
