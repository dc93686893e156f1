"""levee.http.wire: one HTTP connection's engine (levee_h1) and io, for the
server's Connection and the Client.

The engine does the protocol; this module reads input into it and writes
its output through the hub, and turns its heads into Python values. Calls
per request stay few: one read, one next (the head), one pack (the head's
text in one copy), one reply (the response, fields packed into one bytes
object), one flush.
"""
from .._ffi import ffi, lib
from .._native import io as _native
from ..errors import Closed, check, error_for
from .parser import LIMITS

SERVER, CLIENT = lib.LEVEE_H1_SERVER, lib.LEVEE_H1_CLIENT
NEED, HEAD, DATA, CHUNK, END, CLOSED = (lib.LEVEE_H1_NEED, lib.LEVEE_H1_HEAD, lib.LEVEE_H1_DATA,
                                        lib.LEVEE_H1_CHUNK, lib.LEVEE_H1_END, lib.LEVEE_H1_CLOSED)
BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE = (lib.LEVEE_H1_BODY_NONE, lib.LEVEE_H1_BODY_LENGTH,
                                                    lib.LEVEE_H1_BODY_CHUNKED, lib.LEVEE_H1_BODY_CLOSE)
F_CLOSE, F_CONTINUE, F_HEAD = lib.LEVEE_H1_F_CLOSE, lib.LEVEE_H1_F_CONTINUE, lib.LEVEE_H1_F_HEAD
R_SKIP, R_CLOSE, R_QUEUED, R_DONE, R_CHUNKED, R_INPUT, R_END = (
    lib.LEVEE_H1_R_SKIP, lib.LEVEE_H1_R_CLOSE, lib.LEVEE_H1_R_QUEUED, lib.LEVEE_H1_R_DONE,
    lib.LEVEE_H1_R_CHUNKED, lib.LEVEE_H1_R_INPUT, lib.LEVEE_H1_R_END)
S_IDLE, S_CLOSE, S_PARTIAL, S_BODY, S_EOF, S_DRAINED, S_OUTPUT, S_WANT_WRITE = (
    lib.LEVEE_H1_S_IDLE, lib.LEVEE_H1_S_CLOSE, lib.LEVEE_H1_S_PARTIAL, lib.LEVEE_H1_S_BODY,
    lib.LEVEE_H1_S_EOF, lib.LEVEE_H1_S_DRAINED, lib.LEVEE_H1_S_OUTPUT, lib.LEVEE_H1_S_WANT_WRITE)
O_USE_LENGTH = lib.LEVEE_H1_O_USE_LENGTH
EAGAIN, ECLOSED, EINVAL = lib.LEVEE_EAGAIN, lib.LEVEE_CLOSED, lib.LEVEE_EINVAL
WANT_READ, WANT_WRITE = lib.LEVEE_WANT_READ, lib.LEVEE_WANT_WRITE
ESTATE, ETOOSHORT = lib.LEVEE_HTTP_ESTATE, lib.LEVEE_HTTP_ETOOSHORT

# One message record, token array and pack buffer for the process: a head
# is turned into Python values right after the call that read it.
MAX_TOKENS = 256
MSG = ffi.new("levee_h1_msg *")
TOKS = ffi.new("levee_http_token[]", MAX_TOKENS)
PACK_CAP = 1 << 17
PACK = ffi.new("uint8_t[]", PACK_CAP)
NULL = ffi.NULL

# MSG's fields in one C-level unpack (base, length, id, ntoks, status,
# version, body, flags, head_len, reserved): cheaper than one cffi
# attribute read per field
import struct as _struct
assert ffi.sizeof("levee_h1_msg") == 48
_MSG_BYTES = ffi.buffer(MSG)
_msg_struct = _struct.Struct("<QQIIIIiIII")


def msg():
    """The fields of MSG as a tuple (see above)."""
    return _msg_struct.unpack_from(_MSG_BYTES)


_address = ffi.cast


def handle(p):
    """What step() and reply() take for the engine or stream p: its
    address with the compiled module, else p itself."""
    return int(_address("uintptr_t", p)) if _native else p


if _native:
    _native.h1_init(int(_address("uintptr_t", MSG)), int(_address("uintptr_t", TOKS)), MAX_TOKENS,
                    int(_address("uintptr_t", PACK)), PACK_CAP)
    step, reply = _native.h1_step, _native.h1_reply
else:
    _step, _reply = lib.levee_h1_step, lib.levee_h1_reply

    def reply(h, eid, status, reason, fields, body, kind, length, flags):
        """levee_h1_reply (levee._io.h1_reply in C): reason None or bytes,
        fields bytes, body bytes-like."""
        return _reply(h, eid, status, reason, len(reason) if reason else 0, fields, len(fields),
                      body, len(body), kind, length, flags)

    def step(h, s, ready):
        """levee_h1_step: for HEAD (parts, length, id, version, body,
        flags), parts the packed head split at NUL; else the code (MSG's
        flags carry the state for NEED). levee._io.h1_step in C."""
        rc = _step(h, s, ready, MSG, TOKS, MAX_TOKENS, PACK, PACK_CAP)
        if rc != HEAD:
            return rc
        _, length, eid, _, _, version, kind, flags, _, packed = _msg_struct.unpack_from(_MSG_BYTES)
        return ffi.buffer(PACK, packed)[:].split(b"\0"), length, eid, version, kind, flags


