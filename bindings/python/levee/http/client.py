"""levee.http.client: h.http.connect() -> Client, one keep-alive HTTP/1.1
connection. Requests are written at once (pipelining); responses are read
in request order through the connection engine, by whichever green thread
asks for one (an earlier unread body is read into memory for its owner)."""
import collections
from urllib.parse import urlencode

import greenlet

from .._ffi import lib
from ..errors import Closed, Error, HTTPError, Timeout, error_for
from . import wire as W
from .body import Message, body_error
from .headers import Headers
from .status import Status

__all__ = ["Response", "Pending", "Client", "USER_AGENT"]


def _user_agent():
    try:
        from .. import meta
        return "%s/%s" % (meta.name, meta.version)
    except Exception:
        from .._ffi import ffi
        return "levee/" + ffi.string(lib.levee_version_string()).decode()


USER_AGENT = _user_agent()
_next, _ask = W._next, lib.levee_h1_ask
MSG, TOKS = W.MSG, W.TOKS


class Response(Message):
    """A response read by a Client: code, reason, version (minor), headers
    (Headers), length (Content-Length, None when chunked or read until
    close), chunked. The body: read() / body, chunks(), json(), text(),
    save(path), discard(); a context manager (discards the rest on exit).
    HEAD, 1xx, 204 and 304 responses have an empty body."""

    __slots__ = ("code", "reason", "version", "headers", "method", "_on_done", "_close",
                 "_wire", "_eid", "_kind", "_length", "_done", "_body", "_rest")

    def __init__(self, client, parts, method):
        self.code = MSG.status
        self.reason = parts[0].decode("latin-1")
        self.version = MSG.version
        self.headers = Headers([(parts[i].decode("latin-1"), parts[i + 1].decode("latin-1"))
                                for i in range(1, len(parts) - 1, 2)])
        self.method = method
        self._on_done = None
        self._close = bool(MSG.flags & W.F_CLOSE)
        self._init_body(client, MSG.id, MSG.body, MSG.length)

    @property
    def status(self):
        return Status(self.code, self.reason)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._done and not self._wire.closed:
            try:
                self.discard()
            except Error:
                pass

    def __repr__(self):
        return "<levee.http.Response %d %s>" % (self.code, self.reason)


class Pending:
    """A request sent by Client.send(): recv([ms]) gives its Response once
    the earlier ones were read (their unread bodies are buffered)."""

    __slots__ = ("client", "method", "response", "error")

    def __init__(self, client, method):
        self.client, self.method, self.response, self.error = client, method, None, None

    def recv(self, ms=None):
        if self.response is None and self.error is None:
            self.client._recv_until(self, ms)
        if self.error is not None:
            raise self.error
        return self.response

    def __repr__(self):
        return "<levee.http.Pending %s>" % self.method


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("a body must be bytes or str, not %s" % type(data).__name__)


