"""levee.io for Python: h.io pipes and files, streams, h.stream over TCP
(IPv4, IPv6) and unix sockets, against Python's socket module and socat."""
import os
import resource
import socket
import subprocess
import sys
import tempfile

import pytest

import levee

from conftest import echo  # noqa: E402


@pytest.fixture
def h():
    return levee.Hub()


def echo_server(h, **opts):
    serve = h.stream.listen(**(opts or {"port": 0}))
    serve.spawn_every(echo)
    return serve


def test_pipe_read_write_and_eof_closes_with_closed(h):
    r, w = h.io.pipe()
    h.spawn(lambda: (w.write(b"hello"), w.close()))
    assert r.read() == b"hello"
    with pytest.raises(levee.Closed):
        r.read()
    assert r.closed
    h.continue_()
    assert not h.in_use()


def test_read_timeout_leaves_the_io_usable(h):
    r, w = h.io.pipe(timeout=10)
    with pytest.raises(levee.Timeout):
        r.read()
    w.write(b"ok")
    assert r.read() == b"ok"
    r.close(), w.close()


def test_write_to_a_vanished_reader_raises_broken_pipe(h):
    r, w = h.io.pipe()
    r.close()
    h.continue_()
    with pytest.raises(BrokenPipeError) as e:
        w.write(b"x")
    assert e.value.name == "EPIPE"
    assert w.closed


def test_readinto_a_buffer_and_close_is_idempotent(h):
    r, w = h.io.pipe()
    h.spawn(lambda: [w.write(c) for c in (b"ab", b"cd", b"ef")])
    buf = levee.Buffer(16)
    r.readinto(buf, 6)
    assert bytes(buf) == b"abcdef"
    assert r.close() is True and r.close() is False
    w.close()


def test_open_files_by_mode(h, tmp_path):
    path = str(tmp_path / "f")
    with h.io.open(path, "w+") as f:
        f.write(b"file body")
    with h.io.open(path, "r") as f:
        assert f.read() == b"file body"
    with pytest.raises(levee.Error) as e:
        h.io.open(path, "q")
    assert e.value.name == "EINVAL"
    with pytest.raises(FileExistsError):
        h.io.open(path, "wx")


def test_stream_line_take_and_json(h):
    r, w = h.io.pipe()
    h.spawn(lambda: [w.write(p) for p in (b"first\r\nsec", b'ond\n{"a": [1, ', b"2]} rest")] and w.close())
    s = r.stream()
    assert s.line() == b"first"
    assert s.line() == b"second"
    assert s.json() == {"a": [1, 2]}
    assert s.take(5) == b" rest"
    with pytest.raises(levee.Closed):
        s.readin()


def test_echo_server_answered_by_python_socket(h):
    serve = echo_server(h)
    code = ("import socket; s = socket.create_connection(('127.0.0.1', %d)); "
            "s.sendall(b'from python'); print(s.recv(100).decode())" % serve.port())
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    out = h.io.r(os.dup(p.stdout.fileno()))
    p.stdout.close()
    data = out.stream()
    assert data.line() == b"from python"
    p.wait(timeout=10)
    serve.close()


def test_echo_server_answered_by_socat(h):
    serve = echo_server(h)
    p = subprocess.Popen("printf ping | timeout 5 socat -t 1 - TCP:127.0.0.1:%d" % serve.port(),
                         shell=True, stdout=subprocess.PIPE)
    out = h.io.r(os.dup(p.stdout.fileno()))
    p.stdout.close()
    got = b""
    while True:
        try:
            got += out.read()
        except levee.Closed:
            break
    assert got == b"ping"
    p.wait(timeout=10)
    serve.close()


@pytest.mark.parametrize("opts", [{"port": 0}, {"host": "::1", "port": 0}, "unix", "abstract"])
def test_dial_and_echo_over_v4_v6_and_unix(h, opts, tmp_path):
    if opts == "unix":
        opts = {"unix": str(tmp_path / "sock")}
    elif opts == "abstract":
        opts = {"unix": "@levee-py-%d" % os.getpid()}
    with echo_server(h, **opts) as serve:
        if "unix" in opts:
            conn = h.stream.dial(unix=opts["unix"])
        else:
            conn = h.stream.dial(port=serve.port(), host=opts.get("host"))
        with conn:
            conn.write(b"abc")
            assert conn.read() == b"abc"
            if opts.get("host") == "::1":
                assert conn.peername().host == "::1"
    # The server's green thread sees the EOF once the hub polls again.
    for _ in range(200):
        if not h.in_use():
            break
        h.sleep(5)
    assert not h.in_use()


