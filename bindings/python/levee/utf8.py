"""levee.utf8: UTF-8 validation and URI / JSON escaping in levee's C core.

    levee.utf8.validate(b"caf\\xc3\\xa9")      # returns None: valid
    levee.utf8.is_valid(b"\\xed\\xa0\\x80")     # False: an encoded surrogate
    levee.utf8.charlen("é")                    # 2

Faults raise levee.UTF8Error (a ValueError) of the utf8 domain: EENCODING
(a byte that cannot start or continue a character, an overlong form),
ESURROGATE, ECODEPOINT (beyond U+10FFFF), ETOOSHORT (the text ends inside a
character), with .offset, the byte offset of the faulty character.
encode()/decode() are the escaping modes of the Lua binding's p.utf8.
"""
from ._ffi import ffi, lib
from .errors import error_for, UTF8Error  # noqa: F401  (UTF8Error re-exported)

__all__ = ["validate", "is_valid", "valid_prefix", "charlen", "encode", "decode", "UTF8Error",
           "NONE", "JSON", "URI", "URI_COMPONENT", "SPACE_PLUS"]

NONE = lib.LEVEE_UTF8_NONE
JSON = lib.LEVEE_UTF8_JSON
URI = lib.LEVEE_UTF8_URI
URI_COMPONENT = lib.LEVEE_UTF8_URI_COMPONENT
SPACE_PLUS = lib.LEVEE_UTF8_SPACE_PLUS

_from_buffer = ffi.from_buffer
_validate = lib.levee_utf8_validate
_prefix = lib.levee_utf8_valid_prefix


def _bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise TypeError("levee.utf8 expects bytes-like data or str, not %s" % type(data).__name__)


def _check(data):
    b = _bytes(data)
    p = _from_buffer(b)
    rc = _validate(p, len(p))
    if rc < 0:
        off = _prefix(p, len(p))
        err = error_for(rc, "at byte %d" % off)
        err.offset = off
        raise err
    return b


def validate(data):
    """Returns None when data is whole, valid UTF-8; raises UTF8Error (with
    .offset) otherwise. A str is checked as its UTF-8 encoding (lone
    surrogates in it are ESURROGATE)."""
    _check(data)


def is_valid(data):
    """True when data is whole, valid UTF-8."""
    p = _from_buffer(_bytes(data))
    return _validate(p, len(p)) == 0


def valid_prefix(data):
    """The length of the longest prefix made of whole valid characters."""
    p = _from_buffer(_bytes(data))
    return _prefix(p, len(p))


def charlen(data):
    """The byte length (1..4) of the first character; UTF8Error for a fault
    (ETOOSHORT for empty data)."""
    p = _from_buffer(_bytes(data))
    n = lib.levee_utf8_charlen(p, len(p))
    if n < 0:
        raise error_for(n)
    return n


def encode(data, mode=NONE):
    """data escaped as mode says, as bytes: NONE / URI percent-encode like
    encodeURI (space is %20), URI_COMPONENT keeps only unreserved
    characters, SPACE_PLUS writes a space as '+', JSON escapes a string's
    quotes, backslashes and control characters. data must be valid UTF-8."""
    b = _bytes(data)
    src = _from_buffer(b)
    cap = len(src) * (6 if mode & JSON else 3)
    dst = ffi.new("uint8_t[]", cap or 1)
    n = lib.levee_utf8_encode(dst, cap, src, len(src), mode)
    if n < 0:
        raise error_for(n)
    return ffi.buffer(dst, n)[:]


def decode(data, mode=NONE):
    """Undoes encode(data, mode): %XX (and '+' with SPACE_PLUS) or JSON
    backslash escapes; the result must be valid UTF-8. Returns bytes."""
    b = _bytes(data)
    src = _from_buffer(b)
    dst = ffi.new("uint8_t[]", len(src) or 1)
    n = lib.levee_utf8_decode(dst, len(src), src, len(src), mode)
    if n < 0:
        raise error_for(n)
    return ffi.buffer(dst, n)[:]
