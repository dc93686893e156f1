"""Python io over the core stream: the same rules as the Lua binding for
readinto/readin with n (bytes show once n arrived, none lost on a timeout),
Stream.readinto leaving no surplus, writes without os.write that honour a
timeout, and files opened through the core's mode strings."""
import pytest

import levee
from levee import io as levee_io


def settle(h, cond):
    for _ in range(200):
        if cond():
            return True
        h.sleep(1)
    return cond()


def test_readinto_n_shows_the_bytes_only_once_n_arrived(h):
    r, w = h.io.pipe()
    buf = levee.Buffer(64)
    done = []
    h.spawn(lambda: done.append(r.readinto(buf, 6)))
    w.write(b"abc")
    # the reader took the three bytes: they sit at the tail, not in len(buf)
    assert settle(h, lambda: bytes(buf.tail()[:3]) == b"abc")
    assert len(buf) == 0 and not done
    w.write(b"def")
    assert settle(h, lambda: done)
    assert bytes(buf) == b"abcdef"
    r.close(), w.close()


def test_a_timeout_keeps_the_bytes_that_arrived(h):
    r, w = h.io.pipe(timeout=20)
    buf = levee.Buffer(64)
    w.write(b"xy")
    with pytest.raises(levee.Timeout):
        r.readinto(buf, 4)
    assert bytes(buf) == b"xy"
    w.write(b"zw")
    r.readinto(buf, 4)
    assert bytes(buf) == b"xyzw"
    r.close(), w.close()


def test_stream_readinto_reads_exactly_the_missing_bytes(h):
    r, w = h.io.pipe(timeout=50)
    s = r.stream()
    w.write(b"ab")
    s.readin()
    w.write(b"cdefgh")
    dst = levee.Buffer(64)
    s.readinto(dst, 5)
    assert bytes(dst) == b"abcde"
    assert len(s.buf) == 0
    s.readin()  # the rest is still on the fd: no wait, no Timeout
    assert s.take() == b"fgh"
    r.close(), w.close()


def test_stream_read_takes_buffered_bytes_first(h):
    r, w = h.io.pipe()
    s = r.stream()
    w.write(b"0123456789")
    s.readin(10)
    assert s.read(4) == b"0123"
    assert s.read() == b"456789"
    w.write(b"direct")
    assert s.read() == b"direct"
    r.close(), w.close()


def test_write_honours_the_timeout_and_leaves_the_io_usable(h):
    a, b = h.io.socketpair()
    a.timeout = 20
    big = b"z" * (4 * 1024 * 1024)
    with pytest.raises(levee.Timeout):
        a.write(big)
    assert not a.closed
    b.close()
    h.continue_()
    with pytest.raises(OSError):
        a.write(big)
    assert a.closed


def test_a_writer_that_never_waits_still_lets_others_run(h):
    a, b = h.io.socketpair()
    ran = []
    h.spawn(lambda: ran.append(True))  # runs until it blocks: done at once
    ran.clear()
    h.spawn(lambda: (h.continue_(), ran.append(True)))
    for _ in range(levee_io._WRITE_STREAK):
        a.write(b"x")
    assert ran == [True]
    a.close(), b.close()


def test_io_moves_bytes_without_os_read_or_write(h, monkeypatch):
    import os

    def forbidden(*args):
        raise AssertionError("the io called os.read/os.write")
    monkeypatch.setattr(os, "read", forbidden)
    monkeypatch.setattr(os, "write", forbidden)
    serve = h.stream.listen(port=0)

    def echo(conn):
        with conn:
            try:
                while True:
                    conn.write(conn.read())
            except levee.Closed:
                pass
    serve.spawn_every(echo)
    with h.stream.dial(port=serve.port()) as c:
        c.write(b"ping")
        assert c.read() == b"ping"
    serve.close()
    h.sleep(5)


def test_open_uses_levees_mode_strings(h, tmp_path):
    path = str(tmp_path / "f")
    with pytest.raises(FileNotFoundError):
        h.io.open(path, "w")  # w truncates, never creates (as in Lua)
    with h.io.open(path, "w+") as f:
        f.write(b"body")
    with h.io.open(path, "a") as f:
        f.write(b"+more")
    with h.io.open(path) as f:
        assert f.read() == b"body+more"
    with pytest.raises(FileExistsError):
        h.io.open(path, "w+x")
    with pytest.raises(levee.Error) as e:
        h.io.open(path, "rw")
    assert e.value.name == "EINVAL"


def test_sockopt_sets_and_reads_back(h):
    a, b = h.io.socketpair()
    assert a.sockopt("nonblock") is True
    assert a.sockopt("cloexec", True) is True
    assert a.sockopt("type") == levee_io.SOCK_STREAM
    assert a.sockopt("error") == 0
    with pytest.raises(PermissionError):
        a.sockopt("type", 2)
    a.close(), b.close()
