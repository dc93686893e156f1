"""levee.d for Python: Buffer and Iovec over liblevee's levee_buffer and
levee_iovec. Method names follow the Lua API (docs/d.md).

    buf = levee.Buffer()
    buf.write(b"foobar")
    bytes(buf.value(3))   # b"foo"
    buf.take(3)           # b"foo"
    bytes(buf), len(buf)  # (b"bar", 3)

Memoryviews returned by value(), tail() and memoryview() point into the
buffer and are valid until the next call that may grow or compact it
(ensure, write, truncate, freeze, thaw).
"""
from ._ffi import ffi, lib
from .errors import check

SIZE_MAX = ffi.cast("size_t", -1)


def _size(n, what):
    if not isinstance(n, int):
        raise TypeError("%s: size must be an int, not %s" % (what, type(n).__name__))
    if n < 0:
        raise ValueError("%s: size must be >= 0" % what)
    return n


def _bytes_like(data):
    """(cdata pointer, length, keepalive) for bytes, bytearray, memoryview,
    str (UTF-8) or a levee Buffer."""
    if isinstance(data, Buffer):
        return lib.levee_buffer_value(data._h), len(data), data
    if isinstance(data, str):
        data = data.encode()
    if isinstance(data, bytes):
        return ffi.from_buffer(data), len(data), data
    try:
        mv = memoryview(data).cast("B")
    except TypeError:
        raise TypeError("levee: data must be bytes-like, str or a levee.Buffer, not %s"
                        % type(data).__name__) from None
    return ffi.from_buffer(mv), mv.nbytes, mv


