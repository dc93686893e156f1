"""levee.sys: the system layer for Python -- endpoints, stat, socket helpers,
socket options by name, fd passing and a blocking getaddrinfo wrapper.

Everything raises levee errors (system errors are levee.errors.SystemError,
an OSError with .errno; e.g. BrokenPipe for EPIPE). Descriptors are plain
ints; sockets made here are CLOEXEC and non-blocking, so reads and writes
raise levee.errors.SystemError with errno EAGAIN instead of blocking.
"""
import socket as _socket
import stat as _stat

from ._ffi import ffi, lib
from .errors import check

AF_INET = _socket.AF_INET
AF_INET6 = _socket.AF_INET6
AF_UNIX = _socket.AF_UNIX

_FAMILIES = {AF_INET: "inet", AF_INET6: "inet6", AF_UNIX: "unix"}


def _bytes(s):
    if isinstance(s, str):
        return s.encode()
    return bytes(s)


class Endpoint:
    """An IPv4, IPv6 or unix socket address (value semantics: compares,
    hashes and orders by address). Build with Endpoint.inet(host, port),
    Endpoint.unix(path) or Endpoint.parse(text)."""

    __slots__ = ("_ep",)

    def __init__(self, _ep=None):
        self._ep = ffi.new("levee_endpoint *")
        if _ep is not None:
            ffi.memmove(self._ep, _ep, ffi.sizeof("levee_endpoint"))

    @classmethod
    def inet(cls, host="127.0.0.1", port=0):
        """An IPv4 or IPv6 literal address and port (no name lookup)."""
        ep = cls()
        check(lib.levee_endpoint_in(ep._ep, _bytes(host) if host is not None else ffi.NULL, port))
        return ep

    @classmethod
    def unix(cls, path):
        """A unix socket path; a leading NUL byte (or "@") makes it abstract."""
        p = _bytes(path)
        if p.startswith(b"@"):
            p = b"\0" + p[1:]
        ep = cls()
        check(lib.levee_endpoint_unix(ep._ep, p, len(p)))
        return ep

    @classmethod
    def parse(cls, text):
        """Parses "1.2.3.4:80", "[::1]:80", "/path" or "@abstract"."""
        ep = cls()
        check(lib.levee_endpoint_parse(ep._ep, _bytes(text)))
        return ep

    @property
    def family(self):
        """"inet", "inet6", "unix" or None for an empty endpoint."""
        return _FAMILIES.get(self._ep.af)

    @property
    def af(self):
        """The AF_* number."""
        return self._ep.af

    @property
    def host(self):
        """The textual IP address, or None for unix endpoints."""
        buf = ffi.new("char[64]")
        n = lib.levee_endpoint_host(self._ep, buf, 64)
        return None if n < 0 else ffi.string(buf, n).decode()

    @property
    def port(self):
        """The port number, or None for unix endpoints."""
        p = lib.levee_endpoint_port(self._ep)
        return None if p < 0 else p

    @property
    def path(self):
        """The unix path ("@name" for abstract ones), or None."""
        if self._ep.af != AF_UNIX:
            return None
        return str(self)

    def sockaddr(self):
        """The address in the form Python's socket module takes."""
        if self._ep.af == AF_UNIX:
            p = self.path
            return "\0" + p[1:] if p.startswith("@") else p
        return (self.host, self.port)

    def __str__(self):
        buf = ffi.new("char[256]")
        n = lib.levee_endpoint_format(self._ep, buf, 256)
        return "<empty endpoint>" if n < 0 else ffi.string(buf, n).decode()

    def __repr__(self):
        return "Endpoint(%r)" % str(self)

    def _cmp(self, other):
        return lib.levee_endpoint_compare(self._ep, other._ep)

    def __eq__(self, other):
        return isinstance(other, Endpoint) and self._cmp(other) == 0

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __le__(self, other):
        return self._cmp(other) <= 0

    def __hash__(self):
        return hash((self._ep.af, str(self)))


