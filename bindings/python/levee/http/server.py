"""levee.http.server: h.http.listen() -> Server, whose Connections give
Requests; req.respond() answers. The connection engine (levee_h1) decides
the framing, keep-alive, 100-continue, refusals (400/413/414/431) and the
order of pipelined answers; this module calls the app and waits."""
import sys as _sys
import os
import traceback

import greenlet

from .._ffi import lib
from ..errors import Closed, Error, Timeout, error_for
from . import wire as W
from .body import Message, body_error
from .headers import Headers
from .status import Status, REASONS

__all__ = ["Request", "ResponseWriter", "Connection", "Server"]

_next, _reply, _send, _finish = W._next, W.reply, lib.levee_h1_send, lib.levee_h1_finish
_wbuf, _wbuf_len = W._wbuf, W._wbuf_len
_step = W.step
_state, _due, _inflight, _discard = W._state, lib.levee_h1_due, lib.levee_h1_inflight, lib.levee_h1_discard
MSG, NULL = W.MSG, W.NULL
_reasons = {code: reason.encode("latin-1") for code, reason in REASONS.items()}
_packed = W._packed
_current = greenlet.getcurrent


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise TypeError("a body must be bytes or str, not %s" % type(data).__name__)


def _status(status):
    """(code, reason bytes or None) of an int or a Status."""
    if status.__class__ is int:
        if not 100 <= status <= 999:
            raise ValueError("bad status code %r" % (status,))
        return status, _reasons.get(status)
    if isinstance(status, Status):
        return status.code, status.reason.encode("latin-1")
    raise TypeError("status must be an int or a Status, not %s" % type(status).__name__)


