"""Non-blocking fds, streams and stream sockets for levee.Hub (Python).

    h = levee.Hub()
    with h.stream.listen(port=0) as serve:
        h.spawn(lambda: ...)
        conn = h.stream.dial(port=serve.port())
        conn.write(b"hello")
        conn.read()            # bytes; raises levee.Closed at EOF

The same objects as the Lua binding (docs/io.md, docs/net.md) in Python's
idiom: reads return bytes or raise (levee.Closed at EOF, which also closes
the io; levee.Timeout after io.timeout ms), writes write everything,
close() is idempotent, and every object is a context manager.
"""
import errno
import os

from . import errors as levee_errors
from . import sys
from ._ffi import ffi, lib
from .errors import Closed, check, error_for
from .sys import Endpoint, resolve

AF_INET, AF_INET6, AF_UNIX = 2, 10, 1
SOCK_STREAM = 1


def _sockopt(fd, name, value=None):
    if value is None:
        return sys.getsockopt(fd, name)
    sys.setsockopt(fd, name, value)
    return None


class IO:
    """An fd registered with the hub: read/write/close and socket extras."""

    def __init__(self, hub, fd, timeout=None, readable=True, writable=True, nopoll=False):
        self.hub, self.no, self.timeout = hub, fd, timeout
        self.closed = False
        self.r_error = False
        if nopoll:
            self.r_ev, self.w_ev = hub.register_nopoll(fd, readable, writable)
        else:
            os.set_blocking(fd, False)  # a blocking read would stall every green thread
            try:
                self.r_ev, self.w_ev = hub.register(fd, readable, writable)
            except OSError as e:
                if e.errno != errno.EPERM:  # epoll refuses regular files
                    raise
                self.r_ev, self.w_ev = hub.register_nopoll(fd, readable, writable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return self.no

    # ---- reading --------------------------------------------------------
    def _wait_readable(self):
        if self.r_error:
            self.close()
            raise Closed()
        if self.r_ev.recv(self.timeout) < 0:
            self.r_error = True

    def read(self, n=65536):
        """Up to n bytes (at least 1): blocks the green thread until data.
        Raises Closed at EOF or on a read error (the io closes) and Timeout
        after self.timeout ms (the io stays open)."""
        while True:
            if self.closed:
                raise Closed()
            try:
                data = os.read(self.no, n)
            except BlockingIOError:
                self._wait_readable()
                continue
            except InterruptedError:
                continue
            except OSError:
                self.close()
                raise Closed() from None
            if not data:
                self.close()
                raise Closed()
            return data

    def readinto(self, buf, n=None):
        """Reads into a levee.Buffer: once, or until len(buf) >= n."""
        while True:
            if self.closed:
                raise Closed()
            buf.ensure(4096 if n is None else max(n - len(buf), 1))
            try:
                got = os.readv(self.no, [buf.tail()])
            except BlockingIOError:
                self._wait_readable()
                continue
            except InterruptedError:
                continue
            except OSError:
                self.close()
                raise Closed() from None
            if got == 0:
                self.close()
                raise Closed()
            buf.bump(got)
            if n is None or len(buf) >= n:
                return

    def stream(self):
        """A Stream: a levee.Buffer in front of this io."""
        return Stream(self)

    # ---- writing ----------------------------------------------------------
    def write(self, data):
        """Writes all of data (bytes-like, str or levee.Buffer), then yields
        one tick; returns its length. A failure closes the io and raises the
        system error (levee.BrokenPipe for a vanished reader)."""
        if self.closed:
            raise Closed()
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(bytes(data) if not isinstance(data, (bytes, bytearray, memoryview))
                          else data).cast("B")
        sent, total = 0, view.nbytes
        while sent < total:
            try:
                sent += os.write(self.no, view[sent:])
            except BlockingIOError:
                self.w_ev.recv(self.timeout)
            except InterruptedError:
                pass
            except OSError as e:
                self.close()
                raise error_for(-e.errno) from None
        self.hub.continue_()
        return total

    # ---- closing ------------------------------------------------------------
    def close(self):
        """Unregisters the fd (closed on the next tick) and yields a tick.
        True the first time, False after."""
        if self.closed:
            return False
        self.closed = True
        self.hub.unregister(self.no)
        self.hub.continue_()
        return True

    # ---- sockets ------------------------------------------------------------
    def sockname(self):
        return sys.sockname(self.no)

    def peername(self):
        return sys.peername(self.no)

    def shutdown(self, how="w"):
        """Half-close: "r", "w" or "rw"."""
        check(lib.levee_socket_shutdown(self.no, {"r": 0, "w": 1, "rw": 2}[how]))

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
            if rc > 0:
                return out[0], ffi.buffer(buf, rc)[:]
            if rc == 0:
                self.close()
                raise Closed()
            if rc != lib.LEVEE_EAGAIN:
                check(rc)
            self._wait_readable()


class Stream:
    """A levee.Buffer in front of a readable io."""

    def __init__(self, conn):
        from .d import Buffer
        self.conn, self.buf = conn, Buffer(4096)

    def readin(self, n=None):
        """Reads more (until n bytes are buffered, when n is given)."""
        self.conn.readinto(self.buf, n)

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


class StreamFactory:
    """h.stream: dial(...) and listen(...) for TCP (v4, v6) and unix sockets."""

    def __init__(self, hub):
        self.hub = hub

    def dial(self, port=None, host=None, timeout=None, connect_timeout=None, unix=None,
             async_=False, dns=None, sockopts=None, **options):
        """An IO connected to host:port (or unix); every resolved address is
        tried in turn. Names are looked up off the hub thread (h.dns.lookup),
        or with async_=True through h.dns.resolve(host, "A"/"AAAA", **dns).
        Socket options by name (nodelay=True, ...) or in sockopts are set
        before connecting. Raises ConnectionRefused, Timeout, AddressError,
        DNSError."""
        opts = _sockopts(options, sockopts)
        last = None
        for ep in _endpoints(self.hub, host, port, unix, async_=async_, dns=dns):
            fd = check(lib.levee_socket_new(ep.af, SOCK_STREAM, 0))
            if ep.af != AF_UNIX:
                try:
                    for name, value in opts.items():
                        sys.setsockopt(fd, name, value)
                except BaseException:
                    os.close(fd)
                    raise
            rc = lib.levee_socket_connect(fd, ep._ep)
            if rc < 0 and rc != lib.LEVEE_EINPROGRESS:
                os.close(fd)
                last = error_for(rc)
                continue
            conn = IO(self.hub, fd, timeout)
            if rc != 0:
                try:
                    conn.w_ev.recv(connect_timeout)
                    rc = lib.levee_socket_error(fd)
                    if rc < 0:
                        raise error_for(rc)
                except Exception as e:
                    conn.close()
                    last = e
                    continue
            return conn
        raise last

    connect = dial

    def listen(self, port=0, host=None, timeout=None, unix=None, backlog=256, sockopts=None,
               **options):
        """A Listener bound to host:port (default 127.0.0.1:0) or unix.
        Socket options by name (reuseport=True, ...) or in sockopts are set
        before bind."""
        opts = _sockopts(options, sockopts)
        ep = _endpoints(self.hub, host, port, unix)[0]
        fd = check(lib.levee_socket_new(ep.af, SOCK_STREAM, 0))
        try:
            if ep.af != AF_UNIX:
                sys.setsockopt(fd, "reuseaddr", 1)
            for name, value in opts.items():
                sys.setsockopt(fd, name, value)
            if unix and not unix.startswith("@") and os.path.exists(unix):
                os.unlink(unix)
            check(lib.levee_socket_bind(fd, ep._ep))
            check(lib.levee_socket_listen(fd, backlog))
        except BaseException:
            os.close(fd)
            raise
        return Listener(self.hub, fd, {"timeout": timeout, "unix": unix})


# Socket options dial and listen accept as keyword arguments (extensions.md).
SOCKOPTS = ("nodelay", "keepalive", "keepidle", "keepintvl", "keepcnt", "reuseaddr",
            "reuseport", "rcvbuf", "sndbuf", "rcvlowat", "sndlowat", "cork", "oobinline",
            "linger")


def _sockopts(options, sockopts):
    """The socket options of a dial/listen call: keyword names first, then
    the sockopts dict. An unknown keyword is a TypeError."""
    unknown = set(options) - set(SOCKOPTS)
    if unknown:
        raise TypeError("unexpected option(s): " + ", ".join(sorted(unknown)))
    opts = {k: int(v) for k, v in options.items()}
    opts.update(sockopts or {})
    return opts


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
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        return self.r(r, timeout), self.w(w, timeout)

    def socketpair(self, timeout=None):
        """Two connected unix stream sockets as IOs."""
        import socket
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        return self.rw(a.detach(), timeout), self.rw(b.detach(), timeout)

    def open(self, path, mode="r", perm=0o666):
        """A file as an IO (always ready): mode as for the Lua binding."""
        flags = {"r": os.O_RDONLY, "r+": os.O_RDWR, "w": os.O_WRONLY | os.O_TRUNC | os.O_CREAT,
                 "w+": os.O_RDWR | os.O_CREAT | os.O_TRUNC, "a": os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                 "a+": os.O_RDWR | os.O_APPEND | os.O_CREAT}
        x = mode.endswith("x")
        base = flags.get(mode[:-1] if x else mode)
        if base is None:
            raise error_for(-errno.EINVAL)
        if x:
            base |= os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(path, base | os.O_NONBLOCK | os.O_CLOEXEC, perm)
        except OSError as e:
            raise error_for(-e.errno) from None
        acc = base & 3
        return IO(self.hub, fd, None, acc != os.O_WRONLY, acc != os.O_RDONLY, nopoll=True)


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

    # Closing works as for any IO: unregister, close next tick, yield.
    close, __enter__, __exit__ = IO.close, IO.__enter__, IO.__exit__


class DgramFactory:
    """h.dgram: bind() a Dgram; dial() a connected IO."""

    def __init__(self, hub):
        self.hub = hub

    def _open(self, port, host, connect):
        ep = _endpoints(self.hub, host, port, None, socktype=2)[0]
        fd = check(lib.levee_socket_new(ep.af, 2, 0))  # SOCK_DGRAM
        try:
            if connect:
                check(lib.levee_socket_connect(fd, ep._ep))
            else:
                sys.setsockopt(fd, "reuseaddr", 1)
                check(lib.levee_socket_bind(fd, ep._ep))
        except BaseException:
            os.close(fd)
            raise
        return fd

    def bind(self, port=0, host=None, timeout=None):
        return Dgram(self.hub, self._open(port, host, False), timeout)

    def dial(self, port, host=None, timeout=None):
        """An IO connected to host:port: write sends a datagram, read
        returns one."""
        return IO(self.hub, self._open(port, host, True), timeout)
