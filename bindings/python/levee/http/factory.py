"""levee.http.factory: h.http (HTTPFactory): listen(), connect(), pool()."""
from ..errors import Error
from . import wire as W
from .client import Client
from .pool import Pool, split_url_scheme
from .server import Server

__all__ = ["HTTPFactory"]

_DEFAULT = object()


class HTTPFactory:
    """h.http: listen(...), connect(...), pool(...)."""

    def __init__(self, hub):
        self.hub = hub

    def listen(self, port=0, host=None, timeout=None, max_body=64 << 20, backlog=256,
               nodelay=True, unix=None, head_timeout=60000, keepalive_timeout=75000,
               on_error=None, tls=None, reuseport=False, **limits):
        """A Server on host:port (default 127.0.0.1, port 0 picks one) or a
        unix socket. head_timeout: ms a request head may take to arrive once
        it started; keepalive_timeout: ms a connection may sit idle between
        requests (both None: forever); timeout: ms any read or write may
        stall (None: forever); max_body: the largest request body in bytes
        (413 beyond; None: no limit); on_error(exc, req): called when a
        handler of serve() raises; limits: the Parser limits (max_uri,
        max_head, max_headers, ...); tls: TLS server options (docs/tls.md):
        the same HTTP over TLS; reuseport: share the port with other
        listeners that set it (processes or threads, docs/thread.md)."""
        W.limits(limits)   # checks the names and values
        listener = self.hub.stream.listen(port=port, host=host, timeout=timeout, unix=unix,
                                          backlog=backlog, tls=tls, reuseport=bool(reuseport))
        return Server(self.hub, listener, limits, max_body, nodelay, head_timeout,
                      keepalive_timeout, on_error)

    def connect(self, port=None, host=None, timeout=None, connect_timeout=None, nodelay=True,
                unix=None, tls=None, **limits):
        """A Client connected to host:port (default 127.0.0.1), to an
        "http://host:port" or "https://host:port" URL given as port, or to a
        unix socket. timeout: ms for each read or write (Timeout, and the
        client closes); tls: TLS client options (docs/tls.md; True for the
        defaults; an https:// URL implies it); limits: Parser limits for
        the responses."""
        W.limits(limits)
        if unix is not None:
            io = self.hub.stream.dial(unix=unix, timeout=timeout, tls=tls)
            return Client(self.hub, io, host or "localhost", limits)
        default = 443 if tls else 80
        if isinstance(port, str) and not port.isdigit():
            scheme, host, port = split_url_scheme(port)
            if scheme == "https":
                default = 443
                if tls is None:
                    tls = True
        port = int(port) if port is not None else default
        host = host or "127.0.0.1"
        io = self.hub.stream.dial(port=port, host=host, timeout=timeout,
                                  connect_timeout=connect_timeout, tls=tls)
        if nodelay:
            try:
                io.sockopt("nodelay", 1)
            except Error:
                pass
        hoststr = "[%s]" % host if ":" in host else host
        return Client(self.hub, io, hoststr if port == default else "%s:%d" % (hoststr, port),
                      limits)

    def pool(self, url, size=8, timeout=None, connect_timeout=None, tls=None, **limits):
        """A Pool of up to size Clients to url ("http://host:port" or
        "https://...")."""
        return Pool(self, url, size, timeout, connect_timeout, tls, **limits)
