"""levee.http: HTTP/1.1 for Python, on levee's C connection engine.

h.http (HTTPFactory) gives the server and the client: h.http.listen()
returns a Server whose connections yield Requests, h.http.connect() a
Client whose requests give Responses, h.http.pool() a pool of clients.
The engine (levee_h1) owns the protocol: framing, keep-alive, 100-continue,
head encoding and validation, refusals and the order of pipelined answers.
Parser and Status are the tokenizer-level pieces.

    with h.http.listen(port=0) as srv:
        srv.serve(lambda req: (200, {"Content-Type": "text/plain"}, "hi"))
        with h.http.connect(srv.port) as c:
            c.get("/").read()           # b"hi"

One module per concern: parser (the tokenizer's Parser and Head), status,
headers, wire (the engine and the io of a connection), body (reading a
received body), server, client, pool, factory.
"""
from ..errors import HTTPError
from .client import USER_AGENT, Client, Pending, Response
from .factory import HTTPFactory
from .headers import Headers
from .parser import LIMITS, UNTIL_CLOSE, Head, Parser
from .pool import Pool
from .server import Connection, Request, ResponseWriter, Server
from .status import REASONS, Status

__all__ = ["Parser", "Head", "Status", "REASONS", "HTTPError", "LIMITS", "UNTIL_CLOSE",
           "Headers", "Request", "Response", "Server", "Connection", "Client", "Pending",
           "Pool", "ResponseWriter", "HTTPFactory", "USER_AGENT"]
