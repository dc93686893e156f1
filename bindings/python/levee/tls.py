"""TLS for levee connections (docs/tls.md), over the C core's libtls
sessions: the options are the Lua binding's table as a dict, handed to the
core as JSON, which validates and applies them once for both bindings.

    h = levee.Hub()
    conn = h.stream.dial(port=443, host="example.com", tls={})
    conn.tls_info()["version"]   # "TLSv1.3"

A TLS connection is the same levee.io.IO whose core stream got a TLS
transport, so read/readinto/write/stream()/... move TLS records
unchanged. Failures raise levee.TLSConfigError (a bad option),
levee.TLSHandshakeError and its subclass levee.TLSVerifyError (a
certificate or name the peer could not prove); str(e) ends with libtls's
own text.
"""
import json as _json

from ._ffi import ffi, lib
from .errors import Closed, Timeout, TLSConfigError, error_for

DEFAULT_HANDSHAKE_TIMEOUT = 10000
_WANT_READ, _WANT_WRITE = lib.LEVEE_WANT_READ, lib.LEVEE_WANT_WRITE


def _error(rc):
    """The exception for rc, carrying the core's text."""
    return error_for(rc, ffi.string(lib.levee_last_message()).decode(errors="replace") or None)


class Config:
    """A TLS configuration from the options of docs/tls.md (a dict)."""

    def __init__(self, opts=None):
        opts = {} if opts is None or opts is True else opts
        if not isinstance(opts, dict):
            raise TypeError("levee.tls.Config: options must be a dict, not %s" % type(opts).__name__)
        try:
            text = _json.dumps(opts).encode()
        except (TypeError, ValueError) as e:
            err = TLSConfigError()
            err._fill(lib.LEVEE_TLS_ECONFIG)
            err.detail = "tls options: %s" % e
            raise err from None
        out = ffi.new("levee_tls_config *[1]")
        rc = lib.levee_tls_config_new(out, text, len(text))
        if rc < 0:
            raise _error(rc)
        self.opts = opts
        self._c = ffi.gc(out[0], lib.levee_tls_config_free)

    def server(self):
        """A Server (needs cert and key) that upgrades accepted connections."""
        return Server(self)

    def upgrade(self, conn, server_name=None):
        """Makes the connected conn a TLS client (the handshake runs on
        conn.handshake() or the first read/write); returns conn.
        server_name (default: the options' server_name) is sent as SNI and
        verified unless insecure.verify_name is False."""
        name = server_name.encode() if server_name else ffi.NULL
        return _upgrade(conn, self, lib.levee_stream_tls_client(conn._s, self._c, name))


class Server:
    """A server context of a Config."""

    def __init__(self, config):
        out = ffi.new("levee_tls_server *[1]")
        rc = lib.levee_tls_server_new(out, config._c)
        if rc < 0:
            raise _error(rc)
        self.config = config
        self._s = ffi.gc(out[0], lib.levee_tls_server_free)

    def upgrade(self, conn):
        """Makes the accepted conn the server side of a TLS session; returns
        conn."""
        return _upgrade(conn, self.config, lib.levee_stream_tls_accept(conn._s, self._s))


def _upgrade(conn, config, rc):
    if rc < 0:
        raise _error(rc)
    conn.tls = config
    conn.handshake = lambda timeout=None: handshake(conn, timeout)
    conn.tls_info = lambda: tls_info(conn)
    return conn


def handshake(conn, timeout=None):
    """Runs conn's handshake, waiting on the hub (timeout in ms, default the
    io's timeout): raises Timeout, TLSVerifyError, TLSHandshakeError, ...;
    a failure is raised again by every later call."""
    if conn.closed:
        raise Closed()
    timeout = conn.timeout if timeout is None else timeout
    s = conn._s
    while True:
        rc = lib.levee_stream_handshake(s)
        if rc == 0:
            return
        if rc == _WANT_READ:
            conn.r_ev.recv(timeout)  # a hang-up: the next step fails the handshake
        elif rc == _WANT_WRITE:
            conn.w_ev.recv(timeout)
        else:
            raise _error(rc)


