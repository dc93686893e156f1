"""levee.http.body: the body of a received message (Request or Response),
read through the connection engine on demand: read() / body, chunks(),
text(), json(), save(path), discard()."""
from .._ffi import ffi
from ..errors import Closed, HTTPError, error_for
from . import wire as W

_PIECE = 1 << 20   # chunks() hands out at most this much at once
_READ = 65536
_next, _consume, _left = W._next, W._consume, W._left
_buffer = ffi.buffer
MSG, NULL = W.MSG, W.NULL


class Message:
    """Body reading shared by Request and Response."""

    __slots__ = ()

    def _init_body(self, wire, eid, kind, length):
        self._wire = wire
        self._eid = eid
        self._kind = kind
        self._length = length
        self._done = kind == W.BODY_NONE
        self._body = None   # the whole body once read()
        self._rest = None   # the rest, read into memory for its owner

    @property
    def chunked(self):
        return self._kind == W.BODY_CHUNKED

    @property
    def _until_close(self):
        return self._kind == W.BODY_CLOSE

    @property
    def length(self):
        """Content-Length (0 without a body; None when chunked or read
        until close)."""
        k = self._kind
        return self._length if k == W.BODY_LENGTH else (0 if k == W.BODY_NONE else None)

    def _piece(self, most=_READ):
        """The next piece of the body (up to most bytes), b"" at its end."""
        rest = self._rest
        if rest is not None:
            self._rest = None
            return rest
        if self._done:
            return b""
        w = self._wire
        took = w._lock()
        try:
            return self._read_piece(w, most)
        finally:
            if took:
                w._unlock()

    def _read_piece(self, w, most):
        h, eid = w._h, self._eid
        while True:
            if self._done:
                return b""
            # a Content-Length body is over once nothing is left of it (the
            # engine then reads the next head: never call next() past it)
            if self._kind == W.BODY_LENGTH and _left(h, eid) == 0:
                self._finish()
                return b""
            rc = _next(h, MSG, NULL, 0)
            if rc == W.DATA:
                n = MSG.length
                if n > most:
                    n = most
                data = _buffer(MSG.base, n)[:]
                _consume(h, n)
                if self._kind == W.BODY_LENGTH and _left(h, eid) == 0:
                    self._finish()
                return data
            if rc == W.NEED:
                w.flush_pending()   # a 100 Continue the engine queued
                w._fill_body(self)
            elif rc == W.CHUNK:
                continue
            elif rc == W.END:
                self._finish()
                return b""
            elif rc < 0:
                self._done = True
                raise w._body_error(self, rc)
            else:
                self._finish()
                return b""

    def _finish(self):
        if not self._done:
            self._done = True
            self._wire._body_done(self)

    def _buffer_rest(self):
        """Reads the rest of the body into memory (the connection goes on)."""
        parts = []
        piece = self._piece()
        while piece:
            parts.append(piece)
            piece = self._piece()
        if parts:
            self._rest = b"".join(parts)

    def read(self):
        """The whole body as bytes (read on the first call, then cached).
        Raises Closed if the connection ends inside it."""
        if self._body is None:
            parts = []
            piece = self._piece()
            while piece:
                parts.append(piece)
                piece = self._piece()
            self._body = b"".join(parts)
        return self._body

    @property
    def body(self):
        """The whole body (see read())."""
        return self.read()

    def chunks(self):
        """Yields the body in pieces as it arrives: one piece per HTTP chunk
        of a chunked body (split above 1 MiB), else per read."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        while True:
            piece = self._piece(_PIECE if self.chunked else _READ)
            if not piece:
                return
            if self.chunked and self._rest is None:
                parts = [piece]
                size = len(piece)
                h = self._wire._h
                while not self._done and size < _PIECE and _left(h, self._eid) > 0:
                    p = self._piece(_PIECE - size)
                    if not p:
                        break
                    parts.append(p)
                    size += len(p)
                if len(parts) > 1:
                    piece = b"".join(parts)
            yield piece

    def text(self, encoding="utf-8"):
        return self.read().decode(encoding)

    def json(self):
        """The body decoded as JSON (levee.json)."""
        from .. import json as pj
        return pj.loads(self.read())

    def save(self, path):
        """Writes the body to the file at path; returns its length."""
        n = 0
        with open(path, "wb") as f:
            for piece in self.chunks():
                f.write(piece)
                n += len(piece)
        return n

    def discard(self):
        """Reads and drops the rest of the body; returns how many bytes."""
        if self._body is not None:
            return 0
        n = 0
        piece = self._piece()
        while piece:
            n += len(piece)
            piece = self._piece()
        return n


def body_error(code):
    """The exception for a body the engine refused or that was cut short."""
    if code == W.ETOOSHORT:
        return Closed()
    err = error_for(code)
    return err if isinstance(err, HTTPError) else err
