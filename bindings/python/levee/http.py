"""levee.http: HTTP/1.1 parsing over levee's C++ tokenizer, and Status.

Parser(response=False, **limits) reads requests (or responses) from bytes
as they arrive. next(data) reads one token; read_head(data) reads the whole
head in one C call per arrival; chunk(data) reads chunk headers of a chunked
body. Malformed input, ambiguous framing (request smuggling) and exceeded
limits raise levee.HTTPError (its .name is "ESYNTAX", "ESIZE", ...). Text
(method, target, reason, header names and values) is decoded as latin-1.

h.http (HTTPFactory) builds the client and server on top: h.http.listen()
gives a Server whose connections yield Requests, h.http.connect() a
Client whose requests give Responses, h.http.pool() a pool of clients.

    with h.http.listen(port=0) as srv:
        srv.serve(lambda req: (200, {"Content-Type": "text/plain"}, "hi"))
        with h.http.connect(srv.port) as c:
            c.get("/").read()           # b"hi"
"""
import collections
import email.utils
import os
import sys as _sys
import time
import traceback
from urllib.parse import urlencode, urlsplit

import greenlet

from ._ffi import ffi, lib
from .errors import Closed, Error, HTTPError, Timeout, error_for

__all__ = ["Parser", "Head", "Status", "HTTPError", "LIMITS", "UNTIL_CLOSE",
           "Headers", "Request", "Response", "Server", "Connection", "Client",
           "Pending", "Pool", "ResponseWriter", "HTTPFactory"]

LIMITS = ("max_method", "max_uri", "max_reason", "max_field", "max_value",
          "max_headers", "max_head")

#: Head.length of a response whose body runs until the connection closes.
UNTIL_CLOSE = (1 << 64) - 1

_T_REQUEST = lib.LEVEE_HTTP_T_REQUEST
_T_RESPONSE = lib.LEVEE_HTTP_T_RESPONSE
_T_FIELD = lib.LEVEE_HTTP_T_FIELD
_T_BODY_START = lib.LEVEE_HTTP_T_BODY_START
_T_BODY_CHUNK = lib.LEVEE_HTTP_T_BODY_CHUNK
_T_BODY_END = lib.LEVEE_HTTP_T_BODY_END
_CAP = 128
_from_buffer = ffi.from_buffer
_parse = lib.levee_http_parse
_next = lib.levee_http_next


class Head:
    """A parsed message head.

    Requests have method, target, version; responses status, reason,
    version. headers is the list of (name, value) pairs in order; chunked is
    True for a chunked body, else length is the body length (UNTIL_CLOSE for
    a response read until close). header(name) finds the first value,
    case-insensitively."""

    __slots__ = ("method", "target", "status", "reason", "version", "headers",
                 "chunked", "length")

    def __init__(self):
        self.method = self.target = self.reason = None
        self.status = None
        self.version = None
        self.headers = []
        self.chunked = False
        self.length = 0

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def __repr__(self):
        if self.method is not None:
            return "<Head %s %s HTTP/1.%d>" % (self.method, self.target, self.version)
        return "<Head %s %s HTTP/1.%d>" % (self.status, self.reason, self.version)


def _text(mv, off, n):
    return str(mv[off:off + n], "latin-1")


