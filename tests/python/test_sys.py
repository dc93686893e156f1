"""levee.sys: endpoints, stat, sockets, sockopts, fd passing, resolve."""
import errno
import os
import resource
import socket as pysocket

import pytest

import levee
from levee import sys as lsys
from levee.errors import BrokenPipe, SystemError as LSystemError


@pytest.fixture(autouse=True)
def no_leaked_fds():
    before = lsys.fdcount()
    yield
    assert lsys.fdcount() == before


def test_endpoint_forms_and_fields():
    ep = lsys.Endpoint.inet("1.2.3.4", 80)
    assert str(ep) == "1.2.3.4:80"
    assert (ep.host, ep.port, ep.family, ep.path) == ("1.2.3.4", 80, "inet", None)
    ep6 = lsys.Endpoint.inet("::1", 443)
    assert str(ep6) == "[::1]:443" and ep6.family == "inet6"
    u = lsys.Endpoint.unix("/tmp/x.sock")
    assert (str(u), u.path, u.host, u.port) == ("/tmp/x.sock", "/tmp/x.sock", None, None)
    assert lsys.Endpoint.unix("@abs").path == "@abs"
    assert lsys.Endpoint.parse("[::1]:443") == ep6
    assert lsys.Endpoint.inet("127.0.0.1", 1) < lsys.Endpoint.inet("127.0.0.1", 2)
    assert len({lsys.Endpoint.inet(), lsys.Endpoint.inet()}) == 1


def test_endpoint_rejects_garbage_with_oserror():
    for bad in ("", "host:80", "1.2.3.4:99999", "[::1]80"):
        with pytest.raises(LSystemError) as info:
            lsys.Endpoint.parse(bad)
        assert info.value.errno == errno.EINVAL
    with pytest.raises(LSystemError):
        lsys.Endpoint.inet("not-an-ip", 1)


def test_resolve_literal_and_localhost():
    assert [str(e) for e in lsys.resolve("127.0.0.1", 80)] == ["127.0.0.1:80"]
    eps = lsys.resolve("localhost", "http", family=lsys.AF_INET)
    assert str(eps[0]) == "127.0.0.1:80"


def test_stat_follows_symlinks_lstat_does_not(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"12345")
    os.chmod(f, 0o640)
    (tmp_path / "l").symlink_to(f)
    st = lsys.stat(tmp_path / "l")
    assert st.is_reg() and not st.is_dir() and st.size == 5 and st.perm() == "640"
    assert lsys.lstat(tmp_path / "l").is_lnk()
    assert lsys.stat(tmp_path).is_dir()
    with open(f, "rb") as fh:
        assert lsys.fstat(fh.fileno()).size == 5
    with pytest.raises(FileNotFoundError):
        lsys.stat(tmp_path / "none")


@pytest.mark.parametrize("host,family", [("127.0.0.1", lsys.AF_INET), ("::1", lsys.AF_INET6)])
def test_tcp_round_trip_against_python_socket(host, family):
    l = lsys.socket(family)
    lsys.setsockopt(l, "reuseaddr", True)
    lsys.bind(l, lsys.Endpoint.inet(host, 0))
    lsys.listen(l)
    ep = lsys.sockname(l)
    with pysocket.socket(family) as peer:
        peer.settimeout(5)
        peer.connect(ep.sockaddr())
        lsys.set_nonblocking(l, False)
        c, who = lsys.accept(l)
        assert who == lsys.Endpoint.inet(*peer.getsockname()[:2])
        assert lsys.peername(c) == who
        peer.sendall(b"hello")
        lsys.set_nonblocking(c, False)
        assert lsys.recv(c) == b"hello"
        lsys.send(c, b"back")
        assert peer.recv(16) == b"back"
        lsys.shutdown(c, "w")
        assert peer.recv(16) == b""
        lsys.close(c)
    lsys.close(l)


def test_empty_nonblocking_read_raises_eagain():
    r, w = lsys.pipe(nonblocking=True)
    with pytest.raises(LSystemError) as info:
        lsys.read(r)
    assert info.value.errno == errno.EAGAIN
    lsys.close(r)
    lsys.close(w)


