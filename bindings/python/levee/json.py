"""levee.json: strict RFC 8259 JSON over levee's C++ tokenizer.

loads(s) / decode(s): the C core scans the whole document once into a tape
of tokens; the compiled module levee._json_ext builds the Python objects
from the tape with the CPython API. Without that module (a pure-Python
install) the core renders the tape as marshal data (pickle bytes for the
rare values marshal cannot carry), which marshal.loads / pickle.loads turn
into Python objects in C. Either way no Python code runs per token.
Integers are exact (any size), other numbers are the correctly rounded
float, null is None.

dumps(obj) / encode(obj): the text format of the Lua binding (", " and ": "
separators, non-ASCII kept, Python's float repr), exactly what the standard
library's json.dumps gives with those settings and NaN refused: written by
levee._json_ext straight from the objects, else transcoded from
marshal.dumps by the core; what either declines goes to the standard
library's encoder.

Decoder(): a streaming decoder; feed it bytes as they arrive and it returns
each complete value (see its docstring). Every decoding error is a
levee.JSONError with .offset, the byte offset of the fault.
"""
import json as _stdjson
import marshal as _marshal
from array import array as _array
import pickle as _pickle
import sys as _sys
import threading

from ._ffi import ffi, lib
from .errors import error_for

try:  # after _ffi: the module links the liblevee that _ffi loaded
    from . import _json_ext as _ext
    _ext_loads, _ext_dumps, _ext_build = _ext.loads, _ext.dumps, _ext.build
except ImportError:  # a pure-Python install: the marshal paths below
    _ext = None
# Every function tests _ext itself (None switches the extension off, as the
# tests do) and calls the bound functions above.

__all__ = ["loads", "dumps", "decode", "encode", "Decoder", "JSONError"]

from .errors import JSONError  # noqa: E402  (re-exported)

_loads_pickle = _pickle.loads
_loads_marshal = _marshal.loads
_buffer = ffi.buffer
_parse = lib.levee_json_parse
_to_marshal = lib.levee_json_marshal
_to_pickle = lib.levee_json_pickle
_output = lib.levee_json_output


_address = ffi.cast
_CData = ffi.CData


def _value(h, data):
    """The completed value of handle h, parsed from data (bytes or cdata)."""
    if _ext is not None:
        if not isinstance(data, _CData):
            data = ffi.from_buffer(data)
        return _ext_build(int(_address("uintptr_t", h)), int(_address("uintptr_t", data)))
    n = _to_marshal(h, data)
    if n >= 0:
        return _loads_marshal(_buffer(_output(h), n))
    n = _to_pickle(h, data)  # integers beyond 64 bits, huge strings, deep limits
    if n < 0:
        raise error_for(int(n))
    return _loads_pickle(_buffer(_output(h), n))


def _new_handle():
    out = ffi.new("levee_json *[1]")
    rc = lib.levee_json_new(out)
    if rc < 0:
        raise error_for(rc)
    return ffi.gc(out[0], lib.levee_json_free)


# loads() reuses one tokenizer per OS thread: cffi releases the GIL during
# C calls, so threads must not share a handle.
_local = threading.local()


def _thread_handle():
    h = getattr(_local, "h", None)
    if h is None:
        h = _local.h = _new_handle()
    return h


def _error(handle, rc, base=0):
    return _offset_error(rc, int(lib.levee_json_error_offset(handle)) + base)


def _offset_error(rc, off):
    err = error_for(int(rc), "at byte %d" % off)
    err.offset = off
    return err


def loads(s):
    """Decodes one JSON document (str, bytes, bytearray or memoryview).

    Raises levee.JSONError (with .offset) for anything that is not exactly
    one strict RFC 8259 value surrounded by white space."""
    if _ext is not None:  # bytes, bytearray, memoryview, ASCII str
        v = _ext_loads(s)
        if type(v) is tuple:  # (code, offset): JSON values are never tuples
            raise _offset_error(*v)
        if v is not NotImplemented:
            return v
    try:
        h = _local.h
    except AttributeError:
        h = _thread_handle()
    if isinstance(s, str):
        if s.isascii():
            s = s.encode("ascii")
        else:
            data, n = _from_str(s)
            if data is not None:
                rc = _parse(h, data, n)
                if rc < 0:
                    raise _error(h, rc)
                return _value(h, data)
            s = s.encode("utf-8", "surrogatepass")  # lone surrogates: the error path
    elif not isinstance(s, bytes):
        if not isinstance(s, (bytearray, memoryview)):
            raise TypeError("levee.json.loads: s must be str, bytes, bytearray or memoryview, "
                            "not %s" % type(s).__name__)
        s = bytes(s)
    rc = _parse(h, s, len(s))
    if rc < 0:
        raise _error(h, rc)
    return _value(h, s)


# Non-ASCII str input: CPython stores such text as UCS-2 or UCS-4, and
# str.encode("utf-8") is slow on it (several ms for citm_catalog), while
# encoding to UTF-16 (UCS-2 text) or UTF-32 (UCS-4 text) is a plain copy;
# the C core then transcodes to UTF-8 with an ASCII fast path. The storage
# width is read off sys.getsizeof (O(1)). The UTF-8 lands in a per-thread
# scratch buffer kept between calls (up to _SCRATCH_KEEP bytes).
_SCRATCH_KEEP = 16 << 20
_utf16 = lib.levee_utf16_to_utf8
_utf32 = lib.levee_utf32_to_utf8
_sizeof = _sys.getsizeof
# array(typecode, s) copies UCS-4 text as is (about twice as fast as
# encoding it to UTF-32); the typecode of 4-byte characters is "w" from
# Python 3.13 (where "u" is deprecated), "u" before it on Linux.
_UCS4 = "w" if _sys.version_info >= (3, 13) else "u"
if _array(_UCS4).itemsize != 4:
    _UCS4 = None