def tls_info(conn):
    """{version, cipher, alpn, server_name, cipher_strength, resumed, peer}
    where peer is {subject, issuer, hash, not_before, not_after} or None."""
    if conn.closed:
        raise Closed()
    info = ffi.new("levee_tls_info *")
    rc = lib.levee_stream_tls_info(conn._s, info)
    if rc < 0:
        raise _error(rc)
    s = lambda p: ffi.string(p).decode(errors="replace")  # noqa: E731
    out = {"version": s(info.version), "cipher": s(info.cipher),
           "alpn": s(info.alpn) or None, "server_name": s(info.server_name),
           "cipher_strength": info.cipher_strength, "resumed": info.session_resumed == 1,
           "peer": None}
    if info.peer_cert:
        out["peer"] = {"subject": s(info.subject), "issuer": s(info.issuer),
                       "hash": s(info.hash), "not_before": info.not_before,
                       "not_after": info.not_after}
    return out


def _handshake_timeout(opts, fallback=None):
    t = opts.get("handshake_timeout") if isinstance(opts, dict) else None
    return t if t is not None else fallback if fallback is not None else DEFAULT_HANDSHAKE_TIMEOUT


def client(conn, opts, host, timeout=None):
    """Upgrades a freshly dialed conn and completes its handshake (the
    server name defaults to host); closes conn on failure."""
    opts = {} if opts is True else opts
    try:
        config = Config(opts)
        config.upgrade(conn, opts.get("server_name") or host)
        handshake(conn, _handshake_timeout(opts, timeout))
    except BaseException:
        conn.close()
        raise
    return conn


class TLSListener:
    """Delivers handshaken TLS connections of a Listener. An acceptor
    greenlet accepts; each connection is handshaken in a greenlet of its own
    (bounded by the handshake timeout), so a slow or hostile peer holds up
    nobody else, and a failed handshake closes that connection only. At most
    `backlog` connections are in handshake or waiting for recv()."""

    def __init__(self, listener, opts, backlog=256):
        opts = {} if opts is True else opts
        try:
            self.server = Config(opts).server()
        except BaseException:
            listener.close()
            raise
        self.listener, self.hub = listener, listener.hub
        self.timeout = _handshake_timeout(opts)
        self.limit = backlog
        self._send, self._recv = self.hub.queue()
        self._room_send, self._room_recv = self.hub.pipe()
        self._inflight, self._waiting = 0, False
        self.hub.spawn(self._accept)

    # the listener's own API
    def __getattr__(self, name):
        return getattr(self.listener, name)

    def _room(self):
        if self._waiting:
            self._waiting = False
            self._room_send.send(True)

    def _accept(self):
        plain = self.listener
        try:
            while not plain.closed:
                if self._inflight + len(self._recv) >= self.limit:
                    self._waiting = True
                    self._room_recv.recv()
                    continue
                try:
                    conn = plain.recv()
                except Closed:
                    break
                self._inflight += 1
                self.hub.spawn(self._handshake, conn)
        finally:
            self._send.close()

    def _handshake(self, conn):
        ok = False
        try:
            self.server.upgrade(conn)
            handshake(conn, self.timeout)
            ok = not self.listener.closed
        except Exception:  # a failed or stalled handshake drops this connection only
            pass
        self._inflight -= 1
        if ok:
            try:
                self._send.send(conn)
                return
            except Closed:
                pass
        conn.close()
        self._room()

    def recv(self):
        """The next handshaken connection; raises Closed once closed."""
        conn = self._recv.recv()
        self._room()
        return conn

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except Closed:
            raise StopIteration from None

    def spawn_every(self, f):
        """Spawns f(conn) for every handshaken connection."""
        self.hub.spawn_every(self, f)

    def close(self):
        """Stops accepting; connections not yet received are closed."""
        if not self.listener.close():
            return False
        self._room()
        while len(self._recv):
            try:
                self._recv.recv().close()
            except Closed:
                break
        self._recv.close()
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["Config", "Server", "TLSListener", "handshake", "tls_info", "client", "Timeout"]
