"""levee.uri: RFC 3986 URI references, parsed by levee's C core.

    u = levee.uri.URI("https://user@example.com:8443/a/b?x=1&y=a+b#top")
    u.scheme, u.host, u.port, u.path   # 'https', 'example.com', '8443', '/a/b'
    u.params()                          # {'x': '1', 'y': 'a b'}
    u.join("../c").value                # 'https://user@example.com:8443/c'

The core finds the eight segments (SCHEME USER PASSWORD HOST PORT PATH QUERY
FRAGMENT) in one pass; attributes are slices of the text, None when the
segment is absent (the port is a string, as in the Lua binding). A string
that is not a URI reference raises levee.URIError (a ValueError) from the
uri domain; bad escapes or invalid UTF-8 in params() raise levee.UTF8Error.
"""
import struct as _struct
import threading as _threading

from ._ffi import ffi, lib
from .errors import error_for, URIError  # noqa: F401  (URIError re-exported)

__all__ = ["URI", "parse", "URIError", "SCHEME", "USER", "PASSWORD", "HOST", "PORT", "PATH",
           "QUERY", "FRAGMENT"]

SCHEME = lib.LEVEE_URI_SCHEME
USER = lib.LEVEE_URI_USER
PASSWORD = lib.LEVEE_URI_PASSWORD
HOST = lib.LEVEE_URI_HOST
PORT = lib.LEVEE_URI_PORT
PATH = lib.LEVEE_URI_PATH
QUERY = lib.LEVEE_URI_QUERY
FRAGMENT = lib.LEVEE_URI_FRAGMENT

_NAMES = {"scheme": SCHEME, "user": USER, "password": PASSWORD, "host": HOST, "port": PORT,
          "path": PATH, "query": QUERY, "fragment": FRAGMENT}
_RECORD = _struct.Struct("=18I")  # off[8], len[8], present, length
_parse = lib.levee_uri_parse
_unpack = _RECORD.unpack
_buffer = ffi.buffer


class _Scratch(_threading.local):
    """One levee_uri record per thread to parse into (no allocation per
    URI: the offsets are unpacked into a tuple right away)."""

    def __init__(self):
        self.u = ffi.new("levee_uri *")
        self.view = ffi.buffer(self.u)


_scratch = _Scratch()


def _segment(index):
    bit = 1 << index

    def get(self):
        rec = self._rec
        if rec[16] & bit:
            off = rec[index]
            return self.value[off:off + rec[index + 8]]
        return None
    get.__name__ = [k for k, v in _NAMES.items() if v == index][0]
    get.__doc__ = "The %s segment (a str), or None when absent." % get.__name__
    return property(get)


def _text(data):
    if isinstance(data, str):
        return data, data.encode("utf-8", "surrogateescape")
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        return raw.decode("utf-8", "surrogateescape"), raw
    raise TypeError("levee.uri.URI expects str or bytes, not %s" % type(data).__name__)