def _from_str(s):
    """(scratch cdata, length) holding s as UTF-8, or (None, 0) when s has a
    lone surrogate."""
    wide = _sizeof(s) > 3 * len(s) + 100  # 4 bytes per character
    if wide and _UCS4:
        u = _array(_UCS4, s)  # a copy of the UCS-4 storage
        units = len(u)
    else:
        try:  # strict: a lone surrogate goes to the error path
            u = s.encode("utf-32-le" if wide else "utf-16-le")
        except UnicodeEncodeError:
            return None, 0
        units = len(u) >> (2 if wide else 1)
    need = 4 * units + 16
    scratch = getattr(_local, "scratch", None)
    if scratch is None or len(scratch) < need:
        scratch = ffi.new("uint8_t[]", need)
        if need <= _SCRATCH_KEEP:
            _local.scratch = scratch
    if wide:
        n = _utf32(scratch, ffi.from_buffer("uint32_t[]", u), units)
    else:
        n = _utf16(scratch, ffi.from_buffer("uint16_t[]", u), units)
    if n < 0:
        return None, 0
    return scratch, n


decode = loads

_encoder = _stdjson.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_encode = _encoder.encode
_marshal_dumps = _marshal.dumps
_from_marshal = lib.levee_json_from_marshal


def dumps(obj):
    """Encodes obj (dict with str keys, list/tuple, str, int, float, bool,
    None) as JSON text in levee's format: [1, 2], {"k": "v"}. Raises
    ValueError for NaN or infinities and TypeError for other types."""
    if _ext is not None:
        # The extension writes the exact types straight into a str; what it
        # declines (subclasses, other types, NaN, non-str keys, nesting past
        # 512, cycles) takes the standard library's encoder, which gives the
        # same text or the error.
        text = _ext_dumps(obj)
        return text if text is not None else _encode(obj)
    # marshal.dumps walks the objects in C; the core transcodes its bytes.
    # What marshal cannot write (subclasses, other types, deep nesting) or
    # the core declines (NaN, non-str keys, big integers, cycles) takes the
    # standard library's encoder, which gives the same text or the error.
    try:
        m = _marshal_dumps(obj)
    except ValueError:
        return _encode(obj)
    try:
        h = _local.h
    except AttributeError:
        h = _thread_handle()
    n = _from_marshal(h, m, len(m))
    if n < 0:
        return _encode(obj)
    return str(_buffer(_output(h), n), "utf-8", "surrogatepass")


encode = dumps


class Decoder:
    """Incremental decoder: d.feed(data) appends bytes and returns the list
    of values completed so far (possibly empty); d.close() says the input
    ended (a trailing bare number then completes) and raises JSONError if a
    value was left incomplete. Values may be separated by white space.

    The tokenizer resumes where it stopped, so feeding a document in small
    pieces costs about as much as feeding it whole. A stream(...) helper for
    levee streams wraps exactly this: feed what the stream buffered, trim
    what the value used (see docs/json.md)."""

    def __init__(self, max_depth=None, max_size=None):
        for name, v in (("max_depth", max_depth), ("max_size", max_size)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise TypeError("levee.json.Decoder: %s must be an int or None, not %s"
                                % (name, type(v).__name__))
        self._h = _new_handle()
        if max_depth is not None or max_size is not None:
            rc = lib.levee_json_limits(
                self._h,
                max_depth if max_depth is not None else lib.LEVEE_JSON_MAX_DEPTH,
                max_size if max_size is not None else lib.LEVEE_JSON_MAX_SIZE,
            )
            if rc < 0:
                raise error_for(rc)
        self._pending = bytearray()
        self._consumed = 0  # bytes of earlier values, for error offsets

    def reset(self):
        """Drops buffered bytes and any partial value."""
        lib.levee_json_reset(self._h)
        self._pending = bytearray()

    def is_done(self):
        """True when no partial value is pending."""
        return not self._pending.strip()

    def _run(self, eof):
        values = []
        h = self._h
        while self._pending:
            size = len(self._pending)
            data = ffi.from_buffer(self._pending)  # no copy
            try:
                n = lib.levee_json_feed(h, data, size, 1 if eof else 0)
                if n > 0:
                    values.append(_value(h, data))
            finally:
                ffi.release(data)  # lets the bytearray shrink again
            if n < 0:
                if eof and not self._pending.strip():
                    self._pending = bytearray()
                    break
                err = _error(h, n, self._consumed)
                lib.levee_json_reset(h)
                self._pending = bytearray()
                raise err
            if n == 0:
                break
            del self._pending[:n]
            self._consumed += n
            if not self._pending.strip():
                self._consumed += len(self._pending)
                self._pending = bytearray()
        return values

    def feed(self, data):
        """Appends data (bytes-like or str) and returns the completed values."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("levee.json.Decoder.feed: data must be str, bytes, bytearray or "
                            "memoryview, not %s" % type(data).__name__)
        self._pending += data
        return self._run(False)

    def close(self):
        """Ends the input: returns any value completed by the end (a bare
        number), raises JSONError when a value is left incomplete."""
        return self._run(True)