def resolve(host, service=None, family=0, socktype=0):
    """Blocking getaddrinfo: a list of Endpoints for host and service
    (number or name). Raises levee.errors.AddressError on failure."""
    cap = 64
    out = ffi.new("levee_endpoint[]", cap)
    h = _bytes(host) if host is not None else ffi.NULL
    s = _bytes(str(service)) if service is not None else ffi.NULL
    n = check(lib.levee_endpoint_resolve(h, s, family, socktype, out, cap))
    return [Endpoint(out + i) for i in range(n)]


class Stat:
    """File metadata: dev ino mode nlink uid gid rdev size blksize blocks
    atime mtime ctime, plus is_reg() is_dir() is_lnk() is_sock() and perm()
    (permission bits as an octal string such as "644")."""

    __slots__ = ("dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size",
                 "blksize", "blocks", "atime", "mtime", "ctime")

    def __init__(self, st):
        for name in self.__slots__:
            setattr(self, name, getattr(st, name))

    def is_reg(self):
        return _stat.S_ISREG(self.mode)

    def is_dir(self):
        return _stat.S_ISDIR(self.mode)

    def is_lnk(self):
        return _stat.S_ISLNK(self.mode)

    def is_sock(self):
        return _stat.S_ISSOCK(self.mode)

    def perm(self):
        return "%o" % (self.mode & 0o777)

    def __repr__(self):
        return "<Stat mode=%o size=%d>" % (self.mode, self.size)


def _path(p):
    import os
    return os.fsencode(p)


def stat(path):
    """stat(2), following symlinks."""
    st = ffi.new("levee_stat *")
    check(lib.levee_fs_stat(_path(path), st))
    return Stat(st)


def lstat(path):
    """lstat(2): a final symlink is reported as itself."""
    st = ffi.new("levee_stat *")
    check(lib.levee_fs_lstat(_path(path), st))
    return Stat(st)


def fstat(fd):
    """fstat(2) of an open descriptor."""
    st = ffi.new("levee_stat *")
    check(lib.levee_fs_fstat(fd, st))
    return Stat(st)


# sockets ------------------------------------------------------------------

def socket(family=AF_INET, type=_socket.SOCK_STREAM, proto=0):
    """A new CLOEXEC, non-blocking socket fd."""
    return check(lib.levee_socket_new(family, type, proto))


def bind(fd, ep):
    check(lib.levee_socket_bind(fd, ep._ep))


def listen(fd, backlog=256):
    check(lib.levee_socket_listen(fd, backlog))


def accept(fd):
    """Accepts one connection: (fd, peer Endpoint). Raises SystemError with
    errno EAGAIN when none is pending, EMFILE at the fd limit."""
    peer = Endpoint()
    c = check(lib.levee_socket_accept(fd, peer._ep))
    return c, peer


def connect(fd, ep):
    """Starts connecting; returns True when connected, False when in
    progress (wait for writable, then socket_error(fd))."""
    rc = lib.levee_socket_connect(fd, ep._ep)
    if rc == lib.LEVEE_EINPROGRESS:
        return False
    check(rc)
    return True


def socket_error(fd):
    """Raises the pending socket error (SO_ERROR), if any."""
    check(lib.levee_socket_error(fd))


def shutdown(fd, how="w"):
    """how: "r", "w", "rw" (or 0, 1, 2)."""
    how = {"r": 0, "w": 1, "rw": 2}.get(how, how)
    check(lib.levee_socket_shutdown(fd, how))


def sockname(fd):
    ep = Endpoint()
    check(lib.levee_socket_sockname(fd, ep._ep))
    return ep


def peername(fd):
    ep = Endpoint()
    check(lib.levee_socket_peername(fd, ep._ep))
    return ep


_BOOL_OPTS = {"reuseaddr", "reuseport", "keepalive", "broadcast", "nodelay", "cork",
              "quickack", "v6only", "oobinline", "acceptconn", "cloexec", "nonblock"}


def getsockopt(fd, name):
    """Reads an option by name: bool for flags, int otherwise (linger:
    seconds, or -1 when off). Unknown names raise ENOPROTOOPT."""
    out = ffi.new("int64_t *")
    check(lib.levee_socket_getopt(fd, _bytes(name), out))
    return bool(out[0]) if name in _BOOL_OPTS else int(out[0])