class Parser:
    """An incremental HTTP/1.1 parser (requests unless response=True).

    Limits (keyword arguments, bytes unless said): max_method (32), max_uri
    (8192), max_reason (256), max_field (256), max_value (1024), max_headers
    (count, 100), max_head (65536). After next()/read_head() return 0
    consumed, call again with the same unconsumed bytes plus the new ones."""

    def __init__(self, response=False, **limits):
        out = ffi.new("levee_http *[1]")
        rc = lib.levee_http_new(out, 1 if response else 0)
        if rc < 0:
            raise error_for(rc)
        self._h = ffi.gc(out[0], lib.levee_http_free)
        self._toks = ffi.new("levee_http_token[]", _CAP)
        self.response = bool(response)
        self._head = None
        self.config(**limits)

    def config(self, **limits):
        """Sets the named limits; the others keep their value."""
        lim = ffi.new("levee_http_limits *")
        lib.levee_http_limits_get(self._h, lim)
        for k, v in limits.items():
            if k not in LIMITS:
                raise TypeError("unknown limit %r" % k)
            if not isinstance(v, int) or not 0 < v <= 0xFFFFFFFF:
                raise ValueError("bad %s: %r" % (k, v))
            setattr(lim, k, v)
        lib.levee_http_limits_set(self._h, lim)
        return self

    def limits(self):
        """The current limits as a dict."""
        lim = ffi.new("levee_http_limits *")
        lib.levee_http_limits_get(self._h, lim)
        return {k: getattr(lim, k) for k in LIMITS}

    def init_request(self, **limits):
        """Starts a new request, keeping (or updating) the limits."""
        lib.levee_http_init(self._h, 0)
        self.response = False
        self._head = None
        return self.config(**limits)

    def init_response(self, **limits):
        """Starts a new response, keeping (or updating) the limits."""
        lib.levee_http_init(self._h, 1)
        self.response = True
        self._head = None
        return self.config(**limits)

    def reset(self):
        """Starts a new message of the same kind, keeping the limits."""
        lib.levee_http_reset(self._h)
        self._head = None

    def is_done(self):
        """True when the message is complete (head of a non-chunked message,
        or the end of a chunked body)."""
        return lib.levee_http_is_done(self._h) == 1

    def next(self, data):
        """Reads one token from data: returns (consumed, token), (0, None)
        when more bytes are needed. Tokens: ("request", method, target,
        version), ("response", status, reason, version), ("field", name,
        value), ("body", chunked, length), ("chunk", size), ("end",)."""
        t = self._toks
        rc = _next(self._h, _from_buffer(data), len(data), t)
        if rc < 0:
            raise error_for(rc)
        if rc == 0:
            return 0, None
        return rc, self._token(memoryview(data).cast("B"), t[0])

    @staticmethod
    def _token(mv, t):
        ty = t.type
        if ty == _T_FIELD:
            return ("field", _text(mv, t.a_off, t.a_len), _text(mv, t.b_off, t.b_len))
        if ty == _T_REQUEST:
            return ("request", _text(mv, t.a_off, t.a_len), _text(mv, t.b_off, t.b_len), t.version)
        if ty == _T_RESPONSE:
            return ("response", t.status, _text(mv, t.a_off, t.a_len), t.version)
        if ty == _T_BODY_START:
            return ("body", bool(t.chunked), int(t.length))
        if ty == _T_BODY_CHUNK:
            return ("chunk", int(t.length))
        return ("end",)

    def read_head(self, data, start=0):
        """Reads the head from data[start:] in bulk: returns (consumed,
        head) with head a Head once complete, else None (drop `consumed`
        bytes and call again with the rest plus new bytes). An HTTPError
        carries .head, the part of the head parsed before it."""
        head = self._head
        if head is None:
            head = self._head = Head()
        mv = memoryview(data).cast("B")
        buf = _from_buffer(data)
        total = len(data)
        pos = start
        toks = self._toks
        headers = head.headers
        while True:
            n = _parse(self._h, buf + pos, total - pos, toks, _CAP)
            if n < 0:
                self._head = None
                err = error_for(n)
                err.head = head   # what was parsed before the error
                raise err
            if n == 0:
                return pos - start, None
            for i in range(n):
                t = toks[i]
                ty = t.type
                off = pos
                if ty == _T_FIELD:
                    a = off + t.a_off
                    b = off + t.b_off
                    headers.append((str(mv[a:a + t.a_len], "latin-1"),
                                    str(mv[b:b + t.b_len], "latin-1")))
                elif ty == _T_REQUEST:
                    head.method = _text(mv, off + t.a_off, t.a_len)
                    head.target = _text(mv, off + t.b_off, t.b_len)
                    head.version = t.version
                elif ty == _T_RESPONSE:
                    head.status = t.status
                    head.reason = _text(mv, off + t.a_off, t.a_len)
                    head.version = t.version
                elif ty == _T_BODY_START:
                    head.chunked = bool(t.chunked)
                    head.length = 0 if t.chunked else int(t.length)
                    self._head = None
                    return pos + t.end - start, head
            pos += toks[n - 1].end

    def chunk(self, data):
        """Reads the next chunk header of a chunked body (data starts right
        after the previous chunk's data, or after the head): returns
        (consumed, size) with size 0 at the end of the body (trailers are
        skipped), or (0, None) when more bytes are needed."""
        consumed, tok = self.next(data)
        if tok is None:
            return 0, None
        if tok[0] == "chunk":
            return consumed, tok[1]
        if tok[0] == "end":
            return consumed, 0
        raise error_for(lib.LEVEE_HTTP_ESTATE)


REASONS = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing",
    103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted",
    203: "Non-Authoritative Information", 204: "No Content",
    205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
    208: "Already Reported", 226: "IM Used",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 304: "Not Modified", 305: "Use Proxy",
    307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed",
    413: "Payload Too Large", 414: "URI Too Long",
    415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 418: "I'm a teapot",
    419: "Authentication Timeout", 420: "Enhance Your Calm",
    421: "Misdirected Request", 422: "Unprocessable Entity",
    423: "Locked", 424: "Failed Dependency", 425: "Too Early",
    426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    440: "Login Timeout", 444: "No Response", 449: "Retry With",
    450: "Blocked by Windows Parental Controls",
    451: "Unavailable For Legal Reasons", 494: "Request Header Too Large",
    495: "Cert Error", 496: "No Cert", 497: "HTTP to HTTPS",
    498: "Token expired/invalid", 499: "Client Closed Request",
    500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage",
    508: "Loop Detected", 509: "Bandwidth Limit Exceeded",
    510: "Not Extended", 511: "Network Authentication Required",
    520: "Origin Error", 521: "Web Server Is Down",
    522: "Connection Timed Out", 523: "Proxy Declined Request",
    524: "A Timeout Occurred", 598: "Network Read Timeout Error",
    599: "Network Connect Timeout Error",
}


class Status:
    """An HTTP status: Status(code[, reason]). Known codes with their
    standard (or no) reason are shared singletons; str() is the status line
    "HTTP/1.1 <code> <reason>\\r\\n"."""

    __slots__ = ("code", "reason")
    _singletons = {}

    def __new__(cls, code, reason=None):
        if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 999:
            raise ValueError("bad status code %r" % (code,))
        s = cls._singletons.get(code)
        if s is not None and (reason is None or reason == s.reason):
            return s
        s = object.__new__(cls)
        s.code = code
        s.reason = reason if reason is not None else REASONS.get(code, "Unknown")
        return s

    def no_content(self):
        """True for 204 and 304, whose responses carry no body."""
        return self.code in (204, 304)

    def __str__(self):
        return "HTTP/1.1 %d %s\r\n" % (self.code, self.reason)

    def __repr__(self):
        return "Status(%d, %r)" % (self.code, self.reason)


for _code, _reason in REASONS.items():
    Status._singletons[_code] = Status(_code, _reason)
Status.REASONS = REASONS


