"""levee errors in Python: every negative LEVEE_E* code from the C core is
raised as a levee.Error carrying .code, .domain, .name and .msg (the same
registry the Lua binding reads). Common cases get their own subclasses, which
also derive from the matching builtin exception so that ordinary `except
TimeoutError` / `except ConnectionRefusedError` / `except OSError` clauses
work; system errors are OSErrors with .errno set.
"""
from ._ffi import ffi, lib


class Error(Exception):
    """An error from levee. .code is the negative registry code."""

    code = lib.LEVEE_EUNKNOWN
    domain = "levee"
    name = "EUNKNOWN"
    msg = "unknown error"

    def _fill(self, code):
        e = lib.levee_error_get(code)
        self.code = code
        if e != ffi.NULL:
            self.domain = ffi.string(lib.levee_error_domain(e)).decode()
            self.name = ffi.string(lib.levee_error_name(e)).decode()
            self.msg = ffi.string(lib.levee_error_msg(e)).decode()
        else:
            self.domain, self.name, self.msg = "levee", "EUNKNOWN", "unknown error (%d)" % code

    def is_(self, domain, name):
        """True if this is the error domain.name (e.g. is_("system", "EPIPE"))."""
        return self.domain == domain and self.name == name

    def __str__(self):
        detail = getattr(self, "detail", None)
        text = "%s (%s.%s)" % (self.msg, self.domain, self.name)
        return "%s: %s" % (text, detail) if detail else text

    def __repr__(self):
        return "<%s %s.%s %d>" % (type(self).__name__, self.domain, self.name, self.code)


class Timeout(Error, TimeoutError):
    """levee.TIMEOUT: a blocking call ran out of time."""

    def __init__(self, *args):
        super().__init__(*args)
        self._fill(lib.LEVEE_TIMEOUT)


class Closed(Error):
    """levee.CLOSED: the channel, stream or connection is closed (also EOF)."""

    def __init__(self, *args):
        super().__init__(*args)
        self._fill(lib.LEVEE_CLOSED)


class SystemError(Error, OSError):
    """A system (errno) error; .errno is the positive OS errno."""


class ConnectionRefused(SystemError, ConnectionRefusedError):
    """system.ECONNREFUSED."""


class ConnectionReset(SystemError, ConnectionResetError):
    """system.ECONNRESET."""


class BrokenPipe(SystemError, BrokenPipeError):
    """system.EPIPE: the peer went away while we wrote."""


class FileNotFound(SystemError, FileNotFoundError):
    """system.ENOENT."""


class PermissionDenied(SystemError, PermissionError):
    """system.EACCES / system.EPERM."""


class AddressError(Error):
    """addr.*: name or service resolution failed."""


class TLSError(Error):
    """tls.*: a TLS configuration, handshake or I/O error."""


class JSONError(Error, ValueError):
    """json.*: malformed JSON. .offset is the byte offset when known."""

    offset = None


class HTTPError(Error, ValueError):
    """http.*: malformed or oversized HTTP."""


class DNSError(Error):
    """dns.*: a DNS failure or a non-zero RCODE."""


class UTF8Error(Error, ValueError):
    """utf8.*: invalid UTF-8 or a malformed escape (see levee.utf8)."""

    offset = None


class URIError(Error, ValueError):
    """uri.*: text that is not a URI reference, or a bad segment range."""


_system_classes = {
    -lib.LEVEE_ECONNREFUSED: ConnectionRefused,
    -lib.LEVEE_ECONNRESET: ConnectionReset,
    -lib.LEVEE_EPIPE: BrokenPipe,
    -lib.LEVEE_ENOENT: FileNotFound,
    -lib.LEVEE_EACCES: PermissionDenied,
    -lib.LEVEE_EPERM: PermissionDenied,
}

_domain_classes = {
    "addr": AddressError,
    "tls": TLSError,
    "json": JSONError,
    "http": HTTPError,
    "dns": DNSError,
    "utf8": UTF8Error,
    "uri": URIError,
}


# The rest of Python's OSError subclasses, by errno: a levee system error
# with one of these numbers also derives from it (FileExistsError, ...).
_builtin_oserrors = {
    17: FileExistsError, 21: IsADirectoryError, 20: NotADirectoryError,
    4: InterruptedError, 11: BlockingIOError, 10: ChildProcessError,
    3: ProcessLookupError, 110: TimeoutError, 103: ConnectionAbortedError,
}


def _system_class(errno_):
    cls = _system_classes.get(errno_)
    if cls is None and errno_ in _builtin_oserrors:
        base = _builtin_oserrors[errno_]
        cls = type(base.__name__.replace("Error", ""), (SystemError, base),
                   {"__module__": __name__, "__doc__": "levee system error, also a %s." % base.__name__})
        _system_classes[errno_] = cls
    return cls or SystemError


def error_for(code, detail=None):
    """The levee.Error instance for a negative code (not raised)."""
    if code > 0:
        code = -code
    if code == lib.LEVEE_TIMEOUT:
        err = Timeout()
    elif code == lib.LEVEE_CLOSED:
        err = Closed()
    elif -2000 < code < 0 and -code < 200:
        cls = _system_class(-code)
        e = lib.levee_error_get(code)
        msg = ffi.string(lib.levee_error_msg(e)).decode() if e != ffi.NULL else "unknown error"
        err = cls(-code, msg)
    else:
        e = lib.levee_error_get(code)
        domain = ffi.string(lib.levee_error_domain(e)).decode() if e != ffi.NULL else "levee"
        err = _domain_classes.get(domain, Error)()
    err._fill(code)
    err.detail = detail
    return err


def check(rc):
    """Returns rc when it is not negative; raises the matching Error otherwise."""
    if rc < 0:
        raise error_for(rc)
    return rc


def add(code, domain, name, msg=""):
    """Registers a user error (|code| >= 2000) in the process-wide registry.
    Returns True if it was added, False if the code was already taken."""
    out = ffi.new("const levee_error *[1]")
    rc = lib.levee_error_add(code, domain.encode(), name.encode(), msg.encode(), out)
    if rc == lib.LEVEE_EEXIST:
        return False
    check(rc)
    return True