def test_refused_and_connect_errors(h):
    serve = h.stream.listen(port=0)
    port = serve.port()
    serve.close()
    h.continue_()  # the hub closes the fd at the start of the next tick
    with pytest.raises(ConnectionRefusedError):
        h.stream.dial(port=port)


def test_connect_timeout_when_the_listen_queue_is_full(h):
    serve = h.stream.listen(port=0, backlog=0)
    conns, timeouts = [], 0
    for _ in range(4):  # the kernel queues one connection, then drops SYNs
        try:
            conns.append(h.stream.dial(port=serve.port(), connect_timeout=50))
        except levee.Timeout:
            timeouts += 1
    assert timeouts >= 1
    for c in conns:
        c.close()
    serve.close()
    h.continue_()
    assert not h.in_use()


def test_half_close(h):
    serve = h.stream.listen(port=0)
    got = []

    def server():
        conn = serve.recv()
        conn.write(b"welcome")
        s = conn.stream()
        try:
            while True:
                s.readin()
        except levee.Closed:
            got.append(bytes(s.take()))
    h.spawn(server)
    c = h.stream.dial(port=serve.port())
    c.write(b"request")
    c.shutdown("w")
    assert c.read() == b"welcome"
    h.sleep(20)
    assert got == [b"request"]
    c.close(), serve.close()


def test_socket_options_by_name(h):
    with h.stream.listen(port=0, sockopts={"reuseport": 1}) as serve:
        assert serve.sockopt("reuseport") is True
        with h.stream.dial(port=serve.port()) as c:
            c.sockopt("nodelay", 1)
            assert c.sockopt("nodelay") is True
            with pytest.raises(levee.Error) as e:
                c.sockopt("bogus", 1)
            assert e.value.name == "ENOPROTOOPT"


def test_socket_options_as_keywords(h):
    with h.stream.listen(port=0, reuseport=True) as serve, \
            h.stream.listen(port=serve.port(), reuseport=True) as twin:
        assert serve.sockopt("reuseport") is True
        assert twin.port() == serve.port()
        with h.stream.dial(port=serve.port(), nodelay=True, keepalive=True) as c:
            assert c.sockopt("nodelay") is True
            assert c.sockopt("keepalive") is True
        with h.stream.dial(port=serve.port()) as plain:
            assert plain.sockopt("nodelay") is False
        with pytest.raises(TypeError):
            h.stream.dial(port=serve.port(), bogus=1)


def test_fd_passing(h):
    a, b = h.io.socketpair()
    rfd, wfd = os.pipe()
    a.sendfd(wfd, b"fd")
    fd, data = b.recvfd()
    assert data == b"fd"
    os.write(fd, b"through")
    assert os.read(rfd, 10) == b"through"
    for x in (fd, rfd, wfd):
        os.close(x)
    a.close(), b.close()


def test_dial_resolves_hosts_file_names(h):
    with echo_server(h) as serve:
        with h.stream.dial(port=serve.port(), host="localhost") as conn:
            conn.write(b"by name")
            assert conn.read() == b"by name"


def test_accept_at_the_fd_limit_waits_then_accepts(h):
    serve = h.stream.listen(port=0)
    serve.backoff_ms = 10
    client = socket.create_connection(("127.0.0.1", serve.port()))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    spare = []
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 16, hard))
    try:
        while True:
            try:
                spare.append(os.dup(0))
            except OSError:
                break

        def release():
            h.sleep(50)
            for fd in spare:
                os.close(fd)
            spare.clear()
        h.spawn(release)
        conn = serve.recv()
        assert conn.no >= 0
    finally:
        for fd in spare:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    conn.close(), serve.close(), client.close()


def test_udp_sendto_recvfrom_and_closed_dgram(h):
    with h.dgram.bind() as a, h.dgram.bind() as b:
        h.spawn(lambda: a.sendto(b.addr(), b"datagram"))
        data, who = b.recvfrom()
        assert data == b"datagram"
        assert who == a.addr()
        b.timeout = 10
        with pytest.raises(levee.Timeout):
            b.recvfrom()
        conn = h.dgram.dial(b.addr().port)
        conn.write(b"connected")
        assert b.recvfrom()[0] == b"connected"
        conn.close()
    for call in (lambda: a.recvfrom(), lambda: a.addr(), lambda: a.sendto(None, b"x")):
        with pytest.raises(levee.Closed):
            call()
    assert a.close() is False
    h.continue_()
    assert not h.in_use()
