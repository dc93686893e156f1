"""The compiled hot paths (levee._io) and the pure-Python ones they stand
for: which one runs, and the edges where the C code hands over to Python.
tests/suites/python-pure runs this file (and the io, hub and HTTP tests)
again with LEVEE_PURE_PYTHON=1."""
import os
import sys

import greenlet
import pytest

import levee
from levee import _native, hub as hubmod, io as iomod

from conftest import echo  # noqa: E402  (the fixture h comes from conftest too)

PURE = bool(os.environ.get("LEVEE_PURE_PYTHON"))


def test_the_compiled_module_runs_unless_pure_python_is_asked_for():
    if PURE:
        assert _native.io is None
        assert hubmod.State is hubmod._PyState
        assert iomod.IO.__bases__ == (object,)
    else:
        # make builds levee._io beside the library: a build without it is a defect
        assert _native.io is not None
        assert hubmod.State is _native.io.State
        assert iomod.IO.__bases__ == (_native.io.IOBase,)
        assert iomod.IO.read is _native.io.IOBase.read
        # greenlet.h comes with python3-greenlet, a build dependency: the
        # module switches through greenlet's C API
        assert _native.io.greenlet_c_api is True


def test_reads_of_every_size_and_keyword_give_the_same_bytes(h):
    r, w = h.io.socketpair()
    big = bytes(range(256)) * 1024  # 256 KiB: more than one scratch buffer
    h.spawn(lambda: w.write(big))
    got = []
    while sum(map(len, got)) < len(big):
        got.append(r.read(200000))           # n above the scratch size
    assert b"".join(got) == big
    w.write(b"abc")
    assert r.read(n=2) == b"ab"              # keyword
    assert r.read(True) == b"c"              # an int subclass: n 1
    with pytest.raises(TypeError):
        r.read("x")
    r.close()
    w.close()


def test_writes_of_every_type_and_a_partial_write_arrive_whole(h):
    r, w = h.io.socketpair()
    w.write(bytearray(b"ba"))
    w.write(memoryview(b"xmvx")[1:3])
    w.write("s\u00e9")
    buf = levee.Buffer()
    buf.write(b"buf")
    w.write(buf)
    assert r.read() == b"bamvs\xc3\xa9buf"
    big = os.urandom(1 << 20)   # more than the socket takes at once: _write_rest
    out = []

    def reader():
        while sum(map(len, out)) < len(big):
            out.append(r.read())
    h.spawn(reader)
    assert w.write(big) == len(big)
    while sum(map(len, out)) < len(big):
        h.sleep(1)
    assert b"".join(out) == big
    with pytest.raises(TypeError):
        w.write(12)
    r.close()
    w.close()


def test_read_and_write_on_a_closed_io_raise_closed(h):
    r, w = h.io.pipe()
    r.close()
    w.close()
    with pytest.raises(levee.Closed):
        r.read()
    with pytest.raises(levee.Closed):
        w.write(b"x")


def test_a_second_reader_of_one_fd_is_refused_and_the_first_still_reads(h):
    r, w = h.io.pipe()
    got = []
    h.spawn(lambda: got.append(r.read()))
    with pytest.raises(RuntimeError, match="second green thread"):
        r.read()
    w.write(b"one")
    h.continue_()
    assert got == [b"one"]
    r.close()
    w.close()


def test_a_waiting_reader_killed_by_greenlet_exit_frees_its_fd_state(h):
    r, w = h.io.pipe()
    g = h.spawn(r.read)
    assert r.r_ev.waiter is g
    h.spawn(g.throw, greenlet.GreenletExit)   # g dies into the hub's loop
    assert g.dead and r.r_ev.waiter is None
    w.write(b"after")
    assert r.read() == b"after"        # the state takes a new waiter
    r.close()
    w.close()


