"""Non-blocking fds, streams and stream sockets for levee.Hub (Python).

    h = levee.Hub()
    with h.stream.listen(port=0) as serve:
        h.spawn(lambda: ...)
        conn = h.stream.dial(port=serve.port())
        conn.write(b"hello")
        conn.read()            # bytes; raises levee.Closed at EOF

The same objects as the Lua binding (docs/io.md, docs/net.md) in Python's
idiom, over the same core stream (levee_stream): reads return bytes or raise (levee.Closed at EOF, which also closes
the io; levee.Timeout after io.timeout ms), writes write everything,
close() is idempotent, and every object is a context manager.
"""
import os

from . import errors as levee_errors
from . import sys
from ._ffi import ffi, lib
from ._native import io as _native
from .d import Buffer, _bytes_like
from .errors import Closed, check, error_for
from .sys import Endpoint, resolve

AF_UNIX = lib.LEVEE_AF_UNIX
SOCK_STREAM, SOCK_DGRAM = lib.LEVEE_SOCK_STREAM, lib.LEVEE_SOCK_DGRAM
_WANT_READ, _WANT_WRITE = lib.LEVEE_WANT_READ, lib.LEVEE_WANT_WRITE
_read, _write, _want = lib.levee_stream_read, lib.levee_stream_write, lib.levee_stream_want
_drained = lib.levee_stream_drained
_read_buffer = lib.levee_stream_read_buffer
_unpack = ffi._backend.unpack  # ffi.unpack without its Python wrapper frame

# Reads land in one scratch buffer per hub (a hub belongs to one OS thread,
# and nothing yields between the read and the copy out of it).
_SCRATCH = 65536


# A green thread that writes this many times in a row without waiting
# yields one tick, so it cannot starve the others (a write that completes
# at once does not yield otherwise: the Lua binding's one tick per write
# costs Python a third of its echo throughput).
_WRITE_STREAK = 16


def _scratch(hub):
    buf = getattr(hub, "_io_scratch", None)
    if buf is None:
        buf = hub._io_scratch = ffi.new("char[]", _SCRATCH)
    return buf


# Bound now: the finalizer below may run inside cffi's first lookup of
# another lib attribute (a collection triggered there), and a lookup of its
# own would then wait on the lock that lookup holds: a deadlock.
_release, _free = lib.levee_stream_release, lib.levee_stream_free


def _stream_gc(s):
    # A collected IO leaves its fd open (the hub may still hold it).
    _release(s)
    _free(s)


def _own(out):
    return ffi.gc(out[0], _stream_gc)


def _new_stream(fd):
    out = ffi.new("levee_stream **")
    check(lib.levee_stream_new(out, fd))
    return _own(out)


def _sockopt(fd, name, value=None):
    """Reads the option, or sets it and reads it back (extensions.md)."""
    if value is not None:
        sys.setsockopt(fd, name, value)
    return sys.getsockopt(fd, name)


