"""A read after a read that drained the socket waits for readiness first
(levee_stream_drained) instead of making the read(2) that would answer
EAGAIN. These tests prove that such a read still ends in every way a read
can end: bytes that arrive while it waits, end of input, a reset, a
timeout, a close from another green thread; that a read that did not drain
the socket reads again at once, without switching; and that a park is one
switch out of the green thread. tests/suites/python-pure runs them again on
the pure-Python path."""
import os
import socket

import contextlib

import greenlet
import pytest

import levee

from conftest import echo  # noqa: E402  (the fixture h comes from conftest too)


def drained(r, w):
    """Leaves r's last read a short one (the socket drained), then writes
    (as an echo does) so the next read of r is the one under test."""
    w.write(b"ping")
    assert r.read() == b"ping"
    r.write(b"pong")
    assert w.read() == b"pong"
    assert levee.io.lib.levee_stream_drained(r._s) == 1


@contextlib.contextmanager
def switches_out_of(g):
    """The targets of the greenlet switches out of g while the block runs."""
    targets = []
    old = greenlet.settrace(lambda ev, args: targets.append(args[1]) if args[0] is g else None)
    try:
        yield targets
    finally:
        greenlet.settrace(old)


class Reader:
    """r.read() in a green thread of its own: its result or exception."""

    def __init__(self, h, r):
        self.result = self.error = None
        self.done = False
        self.g = h.spawn(self.run, r)

    def run(self, r):
        try:
            self.result = r.read()
        except Exception as e:  # the test looks at it
            self.error = e
        self.done = True


def wait_done(h, reader):
    for _ in range(2000):
        if reader.done:
            return
        h.sleep(1)
    raise AssertionError("the read never ended")


@pytest.fixture
def pair(h):
    r, w = h.io.socketpair()
    yield r, w
    r.close()
    w.close()


def test_bytes_that_arrive_while_the_read_waits_end_it(h, pair):
    r, w = pair
    drained(r, w)
    reader = Reader(h, r)
    assert not reader.done and r.r_ev.waiter is reader.g   # parked, not spinning
    w.write(b"late")
    wait_done(h, reader)
    assert reader.result == b"late" and reader.error is None


def test_bytes_the_hub_already_saw_are_read_without_waiting(h, pair):
    r, w = pair
    drained(r, w)
    w.write(b"seen")
    # poll rounds until the readiness is latched (one is enough, but the
    # 1 ms timer may come in the same poll, ahead of the fd's event)
    for _ in range(100):
        h.sleep(1)
        if r.r_ev.has:
            break
    assert r.r_ev.has
    with switches_out_of(greenlet.getcurrent()) as switches:
        assert r.read() == b"seen"
    assert switches == []


def test_end_of_input_ends_the_read_with_closed(h, pair):
    r, w = pair
    drained(r, w)
    reader = Reader(h, r)
    w.close()
    wait_done(h, reader)
    assert isinstance(reader.error, levee.Closed) and r.closed


def test_a_reset_ends_the_read_with_closed(h):
    a, b = socket.socketpair()
    r = h.io.rw(a.detach())
    try:
        r.write(b"x")                       # unread by the peer: its close resets
        b.send(b"ping")
        assert r.read() == b"ping"
        assert levee.io.lib.levee_stream_drained(r._s) == 1
        reader = Reader(h, r)
        assert not reader.done
        b.close()
        wait_done(h, reader)
        assert isinstance(reader.error, levee.Closed) and r.closed
    finally:
        r.close()


def test_a_timeout_ends_the_read_and_the_io_stays_usable(h, pair):
    r, w = pair
    drained(r, w)
    r.timeout = 20
    with pytest.raises(levee.Timeout):
        r.read()
    assert not r.closed
    w.write(b"after")
    assert r.read() == b"after"


def test_a_close_from_another_green_thread_ends_the_read_with_closed(h, pair):
    r, w = pair
    drained(r, w)
    reader = Reader(h, r)
    assert not reader.done
    h.spawn(r.close)
    wait_done(h, reader)
    assert isinstance(reader.error, levee.Closed)


def test_a_read_that_did_not_drain_the_socket_reads_again_without_switching(h, pair):
    r, w = pair
    w.write(b"abcd")
    h.continue_()
    if r.r_ev.has:
        r.r_ev.recv()   # no latched readiness: only the rule lets it read at once
    with switches_out_of(greenlet.getcurrent()) as switches:
        assert r.read(2) == b"ab"       # all it asked for: maybe more is there
        assert levee.io.lib.levee_stream_drained(r._s) == 0
        assert r.read(2) == b"cd"       # read at once, no poll round
    assert switches == []


def test_a_read_after_a_drained_read_waits_for_readiness_before_reading(h, pair):
    r, w = pair
    drained(r, w)
    assert not r.r_ev.has
    w.write(b"unseen")     # in the socket, but no poll round since
    with switches_out_of(greenlet.getcurrent()) as switches:
        assert r.read() == b"unseen"
    assert len(switches) == 1           # out to the hub once, which woke it


def test_a_parked_echo_switches_out_once_per_round_trip(h, pair):
    """The echo green thread's read after its write parks with one switch
    (to the hub's loop or the next green thread), and its read of the
    request makes none."""
    r, w = pair
    g = h.spawn(echo, r)
    me = greenlet.getcurrent()
    with switches_out_of(g) as out:
        for i in range(100):
            w.write(b"%d" % i)
            assert w.read() == b"%d" % i
    assert len(out) == 100
    assert all(t is h._loop or t is me for t in out)
    w.close()


def test_a_read_after_recvfd_gets_the_bytes_recvfd_left(h, pair):
    """recvfd reads the socket past the stream: the stream forgets that its
    last read drained it, so bytes that came with the passed fd and stay
    after it are read at once (their readiness woke recvfd's wait)."""
    r, w = pair
    drained(r, w)
    rp, wp = os.pipe()
    got = []

    def receive():
        fd, data = r.recvfd()           # waits: the fd is not there yet
        os.close(fd)
        r.timeout = 2000                # a wrong wait would time out, not hang
        try:
            got.append((data, r.read()))
        except levee.Timeout as e:
            got.append(e)

    try:
        g = h.spawn(receive)
        assert r.r_ev.waiter is g
        w.sendfd(rp, b"F")
        w.write(b"after the fd")        # no poll between: one readiness for both
        for _ in range(3000):
            if g.dead:
                break
            h.sleep(1)
        assert got == [(b"F", b"after the fd")]
    finally:
        os.close(rp)
        os.close(wp)