# ---------------------------------------------------------------- headers
class Headers:
    """Header fields in arrival order with case-insensitive lookup.

    h[name] and h.get(name[, default]) give the first value, h.getall(name)
    every value; `name in h`, len(h), iteration over the names in order,
    items() (the (name, value) pairs), add(name, value), h[name] = value
    (replaces every field of that name) and del h[name]."""

    __slots__ = ("_items", "_index")

    def __init__(self, items=None):
        if items is None:
            items = []
        elif isinstance(items, Headers):
            items = list(items._items)
        elif hasattr(items, "items"):
            items = [(k, v) for k, v in items.items()]
        else:
            items = list(items)
        self._items = items
        self._index = None

    def _idx(self):
        idx = self._index
        if idx is None:
            idx = {}
            for k, v in self._items:
                idx.setdefault(k.lower(), []).append(v)
            self._index = idx
        return idx

    def get(self, name, default=None):
        vs = self._idx().get(name.lower())
        return vs[0] if vs else default

    def getall(self, name):
        return list(self._idx().get(name.lower(), ()))

    def __getitem__(self, name):
        vs = self._idx().get(name.lower())
        if not vs:
            raise KeyError(name)
        return vs[0]

    def __contains__(self, name):
        return name.lower() in self._idx()

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return (k for k, _ in self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def items(self):
        return list(self._items)

    def add(self, name, value):
        self._items.append((name, value))
        self._index = None

    def __setitem__(self, name, value):
        self.__delitem__(name, missing_ok=True)
        self.add(name, value)

    def __delitem__(self, name, missing_ok=False):
        low = name.lower()
        kept = [(k, v) for k, v in self._items if k.lower() != low]
        if len(kept) == len(self._items) and not missing_ok:
            raise KeyError(name)
        self._items = kept
        self._index = None

    def __eq__(self, other):
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    def __repr__(self):
        return "Headers(%r)" % (self._items,)


def _has_token(value, token):
    """True if the comma-separated header value lists token (any case)."""
    return token in [t.strip() for t in value.lower().split(",")]


# ---------------------------------------------------------------- wire
_READ = 65536
_WANT_READ, _WANT_WRITE = lib.LEVEE_WANT_READ, lib.LEVEE_WANT_WRITE
_PIECE = 1 << 20           # chunks() hands out at most this much at once
_CRLF = b"\r\n"
_LAST_CHUNK = b"0\r\n\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_ESIZE = lib.LEVEE_HTTP_ESIZE
_ESYNTAX = lib.LEVEE_HTTP_ESYNTAX
_NO_BODY_CODES = frozenset((204, 304))
_date_cache = [0, ""]
_status_lines = {}


def _date_line():
    now = int(time.time())
    if now != _date_cache[0]:
        _date_cache[1] = "Date: %s\r\n" % email.utils.formatdate(now, usegmt=True)
        _date_cache[0] = now
    return _date_cache[1]


def _status_line(status):
    if status.__class__ is int:
        line = _status_lines.get(status)
        if line is None:
            line = _status_lines[status] = str(Status(status))
        return line, status
    if isinstance(status, Status):
        return str(status), status.code
    raise TypeError("status must be an int or a Status, not %s" % type(status).__name__)


def _header_lines(parts, headers, seen):
    """Appends "name: value" lines for headers (a mapping, Headers or
    pairs; list values repeat the field) to parts; seen gets the lower-case
    names."""
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items:
        seen.add(k.lower())
        if isinstance(v, (list, tuple)):
            for x in v:
                parts.append("%s: %s\r\n" % (k, x))
        else:
            parts.append("%s: %s\r\n" % (k, v))


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise TypeError("a body must be bytes or str, not %s" % type(data).__name__)


class _Wire:
    """One HTTP connection's bytes: the unconsumed input (_data from _pos)
    and the output waiting to be written (_out, written in one go)."""

    def __init__(self, hub, io, parser):
        self.hub, self.io, self.parser = hub, io, parser
        self.fd = io.no
        self._data = b""
        self._pos = 0
        self._out = []
        self._writing = False
        self._drained = False   # the last read was short: wait before reading
        self._hup = False       # the hub reported a hang-up or error
        self._eof = False
        self.closed = False

    def _fill(self, timeout=-1):
        """Reads more input (after writing pending output). Raises Closed at
        EOF (the io stays open for writing) or when closed, Timeout after
        the io's timeout (or timeout ms)."""
        if self._out:
            self._flush()
        io = self.io
        if timeout == -1:
            timeout = io.timeout
        while True:
            if io.closed or self._eof:
                raise Closed()
            # A short read drained the socket, so the next bytes come with a
            # new edge, except the EOF or error reported with the last data
            # (the hub's -1): after that, read until EAGAIN or EOF.
            if self._drained and not self._hup:
                if io.r_ev.recv(timeout) < 0:
                    if io.closed:
                        raise Closed()
                    self._hup = True
            buf = io._scratch
            rc = lib.levee_stream_read(io._s, buf, _READ)
            if rc == _WANT_READ:
                if self._hup:
                    self._eof = True
                    raise Closed()
                self._drained = True
                continue
            if rc == _WANT_WRITE:
                io.w_ev.recv(timeout)
                continue
            if rc <= 0:   # end of input or a read error
                self._eof = True
                raise Closed()
            new = ffi.unpack(buf, rc)
            self._drained = rc < _READ
            if self._pos >= len(self._data):
                self._data = new
            else:
                self._data = self._data[self._pos:] + new
            self._pos = 0
            return

    def _flush(self):
        """Writes every pending output byte. A write failure closes the
        connection and raises (Closed, BrokenPipe, ConnectionReset, Timeout)."""
        if self._writing:
            return  # the green thread already writing takes what was added
        out = self._out
        if not out:
            return
        if self.io.closed:
            out.clear()
            raise Closed()
        self._writing = True
        io = self.io
        try:
            while out:
                data = b"".join(out) if len(out) > 1 else out[0]
                out.clear()
                total = len(data)
                sent = 0
                p = data
                while sent < total:
                    rc = lib.levee_stream_write(io._s, p, total - sent)
                    if rc >= 0:
                        sent += rc
                        if sent < total:
                            p = ffi.from_buffer(data) + sent
                            rc = lib.levee_stream_want(io._s)
                    if rc == _WANT_WRITE or rc == _WANT_READ:
                        (io.r_ev if rc == _WANT_READ else io.w_ev).recv(io.timeout)
                        if io.closed:
                            raise Closed()
                    elif rc < 0:
                        raise error_for(rc)
        except BaseException:
            out.clear()
            self._writing = False
            self.close()
            raise
        self._writing = False

    def _send(self, data):
        self._out.append(data)
        self._flush()

    def _lock(self):
        return False

    def _unlock(self):
        pass

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Message:
    """A message body read from a _Wire: read() (whole, cached), chunks(),
    json(), text(), save(path), discard()."""

    def _init_body(self, wire, head, limit=None):
        self._wire = wire
        self.chunked = head.chunked
        self._until_close = not head.chunked and head.length == UNTIL_CLOSE
        self.length = None if (head.chunked or self._until_close) else head.length
        self._left = head.length if not head.chunked else 0
        self._chunk = 0
        self._seen = 0
        self._limit = limit
        self._body = None
        self._rest = None       # the rest of the body, buffered for its owner
        self._done = not head.chunked and head.length == 0

    def _piece(self, most=_READ):
        """The next piece of the body (up to most bytes), b"" at its end."""
        rest = self._rest
        if rest is not None:
            self._rest = None
            return rest
        if self._done:
            return b""
        w = self._wire
        took = w._lock()
        try:
            return self._read_piece(w, most)
        finally:
            if took:
                w._unlock()

    def _buffer_rest(self):
        """Reads the rest of the body into memory (for the next message)."""
        parts = []
        piece = self._piece()
        while piece:
            parts.append(piece)
            piece = self._piece()
        if parts:
            self._rest = b"".join(parts)

    def _read_piece(self, w, most):
        if self.chunked:
            if self._chunk == 0:
                parser = w.parser
                while True:
                    if w._pos < len(w._data):
                        try:
                            n, size = parser.chunk(memoryview(w._data)[w._pos:])
                        except HTTPError as e:
                            w._bad_body(self, e)
                            raise
                        if size is not None:
                            w._pos += n
                            break
                    self._more()
                if size == 0:
                    self._finish()
                    return b""
                self._chunk = size
                self._seen += size
                if self._limit is not None and self._seen > self._limit:
                    e = error_for(_ESIZE, "body over %d bytes" % self._limit)
                    w._bad_body(self, e)
                    raise e
            left = self._chunk
        else:
            left = self._left
        while w._pos >= len(w._data):
            try:
                self._more()
            except Closed:
                if self._until_close and w._eof:
                    self._finish()
                    return b""
                raise
        data, pos = w._data, w._pos
        n = min(len(data) - pos, left, most)
        piece = data if (pos == 0 and n == len(data)) else data[pos:pos + n]
        w._pos = pos + n
        if self.chunked:
            self._chunk -= n
        elif not self._until_close:
            self._left -= n
            if self._left == 0:
                self._finish()
        return piece

    def _more(self):
        self._wire._fill_body(self)

    def _finish(self):
        self._done = True
        w = self._wire
        if self.chunked:
            w.parser.reset()
        w._body_done(self)

    def read(self):
        """The whole body as bytes (read on the first call, then cached).
        Raises Closed if the connection ends inside it."""
        if self._body is None:
            parts = []
            piece = self._piece()
            while piece:
                parts.append(piece)
                piece = self._piece()
            self._body = b"".join(parts)
        return self._body

    @property
    def body(self):
        """The whole body (see read())."""
        return self.read()

    def chunks(self):
        """Yields the body in pieces as it arrives: one piece per HTTP chunk
        of a chunked body (split above 1 MiB), else per read."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        while True:
            if self.chunked and not self._done:
                piece = self._piece(_PIECE)
                if not piece:
                    return
                if self._chunk:
                    parts = [piece]
                    size = len(piece)
                    while self._chunk and size < _PIECE:
                        p = self._piece(_PIECE - size)
                        parts.append(p)
                        size += len(p)
                    piece = b"".join(parts)
            else:
                piece = self._piece()
                if not piece:
                    return
            yield piece

    def text(self, encoding="utf-8"):
        return self.read().decode(encoding)

    def json(self):
        """The body decoded as JSON (levee.json)."""
        from . import json as pj
        return pj.loads(self.read())

    def save(self, path):
        """Writes the body to the file at path; returns its length."""
        n = 0
        with open(path, "wb") as f:
            for piece in self.chunks():
                f.write(piece)
                n += len(piece)
        return n

    def discard(self):
        """Reads and drops the rest of the body; returns how many bytes."""
        if self._body is not None:
            return 0
        n = 0
        piece = self._piece()
        while piece:
            n += len(piece)
            piece = self._piece()
        return n


# ---------------------------------------------------------------- server
class Request(_Message):
    """A request received by a server Connection.

    method, path (the raw target, query included), version (minor: 1 for
    HTTP/1.1), headers (Headers), length (Content-Length, None when
    chunked), chunked, conn (the levee.io.IO), connection (the
    Connection). The body: read() / body, chunks(), json(), save(path),
    discard(). Answer with respond(status, headers, body) (or
    sendfile(path))."""

    def __init__(self, connection, head):
        self.connection = connection
        self.conn = connection.io
        self.method = head.method
        self.path = head.target
        self.version = head.version
        self._fields = head.headers
        self._headers = None
        self._init_body(connection, head, connection.server.max_body)
        self._out = None        # complete response bytes waiting for its turn
        self._waiter = None     # a green thread waiting for its turn
        self._close = False
        self._continued = False
        self._rejected = False
        self.responded = False
        self.response = None

    @property
    def headers(self):
        h = self._headers
        if h is None:
            h = self._headers = Headers(self._fields)
        return h

    @property
    def target(self):
        return self.path

    def _wants_close(self):
        keep = self.version >= 1
        for k, v in self._fields:
            if len(k) == 10 and k.lower() == "connection":
                if _has_token(v, "close"):
                    return True
                if _has_token(v, "keep-alive"):
                    keep = True
        return not keep

    def _head(self, status, headers, body_len, chunked):
        """The response head; body_len None (chunked or close-delimited)."""
        line, code = _status_line(status)
        parts = [line]
        seen = set()
        if headers:
            _header_lines(parts, headers, seen)
            if "content-length" in seen or "transfer-encoding" in seen:
                parts = [p for p in parts if not p.lower().startswith(("content-length:",
                                                                       "transfer-encoding:"))]
            if "connection" in seen:
                parts = [p for p in parts if not p.lower().startswith("connection:")]
                if _has_token(Headers(headers).get("connection", ""), "close"):
                    self._close = True
        if "date" not in seen:
            parts.append(_date_line())
        conn = self.connection
        if self._close or conn._no_more or self._wants_close():
            self._close = True
        elif not self._done and not self._continued and self.version >= 1:
            # the peer may be holding the body back for a 100 Continue that
            # will not come: close rather than wait for it
            expect = self.headers.get("expect")
            if expect is not None and expect.lower() == "100-continue":
                self._close = True
        no_body = code in _NO_BODY_CODES or code < 200
        if not no_body:
            if body_len is not None:
                parts.append("Content-Length: %d\r\n" % body_len)
            elif chunked:
                parts.append("Transfer-Encoding: chunked\r\n")
            else:
                self._close = True   # HTTP/1.0: the body ends with the connection
        if self._close:
            parts.append("Connection: close\r\n")
        elif self.version == 0:
            parts.append("Connection: keep-alive\r\n")
        parts.append("\r\n")
        return "".join(parts).encode("latin-1"), no_body or self.method == "HEAD"

    def respond(self, status=200, headers=None, body=b""):
        """Answers the request. status is an int or a Status; headers a
        mapping, Headers or (name, value) pairs (list values repeat). body:
        bytes or str ⇒ Content-Length and the body; an int n ⇒
        Content-Length n, then write exactly n bytes with
        response.write() (or to req.conn) and response.close(); None ⇒
        chunked (close-delimited for HTTP/1.0): response.send(data) per
        chunk, response.close() at the end. Returns the ResponseWriter
        (req.response). Date is added when missing; 204 and 304 carry no
        body, HEAD requests get the head only. Responses go out in request
        order. A vanished peer is not an error here (the connection
        closes); the writer's send() raises Closed."""
        if self.responded:
            raise RuntimeError("levee.http: the request was already answered")
        self.responded = True
        conn = self.connection
        writer = self.response = ResponseWriter(self)
        if self._rejected:
            writer.closed = True
            return writer
        if body is None or body.__class__ is int:
            if body is None and headers:
                cl = Headers(headers).get("content-length")
                if cl is not None:
                    body = int(cl)
            if body is not None and body < 0:
                raise ValueError("levee.http: negative Content-Length %d" % body)
            chunked = body is None and self.version >= 1
            head, skip = self._head(status, headers, body, chunked)
            writer._start(head, chunked, skip)
            return writer
        data = _as_bytes(body)
        head, skip = self._head(status, headers, len(data), False)
        writer.closed = True
        conn._answered(self, head if skip or not data else head + bytes(data))
        return writer

    def sendfile(self, path, headers=None):
        """Answers 200 with the regular file at path (sent by the kernel:
        levee_stream_sendfile), or 404
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
            if writer.skip:
                writer.close()
                return writer
            conn = self.connection
            offset = 0
            try:
                while offset < size:
                    n = lib.levee_stream_sendfile(conn.io._s, fd, offset, size - offset)
                    if n == _WANT_WRITE:
                        conn.io.w_ev.recv(conn.io.timeout)
                        if conn.io.closed:
                            raise Closed()
                        continue
                    if n < 0:
                        conn.close()
                        raise error_for(n)
                    if n == 0:   # the file shrank: the response cannot be completed
                        conn.close()
                        raise Closed()
                    offset += n
            except Error:
                if not conn.closed:
                    conn.close()
                raise
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

    __slots__ = ("req", "chunked", "skip", "closed", "_crlf")

    def __init__(self, req):
        self.req, self.chunked, self.skip, self.closed = req, False, False, False
        self._crlf = b""    # ends the data the app wrote after send(n)

    def _start(self, head, chunked, skip):
        self.chunked, self.skip = chunked, skip
        conn = self.req.connection
        conn._wait_turn(self.req)
        conn._send(head)

    def send(self, data):
        """Sends data as one chunk (raw for a Content-Length or HTTP/1.0
        body). An int n sends only the chunk header: write n bytes next."""
        if self.closed:
            raise Closed()
        if self.skip:
            return
        conn = self.req.connection
        if data.__class__ is int:
            if self.chunked and data:
                conn._send(b"%s%x\r\n" % (self._crlf, data))
                self._crlf = _CRLF
            return
        data = _as_bytes(data)
        if not data:
            return
        if self.chunked:
            conn._send(b"%s%x\r\n%s\r\n" % (self._crlf, len(data), data))
            self._crlf = b""
        else:
            conn._send(data)

    def write(self, data):
        """Writes raw bytes (the body of an int-sized response, or chunk
        data after send(n))."""
        if self.closed:
            raise Closed()
        if not self.skip:
            self.req.connection._send(_as_bytes(data))

    def close(self):
        """Ends the body (the terminating chunk when chunked) and lets the
        next response go out."""
        if self.closed:
            return False
        self.closed = True
        req = self.req
        conn = req.connection
        if conn.closed:
            return True
        data = b""
        if self.chunked and not self.skip:
            data = self._crlf + _LAST_CHUNK
        conn._answered(req, data)
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Connection(_Wire):
    """One accepted connection of a Server: recv() / iteration give its
    Requests in order (pipelined ones included). Answers go out in request
    order; answers of a pipelined batch are written together. An unread
    body is discarded when the iteration moves on; a request with
    `Connection: close`, an HTTP/1.0 request without keep-alive, the peer's
    EOF and malformed input end the iteration (malformed input is answered
    400, 413, 414 or 431 after the earlier requests)."""

    def __init__(self, server, io):
        _Wire.__init__(self, server.hub, io, Parser(**server.limits))
        self.server = server
        self._ready = collections.deque()     # parsed, not handed out
        self._inflight = collections.deque()  # handed out, not answered, in order
        self._body_req = None
        self._no_more = False   # parse no further requests
        self._ending = False    # hand out no further requests
        self._error = None      # status to answer once the earlier ones are done

    # ---- requests in
    def recv(self):
        """The next Request; raises Closed when the connection is done."""
        ready = self._ready
        while True:
            if ready:
                req = ready.popleft()
                self._inflight.append(req)
                return req
            if self.closed or self._ending:
                raise Closed()
            if self._no_more:
                self._end()
                raise Closed()
            body = self._body_req
            if body is not None:
                if not body._done:
                    try:
                        body.discard()
                    except Error:
                        self._no_more = True
                        continue
                self._body_req = None
            if self._pos < len(self._data):
                self._parse()
                if ready or self._no_more:
                    continue
            try:
                self._fill()
            except Timeout:
                self.close()
                raise Closed() from None
            except Closed:
                self._no_more = True

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except Closed:
            raise StopIteration from None

    def _parse(self):
        parser, ready = self.parser, self._ready
        data, pos = self._data, self._pos
        end = len(data)
        limit = self.server.max_body
        while pos < end:
            try:
                consumed, head = parser.read_head(data, pos)
            except HTTPError as e:
                self._reject(e, data, pos)
                pos = end
                break
            pos += consumed
            if head is None:
                break
            if not head.chunked:
                parser.reset()
            req = Request(self, head)
            if head.chunked or head.length:
                if limit is not None and not head.chunked and head.length > limit:
                    self._error, self._no_more = 413, True
                    pos = end
                    break
                ready.append(req)
                self._body_req = req
                break
            ready.append(req)
        self._pos = pos

    def _reject(self, e, data, pos):
        status = 400
        head = getattr(e, "head", None)
        if e.code == _ESIZE and head is not None and head.method is not None:
            status = 431   # the request line was fine: the headers are too big
        elif e.code == _ESIZE:   # the method or the target?
            lim = self.parser.limits()
            line_end = data.find(b"\r\n", pos)
            line = data[pos:line_end if line_end >= 0 else len(data)]
            sp = line.find(b" ")
            if sp < 0 or sp > lim["max_method"]:
                status = 400
            else:
                sp2 = line.find(b" ", sp + 1)
                target = len(line) - sp - 1 if sp2 < 0 else sp2 - sp - 1
                status = 414 if target > lim["max_uri"] else 431
        self._error, self._no_more = status, True

    def _fill_body(self, req):
        if (not req._continued and req is self._body_req and self._inflight
                and self._inflight[0] is req and not req.responded):
            req._continued = True
            expect = req.headers.get("expect")
            if expect is not None and expect.lower() == "100-continue" and req.version >= 1:
                self._out.append(_CONTINUE)
        self._fill()

    def _body_done(self, req):
        if self._body_req is req:
            self._body_req = None

    def _bad_body(self, req, e):
        """A malformed or oversized request body: answer 400 or 413 (if the
        request is not answered yet) and end the connection."""
        self._reject_req(req, 413 if e.code == _ESIZE else 400)
        self._no_more = True
        self._ready.clear()

    def _reject_req(self, req, status):
        if not req.responded and not req._rejected:
            req._rejected = True
            self._error = status
            if req in self._inflight:
                self._inflight.remove(req)

    def _abort(self, req, status):
        """The handler of req failed: answer status (if nothing was sent)
        after the earlier requests, then close."""
        self._reject_req(req, status)
        self._no_more = True
        self._end()

    # ---- responses out
    def _wait_turn(self, req):
        infl = self._inflight
        while not self.closed and (not infl or infl[0] is not req):
            if req not in infl:
                raise RuntimeError("levee.http: the request was not received on this connection")
            req._waiter = greenlet.getcurrent()
            try:
                self.hub.pause()
            finally:
                req._waiter = None
        if self.closed:
            raise Closed()

    def _answered(self, req, data):
        """req's response is complete (data: its last bytes)."""
        infl = self._inflight
        if not infl or infl[0] is not req:
            if req in infl:
                req._out = data
            return
        out = self._out
        if data:
            out.append(data)
        infl.popleft()
        if req._close:
            self._stop()
        while infl:
            nxt = infl[0]
            if nxt._out is None:
                g = nxt._waiter
                if g is not None:
                    nxt._waiter = None
                    self.hub.resume(g)
                break
            if nxt._out:
                out.append(nxt._out)
            nxt._out = None
            infl.popleft()
            if nxt._close:
                self._stop()
        if not self._ready or self._ending:
            try:
                self._flush()
            except Error:
                return
        if not infl and (self._ending or (self._no_more and not self._ready)):
            self._finish()

    def _stop(self):
        self._ending = self._no_more = True
        self._ready.clear()

    def _end(self):
        self._ending = True
        self._ready.clear()
        if not self._inflight:
            self._finish()

    def _finish(self):
        if self.closed:
            return
        self._ending = True
        status = self._error
        if status is not None:
            self._error = None
            line, _ = _status_line(status)
            reason = Status(status).reason
            self._out.append(("%s%sContent-Length: %d\r\nConnection: close\r\n\r\n%s\n" % (
                line, _date_line(), len(reason) + 1, reason)).encode("latin-1"))
        self.close()

    def _drain(self):
        """Server shutdown: close now if idle, else after the requests
        received so far are answered."""
        self._no_more = True
        if not self._inflight and not self._ready and self._body_req is None:
            self.close()

    def close(self):
        """Writes what is pending (if it can) and closes the connection.
        True the first time, False after."""
        if self.closed:
            return False
        if self._out and not self._writing:
            try:
                self._flush()
            except Error:
                pass
        if self.closed:
            return False
        self.closed = True
        self._ending = self._no_more = True
        waiters = [r._waiter for r in self._inflight if r._waiter is not None]
        for r in self._inflight:
            r._waiter = None
        self._inflight.clear()
        self._ready.clear()
        self._out.clear()
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

    def __init__(self, hub, listener, limits, max_body, nodelay):
        self.hub, self.listener = hub, listener
        self.limits, self.max_body, self.nodelay = limits, max_body, nodelay
        self.port = None if listener.options.get("unix") else listener.port()
        self.closed = False
        self.connections = set()
        self.accepted = 0
        self._drained = None
        self._waiters = []

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

    def serve(self, handler):
        """Accepts in a new green thread and serves every connection in its
        own, calling handler(req) for each request in order. The handler
        answers with req.respond(...) or returns the answer: a body (bytes
        or str, status 200), (status, body) or (status, headers, body). A
        streaming response still open when it returns is closed. An
        exception answers 500 (if nothing was sent), prints its traceback
        and closes the connection. Returns the server."""
        def accept():
            for conn in self:
                self.hub.spawn(self._serve_conn, conn, handler)
        self.hub.spawn(accept)
        return self

    def _serve_conn(self, conn, handler):
        try:
            for req in conn:
                try:
                    rv = handler(req)
                except Exception as e:
                    if not isinstance(e, Error):
                        traceback.print_exc()
                        _sys.stderr.flush()
                    conn._abort(req, 500)
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
                elif not req.response.closed:
                    req.response.close()
        finally:
            conn.close()

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


# ---------------------------------------------------------------- client
USER_AGENT = "levee/0.1"
_IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))