class IO(_native.IOBase if _native else object):
    """An fd registered with the hub: read/write/close and socket extras.
    The bytes move through a levee_stream (the core's non-blocking byte
    mover); the IO waits on the hub when the stream would block. With the
    compiled module, read() and write() of bytes run in C
    (levee._io.IOBase), the same steps as _read_py and _write_py here."""

    def __init__(self, hub, fd, timeout=None, readable=True, writable=True, nopoll=False,
                 stream=None):
        self._s = stream if stream is not None else _new_stream(fd)
        if _native:
            self._bind(int(ffi.cast("uintptr_t", self._s)))
        self._scratch = _scratch(hub)
        self.hub, self.no, self.timeout = hub, fd, timeout
        self.closed = False
        self.r_error = False
        self._streak = 0  # writes since this io last waited
        try:
            if nopoll:
                self.r_ev, self.w_ev = hub.register_nopoll(fd, readable, writable)
            else:
                try:
                    self.r_ev, self.w_ev = hub.register(fd, readable, writable)
                except levee_errors.PermissionDenied:  # epoll refuses regular files
                    self.r_ev, self.w_ev = hub.register_nopoll(fd, readable, writable)
        except BaseException:
            lib.levee_stream_release(self._s)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return self.no

    # ---- reading --------------------------------------------------------
    def _wait(self, want):
        """Waits for the readiness a WANT answer named (Timeout after
        self.timeout ms); Closed when a hang-up was seen and there is still
        nothing to read (the io closes)."""
        self._streak = 0
        if want == _WANT_WRITE:
            self.w_ev.recv(self.timeout)
            return
        if self.r_error:
            self.close()
            raise Closed()
        if self.r_ev.recv(self.timeout) < 0:
            self.r_error = True

    def _parks(self):
        """True when the next read should wait for readiness first: the
        last read drained the fd (levee_stream_drained) and no readiness
        was latched since, so reading now would answer WANT_READ."""
        ev = self.r_ev
        return not self.r_error and ev is not None and not ev.has and _drained(self._s) == 1

    def _failed(self, rc):
        """After a read answered rc <= 0: waits (WANT) or closes and raises
        Closed (end of input, read errors)."""
        if rc == _WANT_READ or rc == _WANT_WRITE:
            return self._wait(rc)
        self.close()
        raise Closed()

    def _read_py(self, n=65536):
        """Up to n bytes (at least 1): blocks the green thread until data.
        Raises Closed at EOF or on a read error (the io closes) and Timeout
        after self.timeout ms (the io stays open)."""
        if self.closed:
            raise Closed()
        s = self._s
        buf = self._scratch if n <= _SCRATCH else ffi.new("char[]", n)
        # wait first when the last read drained the fd (see _parks)
        rc = _WANT_READ if self._parks() else _read(s, buf, n)
        while True:
            if rc > 0:
                return _unpack(buf, rc)
            if rc == _WANT_READ and not self.r_error:
                self._streak = 0
                if self.r_ev.recv(self.timeout) < 0:
                    self.r_error = True
            else:
                self._failed(rc)
            rc = _read(s, buf, n)

    if not _native:
        read = _read_py

    def readinto(self, buf, n=None):
        """Reads into a levee.Buffer: once (making room), or until
        len(buf) >= n; then the bytes show in len(buf) only once n arrived
        (or the read stopped: nothing read is lost)."""
        if n is not None:
            return self._fill(buf, n, False)
        s, h = self._s, buf._handle()
        if self.closed:
            raise Closed()
        rc = _WANT_READ if self._parks() else _read_buffer(s, h, 0)
        while rc <= 0:
            self._failed(rc)
            if self.closed:
                raise Closed()
            rc = _read_buffer(s, h, 0)

    def _fill(self, buf, n, exact):
        """Reads until len(buf) >= n, committing at the end; exact reads no
        byte beyond n."""
        h = buf._handle()
        want = n - lib.levee_buffer_len(h)
        if want <= 0:
            return
        check(lib.levee_buffer_ensure(h, want))
        s, got = self._s, 0
        park = not self.closed and self._parks()
        try:
            while got < want:
                if self.closed:
                    raise Closed()
                room = want if exact else lib.levee_buffer_available(h)
                rc = _WANT_READ if park else _read(s, lib.levee_buffer_tail(h) + got, room - got)
                park = False
                if rc > 0:
                    got += rc
                else:
                    self._failed(rc)
        finally:
            if got:
                lib.levee_buffer_bump(h, got)

    def stream(self):
        """A Stream: a levee.Buffer in front of this io."""
        return Stream(self)

    # ---- writing ----------------------------------------------------------
    def _write_failed(self, rc):
        self._streak = 0
        if rc == _WANT_WRITE:
            self.w_ev.recv(self.timeout)
        elif rc == _WANT_READ:
            self.r_ev.recv(self.timeout)
        else:
            if self.closed:
                raise Closed()
            self.close()
            raise error_for(rc)

    def _write_py(self, data):
        """Writes all of data (bytes-like, str or levee.Buffer); returns its
        length. It returns as soon as the kernel took everything (it yields
        while it waits for the peer to take more, and one tick after 16
        writes in a row that never waited). A failure closes the io and
        raises the system error (levee.BrokenPipe for a vanished reader);
        with a timeout set, levee.Timeout when the peer takes nothing for
        that long (the io stays usable)."""
        if self.closed:
            raise Closed()
        s = self._s
        if type(data) is bytes:
            total = len(data)
            rc = _write(s, data, total)
            if rc == total:  # all at once: the usual case
                self._streak += 1
                if self._streak >= _WRITE_STREAK:
                    self._streak = 0
                    self.hub.continue_()
                return total
            return self._write_rest(data, total, rc)
        p, total, keep = _bytes_like(data)
        return self._write_rest(keep, total, _write(s, p, total), p)

    if not _native:
        write = _write_py

    def _write_rest(self, keep, total, rc, p=None):
        """write() after its first try wrote rc of total bytes (or failed):
        waits and writes the rest. keep holds the data alive; p points at
        it (None: keep is bytes)."""
        s = self._s
        if p is None:
            p = keep
        sent = 0
        while True:
            if rc >= 0:
                sent += rc
                if sent >= total:
                    # Fairness: a thread that keeps writing without ever
                    # waiting yields a tick every _WRITE_STREAK writes.
                    self._streak += 1
                    if self._streak >= _WRITE_STREAK:
                        self._streak = 0
                        self.hub.continue_()
                    return total
                if p is keep:
                    p = ffi.from_buffer(keep)
                p = p + rc
                self._write_failed(_want(s))
            else:
                self._write_failed(rc)
            rc = _write(s, p, total - sent)

    # ---- closing ------------------------------------------------------------
    def close(self):
        """Unregisters the fd (closed on the next tick) and yields a tick.
        True the first time, False after."""
        if self.closed:
            return False
        self.closed = True
        lib.levee_stream_release(self._s)
        self.hub.unregister(self.no)
        self.hub.continue_()
        return True

    # ---- sockets ------------------------------------------------------------
    def sockname(self):
        return sys.sockname(self.no)

    def peername(self):
        return sys.peername(self.no)

    def shutdown(self, how="w"):
        """Half-close: "r", "w" or "rw" (a TLS stream ends its writing side
        first)."""
        try:
            n = {"r": 0, "w": 1, "rw": 2}[how]
        except (KeyError, TypeError):
            raise ValueError('shutdown: how must be "r", "w" or "rw", not %r' % (how,)) from None
        check(lib.levee_stream_shutdown(self._s, n))

    def sockopt(self, name, value=None):
        """Reads (value None) or sets a socket option by name."""
        return _sockopt(self.no, name, value)

    def sendfd(self, fd, data=b"\0"):
        """Passes fd over a unix socket (SCM_RIGHTS)."""
        while True:
            rc = lib.levee_socket_sendfd(self.no, fd, data, len(data))
            if rc != lib.LEVEE_EAGAIN:
                check(rc)
                return
            self.w_ev.recv(self.timeout)

    def recvfd(self):
        """(fd, data) passed over a unix socket; raises Closed at EOF."""
        buf = ffi.new("char[256]")
        out = ffi.new("int32_t *")
        while True:
            rc = lib.levee_socket_recvfd(self.no, out, buf, 256)
            if rc >= 0:
                # the fd was read past the stream: forget what its last read
                # said (levee_stream_drained), more may be there
                _read(self._s, ffi.NULL, 0)
            if rc > 0:
                return out[0], ffi.buffer(buf, rc)[:]
            if rc == 0:
                self.close()
                raise Closed()
            if rc != lib.LEVEE_EAGAIN:
                check(rc)
            self._wait(_WANT_READ)