_next = lib.levee_h1_next
_read = lib.levee_h1_read
_flush = lib.levee_h1_flush
_state = lib.levee_h1_state
_pack = lib.levee_h1_pack
_buffer = ffi.buffer
_consume = lib.levee_h1_consume
_left = lib.levee_h1_left
_wbuf_len = lib.levee_buffer_len
_wbuf = lib.levee_h1_wbuf


def limits(options):
    """A levee_http_limits for the max_* keyword options (None when none
    is given); an unknown name is a TypeError, a bad value a ValueError."""
    lim = None
    for k, v in options.items():
        if k not in LIMITS:
            raise TypeError("unknown HTTP limit %r" % (k,))
        if not isinstance(v, int) or isinstance(v, bool) or not 0 < v <= 0xFFFFFFFF:
            raise ValueError("bad %s: %r" % (k, v))
        if lim is None:
            lim = ffi.new("levee_http_limits *")
        setattr(lim, k, v)
    return lim


def engine(side, lim=None, max_body=None):
    """A new levee_h1 (freed when collected)."""
    out = ffi.new("levee_h1 **")
    check(lib.levee_h1_new(out, side))
    h = ffi.gc(out[0], lib.levee_h1_free)
    if lim is not None:
        lib.levee_h1_limits_set(h, lim)
    if max_body is not None:
        lib.levee_h1_max_body_set(h, max_body)
    return h


def packed_head():
    """The head next() just read: [start..., name, value, ...] as bytes."""
    n = _pack(MSG, TOKS, PACK, PACK_CAP)
    if n < 0:
        raise error_for(n)
    return _buffer(PACK, n)[:].split(b"\0")


_packed = {}   # id(headers) -> (copy, packed): headers reused across answers


def _pack_items(headers):
    items = headers.items() if hasattr(headers, "items") else headers
    parts = []
    for k, v in items:
        if isinstance(v, (list, tuple)):
            for x in v:
                parts.append(k)
                parts.append(x if isinstance(x, str) else str(x))
        else:
            parts.append(k)
            parts.append(v if isinstance(v, str) else str(v))
    parts.append("")
    return "\0".join(parts).encode("latin-1")


def pack_fields(headers):
    """Headers (a mapping, Headers or (name, value) pairs; list values
    repeat the field) as "name\\0value\\0..." bytes; str is latin-1. A
    plain dict given again unchanged (a module's constant headers) is
    packed once."""
    if not headers:
        return b""
    if headers.__class__ is dict:
        hit = _packed.get(id(headers))
        if hit is not None and hit[0] == headers:
            return hit[1]
        packed = _pack_items(headers)
        if len(_packed) >= 64:
            _packed.clear()
        _packed[id(headers)] = (dict(headers), packed)
        return packed
    return _pack_items(headers)


class Wire:
    """The engine and the io of one connection: fill() reads input, flush()
    writes output, both waiting through the hub."""

    def __init__(self, hub, io, h):
        self.hub, self.io, self._h = hub, io, h
        self.fd = io.no
        self._s = io._s   # the core stream: bytes move through it (plain or TLS)
        self._writing = False
        self._write_waiters = None
        self.closed = False

    def fill(self, ms=-1, now=False):
        """Reads what the fd has into the engine, waiting for readiness (up
        to ms, default the io's timeout) when the last read drained the
        socket (unless `now`). An idle connection gives its buffers back
        before it waits. Raises Closed at EOF or on a read error (the engine
        knows which), Timeout."""
        io, h = self.io, self._h
        if ms == -1:
            ms = io.timeout
        wait = not now and _state(h) & S_DRAINED
        ev = io.r_ev
        while True:
            if io.closed:
                raise Closed()
            if wait:
                if ev is io.r_ev and io.r_error:
                    lib.levee_h1_eof(h)
                    raise Closed()
                if _state(h) & S_IDLE:
                    lib.levee_h1_release(h)
                if ev.recv(ms) < 0:
                    if io.closed:
                        raise Closed()
                    if ev is io.r_ev:
                        io.r_error = True
            n = _read(h, self._s)
            if n > 0:
                return
            if n == WANT_WRITE:
                ev = io.w_ev   # TLS can need writability to read
            elif n == WANT_READ:
                ev = io.r_ev
            else:
                raise Closed()   # EOF or an error: the engine knows
            wait = True

    def flush(self):
        """Writes the engine's output; one writer at a time. A failure
        closes the connection and raises (Closed, BrokenPipe, ...)."""
        if self._writing:
            waiters = self._write_waiters
            if waiters is None:
                waiters = self._write_waiters = []
            import greenlet
            waiters.append(greenlet.getcurrent())
            self.hub.pause()
            if self.io.closed:
                raise Closed()
            return
        io = self.io
        if io.closed:
            raise Closed()
        s = self._s
        left = _flush(self._h, s)
        if left == 0:
            return
        self._writing = True
        err = None
        try:
            while left != 0:
                if left < 0:
                    err = error_for(left)
                    break
                # TLS can need readability to write
                ev = io.r_ev if lib.levee_stream_want(s) == WANT_READ else io.w_ev
                ev.recv(io.timeout)
                if io.closed:
                    err = Closed()
                    break
                left = _flush(self._h, s)
        except BaseException as e:
            err = e
        self._writing = False
        waiters = self._write_waiters
        if waiters:
            self._write_waiters = None
            for g in waiters:
                self.hub.resume(g)
        if err is not None:
            self.close()
            raise err

    def flush_pending(self):
        """flush() when the engine queued output (a 100 Continue)."""
        if _wbuf_len(_wbuf(self._h)):
            self.flush()

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