class Response(_Message):
    """A response read by a Client: code, reason, version (minor), headers
    (Headers), length (Content-Length, None when chunked or read until
    close), chunked. The body: read() / body, chunks(), json(), text(),
    save(path), discard(); a context manager (discards the rest on exit).
    HEAD, 1xx, 204 and 304 responses have an empty body."""

    def __init__(self, client, head, method):
        self.code, self.reason, self.version = head.status, head.reason, head.version
        self.headers = Headers(head.headers)
        self.method = method
        self._on_done = None
        if method == "HEAD" or head.status in _NO_BODY_CODES or head.status < 200:
            head.chunked, head.length = False, 0
        self._init_body(client, head)
        conn = self.headers.get("connection")
        if conn is not None and _has_token(conn, "close"):
            self._close = True
        elif self.version == 0:
            self._close = conn is None or not _has_token(conn, "keep-alive")
        else:
            self._close = self._until_close

    @property
    def status(self):
        return Status(self.code, self.reason)

    def _more(self):
        self._wire._fill_body(self)

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


class Client(_Wire):
    """h.http.connect(...): one keep-alive HTTP/1.1 connection.
    request/get/head/post/put/delete return the Response; send() writes a
    request at once and returns a Pending (pipelining: responses come back
    in request order). close(); a context manager."""

    def __init__(self, hub, io, host, limits):
        _Wire.__init__(self, hub, io, Parser(response=True, **limits))
        self.host = host
        self._sent = collections.deque()    # Pendings waiting for a response head
        self._current = None                # the Response whose body is being read
        self._reading = None                # the green thread reading the socket
        self._queue = collections.deque()   # green threads waiting to read
        self._will_close = False

    # ---- requests out
    def send(self, method, path="/", params=None, headers=None, data=None, json=None):
        """Writes a request now and returns its Pending. params (mapping or
        pairs) are URL-encoded into the query; headers as for respond();
        data: bytes or str (Content-Length) or an iterable of bytes/str
        (sent chunked); json: a value sent as application/json. Host,
        User-Agent and Accept are added when missing."""
        if self.closed or self._will_close:
            raise Closed()
        if params:
            path = "%s%s%s" % (path, "&" if "?" in path else "?", urlencode(params, doseq=True))
        parts = ["%s %s HTTP/1.1\r\n" % (method, path)]
        seen = set()
        if headers:
            _header_lines(parts, headers, seen)
        if "host" not in seen:
            parts.append("Host: %s\r\n" % self.host)
        if "user-agent" not in seen:
            parts.append("User-Agent: %s\r\n" % USER_AGENT)
        if "accept" not in seen:
            parts.append("Accept: */*\r\n")
        if json is not None:
            from . import json as pj
            data = pj.dumps(json).encode()
            if "content-type" not in seen:
                parts.append("Content-Type: application/json\r\n")
        stream = None
        if data is None:
            if method in ("POST", "PUT", "PATCH"):
                parts.append("Content-Length: 0\r\n")
            data = b""
        elif isinstance(data, (bytes, bytearray, memoryview, str)):
            data = _as_bytes(data)
            parts.append("Content-Length: %d\r\n" % len(data))
        else:
            stream = iter(data)
            data = b""
            parts.append("Transfer-Encoding: chunked\r\n")
        if "connection" in seen and _has_token(Headers(headers).get("connection", ""), "close"):
            self._will_close = True
        parts.append("\r\n")
        pending = Pending(self, method)
        self._sent.append(pending)
        out = self._out
        out.append("".join(parts).encode("latin-1"))
        if data:
            out.append(bytes(data) if not isinstance(data, bytes) else data)
        self._flush()
        if stream is not None:
            for piece in stream:
                piece = _as_bytes(piece)
                if piece:
                    self._send(b"%x\r\n%s\r\n" % (len(piece), piece))
            self._send(_LAST_CHUNK)
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
        except Timeout as e:
            self._fail(e)
        except Error as e:
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
        parser = self.parser
        while True:
            data, pos = self._data, self._pos
            if pos < len(data):
                consumed, head = parser.read_head(data, pos)
                self._pos = pos + consumed
                if head is not None:
                    if 100 <= head.status < 200 and head.status != 101:
                        parser.reset()
                        continue
                    if not head.chunked or method == "HEAD" or head.status in _NO_BODY_CODES:
                        parser.reset()
                    return Response(self, head, method)
            self._fill(self.io.timeout if ms is None else ms)

    def _fill_body(self, resp):
        try:
            self._fill()
        except Closed:
            if not resp._until_close:   # cut short: nothing after it can be read
                self._fail(Closed())
            raise
        except Timeout as e:
            self._fail(e)
            raise

    def _bad_body(self, resp, e):
        """A malformed chunked response body: the connection cannot go on."""
        self._current = None
        self._fail(e)

    def _body_done(self, resp):
        if self._current is resp:
            self._current = None
        if resp._close:
            self._will_close = True
            if not self._sent:
                self.close()
        cb = resp._on_done
        if cb is not None:
            resp._on_done = None
            cb()

    def reusable(self):
        """True when idle and kept alive: nothing in flight, no close
        announced, and the server has not closed or sent anything since."""
        if self.closed or self._will_close or self._sent or self._current is not None:
            return False
        if self._pos < len(self._data):
            return False
        # EOF, or bytes nobody asked for, make it unusable.
        return lib.levee_stream_read(self.io._s, self.io._scratch, 1) == _WANT_READ

    def close(self):
        """Closes the connection; responses not read yet raise Closed."""
        if self.closed:
            return False
        self.closed = True
        for p in self._sent:
            if p.response is None and p.error is None:
                p.error = Closed()
        self._sent.clear()
        self._out.clear()
        self.io.close()
        return True

    def __repr__(self):
        return "<levee.http.Client %s>" % self.host


