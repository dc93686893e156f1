"""levee.http.status: Status(code[, reason]) and the standard reasons."""

__all__ = ["Status", "REASONS"]

from .._ffi import ffi, lib

# The standard reasons, from the core's one table (levee_http_reason).
REASONS = {code: ffi.string(r).decode("latin-1")
           for code, r in ((c, lib.levee_http_reason(c)) for c in range(100, 600))
           if r != ffi.NULL}


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