class Buffer:
    """A growable byte buffer: write at the tail, consume from the front."""

    __slots__ = ("_h", "__weakref__")

    def __init__(self, hint=0):
        out = ffi.new("levee_buffer **")
        check(lib.levee_buffer_new(out, _size(hint, "Buffer")))
        self._h = ffi.gc(out[0], lib.levee_buffer_free)

    def _handle(self):
        if self._h is None:
            raise ValueError("Buffer is closed")
        return self._h

    # --- size and space -------------------------------------------------
    def __len__(self):
        return lib.levee_buffer_len(self._handle())

    @property
    def len(self):
        return len(self)

    @property
    def cap(self):
        return lib.levee_buffer_cap(self._handle())

    def available(self):
        """Free bytes at the tail."""
        return lib.levee_buffer_available(self._handle())

    def ensure(self, n=None):
        """Makes at least n bytes free at the tail; returns self."""
        h = self._handle()
        if n is None:
            n = min(lib.levee_buffer_cap(h) // 2, 65536)
        check(lib.levee_buffer_ensure(h, _size(n, "ensure")))
        return self

    # --- writing --------------------------------------------------------
    def write(self, data, n=None):
        """Appends bytes (bytes, bytearray, memoryview, str or Buffer)."""
        h = self._handle()
        p, size, keep = _bytes_like(data)
        if n is not None:
            size = min(_size(n, "write"), size)
        check(lib.levee_buffer_write(h, p, size))
        del keep

    push = write

    def tail(self):
        """A writable memoryview over the free bytes at the tail."""
        h = self._handle()
        n = lib.levee_buffer_available(h)
        if n == 0:
            return memoryview(b"")
        return memoryview(ffi.buffer(lib.levee_buffer_tail(h), n))

    def bump(self, n):
        """Commits n bytes written into tail()."""
        check(lib.levee_buffer_bump(self._handle(), _size(n, "bump")))

    # --- reading --------------------------------------------------------
    def _view(self, off, n):
        h = self._handle()
        if n == 0:
            return memoryview(b"")
        return memoryview(ffi.buffer(lib.levee_buffer_value(h) + off, n))

    def value(self, a=None, b=None):
        """value() all bytes; value(n) the first n; value(off, True) from
        off to the end; value(off, n) n bytes from off. A memoryview."""
        length = len(self)
        if a is None:
            return self._view(0, length)
        if b is None:
            return self._view(0, min(_size(a, "value"), length))
        off = min(_size(a, "value"), length)
        if b is True:
            return self._view(off, length - off)
        return self._view(off, min(_size(b, "value"), length - off))

    def memoryview(self):
        """A memoryview over every held byte."""
        return self.value()

    def slice(self, n):
        return self.value(n)

    def peek(self, n=None):
        """A bytes copy of up to n bytes from the front (all when None)."""
        return bytes(self.value() if n is None else self.value(n))

    def take(self, n=None):
        """Like peek, and consumes what it returns."""
        data = self.peek(n)
        lib.levee_buffer_trim(self._h, len(data))
        return data

    def trim(self, n=None):
        """Consumes up to n bytes (all when None); returns how many."""
        h = self._handle()
        return lib.levee_buffer_trim(h, SIZE_MAX if n is None else _size(n, "trim"))

    def copy(self, dst, n=None):
        """Copies up to n bytes into the writable buffer dst; returns how many."""
        mv = memoryview(dst).cast("B")
        n = mv.nbytes if n is None else min(_size(n, "copy"), mv.nbytes)
        return lib.levee_buffer_copy(self._handle(), ffi.from_buffer(mv, require_writable=True), n)

    def move(self, dst, n=None):
        """copy() and consume."""
        mv = memoryview(dst).cast("B")
        n = mv.nbytes if n is None else min(_size(n, "move"), mv.nbytes)
        return lib.levee_buffer_move(self._handle(), ffi.from_buffer(mv, require_writable=True), n)

    def __bytes__(self):
        return bytes(self.value())

    # --- shaping --------------------------------------------------------
    def truncate(self):
        check(lib.levee_buffer_truncate(self._handle()))

    def freeze(self, n):
        """Hides the first n bytes until thaw()."""
        check(lib.levee_buffer_freeze(self._handle(), _size(n, "freeze")))

    def thaw(self):
        check(lib.levee_buffer_thaw(self._handle()))

    def reset(self):
        lib.levee_buffer_reset(self._handle())

    def release(self):
        """Gives the memory of an empty buffer back (True), or False when
        it holds bytes. Writing to it later allocates again."""
        return lib.levee_buffer_release(self._handle()) == 0

    def writeinto_iovec(self, iov):
        iov.writeraw(self)

    # --- lifetime -------------------------------------------------------
    def close(self):
        """Frees the bytes now; later calls raise ValueError. Idempotent."""
        if self._h is not None:
            h, self._h = self._h, None
            ffi.release(h)  # runs levee_buffer_free now

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self._h is None:
            return "<levee.Buffer closed>"
        return "<levee.Buffer len=%d cap=%d>" % (len(self), self.cap)


class Iovec:
    """A gather list for writev: entries reference the caller's bytes (kept
    alive by the Iovec until reset)."""

    __slots__ = ("_h", "_keep")

    def __init__(self, size=0):
        out = ffi.new("levee_iovec **")
        check(lib.levee_iovec_new(out, _size(size, "Iovec")))
        self._h = ffi.gc(out[0], lib.levee_iovec_free)
        self._keep = []

    def writeraw(self, data, n=None):
        """Appends one entry referencing data (bytes-like or Buffer)."""
        p, size, keep = _bytes_like(data)
        if n is not None:
            size = min(_size(n, "writeraw"), size)
        if size == 0:
            return
        check(lib.levee_iovec_append(self._h, p, size))
        self._keep.append(keep)

    def write(self, data, n=None):
        """Appends data; objects with writeinto_iovec add themselves."""
        if hasattr(data, "writeinto_iovec") and n is None:
            data.writeinto_iovec(self)
        else:
            self.writeraw(data, n)

    def __len__(self):
        return lib.levee_iovec_bytes(self._h)

    @property
    def len(self):
        return len(self)

    @property
    def n(self):
        return lib.levee_iovec_count(self._h)

    def value(self):
        """(cdata levee_iovec_entry *, count): ready for writev."""
        return lib.levee_iovec_entries(self._h), self.n

    def consume(self, n):
        """Drops the first n bytes (after a partial write); returns how many."""
        return lib.levee_iovec_consume(self._h, _size(n, "consume"))

    def reset(self):
        lib.levee_iovec_reset(self._h)
        self._keep = []

    def string(self):
        n = len(self)
        out = ffi.new("uint8_t[]", n)
        lib.levee_iovec_copy(self._h, out, n)
        return ffi.buffer(out, n)[:]

    __bytes__ = string