class Request(Message):
    """A request received by a server Connection.

    method, path (the raw target, query included; also target), version
    (minor: 1 for HTTP/1.1), headers (Headers), length (Content-Length,
    None when chunked), chunked, conn (the levee.io.IO), connection (the
    Connection). The body: read() / body, chunks(), json(), text(),
    save(path), discard(). Answer with respond(status, headers, body),
    respond_json(value), or sendfile(path)."""

    __slots__ = ("connection", "version", "_parts", "_headers", "_method", "_path",
                 "_wire", "_eid", "_kind", "_length", "_done", "_body", "_rest",
                 "_flags", "responded", "_response", "_query")

    def __init__(self, connection, head):
        self.connection = connection
        self._parts, length, eid, self.version, kind, self._flags = head
        self._method = self._path = self._headers = self._query = self._response = None
        # the body (Message._init_body, written out: this runs per request)
        self._wire = connection
        self._eid = eid
        self._kind = kind
        self._length = length
        self._done = kind == W.BODY_NONE
        self._body = self._rest = None
        self.responded = False

    @property
    def method(self):
        m = self._method
        if m is None:
            m = self._method = self._parts[0].decode("latin-1")
        return m

    @property
    def path(self):
        p = self._path
        if p is None:
            p = self._path = self._parts[1].decode("latin-1")
        return p

    @property
    def conn(self):
        return self.connection.io

    @property
    def response(self):
        """The ResponseWriter once answered (closed for a complete answer)."""
        r = self._response
        if r is None and self.responded:
            r = self._response = ResponseWriter(self)
            r.closed = True
        return r

    @property
    def headers(self):
        h = self._headers
        if h is None:
            p = self._parts
            h = self._headers = Headers([(p[i].decode("latin-1"), p[i + 1].decode("latin-1"))
                                         for i in range(2, len(p) - 1, 2)])
        return h

    @property
    def target(self):
        return self.path

    @property
    def query(self):
        """The query parsed by levee.uri into a dict (+ and %XX decoded; a
        key given more than once maps to the list of its values)."""
        q = self._query
        if q is None:
            from .. import uri
            q = self._query = uri.URI(self.path).params()
        return q

    def uri(self):
        """The request's URI (a levee.uri.URI): "http://" + Host + path, the
        path alone without a Host header."""
        from .. import uri
        host = self.headers.get("host")
        return uri.URI("http://%s%s" % (host, self.path) if host else self.path)

    def respond(self, status=200, headers=None, body=b""):
        """Answers the request. status is an int or a Status; headers a
        mapping, Headers or (name, value) pairs (list values repeat). body:
        bytes or str => Content-Length and the body; an int n =>
        Content-Length n, then write exactly n bytes with response.write()
        (or to req.conn) and response.close(); None => a streamed body
        (chunked; until the connection closes for HTTP/1.0; the headers'
        own Content-Length when they give one): response.send(data) per
        chunk, response.close() at the end. Returns the ResponseWriter
        (req.response). Date is added when missing; 1xx, 204 and 304 carry
        no body, HEAD requests get the head only. Responses go out in
        request order. A vanished peer is not an error here (the connection
        closes); the writer's send() raises Closed."""
        if self.responded:
            raise RuntimeError("levee.http: the request was already answered")
        if status.__class__ is int and 100 <= status <= 999:
            code, reason = status, _reasons.get(status)
        else:
            code, reason = _status(status)
        if headers.__class__ is dict:
            hit = _packed.get(id(headers))
            fields = hit[1] if hit is not None and hit[0] == headers else W.pack_fields(headers)
        else:
            fields = W.pack_fields(headers)
        flags = 0
        if body is None:
            kind, length, data = W.BODY_CHUNKED, 0, b""
            flags = W.O_USE_LENGTH
        elif body.__class__ is int:
            if body < 0:
                raise ValueError("levee.http: negative Content-Length %d" % body)
            kind, length, data = W.BODY_LENGTH, body, b""
        elif body.__class__ is bytes:
            data = body
            kind, length = W.BODY_LENGTH, len(data)
        else:
            data = _as_bytes(body)
            kind, length = W.BODY_LENGTH, len(data)
        conn = self.connection
        if conn.closed:
            self.responded = True
            return self.response
        while True:
            rc = _reply(conn._hk, self._eid, code, reason, fields, data, kind, length, flags)
            if rc != W.EAGAIN:
                break
            conn._wait_turn(self)   # a streamed answer waits for its turn
        if rc < 0:
            if rc == W.EINVAL:
                raise ValueError("levee.http: a header name or value (or the reason) holds CR, "
                                 "LF or NUL, or a name is not a token")
            self.responded = True
            if rc == W.ECLOSED or rc == W.ESTATE:
                return self.response   # answered by the engine, or the connection ends first
            raise error_for(rc)
        self.responded = True
        if rc & W.R_DONE and kind == W.BODY_LENGTH and body.__class__ is not int:
            # complete: the loop's next step writes it, unless someone waits
            # for it or the connection ends with it
            if (conn._turn or conn._waiter is not None or rc & W.R_END or conn.server._draining
                    or _current() is not conn._loop):
                conn._after_complete(self, rc)
            return _DONE
        writer = self._response = ResponseWriter(self, body if body.__class__ is int else None)
        writer.chunked = bool(rc & W.R_CHUNKED)
        if rc & W.R_DONE:
            # complete already (HEAD, 204, 304): what the app still sends is dropped
            writer.skip = True
            conn._after_complete(self, rc)
        else:
            conn.flush()
        return writer

    def respond_json(self, value, status=200, headers=None):
        """Answers with value encoded as JSON (levee.json), Content-Type
        application/json unless headers give one."""
        from .. import json as pj
        h = Headers(headers) if headers else Headers()
        if "content-type" not in h:
            h.add("Content-Type", "application/json")
        return self.respond(status, h, pj.dumps(value).encode())

    def sendfile(self, path, headers=None):
        """Answers 200 with the regular file at path (os.sendfile), or 404
        "Not Found\\n" when it cannot be opened or is not a regular file."""
        import stat
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return self.respond(404, headers=None, body="Not Found\n")
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return self.respond(404, headers=None, body="Not Found\n")
            size = st.st_size
            writer = self.respond(200, headers, size)
            if writer.skip or writer.closed:
                writer.close()
                return writer
            conn = self.connection
            conn.flush()   # the head first
            offset = 0
            stream = conn._s
            try:
                while offset < size:
                    n = lib.levee_stream_sendfile(stream, fd, offset, size - offset)
                    if n > 0:
                        offset += n
                    elif n == W.WANT_WRITE or n == W.WANT_READ:
                        (conn.io.w_ev if n == W.WANT_WRITE else conn.io.r_ev).recv(conn.io.timeout)
                        if conn.io.closed:
                            raise Closed()
                    elif n == lib.LEVEE_ENOTSUP:
                        # a transport that cannot take raw file bytes (TLS):
                        # through the engine, a piece at a time
                        while offset < size:
                            data = os.pread(fd, min(1 << 16, size - offset), offset)
                            if not data:
                                break
                            writer.send(data)
                            offset += len(data)
                        if offset < size:   # the file shrank
                            conn.close()
                            raise Closed()
                        writer._written = size
                        writer.close()
                        return writer
                    elif n == 0:   # the file shrank: the response cannot be completed
                        conn.close()
                        raise Closed()
                    else:
                        conn.close()
                        raise error_for(n)
            except Error:
                if not conn.closed:
                    conn.close()
                raise
            writer._written = size
            writer.close()
            return writer
        finally:
            os.close(fd)

    def __repr__(self):
        return "<levee.http.Request %s %s>" % (self.method, self.path)