def test_state_latches_a_readiness_nobody_waits_for(h):
    st = hubmod.State(h)
    assert st.waiter is None and not st.has
    st.set(1)
    st.set(-1)                          # the latest wins
    assert st.has and st.value == -1
    assert st.recv() == -1
    assert not st.has and st.value is None
    with pytest.raises(TypeError):
        st.recv("soon")
    with pytest.raises(levee.Timeout):
        st.recv(1)
    assert hubmod.State(h, True).recv() == 1   # nopoll: always ready


def test_main_green_thread_waits_on_fds_with_and_without_timeout(h):
    r, w = h.io.pipe()
    h.spawn_later(5, lambda: w.write(b"late"))
    assert r.read() == b"late"          # main blocked on the fd, no timeout
    r.timeout = 5
    with pytest.raises(levee.Timeout):
        r.read()
    assert not r.closed
    r.close()
    w.close()


def test_an_error_raised_in_the_loop_reaches_the_main_green_thread():
    hub = levee.Hub()

    def bad(*_):
        raise ValueError("from the loop")
    hub._event = bad                     # the loop's Python part fails
    hub.spawn_later(1, lambda: None)     # a timer event goes to _event
    with pytest.raises(ValueError, match="from the loop"):
        hub.sleep(20)


def test_many_connections_echo_in_step_when_waiters_hand_over_to_each_other(h):
    # 20 echo pairs: every round wakes many readers from one poll, so
    # parked green threads hand over to the next waiter of the batch
    pairs = [h.io.socketpair() for _ in range(20)]
    rounds = 50
    for a, _ in pairs:
        h.spawn(echo, a)
    done = []

    def client(i, b):
        for n in range(rounds):
            msg = b"%d:%d;" % (i, n)
            b.write(msg)
            got = b""
            while len(got) < len(msg):
                got += b.read()
            assert got == msg
        done.append(i)

    for i, (_, b) in enumerate(pairs):
        h.spawn(client, i, b)
    while len(done) < len(pairs):
        h.sleep(5)
    assert sorted(done) == list(range(len(pairs)))
    for a, b in pairs:
        b.close()
    h.sleep(1)   # the echo threads see EOF and close their ends
    assert all(a.closed for a, _ in pairs)


def test_an_uncaught_error_in_a_green_thread_reaches_fatal_with_its_traceback(h, monkeypatch):
    # levee._io.Run (compiled) hands fatal the exception; the pure-Python
    # body calls it while the exception is being handled: either way fatal
    # gets to print where it came from
    got = []

    def fatal(exc=None):
        got.append(exc if exc is not None else sys.exc_info()[1])
    monkeypatch.setattr(hubmod, "_fatal", fatal)

    def bad():
        raise ValueError("in the body")
    h.spawn(bad)
    (exc,) = got
    assert isinstance(exc, ValueError) and str(exc) == "in the body"
    assert exc.__traceback__ is not None


def test_run_is_the_compiled_body_unless_pure_python_is_asked_for():
    if PURE:
        assert _native.io is None          # the body is Hub._green's closure
        return
    Run = _native.io.Run
    calls, fatal = [], []
    assert Run(lambda *a, **k: calls.append((a, k)), fatal.append)(1, 2, x=3) is None
    assert calls == [((1, 2), {"x": 3})] and fatal == []

    def quit_():
        raise greenlet.GreenletExit()
    assert Run(quit_, fatal.append)() is None     # GreenletExit ends it quietly
    assert fatal == []

    def refuse(exc):
        raise RuntimeError("fatal failed")

    def bad():
        raise ValueError("in the body")
    with pytest.raises(RuntimeError, match="fatal failed"):
        Run(bad, refuse)()
    with pytest.raises(TypeError):
        Run(1, fatal.append)
    with pytest.raises(TypeError):
        Run(bad)


def test_green_threads_get_their_arguments_and_end_quietly_on_greenlet_exit(h):
    got = []

    def body(a, b=None):
        got.append((a, b))
        h.pause()
        got.append("not reached")
    g = h.spawn(body, 1, b=2)
    assert got == [(1, 2)]
    h.spawn(g.throw, greenlet.GreenletExit)      # killed while parked
    h.sleep(1)
    assert g.dead and got == [(1, 2)]