def test_send_to_closed_peer_raises_broken_pipe():
    a, b = pysocket.socketpair()
    b.close()
    with pytest.raises(BrokenPipe):
        lsys.send(a.fileno(), b"x")
    a.close()


def test_udp_sendto_recvfrom():
    s = lsys.socket(lsys.AF_INET, pysocket.SOCK_DGRAM)
    lsys.bind(s, lsys.Endpoint.inet("127.0.0.1", 0))
    c = lsys.socket(lsys.AF_INET, pysocket.SOCK_DGRAM)
    assert lsys.sendto(c, b"dgram", lsys.sockname(s)) == 5
    lsys.set_nonblocking(s, False)
    data, sender = lsys.recvfrom(s)
    assert data == b"dgram"
    assert sender.port == lsys.sockname(c).port
    lsys.close(s)
    lsys.close(c)


def test_sockopts_by_name():
    s = lsys.socket(lsys.AF_INET6)
    for name in ("reuseaddr", "reuseport", "nodelay", "keepalive", "v6only"):
        lsys.setsockopt(s, name, True)
        assert lsys.getsockopt(s, name) is True
        lsys.setsockopt(s, name, False)
        assert lsys.getsockopt(s, name) is False
    assert lsys.getsockopt(s, "linger") == -1
    lsys.setsockopt(s, "linger", 4)
    assert lsys.getsockopt(s, "linger") == 4
    lsys.setsockopt(s, "sndbuf", 65536)
    assert lsys.getsockopt(s, "sndbuf") >= 65536
    with pytest.raises(LSystemError) as info:
        lsys.getsockopt(s, "bogus")
    assert info.value.errno == errno.ENOPROTOOPT
    lsys.close(s)


def test_fd_passing_between_processes(tmp_path):
    a, b = pysocket.socketpair()
    target = tmp_path / "passed"
    pid = os.fork()
    if pid == 0:
        try:
            a.close()
            fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
            lsys.sendfd(b.fileno(), fd, b"note")
        finally:
            os._exit(0)
    b.close()
    fd, payload = lsys.recvfd(a.fileno())
    os.waitpid(pid, 0)
    assert payload == b"note" and fd is not None
    lsys.write(fd, b"passed")
    lsys.close(fd)
    assert target.read_bytes() == b"passed"
    assert lsys.recvfd(a.fileno()) == (None, b"")
    a.close()


def test_accept_at_emfile_raises_emfile():
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            l = lsys.socket()
            lsys.bind(l, lsys.Endpoint.inet("127.0.0.1", 0))
            lsys.listen(l)
            lsys.set_nonblocking(l, False)
            c = lsys.socket()
            lsys.connect(c, lsys.sockname(l))
            resource.setrlimit(resource.RLIMIT_NOFILE, (c + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
            try:
                lsys.accept(l)
            except LSystemError as e:
                code = 0 if e.errno == errno.EMFILE else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_sendfile_and_splice(tmp_path):
    f = tmp_path / "src"
    f.write_bytes(b"0123456789")
    r, w = lsys.pipe(nonblocking=True)
    r2, w2 = lsys.pipe(nonblocking=True)
    with open(f, "rb") as fh:
        assert lsys.sendfile(w, fh.fileno(), 4, offset=2) == 4
    assert lsys.splice(r, w2, 100) == 4
    assert lsys.read(r2) == b"2345"
    for fd in (r, w, r2, w2):
        lsys.close(fd)


def test_process_facts():
    n = lsys.fdcount()
    assert len(lsys.fds()) == n
    r, w = lsys.pipe()
    assert r in lsys.fds() and lsys.fdcount() == n + 2
    lsys.close(r)
    lsys.close(w)
    with pytest.raises(LSystemError) as info:
        lsys.close(r)
    assert info.value.errno == errno.EBADF
    assert lsys.gethostname() == pysocket.gethostname()
    assert lsys.getrusage()["maxrss"] > 0
    assert lsys.rss() > 0


def test_reachable_as_levee_sys():
    assert levee.sys.Endpoint is lsys.Endpoint