class ResponseWriter:
    """req.response: the rest of a response whose body was an int or None.
    send(data) (one chunk; an int n sends a chunk header and the app writes
    n bytes itself), write(data) (raw bytes), close() (ends the body),
    context manager. Raises Closed once the connection is gone."""

    __slots__ = ("req", "chunked", "skip", "closed", "_size", "_written")

    def __init__(self, req, size=None):
        self.req, self.chunked, self.skip, self.closed = req, False, False, False
        self._size = size      # an int body: its length
        self._written = 0

    def send(self, data):
        """Sends data as one chunk (raw for a Content-Length or HTTP/1.0
        body). An int n sends only the chunk header: write n bytes next."""
        if self.closed:
            raise Closed()
        if self.skip:
            return
        req = self.req
        conn = req.connection
        if data.__class__ is int:
            if data > 0 and self.chunked:
                rc = _send(conn._h, req._eid, NULL, data)
                if rc < 0:
                    raise error_for(rc)
                conn.flush()
            return
        data = _as_bytes(data)
        if not data:
            return
        rc = _send(conn._h, req._eid, data, len(data))
        if rc < 0:
            raise error_for(rc) if rc != W.EINVAL else ValueError(
                "levee.http: more bytes than the Content-Length")
        self._written += len(data)
        conn.flush()

    def write(self, data):
        """Writes raw bytes: the body of an int-sized response, or chunk
        data after send(n)."""
        if self.closed:
            raise Closed()
        if self.skip:
            return
        data = _as_bytes(data)
        if self.chunked:
            conn = self.req.connection
            conn.flush()
            conn.io.write(data)
        else:
            self.send(data)

    def close(self):
        """Ends the body (the terminating chunk when chunked) and lets the
        next response go out."""
        if self.closed:
            return False
        self.closed = True
        req = self.req
        conn = req.connection
        if conn.closed or self.skip:
            return True
        h = conn._h
        if self._size is not None and self._written < self._size:
            _send(h, req._eid, NULL, self._size - self._written)   # the app wrote them
        rc = _finish(h, req._eid)
        if rc < 0:
            return True
        conn._after_complete(req, rc)
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: what respond() returns for a complete answer: a closed ResponseWriter
#: (req.response is the request's own, made on access)
_DONE = ResponseWriter(None)
_DONE.closed = True