class URI:
    """A parsed URI reference. URI(text) raises levee.URIError when text is
    not one. Attributes scheme user password host port path query fragment
    (str or None); userinfo, authority, hierarch and request are ranges
    (see sub); value / str() is the text."""

    __slots__ = ("value", "_raw", "_rec", "_params")

    SCHEME, USER, PASSWORD, HOST, PORT, PATH, QUERY, FRAGMENT = range(8)

    def __init__(self, text):
        if type(text) is str:
            self.value, self._raw = text, text.encode("utf-8", "surrogateescape")
        else:
            self.value, self._raw = _text(text)
        scratch = _scratch
        rc = _parse(scratch.u, self._raw, len(self._raw))
        if rc < 0:
            where = ffi.string(lib.levee_last_message()).decode("utf-8", "replace")
            raise error_for(rc, "%s: %r" % (where, self.value) if where else repr(self.value))
        self._rec = _unpack(scratch.view)  # off[8], len[8], present, length
        self._params = None

    def _record(self):
        u = ffi.new("levee_uri *")
        ffi.buffer(u)[:] = _RECORD.pack(*self._rec)
        return u

    scheme = _segment(SCHEME)
    user = _segment(USER)
    password = _segment(PASSWORD)
    host = _segment(HOST)
    port = _segment(PORT)
    path = _segment(PATH)
    query = _segment(QUERY)
    fragment = _segment(FRAGMENT)

    def sub(self, first, last=None, valid=False):
        """The text from segment first to segment last (default first;
        names like "path" or the constants), absent segments at the ends
        skipped. valid=True widens it to a piece that reads as a URI on its
        own ("?a=b", "//user@host"). Raises URIError (ESEGMENT when none of
        them is present, ERANGE when first comes after last)."""
        if isinstance(last, bool):
            last, valid = None, last
        first = _NAMES.get(first, -1) if isinstance(first, str) else first
        last = first if last is None else (_NAMES.get(last, -1) if isinstance(last, str) else last)
        rng = ffi.new("uint32_t[2]")
        rc = lib.levee_uri_sub(self._record(), first, last, 1 if valid else 0, rng)
        if rc < 0:
            raise error_for(rc)
        return self.value[rng[0]:rng[0] + rng[1]]

    def _range(self, first, last, valid=False):
        try:
            return self.sub(first, last, valid)
        except URIError:
            return None

    @property
    def userinfo(self):
        """user:password, or None."""
        return self._range(USER, PASSWORD)

    @property
    def authority(self):
        """user:password@host:port (whichever are present), or None."""
        return self._range(USER, PORT)

    @property
    def hierarch(self):
        """//authority/path (the hierarchical part), or None."""
        return self._range(USER, PATH, True)

    @property
    def request(self):
        """path?query, what an HTTP request line carries, or None."""
        return self._range(PATH, QUERY)

    def params(self):
        """The query as a dict: split at '&' and '=', '+' and %XX decoded;
        a key given more than once maps to the list of its values. Cached."""
        if self._params is not None:
            return self._params
        out = {}
        if self._rec[16] & (1 << QUERY) and self._rec[8 + QUERY]:
            off, n = self._rec[QUERY], self._rec[8 + QUERY]
            q = self._raw[off:off + n]
            cap = 64
            recs = ffi.new("levee_uri_param[]", cap)
            dst = ffi.new("uint8_t[]", n)
            count = lib.levee_uri_params(q, n, recs, cap, dst)
            if count > cap:
                recs = ffi.new("levee_uri_param[]", count)
                count = lib.levee_uri_params(q, n, recs, count, dst)
            if count < 0:
                raise error_for(count)
            text = bytes(ffi.buffer(dst, n))
            for i in range(count):
                r = recs[i]
                k = text[r.key_off:r.key_off + r.key_len].decode()
                v = text[r.value_off:r.value_off + r.value_len].decode()
                old = out.get(k)
                if old is None:
                    out[k] = v
                elif isinstance(old, list):
                    old.append(v)
                else:
                    out[k] = [old, v]
        self._params = out
        return out

    def join(self, other):
        """other (str, bytes or URI) resolved against this URI (RFC 3986
        section 5.2), as a new URI."""
        raw = other._raw if isinstance(other, URI) else _text(other)[1]
        cap = len(self._raw) + len(raw) + 4
        dst = ffi.new("char[]", cap)
        n = lib.levee_uri_join(dst, cap, self._raw, len(self._raw), raw, len(raw))
        if n < 0:
            raise error_for(n)
        return URI(ffi.buffer(dst, n)[:])

    def __str__(self):
        return self.value

    def __repr__(self):
        return "URI(%r)" % (self.value,)

    def __eq__(self, other):
        return isinstance(other, URI) and other.value == self.value

    def __hash__(self):
        return hash(self.value)


def parse(text):
    """URI(text)."""
    return URI(text)