class Client(W.Wire):
    """h.http.connect(...): one keep-alive HTTP/1.1 connection.
    request/get/head/post/put/delete return the Response; send() writes a
    request at once and returns a Pending (pipelining: responses come back
    in request order). close(); a context manager."""

    def __init__(self, hub, io, host, limits):
        W.Wire.__init__(self, hub, io, W.engine(W.CLIENT, W.limits(limits)))
        self.host = host
        self._defaults = ("Host\0%s\0User-Agent\0%s\0Accept\0*/*\0" % (host, USER_AGENT)).encode(
            "latin-1")
        self._sent = collections.deque()    # Pendings waiting for a response head
        self._current = None                # the Response whose body is being read
        self._reading = None                # the green thread reading the socket
        self._queue = collections.deque()   # green threads waiting to read

    # ---- requests out
    def send(self, method, path="/", params=None, headers=None, data=None, json=None):
        """Writes a request now and returns its Pending. params (mapping or
        pairs) are URL-encoded into the query; headers as for respond();
        data: bytes or str (Content-Length) or an iterable of bytes/str
        (sent chunked); json: a value sent as application/json. Host,
        User-Agent and Accept are added when missing."""
        if self.closed:
            raise Closed()
        if params:
            path = "%s%s%s" % (path, "&" if "?" in path else "?", urlencode(params, doseq=True))
        if json is not None:
            from .. import json as pj
            data = pj.dumps(json).encode()
            h = Headers(headers) if headers else Headers()
            if "content-type" not in h:
                h.add("Content-Type", "application/json")
            headers = h
        stream = None
        flags = 0
        if data is None:
            kind, length, data = W.BODY_NONE, 0, b""
            if method in ("POST", "PUT", "PATCH"):
                kind = W.BODY_LENGTH
            flags = W.O_USE_LENGTH
        elif isinstance(data, (bytes, bytearray, memoryview, str)):
            data = _as_bytes(data)
            kind, length = W.BODY_LENGTH, len(data)
        else:
            stream = iter(data)
            kind, length, data = W.BODY_CHUNKED, 0, b""
        m = method.encode("latin-1")
        t = path.encode("latin-1")
        fields = W.pack_fields(headers)
        rc = _ask(self._h, m, len(m), t, len(t), fields, len(fields), self._defaults,
                  len(self._defaults), data, len(data), kind, length, flags)
        if rc < 0:
            if rc == W.EINVAL:
                raise ValueError("levee.http: a method, target or header holds a byte HTTP "
                                 "does not allow (CR, LF, NUL, a space in the target)")
            raise error_for(rc)
        pending = Pending(self, method)
        self._sent.append(pending)
        self.flush()
        if stream is not None:
            send = lib.levee_h1_send
            for piece in stream:
                piece = _as_bytes(piece)
                if piece:
                    send(self._h, rc, piece, len(piece))
                    self.flush()
            lib.levee_h1_finish(self._h, rc)
            self.flush()
        return pending

    def request(self, method, path="/", params=None, headers=None, data=None, json=None,
                ms=None):
        """send(...).recv(ms): the Response (its body not read yet)."""
        return self.send(method, path, params, headers, data, json).recv(ms)

    def get(self, path="/", params=None, headers=None, ms=None):
        return self.request("GET", path, params, headers, None, None, ms)

    def head(self, path="/", params=None, headers=None, ms=None):
        return self.request("HEAD", path, params, headers, None, None, ms)

    def post(self, path="/", data=None, params=None, headers=None, json=None, ms=None):
        return self.request("POST", path, params, headers, data, json, ms)

    def put(self, path="/", data=None, params=None, headers=None, json=None, ms=None):
        return self.request("PUT", path, params, headers, data, json, ms)

    def delete(self, path="/", params=None, headers=None, ms=None):
        return self.request("DELETE", path, params, headers, None, None, ms)

    # ---- responses in
    def _lock(self):
        """Takes the socket for reading (False if the caller had it)."""
        me = greenlet.getcurrent()
        if self._reading is me:
            return False
        if self._reading is not None:
            self._queue.append(me)
            self.hub.pause()   # _unlock hands the socket over
        self._reading = me
        return True

    def _unlock(self):
        if self._queue:
            self._reading = self._queue.popleft()
            self.hub.resume(self._reading)
        else:
            self._reading = None

    def _recv_until(self, pending, ms=None):
        took = self._lock()
        try:
            while pending.response is None and pending.error is None:
                if self.closed:
                    raise Closed()
                cur = self._current
                if cur is not None:
                    cur._buffer_rest()   # for its owner
                    continue
                if not self._sent:
                    raise Closed()
                p = self._sent[0]
                p.response = self._read_head(p.method, ms)
                self._sent.popleft()
                if not p.response._done:
                    self._current = p.response
                else:
                    self._body_done(p.response)
        except (Error, HTTPError) as e:
            self._fail(e)
        finally:
            if took:
                self._unlock()

    def _fail(self, e):
        for p in self._sent:
            if p.response is None and p.error is None:
                p.error = e
        self._sent.clear()
        self.close()

    def _read_head(self, method, ms):
        h = self._h
        while True:
            rc = _next(h, MSG, TOKS, W.MAX_TOKENS)
            if rc == W.HEAD:
                return Response(self, W.packed_head(), method)
            if rc == W.NEED:
                self.fill(self.io.timeout if ms is None else ms)
            elif rc == W.CLOSED or rc == W.ETOOSHORT:
                raise Closed()
            else:
                raise error_for(rc)

    def _fill_body(self, resp):
        try:
            self.fill()
        except Closed:
            if resp._until_close and not self.io.closed:
                return   # the end of the body: the engine says END next
            self._fail(Closed())   # cut short: nothing after it can be read
            raise
        except Timeout as e:
            self._fail(e)
            raise

    def _body_error(self, resp, code):
        """A malformed or cut short response body: the connection cannot
        go on."""
        self._current = None
        err = body_error(code)
        self._fail(err)
        return err

    def _body_done(self, resp):
        if self._current is resp:
            self._current = None
        if resp._close or lib.levee_h1_state(self._h) & W.S_CLOSE:
            if not self._sent:
                self.close()
        cb = resp._on_done
        if cb is not None:
            resp._on_done = None
            cb()

    def reusable(self):
        """True when idle and kept alive: nothing in flight, no close
        announced, and the server has not closed or sent anything since."""
        if self.closed or self._sent or self._current is not None:
            return False
        st = lib.levee_h1_state(self._h)
        if not st & W.S_IDLE or st & (W.S_CLOSE | W.S_EOF):
            return False
        # EOF, or bytes nobody asked for, make it unusable
        return lib.levee_h1_read(self._h, self._s) == W.WANT_READ

    def close(self):
        """Closes the connection; responses not read yet raise Closed."""
        if self.closed:
            return False
        self.closed = True
        for p in self._sent:
            if p.response is None and p.error is None:
                p.error = Closed()
        self._sent.clear()
        self.io.close()
        return True

    def __repr__(self):
        return "<levee.http.Client %s>" % self.host
