"""levee.http.parser: the HTTP/1.1 tokenizer (levee_http_*) as a Python
Parser. Parser(response=False, **limits) reads requests (or responses) from
bytes as they arrive: next(data) one token, read_head(data) the whole head
in one C call per arrival, chunk(data) the chunk headers of a chunked body.
Malformed input, ambiguous framing and exceeded limits raise HTTPError.
Text is decoded as latin-1. The client and server do not use it: they run
on the connection engine (levee.http.wire)."""
from .._ffi import ffi, lib
from ..errors import error_for

__all__ = ["Parser", "Head", "LIMITS", "UNTIL_CLOSE"]

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


