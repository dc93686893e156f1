"""h.thread in Python: call and spawn on OS threads with hubs of their own,
channels between Python threads (values of every kind, errors, moved
buffers, closing senders), a million messages from 4 threads with nothing
lost or duplicated; fd and thread counts come back after each test."""
import gc
import os
import threading

import pytest

import levee
from conftest import busy  # noqa: E402


def fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def h():
    """A hub whose test must leave no fd, no registration and no thread."""
    levee.Hub()._close()  # the process-wide signal wake-up socket exists from here on
    gc.collect()
    before_fds, before_threads = fds(), threading.active_count()
    hub = levee.Hub()
    yield hub
    if hub.thread._chan is not None:
        hub.thread.channel().close()
    hub.continue_()
    assert not hub.in_use()
    hub._close()
    del hub
    gc.collect()
    assert threading.active_count() == before_threads
    assert fds() == before_fds


def test_call_runs_f_on_another_os_thread_and_returns_its_result(h):
    main = threading.get_ident()
    r = h.thread.call(lambda a, b: (a + b, threading.get_ident() != main), 40, 2)
    assert r.recv() == (42, True)
    assert threading.active_count() == 1  # joined when recv answers
    assert r.recv() == (42, True)  # the same answer again


def test_call_reraises_what_f_raised(h):
    def boom():
        raise ValueError("thread boom")
    r = h.thread.call(boom)
    with pytest.raises(ValueError, match="thread boom"):
        r.recv()
    r2 = h.thread.call(lambda: levee.errors.error_for(levee.lib.LEVEE_EPIPE).__class__)
    assert r2.recv() is levee.BrokenPipe
    r3 = h.thread.call(lambda: (lambda: None))   # a result pickle cannot carry
    with pytest.raises(Exception, match="pickle|lambda"):
        r3.recv()


def test_values_of_every_kind_cross_a_channel(h):
    chan = h.thread.channel()
    r = chan.bind()
    s = r.create_sender()
    values = [None, True, False, 7, -(1 << 63), 1 << 70, 2.5, "text é", b"by\0tes",
              {"k": [1, 2, {"n": None}]}, (1, "a")]
    for v in values:
        s.send(v)
    for v in values:
        assert r.recv() == v
    s.close()
    r.close()


def test_levee_errors_travel_by_code_as_err_and_as_value(h):
    r = h.thread.channel().bind()
    s = r.create_sender()
    s.send(levee.Timeout())
    s.error(levee.errors.error_for(levee.lib.LEVEE_EPIPE))
    got = r.recv()
    assert isinstance(got, levee.Timeout) and got.code == levee.lib.LEVEE_TIMEOUT
    with pytest.raises(levee.BrokenPipe):
        r.recv()
    s.close()
    r.close()


def test_a_buffer_moves_the_senders_buffer_is_left_empty(h):
    chan = h.thread.channel()
    rr = chan.bind()
    s = rr.create_sender()
    b2 = levee.Buffer(64)
    b2.write(b"x")
    s.send(b2)
    got = rr.recv()
    assert bytes(got) == b"x" and len(b2) == 0
    s.close()
    rr.close()


def test_spawn_gives_a_pair_to_a_child_with_its_own_hub(h):
    def child(ch, factor):
        assert ch is not h and ch.parent is not None
        for v in ch.parent:
            ch.sleep(1)  # the child's own hub runs
            ch.parent.send(v * factor)
    c = h.thread.spawn(child, 2)
    for i in range(5):
        c.send(i)
        assert c.recv() == i * 2
    c.sender.close()
    with pytest.raises(levee.Closed):
        c.recv()
    assert threading.active_count() == 1


def test_a_hub_busy_with_runnable_green_threads_still_takes_channel_messages(h):
    with busy(h):
        assert h.thread.call(lambda: "through").recv(5000) == "through"


def test_sender_close_closes_the_recver_and_later_sends_fail(h):
    r = h.thread.channel().bind()
    s = r.create_sender()
    s.send("one")
    assert s.close() is True
    assert s.close() is False
    with pytest.raises(levee.Closed):
        s.send("late")
    assert r.recv() == "one"
    with pytest.raises(levee.Closed):
        r.recv()
    r.close()


def test_a_closed_recver_makes_its_senders_fail(h):
    r = h.thread.channel().bind()
    s = r.create_sender()
    r.close()
    with pytest.raises(levee.Closed):
        s.send(1)
    with pytest.raises(levee.Closed):
        r.create_sender()


def test_recv_times_out_while_the_thread_works(h):
    def slow(ch):
        ch.sleep(200)
        ch.parent.send("late")
    c = h.thread.spawn(slow)
    with pytest.raises(levee.Timeout):
        c.recv(10)
    assert c.recv() == "late"
    with pytest.raises(levee.Closed):
        c.recv()
    c.close()


def test_connect_links_back_to_the_sender_of_a_new_recver(h):
    def child(ch):
        back = ch.parent.recv()
        back.send("hello from the child")
        back.close()
    c = h.thread.spawn(child)
    r = c.sender.connect(h.thread.channel())
    assert r.recv() == "hello from the child"
    with pytest.raises(levee.Closed):
        r.recv()
    r.close()
    with pytest.raises(levee.Closed):
        c.recv()


def test_4_threads_send_a_million_messages_nothing_lost_or_duplicated(h):
    r = h.thread.channel().bind()
    per = 250000

    def produce(ch, to, tid, n):
        base = tid * 1000000
        for i in range(1, n + 1):
            to.send(base + i)
        to.close()
    kids = []
    for t in range(4):
        # each thread gets a sender of its own and closes it when done
        kids.append(h.thread.spawn(produce, r.create_sender(), t, per))
    last = [0] * 4
    total = 0
    for v in r:
        t, i = divmod(v, 1000000)
        assert i == last[t] + 1
        last[t] = i
        total += 1
    assert total == 4 * per
    for c in kids:
        with pytest.raises(levee.Closed):
            c.recv()
    r.close()
