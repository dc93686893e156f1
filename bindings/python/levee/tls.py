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
from .errors import Closed, TLSConfigError, error_for

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


def listen(listener, opts, backlog=256):
    """Makes the io.Listener listener deliver handshaken TLS connections
    (h.stream.listen(tls=...) calls this) and returns it. An acceptor
    greenlet accepts; each connection is handshaken in a greenlet of its
    own (bounded by the handshake timeout), so a slow or hostile peer holds
    up nobody else, and a failed handshake closes that connection only. At
    most `backlog` connections are in handshake or waiting for recv().
    recv(), iteration and spawn_every give handshaken connections; close()
    also closes the ones not yet received."""
    opts = {} if opts is True else opts
    try:
        server = Config(opts).server()
    except BaseException:
        listener.close()
        raise
    hub = listener.hub
    plain_recv, plain_close = listener.recv, listener.close
    timeout = _handshake_timeout(opts)
    q_send, q_recv = hub.queue()
    room_send, room_recv = hub.pipe()
    state = {"inflight": 0, "waiting": False}

    def room():
        if state["waiting"]:
            state["waiting"] = False
            room_send.send(True)

    def handshake_one(conn):
        ok = False
        try:
            server.upgrade(conn)
            handshake(conn, timeout)
            ok = not listener.closed
        except Exception:  # a failed or stalled handshake drops this connection only
            pass
        state["inflight"] -= 1
        if ok:
            try:
                q_send.send(conn)
                return
            except Closed:
                pass
        conn.close()
        room()

    def accept():
        try:
            while not listener.closed:
                if state["inflight"] + len(q_recv) >= backlog:
                    state["waiting"] = True
                    room_recv.recv()
                    continue
                try:
                    conn = plain_recv()
                except Closed:
                    break
                state["inflight"] += 1
                hub.spawn(handshake_one, conn)
        finally:
            q_send.close()

    def recv():
        conn = q_recv.recv()
        room()
        return conn

    def close():
        if not plain_close():
            return False
        room()
        while len(q_recv):
            try:
                q_recv.recv().close()
            except Closed:
                break
        q_recv.close()
        return True

    listener.tls = server
    listener.recv, listener.close = recv, close
    hub.spawn(accept)
    return listener


__all__ = ["Config", "Server", "listen", "handshake", "tls_info", "client"]
