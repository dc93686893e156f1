"""levee.http.status: Status(code[, reason]) and the standard reasons."""

__all__ = ["Status", "REASONS"]

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