class Stream:
    """A levee.Buffer in front of a readable io."""

    def __init__(self, conn):
        self.conn, self.buf = conn, Buffer(4096)

    def readin(self, n=None):
        """Reads more (until n bytes are buffered, when n is given; they
        show in len(buf) once all arrived)."""
        self.conn.readinto(self.buf, n)

    def read(self, n=65536):
        """Up to n bytes: buffered ones first, else one read of the conn."""
        if len(self.buf):
            return self.buf.take(min(n, len(self.buf)))
        return self.conn.read(n)

    def readinto(self, buf, n=None):
        """Moves the buffered bytes into the levee.Buffer buf (reading once
        when none are buffered); with n, until len(buf) >= n, reading from
        the conn exactly the bytes still missing, so nothing is left over
        in this stream's buffer."""
        if n is None:
            if not len(self.buf):
                self.readin()
            buf.write(self.buf)
            self.buf.trim()
            return
        missing = n - len(buf)
        if missing <= 0:
            return
        take = min(missing, len(self.buf))
        if take:
            buf.write(self.buf, take)
            self.buf.trim(take)
        if take < missing:
            self.conn._fill(buf, n, True)

    def value(self):
        return self.buf.value()

    def trim(self, n=None):
        return self.buf.trim(n)

    def take(self, n=None):
        """n bytes (reading them first), or everything buffered."""
        if n is not None and len(self.buf) < n:
            self.readin(n)
        return self.buf.take(n)

    def line(self, delim=b"\n"):
        """The next line without its delimiter (and a "\\r" before it)."""
        start = 0
        while True:
            data = bytes(self.buf.value())
            at = data.find(delim, start)
            if at >= 0:
                self.buf.trim(at + len(delim))
                line = data[:at]
                return line[:-1] if delim == b"\n" and line.endswith(b"\r") else line
            start = max(0, len(data) - len(delim) + 1)
            self.readin()

    def json(self):
        """One JSON value from the stream (it may arrive in pieces); trims
        exactly the bytes it used. Raises JSONError, or Closed when the
        stream ends inside a value."""
        from . import json as pj
        if getattr(self, "_jh", None) is None:
            self._jh = pj._new_handle()
        h = self._jh
        eof = False
        while True:
            view = self.buf.value()
            if len(view):
                data = ffi.from_buffer(view)
                n = lib.levee_json_feed(h, data, len(view), 1 if eof else 0)
                if n > 0:
                    value = pj._value(h, data)
                    self.buf.trim(n)
                    return value
                if n < 0:
                    lib.levee_json_reset(h)
                    raise pj._error(h, n, 0)
            if eof:
                lib.levee_json_reset(h)
                raise Closed()
            try:
                self.readin()
            except Closed:
                eof = True  # a bare number may complete at the end

    def __repr__(self):
        return "<levee.Stream buffered=%d>" % len(self.buf)