class Connection(W.Wire):
    """One accepted connection of a Server: recv() / iteration give its
    Requests in order (pipelined ones included). Answers go out in request
    order; answers of a pipelined batch are written together. An unread
    body is discarded when the iteration moves on; a request with
    `Connection: close`, an HTTP/1.0 request without keep-alive, the peer's
    EOF, the timeouts and malformed input end the iteration (malformed
    input is answered 400, 413, 414 or 431 after the earlier requests)."""

    def __init__(self, server, io):
        W.Wire.__init__(self, server.hub, io, W.engine(W.SERVER, server._limits, server.max_body))
        self._hk, self._sk = W.handle(self._h), W.handle(self._s)   # for step() and reply()
        self.server = server
        self._last = None       # the request handed out last
        self._loop = None       # the green thread iterating the requests
        self._turn = None       # exchange id -> green thread waiting to stream
        self._waiter = None     # (request, green thread) waiting for its answer
        self._deadline = None   # when the head being received must be complete
        self._idle_at = None    # hub time the connection went idle (the reaper reads it)
        self._ended = False
        server._start_reaper()

    @property
    def requests(self):
        """Requests received so far."""
        return lib.levee_h1_count(self._h)

    # ---- requests in
    def recv(self):
        """The next Request; raises Closed when the connection is done."""
        req = self._next()
        if req is None:
            raise Closed()
        return req

    def __next__(self):
        req = self._next()
        if req is None:
            raise StopIteration
        return req

    def _next(self):
        """The next Request, or None when the connection is done."""
        self._loop = greenlet.getcurrent()
        h, hk, sk = self._h, self._hk, self._sk
        prev = self._last
        if prev is not None:
            self._last = None
            self._settle(prev)
        ready = 0
        while True:
            if self.closed or self._ended:
                return None
            # one C call: write what the last answers left, read if there is
            # no request buffered, read the next head and hand it over
            rc = _step(hk, sk, ready)
            ready = 0
            if rc.__class__ is tuple:   # HEAD
                self._deadline = None
                req = self._last = Request(self, rc)
                return req
            if rc == W.NEED:
                st = MSG.flags   # the engine's state comes with NEED
                io = self.io
                if st & W.S_OUTPUT:
                    self.flush()   # the fd was full: wait until it takes the rest
                    continue
                if not st & W.S_DRAINED:
                    continue
                if self.server._draining and st & W.S_IDLE:
                    self.close()
                    return None
                if io.closed:
                    self.close()
                    return None
                if io.r_error:
                    lib.levee_h1_eof(h)
                    continue
                if st & W.S_PARTIAL:
                    ms = self._head_wait()
                else:
                    # idle: no timer of its own, the server's reaper closes
                    # it after keepalive_timeout
                    ms = io.timeout
                    self._idle_at = self.server._pass
                # TLS can need writability to read
                state = io.w_ev if st & W.S_WANT_WRITE else io.r_ev
                try:
                    ev = state.recv(ms)
                except Timeout:
                    self.close()
                    return None
                finally:
                    self._idle_at = None
                if ev < 0:
                    if io.closed:
                        self.close()
                        return None
                    if state is io.r_ev:
                        io.r_error = True
                ready = 1
            elif rc < 0 and rc not in (W.ETOOSHORT,) and rc > -1000:
                # the write failed: the peer is gone
                self.close()
                return None
            else:
                self._end()
                return None

    def __iter__(self):
        return self

    def _head_wait(self):
        """How long to wait for input now: the keep-alive timeout while
        nothing of a head arrived, what is left of the head timeout once
        part of it did; the io's timeout bounds both."""
        server = self.server
        st = _state(self._h)
        ms = None
        if st & W.S_PARTIAL:
            if server.head_timeout is not None:
                now = self.hub.now()
                if self._deadline is None:
                    self._deadline = now + server.head_timeout
                ms = max(0, self._deadline - now)
        elif not st & W.S_BODY:
            ms = server.keepalive_timeout
        t = self.io.timeout
        if t is not None and (ms is None or t < ms):
            ms = t
        return ms

    def _settle(self, prev):
        """The previous request's body: wait for its answer when another
        green thread may still read it, then skip what is left."""
        if prev._done:
            return
        if not prev.responded or (prev._response is not None and not prev._response.closed):
            if not prev._done and _inflight(self._h) and not self.closed:
                self._waiter = (prev, greenlet.getcurrent())
                try:
                    self.hub.pause()
                finally:
                    self._waiter = None
        if self.closed:
            return
        h = self._h
        while True:
            rc = _discard(h)
            if rc == 1:
                break
            if rc < 0:
                self._end()
                break
            try:
                self.fill(self.io.timeout)
            except (Closed, Timeout):
                self.close()
                break
        prev._done = True

    def _fill_body(self, msg):
        try:
            self.fill()
        except Timeout:
            self.close()
            raise

    def _body_error(self, msg, code):
        """A malformed, oversized or cut short body: the engine answered
        it (400, 413) if nothing was sent yet; the connection ends."""
        self._ended = True
        if _state(self._h) & W.S_CLOSE:
            try:
                self.flush()
            except Error:
                pass
            self.close()
        return body_error(code)

    def _body_done(self, msg):
        pass

    def _lock(self):
        return False

    def _unlock(self):
        pass

    def _end(self):
        """No further request: close now when nothing is in flight (a
        refusal the engine wrote goes out first), else after the last
        answer."""
        self._ended = True
        if _state(self._h) & W.S_CLOSE:
            try:
                self.flush()
            except Error:
                pass
            self.close()

    # ---- responses out
    def _wait_turn(self, req):
        if self.closed:
            raise Closed()
        turn = self._turn
        if turn is None:
            turn = self._turn = {}
        turn[req._eid] = greenlet.getcurrent()
        try:
            self.hub.pause()
        finally:
            turn.pop(req._eid, None)
        if self.closed:
            raise Closed()

    def _after_complete(self, req, rc):
        """req's answer is complete (rc: the engine's result bits): wake
        the next streamed answer and the loop waiting for it; write now
        unless the loop will ask for the next pipelined request (already
        buffered); close when the connection is done."""
        turn = self._turn
        if turn:
            g = turn.get(_due(self._h))
            if g is not None:
                self.hub.resume(g)
        w = self._waiter
        if w is not None and w[0] is req:
            self._waiter = None
            self.hub.resume(w[1])
        if rc & W.R_END:
            try:
                self.flush()
            except Error:
                pass
            self.close()
            return
        if greenlet.getcurrent() is self._loop and not self.server._draining:
            return   # the loop's next step writes it (with the answers after it)
        try:
            self.flush()
        except Error:
            pass

    def _drain(self):
        """Server shutdown: close now if idle, else after the requests
        received so far are answered."""
        st = lib.levee_h1_drain(self._h)
        if st & W.S_CLOSE:
            self.close()

    def close(self):
        """Writes what is pending (if it can) and closes the connection.
        True the first time, False after."""
        if self.closed:
            return False
        if not self._writing and not self.io.closed:
            try:
                lib.levee_h1_flush(self._h, self._s)
            except Exception:
                pass
        self.closed = True
        self._ended = True
        waiters = []
        if self._turn:
            waiters.extend(self._turn.values())
            self._turn = None
        if self._waiter is not None:
            waiters.append(self._waiter[1])
            self._waiter = None
        self.server._gone(self)
        for g in waiters:
            self.hub.resume(g, err=Closed())
        self.io.close()
        return True

    def __repr__(self):
        return "<levee.http.Connection fd=%d>" % self.fd