# ---------------------------------------------------------------- pool
class Pool:
    """h.http.pool(url, size=, timeout=): up to size keep-alive Clients to
    one server. request/get/head/post/put/delete take an idle client (or
    dial one, or wait for one), read the body (unless stream=True: the
    client comes back once the body is read or discarded) and return the
    Response. A request that fails on a reused connection before any
    response is retried once on a new one when its method is idempotent."""

    def __init__(self, factory, url, size=8, timeout=None, connect_timeout=None, **limits):
        if size < 1:
            raise ValueError("levee.http: pool size must be >= 1")
        self.factory, self.hub = factory, factory.hub
        self.host, self.port = _split_url(url)
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
                                                **self.limits), False
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


def _split_url(url):
    """(host, port) of "http://host[:port][/...]" (or "host:port")."""
    if "//" not in url:
        url = "http://" + url
    u = urlsplit(url)
    if u.scheme != "http":
        raise ValueError("levee.http: only http:// URLs are supported, not %r" % url)
    return u.hostname or "127.0.0.1", u.port or 80


# ---------------------------------------------------------------- factory
_SERVER_OPTS = ("timeout", "max_body", "backlog", "nodelay", "unix")


class HTTPFactory:
    """h.http: listen(...), connect(...), pool(...)."""

    def __init__(self, hub):
        self.hub = hub

    def listen(self, port=0, host=None, timeout=60000, max_body=64 << 20, backlog=256,
               nodelay=True, unix=None, reuseport=False, **limits):
        """A Server on host:port (default 127.0.0.1, port 0 picks one) or a
        unix socket. timeout: ms a connection may sit idle or stall a read
        or write (None: forever); max_body: largest request body in bytes
        (413 beyond; None: no limit); reuseport: share the port with other
        listeners (processes or threads) that set it too; limits: the
        Parser limits (max_uri, max_head, max_headers, ...)."""
        Parser(**limits)   # checks the names and values
        listener = self.hub.stream.listen(port=port, host=host, timeout=timeout, unix=unix,
                                          backlog=backlog, reuseport=bool(reuseport))
        return Server(self.hub, listener, limits, max_body, nodelay)

    def connect(self, port=None, host=None, timeout=None, connect_timeout=None, nodelay=True,
                unix=None, **limits):
        """A Client connected to host:port (default 127.0.0.1), to an
        "http://host:port" URL given as port, or to a unix socket. timeout:
        ms for each read or write (Timeout, and the client closes); limits:
        Parser limits for the responses."""
        Parser(response=True, **limits)
        if unix is not None:
            io = self.hub.stream.dial(unix=unix, timeout=timeout)
            return Client(self.hub, io, host or "localhost", limits)
        if isinstance(port, str) and not port.isdigit():
            host, port = _split_url(port)
        port = int(port) if port is not None else 80
        host = host or "127.0.0.1"
        io = self.hub.stream.dial(port=port, host=host, timeout=timeout,
                                  connect_timeout=connect_timeout)
        if nodelay:
            try:
                io.sockopt("nodelay", 1)
            except Error:
                pass
        return Client(self.hub, io, host if port == 80 else "%s:%d" % (host, port), limits)

    def pool(self, url, size=8, timeout=None, connect_timeout=None, **limits):
        """A Pool of up to size Clients to url ("http://host:port")."""
        return Pool(self, url, size, timeout, connect_timeout, **limits)