class Listener:
    """A listening stream socket: recv() / iteration give connections."""

    backoff_ms = 50

    def __init__(self, hub, fd, options):
        self.hub, self.no, self.options = hub, fd, options
        self.closed = False
        self.r_ev, _ = hub.register(fd, True, False)

    def recv(self):
        """The next connection (an IO). At the fd limit it waits and retries."""
        while True:
            if self.closed:
                raise Closed()
            fd = lib.levee_socket_accept(self.no, ffi.NULL)
            if fd >= 0:
                return IO(self.hub, fd, self.options.get("timeout"))
            if fd == lib.LEVEE_EAGAIN:
                self.r_ev.recv()
            elif fd in (lib.LEVEE_EMFILE, lib.LEVEE_ENFILE):
                self.hub.sleep(self.backoff_ms)
            elif fd not in (lib.LEVEE_ECONNABORTED, lib.LEVEE_EPROTO):
                check(fd)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except Closed:
            raise StopIteration from None

    def addr(self):
        return sys.sockname(self.no)

    sockname = addr

    def port(self):
        return self.addr().port

    def sockopt(self, name, value=None):
        return _sockopt(self.no, name, value)

    def spawn_every(self, f):
        """Spawns f(conn) for every accepted connection."""
        self.hub.spawn_every(self, f)

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.hub.unregister(self.no)
        unix = self.options.get("unix")
        if unix and not unix.startswith("@"):
            try:
                os.unlink(unix)
            except OSError:
                pass
        self.hub.continue_()
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _service_port(port):
    """The port of an async dial: a number (0..65535) or a service name from
    /etc/services; else addr.ENONAME."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        port = int(port)
        if 0 <= port <= 65535:
            return port
        raise error_for(lib.LEVEE_EAI_NONAME)
    try:  # a numeric host never leaves the machine: this reads /etc/services
        return resolve("127.0.0.1", port, 0, SOCK_STREAM)[0].port
    except levee_errors.Error:
        raise error_for(lib.LEVEE_EAI_NONAME) from None


def _resolve_async(hub, host, port, dns):
    """The addresses of host from h.dns.resolve (A, then AAAA)."""
    port = _service_port(port)
    for qtype in ("A", "AAAA"):
        eps = []
        for rec in hub.dns.resolve(host, qtype, **(dns or {})):
            try:
                eps.append(Endpoint.inet(rec.record, port))
            except levee_errors.Error:
                pass
        if eps:
            return eps
    raise error_for(lib.LEVEE_EAI_NODATA)


def _endpoints(hub, host, port, unix, socktype=SOCK_STREAM, async_=False, dns=None):
    """The endpoints to try: IP literals as they are; names through
    h.dns.lookup (the getaddrinfo worker) or, with async_, h.dns.resolve,
    so the hub never blocks."""
    if unix:
        return [Endpoint.unix(unix)]
    host = host or "127.0.0.1"
    if host == "localhost":
        host = "127.0.0.1"
    if isinstance(port, int):
        try:
            return [Endpoint.inet(host, port)]
        except levee_errors.Error:  # not an IP literal: resolve it
            pass
    if async_:
        return _resolve_async(hub, host, port if port is not None else 0, dns)
    return hub.dns.lookup(host, port=port if port is not None else 0, socktype=socktype)


# Socket options dial and listen accept as keyword arguments (extensions.md).
SOCKOPTS = ("nodelay", "keepalive", "keepidle", "keepintvl", "keepcnt", "reuseaddr",
            "reuseport", "rcvbuf", "sndbuf", "rcvlowat", "sndlowat", "cork", "oobinline",
            "linger")

# The URL schemes h.stream serves: (default port, TLS). Any other scheme is
# refused: a scheme levee cannot serve never becomes a plaintext connection.
_SCHEMES = {"tcp": (None, False), "tls": (None, True), "http": (80, False),
            "https": (443, True), "ws": (80, False), "wss": (443, True), "unix": (None, False)}


def _url(what, url):
    """(scheme, host, port, unix, tls) of "scheme://host[:port][/...]"."""
    scheme, sep, rest = url.partition("://")
    served = _SCHEMES.get(scheme.lower()) if sep else None
    if served is None:
        raise error_for(lib.LEVEE_EPROTONOSUPPORT,
                        "%s: URL scheme %r is not served (tcp, tls, http, https, ws, wss, unix): %s"
                        % (what, scheme, url))
    scheme = scheme.lower()
    if scheme == "unix":
        if not rest:
            raise error_for(lib.LEVEE_EINVAL, "%s: no socket path in %s" % (what, url))
        return scheme, None, None, rest, None
    default, tls = served
    if rest.startswith("["):
        host, _, rest = rest[1:].partition("]")
    else:
        host = rest.split("/", 1)[0].split(":", 1)[0]
        rest = rest[len(host):]
    port = rest.split("/", 1)[0][1:] if rest.startswith(":") else ""
    if not host:
        raise error_for(lib.LEVEE_EINVAL, "%s: no host in %s" % (what, url))
    if port and not port.isdigit():
        raise error_for(lib.LEVEE_EINVAL, "%s: port %r of %s is not a number" % (what, port, url))
    port = int(port) if port else default
    if port is None:
        raise error_for(lib.LEVEE_EINVAL, "%s: no port in %s" % (what, url))
    return scheme, host, port, None, tls


def _port(what, port):
    """port checked: None, an int in 0..65535 or a service name."""
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise TypeError("%s: port must be an int or a service name, not %s"
                        % (what, type(port).__name__))
    if isinstance(port, str):
        if not port:
            raise error_for(lib.LEVEE_EINVAL, "%s: the port is an empty string" % what)
        if not port.isdigit():
            return port
        port = int(port)
    if not 0 <= port <= 65535:
        raise error_for(lib.LEVEE_EAI_NONAME, "%s: port %d is outside 0..65535" % (what, port))
    return port


def _ms(what, name, v):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("%s: %s must be a number of ms, not %s" % (what, name, type(v).__name__))
    if not v >= 0:
        raise ValueError("%s: %s must be >= 0, not %r" % (what, name, v))
    return v


def _options(what, port, host, timeout, connect_timeout, unix, async_, dns, sockopts, tls,
             options):
    """The checked options of a dial/listen call, as a dict. port may be a
    URL "scheme://host[:port]" (https means TLS on 443). As in the Lua
    binding: wrong types and unknown keywords (the programming mistakes
    Lua raises for) raise TypeError; values the call cannot use raise the
    levee error Lua returns, with a description: a port outside 0..65535
    is AddressError ENONAME, a URL scheme levee cannot serve
    EPROTONOSUPPORT, a missing port or host EINVAL."""
    async_ = options.pop("async", async_)
    unknown = set(options) - set(SOCKOPTS)
    if unknown:
        raise TypeError("%s: unknown option(s): %s" % (what, ", ".join(sorted(unknown))))
    scheme = None
    if isinstance(port, str) and "://" in port:
        scheme, uhost, port, uunix, utls = _url(what, port)
        host = host if host is not None else uhost
        unix = unix if unix is not None else uunix
        if utls and tls is None:
            tls = {"server_name": host}
    port = _port(what, port)
    if host is not None and not isinstance(host, str):
        raise TypeError("%s: host must be a str, not %s" % (what, type(host).__name__))
    if host == "":
        raise error_for(lib.LEVEE_EINVAL, "%s: the host is an empty string" % what)
    if unix is not None and (not isinstance(unix, str) or not unix):
        raise error_for(lib.LEVEE_EINVAL, "%s: unix must be a socket path" % what)
    if tls is not None and tls is not True and not isinstance(tls, dict):
        raise TypeError("%s: tls must be a dict, not %s" % (what, type(tls).__name__))
    opts = {}
    for name, value in options.items():
        if not isinstance(value, (bool, int)):
            raise TypeError("%s: %s must be a bool or an int, not %s"
                            % (what, name, type(value).__name__))
        opts[name] = int(value)
    if sockopts is not None:
        if not isinstance(sockopts, dict):
            raise TypeError("%s: sockopts must be a dict" % what)
        opts.update(sockopts)
    return {"scheme": scheme, "port": port, "host": host, "unix": unix, "tls": tls,
            "timeout": _ms(what, "timeout", timeout),
            "connect_timeout": _ms(what, "connect_timeout", connect_timeout),
            "async": bool(async_), "dns": dns, "sockopts": opts}


def tls_hook(role, options, x=None):
    """The one place every tls option of dial and listen goes through:
    role "client" upgrades the dialed conn x (handshake done on return,
    server_name defaulting to the host), "listen" checks the options (and
    builds the server context) before a listener binds, "listener" makes
    the bound listener x deliver handshaken connections (each handshake in
    a greenlet of its own, so no peer holds up the others; a failed one
    drops only that connection). The TLS module (levee.tls) provides it;
    without one, TLS is refused with levee.TLSError: never a plaintext
    connection."""
    try:
        from . import tls
    except ImportError:
        tls = None
    if tls is not None and hasattr(tls, "stream_hook"):
        return tls.stream_hook(role, options, x)
    raise error_for(lib.LEVEE_TLS_EGENERIC, "TLS is not available in this build")


def _where(o, ep=None):
    if o["unix"]:
        return o["unix"]
    return str(ep) if ep is not None else "%s:%s" % (o["host"] or "127.0.0.1", o["port"])


class StreamFactory:
    """h.stream: dial(...) and listen(...) for TCP (v4, v6) and unix sockets."""

    def __init__(self, hub):
        self.hub = hub

    def dial(self, port=None, host=None, timeout=None, connect_timeout=None, unix=None,
             async_=False, dns=None, sockopts=None, tls=None, **options):
        """An IO connected to host:port (or unix); port may be a URL
        "scheme://host[:port]" (tcp, tls, http, https, ws, wss, unix; https
        means TLS on 443). Every resolved address is tried in turn. Names
        are looked up off the hub thread (h.dns.lookup), or with
        async_=True through h.dns.resolve(host, "A"/"AAAA", **dns). Socket
        options by name (nodelay=True, ...) or in sockopts are set before
        connecting; tls={...} upgrades the connection. Raises
        ConnectionRefused, Timeout, AddressError, DNSError, TLSError (the
        message names the address); TypeError for wrong argument types and
        unknown options (docs/net.md)."""
        o = _options("dial", port, host, timeout, connect_timeout, unix, async_, dns, sockopts,
                     tls, options)
        if o["port"] is None and not o["unix"]:
            raise error_for(lib.LEVEE_EINVAL, "dial: no port to dial")
        try:
            eps = _endpoints(self.hub, o["host"], o["port"], o["unix"], async_=o["async"],
                             dns=o["dns"])
        except levee_errors.Error as e:
            e.detail = "dial: %s" % _where(o)
            raise
        last = None
        for ep in eps:
            try:
                conn = self._connect(ep, o)
            except levee_errors.Error as e:
                e.detail = "dial: %s" % _where(o, ep)
                last = e
                continue
            if o["tls"] is not None:
                try:
                    tls_hook("client", o, conn)
                except BaseException:
                    conn.close()
                    raise
            return conn
        raise last

    connect = dial

    def _connect(self, ep, o):
        fd = check(lib.levee_socket_new(ep.af, SOCK_STREAM, 0))
        if ep.af != AF_UNIX:
            try:
                for name, value in o["sockopts"].items():
                    sys.setsockopt(fd, name, value)
            except BaseException:
                lib.levee_fd_close(fd)
                raise
        rc = lib.levee_socket_connect(fd, ep._ep)
        if rc < 0 and rc != lib.LEVEE_EINPROGRESS:
            lib.levee_fd_close(fd)
            raise error_for(rc)
        conn = IO(self.hub, fd, o["timeout"])
        if rc != 0:
            try:
                conn.w_ev.recv(o["connect_timeout"])
                check(lib.levee_socket_error(fd))
            except BaseException:
                conn.close()
                raise
        return conn

    def listen(self, port=0, host=None, timeout=None, unix=None, backlog=256, sockopts=None,
               tls=None, **options):
        """A Listener bound to host:port (default 127.0.0.1:0) or unix (port
        may be a URL, as for dial). Socket options by name (reuseport=True,
        ...) or in sockopts are set before bind; with tls={...} the listener
        delivers handshaken TLS connections (docs/tls.md). EADDRINUSE names
        the address."""
        if isinstance(backlog, bool) or not isinstance(backlog, int):
            raise TypeError("listen: backlog must be an int, not %s" % type(backlog).__name__)
        o = _options("listen", port, host, timeout, None, unix, False, None, sockopts, tls,
                     options)
        if o["tls"] is not None:
            tls_hook("listen", o)
        try:
            ep = _endpoints(self.hub, o["host"], o["port"] or 0, o["unix"])[0]
        except levee_errors.Error as e:
            e.detail = "listen: %s" % _where(o)
            raise
        unix = o["unix"]
        fd = check(lib.levee_socket_new(ep.af, SOCK_STREAM, 0))
        try:
            if ep.af != AF_UNIX:
                sys.setsockopt(fd, "reuseaddr", 1)
            for name, value in o["sockopts"].items():
                sys.setsockopt(fd, name, value)
            if unix and not unix.startswith("@") and os.path.exists(unix):
                os.unlink(unix)
            rc = lib.levee_socket_bind(fd, ep._ep)
            if rc >= 0:
                rc = lib.levee_socket_listen(fd, backlog)
            if rc < 0:
                raise error_for(rc, "listen: %s" % _where(o, ep))
        except BaseException:
            lib.levee_fd_close(fd)
            raise
        listener = Listener(self.hub, fd, o)
        if o["tls"] is not None:
            o["backlog"] = backlog
            tls_hook("listener", o, listener)
        return listener


class IOFactory:
    """h.io: pipe(), r(fd), w(fd), rw(fd), socketpair(), open(path, mode)."""

    def __init__(self, hub):
        self.hub = hub

    def r(self, fd, timeout=None):
        return IO(self.hub, fd, timeout, True, False)

    def w(self, fd, timeout=None):
        return IO(self.hub, fd, timeout, False, True)

    def rw(self, fd, timeout=None):
        return IO(self.hub, fd, timeout, True, True)

    def pipe(self, timeout=None):
        """(reader, writer), both non-blocking."""
        fds = ffi.new("int32_t[2]")
        check(lib.levee_fd_pipe(fds, 1))
        return self.r(fds[0], timeout), self.w(fds[1], timeout)

    def socketpair(self, timeout=None):
        """Two connected unix stream sockets as IOs."""
        fds = ffi.new("int32_t[2]")
        check(lib.levee_socket_pair(AF_UNIX, SOCK_STREAM, fds))
        return self.rw(fds[0], timeout), self.rw(fds[1], timeout)

    def open(self, path, mode="r", perm=0o666):
        """A file as an IO (always ready). mode is levee's (as the Lua
        binding's): r r+ w (no create) w+ a a+, each with an optional x
        (create, failing if the file exists); unknown modes raise EINVAL."""
        flags = check(lib.levee_fs_open_mode(mode.encode() if isinstance(mode, str) else mode))
        out = ffi.new("levee_stream **")
        check(lib.levee_stream_open(out, os.fsencode(path), flags, perm))
        s = _own(out)
        acc = lib.levee_fs_access(flags)
        return IO(self.hub, lib.levee_stream_fd(s), None, acc != lib.LEVEE_ACCESS_WRITE,
                  acc != lib.LEVEE_ACCESS_READ, nopoll=True, stream=s)


class Dgram:
    """A bound UDP socket: sendto(endpoint, data), recvfrom() -> (data,
    Endpoint). Every method of a closed Dgram raises levee.Closed."""

    def __init__(self, hub, fd, timeout=None):
        self.hub, self.no, self.timeout, self.closed = hub, fd, timeout, False
        self.r_ev, _ = hub.register(fd, True, False)

    def sendto(self, ep, data):
        """Sends one datagram now (never waits); returns its length."""
        if self.closed:
            raise Closed()
        if isinstance(data, str):
            data = data.encode()
        return check(lib.levee_socket_sendto(self.no, data, len(data), ep._ep))

    def recvfrom(self, size=65536):
        """(data, sender Endpoint); blocks the green thread (Timeout after
        self.timeout ms)."""
        buf = ffi.new("char[]", size)
        while True:
            if self.closed:
                raise Closed()
            who = Endpoint()
            n = lib.levee_socket_recvfrom(self.no, buf, size, who._ep)
            if n >= 0:
                return ffi.buffer(buf, n)[:], who
            if n != lib.LEVEE_EAGAIN:
                check(n)
            self.r_ev.recv(self.timeout)

    def addr(self):
        if self.closed:
            raise Closed()
        return sys.sockname(self.no)

    def close(self):
        """Unregisters the fd (closed on the next tick) and yields a tick.
        True the first time, False after."""
        if self.closed:
            return False
        self.closed = True
        self.hub.unregister(self.no)
        self.hub.continue_()
        return True

    __enter__, __exit__ = IO.__enter__, IO.__exit__


class DgramFactory:
    """h.dgram: bind() a Dgram; dial() a connected IO."""

    def __init__(self, hub):
        self.hub = hub

    def _open(self, port, host, connect):
        what = "dgram.dial" if connect else "dgram.bind"
        port = _port(what, port)
        if host is not None and not isinstance(host, str):
            raise TypeError("%s: host must be a str, not %s" % (what, type(host).__name__))
        if connect and port is None:
            raise error_for(lib.LEVEE_EINVAL, "%s: no port" % what)
        ep = _endpoints(self.hub, host, port or 0, None, socktype=SOCK_DGRAM)[0]
        fd = check(lib.levee_socket_new(ep.af, SOCK_DGRAM, 0))
        try:
            if connect:
                check(lib.levee_socket_connect(fd, ep._ep))
            else:
                sys.setsockopt(fd, "reuseaddr", 1)
                check(lib.levee_socket_bind(fd, ep._ep))
        except BaseException:
            lib.levee_fd_close(fd)
            raise
        return fd

    def bind(self, port=0, host=None, timeout=None):
        return Dgram(self.hub, self._open(port, host, False), timeout)

    def dial(self, port, host=None, timeout=None):
        """An IO connected to host:port: write sends a datagram, read
        returns one."""
        return IO(self.hub, self._open(port, host, True), timeout)