class Server:
    """h.http.listen(...): a listening HTTP server. port, addr(); recv() or
    iteration give Connections; serve(handler) answers every request with
    handler(req) in a green thread per connection; close(), shutdown(
    drain_ms), wait(); a context manager (close on exit)."""

    def __init__(self, hub, listener, limits, max_body, nodelay, head_timeout,
                 keepalive_timeout, on_error):
        self.hub, self.listener = hub, listener
        self.limits, self.max_body, self.nodelay = limits, max_body, nodelay
        self._limits = W.limits(limits)
        self.head_timeout, self.keepalive_timeout = head_timeout, keepalive_timeout
        self.on_error = on_error
        self.port = None if listener.options.get("unix") else listener.port()
        self.closed = False
        self.connections = set()
        self.accepted = 0
        self._drained = None
        self._draining = False
        self._waiters = []
        self._reaper = False
        self._pass = 0

    def addr(self):
        return self.listener.addr()

    def recv(self):
        """The next Connection; raises Closed once the server is closed."""
        io = self.listener.recv()
        if self.nodelay:
            try:
                io.sockopt("nodelay", 1)
            except Error:
                pass
        conn = Connection(self, io)
        self.connections.add(conn)
        self.accepted += 1
        return conn

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except Closed:
            raise StopIteration from None

    def serve(self, handler, on_error=None):
        """Accepts in a new green thread and serves every connection in its
        own, calling handler(req) for each request in order. The handler
        answers with req.respond(...) or returns the answer: a body (bytes
        or str, status 200), (status, body) or (status, headers, body). A
        streaming response still open when it returns is closed. An
        exception answers 500 (if nothing was sent) and closes the
        connection after the earlier answers; it goes to on_error(exc, req)
        when given (here or to listen()), else its traceback is printed.
        Returns the server."""
        if on_error is not None:
            self.on_error = on_error

        def accept():
            for conn in self:
                self.hub.spawn(self._serve_conn, conn, handler)
        self.hub.spawn(accept)
        return self

    def _serve_conn(self, conn, handler):
        nxt = conn._next
        try:
            while True:
                req = nxt()
                if req is None:
                    break
                try:
                    rv = handler(req)
                except Exception as e:
                    self._failed(conn, req, e)
                    return
                if not req.responded:
                    if rv is None:
                        req.respond(500, None, "handler did not respond\n")
                        continue
                    if isinstance(rv, tuple):
                        if len(rv) == 3:
                            req.respond(rv[0], rv[1], rv[2])
                        else:
                            req.respond(rv[0], None, rv[1])
                    else:
                        req.respond(200, None, rv)
                else:
                    w = req._response
                    if w is not None and not w.closed:
                        w.close()
        finally:
            conn.close()

    def _failed(self, conn, req, e):
        """The handler raised: hook or traceback, then 500 (if nothing was
        sent) as the connection's last answer."""
        hook = self.on_error
        if hook is not None:
            hook(e, req)
        elif not isinstance(e, Error):
            traceback.print_exc()
            _sys.stderr.flush()
        if conn.closed:
            return
        lib.levee_h1_drain(conn._h)
        try:
            if not req.responded:
                req.respond(500, None, "Internal Server Error\n")
            elif not req.response.closed:
                req.response.close()
        except Error:
            pass
        conn._end()

    def _start_reaper(self):
        if self._reaper or (self.keepalive_timeout is None and self.head_timeout is None):
            return
        self._reaper = True
        self.hub.spawn(self._reap)

    def _reap(self):
        """Closes connections idle past keepalive_timeout, and gives back
        the buffers of the other idle ones (one green thread per server).
        A connection going idle notes the reaper's pass: no clock read per
        request."""
        ka = self.keepalive_timeout
        period = min(t for t in (self.head_timeout, ka) if t is not None) / 4
        period = max(5, min(1000, period))
        try:
            while not (self.closed and not self.connections):
                self.hub.sleep(period)
                self._pass += 1
                for conn in list(self.connections):
                    t = conn._idle_at
                    if t is None:
                        continue
                    # idle since pass t: at least (passes - 1) periods
                    if ka is not None and (self._pass - t - 1) * period >= ka:
                        conn.close()
                    else:
                        lib.levee_h1_release(conn._h)
        finally:
            self._reaper = False

    def _gone(self, conn):
        self.connections.discard(conn)
        g = self._drained
        if g is not None and not self.connections:
            self._drained = None
            self.hub.resume(g)

    def close(self):
        """Stops accepting and closes every connection now."""
        if self.closed:
            return False
        self.closed = True
        self.listener.close()
        for conn in list(self.connections):
            conn.close()
        self._wake()
        return True

    def shutdown(self, drain_ms=None):
        """Stops accepting, closes idle connections, lets the requests
        already received be answered (then closes their connections), and
        force-closes whatever is left after drain_ms (None: no deadline).
        Returns when every connection is closed."""
        if not self.closed:
            self.closed = True
            self.listener.close()
        self._draining = True
        for conn in list(self.connections):
            conn._drain()
        if self.connections:
            self._drained = greenlet.getcurrent()
            try:
                self.hub.pause(drain_ms)
            except Timeout:
                pass
            finally:
                self._drained = None
            for conn in list(self.connections):
                conn.close()
        self._wake()

    def _wake(self):
        waiters, self._waiters = self._waiters, []
        for g in waiters:
            self.hub.resume(g)

    def wait(self):
        """Blocks until the server is closed (close() or shutdown())."""
        if self.closed:
            return
        self._waiters.append(greenlet.getcurrent())
        self.hub.pause()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<levee.http.Server %s>" % (self.port or self.listener.options.get("unix"))
