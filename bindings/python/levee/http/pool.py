"""levee.http.pool: h.http.pool(url) -> Pool, up to size keep-alive Clients
to one server."""
import collections
from urllib.parse import urlsplit

import greenlet

from ..errors import Closed, Timeout

__all__ = ["Pool", "split_url"]

_IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))


class Pool:
    """h.http.pool(url, size=, timeout=): up to size keep-alive Clients to
    one server. request/get/head/post/put/delete take an idle client (or
    dial one, or wait for one), read the body (unless stream=True: the
    client comes back once the body is read or discarded) and return the
    Response. A request that fails on a reused connection before any
    response is retried once on a new one when its method is idempotent."""

    def __init__(self, factory, url, size=8, timeout=None, connect_timeout=None, tls=None,
                 **limits):
        if size < 1:
            raise ValueError("levee.http: pool size must be >= 1")
        self.factory, self.hub = factory, factory.hub
        scheme, self.host, self.port = split_url_scheme(url)
        self.tls = tls if tls is not None else (True if scheme == "https" else None)
        self.size, self.timeout, self.connect_timeout = size, timeout, connect_timeout
        self.limits = limits
        self._idle = []
        self._count = 0
        self._waiters = collections.deque()
        self.closed = False

    def _acquire(self):
        while True:
            if self.closed:
                raise Closed()
            while self._idle:
                c = self._idle.pop()
                if c.reusable():
                    return c, True
                c.close()
                self._count -= 1
            if self._count < self.size:
                self._count += 1
                try:
                    return self.factory.connect(self.port, self.host, timeout=self.timeout,
                                                connect_timeout=self.connect_timeout,
                                                tls=self.tls, **self.limits), False
                except BaseException:
                    self._count -= 1
                    self._wake()
                    raise
            self._waiters.append(greenlet.getcurrent())
            self.hub.pause()

    def _release(self, c):
        if self.closed or not c.reusable():
            c.close()
            self._count -= 1
        else:
            self._idle.append(c)
        self._wake()

    def _wake(self):
        if self._waiters:
            self.hub.resume(self._waiters.popleft())

    def request(self, method, path="/", params=None, headers=None, data=None, json=None,
                stream=False, ms=None):
        for attempt in (0, 1):
            c, reused = self._acquire()
            try:
                resp = c.request(method, path, params, headers, data, json, ms)
            except (Closed, ConnectionError) as e:
                self._release(c)
                if reused and attempt == 0 and method in _IDEMPOTENT and not isinstance(e, Timeout):
                    continue
                raise
            except BaseException:
                c.close()
                self._release(c)
                raise
            if stream and not resp._done:
                resp._on_done = lambda: self._release(c)
                return resp
            try:
                resp.read()
            except BaseException:
                c.close()
                self._release(c)
                raise
            self._release(c)
            return resp

    def get(self, path="/", params=None, headers=None, stream=False, ms=None):
        return self.request("GET", path, params, headers, None, None, stream, ms)

    def head(self, path="/", params=None, headers=None, ms=None):
        return self.request("HEAD", path, params, headers, None, None, False, ms)

    def post(self, path="/", data=None, params=None, headers=None, json=None, stream=False,
             ms=None):
        return self.request("POST", path, params, headers, data, json, stream, ms)

    def put(self, path="/", data=None, params=None, headers=None, json=None, stream=False,
            ms=None):
        return self.request("PUT", path, params, headers, data, json, stream, ms)

    def delete(self, path="/", params=None, headers=None, stream=False, ms=None):
        return self.request("DELETE", path, params, headers, None, None, stream, ms)

    def idle(self):
        """How many idle connections the pool holds."""
        return len(self._idle)

    def close(self):
        """Closes the idle connections; busy ones close when released."""
        if self.closed:
            return False
        self.closed = True
        for c in self._idle:
            c.close()
        self._count -= len(self._idle)
        self._idle = []
        while self._waiters:
            self.hub.resume(self._waiters.popleft(), err=Closed())
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def split_url(url):
    """(host, port) of "http://host[:port][/...]" or "https://..." (or
    "host:port"); see split_url_scheme for the scheme."""
    _, host, port = split_url_scheme(url)
    return host, port


def split_url_scheme(url):
    """(scheme, host, port) of an http:// or https:// URL (or "host:port",
    taken as http); a scheme levee cannot serve is a ValueError."""
    if "//" not in url:
        url = "http://" + url
    u = urlsplit(url)
    if u.scheme not in ("http", "https"):
        raise ValueError("levee.http: only http:// and https:// URLs are supported, not %r" % url)
    return u.scheme, u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "https" else 80)