def setsockopt(fd, name, value):
    """Sets an option by name ("reuseaddr", "reuseport", "nodelay",
    "keepalive", "rcvbuf", "sndbuf", "linger", "v6only", ...)."""
    check(lib.levee_socket_setopt(fd, _bytes(name), int(value)))


def send(fd, data, flags=0):
    """send(2) without SIGPIPE: bytes sent; BrokenPipe for a closed peer."""
    data = _bytes(data)
    return check(lib.levee_socket_send(fd, data, len(data), flags))


def recv(fd, size=4096, flags=0):
    """recv(2): bytes (b"" at EOF)."""
    buf = ffi.new("char[]", size)
    n = check(lib.levee_socket_recv(fd, buf, size, flags))
    return ffi.buffer(buf, n)[:]


def sendto(fd, data, ep):
    data = _bytes(data)
    return check(lib.levee_socket_sendto(fd, data, len(data), ep._ep))


def recvfrom(fd, size=65536):
    """(bytes, sender Endpoint)."""
    buf = ffi.new("char[]", size)
    ep = Endpoint()
    n = check(lib.levee_socket_recvfrom(fd, buf, size, ep._ep))
    return ffi.buffer(buf, n)[:], ep


def sendfd(sock, fd, payload=b""):
    """Passes descriptor fd over the unix socket sock with a payload."""
    payload = _bytes(payload)
    return check(lib.levee_socket_sendfd(sock, fd, payload, len(payload)))


def recvfd(sock, size=4096):
    """(fd or None, payload bytes); payload b"" and fd None at EOF."""
    buf = ffi.new("char[]", size)
    fdp = ffi.new("int32_t *")
    n = check(lib.levee_socket_recvfd(sock, fdp, buf, size))
    return (fdp[0] if fdp[0] >= 0 else None), ffi.buffer(buf, n)[:]


# fds ----------------------------------------------------------------------

def read(fd, size=4096):
    buf = ffi.new("char[]", size)
    n = check(lib.levee_fd_read(fd, buf, size))
    return ffi.buffer(buf, n)[:]


def write(fd, data):
    data = _bytes(data)
    return check(lib.levee_fd_write(fd, data, len(data)))


def close(fd):
    check(lib.levee_fd_close(fd))


def set_nonblocking(fd, on=True):
    check(lib.levee_fd_nonblock(fd, 1 if on else 0))


def pipe(nonblocking=False):
    """(read fd, write fd), CLOEXEC."""
    fds = ffi.new("int32_t[2]")
    check(lib.levee_fd_pipe(fds, 1 if nonblocking else 0))
    return fds[0], fds[1]


def sendfile(out_fd, in_fd, count, offset=None):
    """Copies up to count bytes from in_fd (at offset when given) to out_fd."""
    off = ffi.new("int64_t *", offset) if offset is not None else ffi.NULL
    return check(lib.levee_fd_sendfile(out_fd, in_fd, off, count))


def splice(in_fd, out_fd, count, more=False):
    return check(lib.levee_fd_splice(in_fd, out_fd, count, 1 if more else 0))


def fds():
    """The open descriptors of this process, ascending."""
    cap = 1024
    while True:
        out = ffi.new("int32_t[]", cap)
        n = check(lib.levee_sys_fds(out, cap))
        if n <= cap:
            return sorted(out[i] for i in range(n))
        cap = n + 64


def fdcount():
    return check(lib.levee_sys_fdcount())


def gethostname():
    buf = ffi.new("char[256]")
    n = check(lib.levee_sys_gethostname(buf, 256))
    return ffi.string(buf, n).decode()


def getrusage(who=0):
    """A dict: utime stime (seconds), maxrss (KiB), minflt majflt inblock
    oublock nvcsw nivcsw."""
    r = ffi.new("levee_rusage *")
    check(lib.levee_sys_getrusage(who, r))
    return {k: getattr(r, k) for k in ("utime", "stime", "maxrss", "minflt", "majflt",
                                       "inblock", "oublock", "nvcsw", "nivcsw")}


def rss():
    """Current resident set size in bytes."""
    return check(lib.levee_sys_rss())
