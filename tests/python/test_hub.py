"""levee.Hub on greenlets: scheduling, fds and every message primitive."""
import os
import socket
import subprocess
import sys

import greenlet
import pytest

import levee
from levee.message import Pair


@pytest.fixture
def h():
    return levee.Hub()


# ---- scheduling -------------------------------------------------------------

def test_spawn_runs_the_child_until_it_blocks_before_the_caller_continues(h):
    trace = []

    def f():
        trace.append("f starts")
        h.sleep(5)
        trace.append("f wakes")
    h.spawn(f)
    trace.append("main continues")
    h.sleep(20)
    assert trace == ["f starts", "main continues", "f wakes"]


def test_spawn_passes_args_and_kwargs(h):
    got = []
    h.spawn(lambda *a, **k: got.append((a, k)), 1, None, 3, x=4)
    assert got == [((1, None, 3), {"x": 4})]


def test_each_spawn_is_one_tick(h):
    trace = []
    for i in range(1, 4):
        def f(i=i):
            trace.append("a%d" % i)
            h.continue_()
            trace.append("b%d" % i)
        h.spawn(f)
    h.continue_()
    h.continue_()
    assert trace == ["a1", "b1", "a2", "b2", "a3", "b3"]


def test_sleep_orders_by_deadline_then_call_order(h):
    trace = []
    for ms, name in ((30, "c"), (10, "a"), (30, "d"), (10, "b")):
        h.spawn(lambda ms=ms, name=name: (h.sleep(ms), trace.append(name)))
    h.sleep(60)
    assert trace == ["a", "b", "c", "d"]


def test_spawn_later_runs_after_the_delay(h):
    trace = []
    h.spawn_later(10, trace.append, "late")
    assert trace == []
    h.sleep(30)
    assert trace == ["late"]


def test_spawn_every_spawns_for_each_item(h):
    seen = []
    h.spawn_every(iter(["x", "y"]), seen.append)
    for _ in range(3):   # each spawn is one tick
        h.continue_()
    assert seen == ["x", "y"]


def test_pause_is_resumed_with_a_value_or_times_out(h):
    got = []
    g = h.spawn(lambda: got.append(h.pause()))
    h.resume(g, 42)
    h.continue_()
    assert got == [42]
    with pytest.raises(levee.Timeout):
        h.pause(5)
    with pytest.raises(TimeoutError):
        h.pause(1)


def test_resume_before_the_timeout_cancels_it(h):
    got = []
    g = h.spawn(lambda: got.append(h.pause(50)))
    h.resume(g, "early")
    h.sleep(80)
    assert got == ["early"]
    assert levee.lib.levee_hub_timers(h._h) == 0


def test_main_blocks_and_a_green_thread_resumes_it(h):
    main = h.current()

    def f():
        h.sleep(5)
        h.resume(main, "from f")
    h.spawn(f)
    assert h.pause() == "from f"


def test_uncaught_error_in_a_green_thread_exits_1():
    code = "import levee; h = levee.Hub(); h.spawn(lambda: 1/0); print('not reached')"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(levee.__file__)))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                       env=env)
    assert p.returncode == 1
    assert "ZeroDivisionError" in p.stderr
    assert "not reached" not in p.stdout


# ---- fds ---------------------------------------------------------------------

def test_register_wakes_on_readiness_and_latches(h):
    a, b = socket.socketpair()
    r_ev, w_ev = h.register(a.fileno(), True, False)
    assert w_ev is None
    h.spawn(lambda: (h.sleep(5), b.send(b"x")))
    assert r_ev.recv(1000) == 1
    b.send(b"y")
    h.sleep(5)
    assert r_ev.recv(0) == 1
    with pytest.raises(levee.Timeout):
        r_ev.recv(5)
    h.unregister(a.detach())
    b.close()


def _busy(h, stop):
    """Keeps the ready queue non-empty, so no tick may block in the poll."""
    def spin():
        while not stop:
            h.continue_()
    h.spawn(spin)


@pytest.mark.parametrize("yield_", [lambda h: h.continue_(), lambda h: h.spawn(lambda: None)],
                         ids=["continue_", "spawn"])
def test_a_thread_blocked_on_an_fd_runs_before_the_writers_yield_returns(h, yield_):
    stop = []
    _busy(h, stop)
    a, b = socket.socketpair()
    r_ev, _ = h.register(a.fileno(), True, False)
    for round_ in range(40):
        got = []
        h.spawn(lambda: got.append(r_ev.recv()))
        b.send(b"x")
        yield_(h)
        assert got == [1], round_
        a.recv(16)
    stop.append(True)
    h.unregister(a.detach())
    b.close()


def test_readiness_nobody_waits_on_is_latched_after_one_tick(h):
    stop = []
    _busy(h, stop)
    a, b = socket.socketpair()
    r_ev, _ = h.register(a.fileno(), True, False)
    b.send(b"x")
    h.continue_()
    assert r_ev.recv(0) == 1   # recv(0) would time out if not collected yet
    stop.append(True)
    h.unregister(a.detach())
    b.close()


def test_an_expired_timer_fires_on_the_next_tick_while_threads_are_runnable(h):
    stop = []
    _busy(h, stop)
    for round_ in range(40):
        woke = []
        h.spawn(lambda: (h.sleep(0), woke.append(True)))
        h.continue_()
        assert woke == [True], round_
    stop.append(True)


def test_hang_up_wakes_a_reader_with_minus_one(h):
    a, b = socket.socketpair()
    r_ev, _ = h.register(a.fileno(), True)
    h.spawn(lambda: (h.sleep(5), b.close()))
    assert r_ev.recv(1000) == -1
    h.unregister(a.detach())


def test_unregister_wakes_waiters_and_closes_on_next_tick(h):
    r, w = os.pipe()
    r_ev, _ = h.register(r, True)
    got = []
    h.spawn(lambda: got.append(r_ev.recv()))
    assert h.in_use()
    h.unregister(r)
    h.continue_()
    assert got == [-1]
    assert not h.in_use()
    h.continue_()
    with pytest.raises(OSError):
        os.close(r)
    os.close(w)


def test_registering_twice_raises_instead_of_aborting(h):
    r, w = os.pipe()
    h.register(r, True)
    with pytest.raises(levee.Error) as e:
        h.register(r, True)
    assert e.value.name == "EEXIST"
    h.unregister(r)
    os.close(w)


def test_register_nopoll_is_always_ready(h):
    r, w = os.pipe()
    r_ev, w_ev = h.register_nopoll(r, True, True)
    assert r_ev.recv() == 1 and w_ev.recv() == 1
    h.unregister(r)
    assert not h.in_use()
    os.close(w)


# ---- pipe ---------------------------------------------------------------------

def test_pipe_send_to_a_waiting_recver_runs_it_first(h):
    s, r = h.pipe()
    trace = []
    h.spawn(lambda: trace.append("recv %s" % r.recv()))
    s.send("x")
    trace.append("send returned")
    assert trace == ["recv x", "send returned"]


def _catch(f):
    """f()'s result, or the exception it raised."""
    try:
        return f()
    except Exception as e:  # noqa: BLE001
        return e


def test_pipe_sender_close_yields_a_tick_when_it_woke_a_receiver(h):
    s, r = h.pipe()
    got = []
    h.spawn(lambda: got.append(_catch(r.recv)))
    assert s.close() is True
    assert len(got) == 1 and isinstance(got[0], levee.Closed)   # no continue_()
    assert r.close() is False   # already closed by the sender's close


def test_pipe_sender_close_with_nobody_waiting_does_not_yield(h):
    s, r = h.pipe()
    ran = []
    h.spawn(lambda: (h.continue_(), ran.append(True)))
    s.close()
    assert ran == []
    with pytest.raises(levee.Closed):
        r.recv()
    assert r.close() is True


def test_dealer_sender_close_yields_and_recver_close_is_false_after(h):
    s, r = h.dealer()
    got = []
    for _ in range(2):
        h.spawn(lambda: got.append(_catch(r.recv)))
    s.close()
    assert len(got) == 2 and all(isinstance(e, levee.Closed) for e in got)
    assert r.close() is False


def test_redirect_delivers_a_parked_value_to_a_consumer_waiting_on_the_target(h):
    s, r = h.pipe()
    _, r2 = h.pipe()
    got = []
    h.spawn(lambda: s.send("parked"))
    h.spawn(lambda: got.append(r2.recv()))
    r.redirect(r2)
    h.continue_()
    assert got == ["parked"]


def test_pipe_parks_a_sender_until_taken_and_delivers_falsy_values(h):
    s, r = h.pipe()
    h.spawn(lambda: [s.send(v) for v in (False, None, 0)])
    assert r.recv() is False
    assert r.recv() is None
    assert r.recv() == 0


def test_pipe_close_either_end(h):
    s, r = h.pipe()
    got = []

    def sender():
        try:
            s.send(1)
        except levee.Closed:
            got.append("closed")
    h.spawn(sender)
    assert r.close() is True
    assert r.close() is False
    h.continue_()
    assert got == ["closed"]
    with pytest.raises(levee.Closed):
        s.send(2)
    s2, r2 = h.pipe()
    s2.close()
    with pytest.raises(levee.Closed):
        r2.recv()


def test_pipe_error_is_raised_by_recv_and_iteration_stops_at_close(h):
    s, r = h.pipe()
    h.spawn(lambda: (s.send(1), s.error(ValueError("bad")), s.send(2), s.close()))
    assert r.recv() == 1
    with pytest.raises(ValueError):
        r.recv()
    assert list(r) == [2]


def test_a_second_waiter_is_a_clear_error(h):
    s, r = h.pipe()
    h.spawn(lambda: pytest.raises(levee.Timeout, r.recv, 50))
    with pytest.raises(RuntimeError, match="second green thread"):
        r.recv(10)


def test_redirect_moves_a_parked_value(h):
    s, r = h.pipe()
    _, r2 = h.pipe()
    h.spawn(lambda: (s.send("kept"), s.send("next")))
    r.redirect(r2)
    assert r2.recv() == "kept"
    assert r2.recv() == "next"
    with pytest.raises(levee.Closed):
        r.redirect(r2)


def test_context_managers_close(h):
    s, r = h.pipe()
    with s, r:
        pass
    assert s.closed and r.closed


# ---- value, flag, gate ---------------------------------------------------------

def test_value_is_sticky_and_blocks_while_unset(h):
    s, r = h.value(1)
    assert r.recv() == 1 and r.recv() == 1
    s.send(None)
    with pytest.raises(levee.Timeout):
        r.recv(5)
    h.spawn(lambda: (h.sleep(5), s.send("set")))
    assert r.recv(1000) == "set"
    r.close()
    with pytest.raises(levee.Closed):
        r.recv()


def test_flag_stores_then_clears(h):
    s, r = h.flag()
    s.send(1)
    s.send(2)
    assert r.recv() == 2
    with pytest.raises(levee.Timeout):
        r.recv(5)


def test_gate_releases_the_sender_on_the_next_recv(h):
    s, r = h.gate()
    trace = []
    h.spawn(lambda: (s.send("a"), trace.append("released a")))
    assert r.recv() == "a"
    h.continue_()
    assert trace == []
    with pytest.raises(levee.Timeout):
        r.recv(5)
    h.continue_()
    assert trace == ["released a"]


# ---- queue, stalk --------------------------------------------------------------

def test_queue_buffers_and_wakes_without_yielding(h):
    s, r = h.queue()
    for v in (1, False, None):
        s.send(v)
    assert [r.recv(), r.recv(), r.recv()] == [1, False, None]
    trace = []
    h.spawn(lambda: trace.append("got %s" % r.recv()))
    s.send("x")
    trace.append("sender continues")
    h.continue_()
    assert trace == ["sender continues", "got x"]


def test_queue_full_parks_and_close_is_queued(h):
    s, r = h.queue(2)
    sent = []
    h.spawn(lambda: [(s.send(i), sent.append(i)) for i in (1, 2, 3)])
    assert sent == [1, 2]
    assert r.recv() == 1
    h.continue_()
    assert sent == [1, 2, 3]
    s.close()
    assert list(r) == [2, 3]


def test_queue_empty_pair_and_on_close(h):
    s, r = h.queue()
    assert r.empty.recv() is True
    s.send(1)
    with pytest.raises(levee.Timeout):
        r.empty.recv(5)
    r.recv()
    assert r.empty.recv() is True
    called = []
    r.on_close = called.append
    r.close()
    assert called == [r]
    with pytest.raises(levee.Closed):
        s.send(1)


def test_stalk_reports_items_and_removes_in_batches(h):
    s, r = h.stalk(2)
    s.send("a")
    s.send("b")
    assert r.recv() is True
    assert len(r) == 2
    assert list(r.iter()) == ["a", "b"]
    sent = []
    h.spawn(lambda: (s.send("c"), sent.append("c")))
    assert sent == []
    r.remove(2)
    h.continue_()
    assert sent == ["c"]
    with pytest.raises(ValueError):
        r.remove(5)


# ---- selector, router, dealer, broadcast, pool, Pair ------------------------------

def test_selector_names_the_recver(h):
    sel = h.selector()
    s1, r1 = h.pipe()
    s2, r2 = h.pipe()
    h.spawn(lambda: s1.send("early"))
    r1.redirect(sel)
    r2.redirect(sel)
    assert sel.recv() == (r1, "early")
    h.spawn(lambda: s2.send("two"))
    assert sel.recv(100) == (r2, "two")
    s1.close()
    with pytest.raises(levee.Closed) as e:
        sel.recv(100)
    assert e.value.recver is r1


def test_router_queues_senders_fifo_and_close_fails_them(h):
    s, r = h.router()
    done = []

    def sender(i):
        try:
            s.send(i)
            done.append(i)
        except levee.Closed:
            done.append("closed %d" % i)
    for i in (1, 2, 3, 4):
        h.spawn(sender, i)
    assert r.recv() == 1 and r.recv() == 2
    h.continue_()
    assert done == [1, 2]
    r.close()
    assert done == [1, 2, "closed 3", "closed 4"]


def test_dealer_serves_recvers_in_order_and_close_reaches_all(h):
    s, r = h.dealer()
    got = {}

    def waiter(i):
        try:
            got[i] = r.recv()
        except levee.Closed:
            got[i] = "closed"
    for i in (1, 2, 3):
        h.spawn(waiter, i)
    s.send("a")
    s.send("b")
    s.close()
    h.continue_()
    assert got == {1: "a", 2: "b", 3: "closed"}


def test_broadcast_wakes_every_waiter_and_close_delivers_closed(h):
    b = h.broadcast()
    s, r = h.pipe()
    r.redirect(b)
    s.send("nobody")
    got = []
    for _ in range(3):
        h.spawn(lambda: got.append(b.recv()))
    s.send("all")
    h.continue_()
    assert got == ["all", "all", "all"]
    closed = []

    def waiter():
        try:
            b.recv()
        except levee.Closed:
            closed.append(True)
    h.spawn(waiter)
    s.close()
    h.continue_()
    assert closed == [True]


def test_broadcast_with_a_value_source_answers_at_once(h):
    b = h.broadcast()
    s, r = h.value("v1")
    r.redirect(b)
    assert b.recv() == "v1"


def test_pool_checks_out_and_back(h):
    made = []
    pool = h.pool(lambda: made.append(len(made)) or {"id": len(made)}, 2)
    a = pool.recv()
    b = pool.recv()
    assert a is not b
    with pytest.raises(levee.Timeout):
        pool.recv(5)
    pool.send(a)
    assert pool.recv() is a
    pool.send(a)
    pool.send(b)
    assert pool.run(lambda item, x: item["id"] + x, 10) in (11, 12)


def test_pair_over_a_queue(h):
    p = Pair(*h.queue())
    p.send(1)
    p.error(levee.Timeout())
    assert p.recv() == 1
    with pytest.raises(levee.Timeout):
        p.recv()
    p.close()
    with pytest.raises(levee.Closed):
        p.recv()


# ---- bad arguments --------------------------------------------------------------

@pytest.mark.parametrize("call, exc, words", [
    (lambda h: h.spawn(42), TypeError, "Hub.spawn: f must be callable, not int"),
    (lambda h: h.spawn(None), TypeError, "Hub.spawn: f must be callable"),
    (lambda h: h.sleep("x"), TypeError, "Hub.sleep: ms must be a number, not str"),
    (lambda h: h.sleep(None), TypeError, "Hub.sleep: ms must be a number"),
    (lambda h: h.spawn_later("1", print), TypeError, "Hub.spawn_later: ms must be a number"),
    (lambda h: h.spawn_later(1, 42), TypeError, "Hub.spawn_later: f must be callable"),
    (lambda h: h.spawn_every(42, print), TypeError, "not iterable"),
    (lambda h: h.spawn_every([1], 42), TypeError, "Hub.spawn_every: f must be callable"),
    (lambda h: h.pause("x"), TypeError, "Hub.pause: ms must be a number or None"),
    (lambda h: h.resume("g"), TypeError, "Hub.resume: g must be a greenlet"),
    (lambda h: h.register("0"), TypeError, "Hub.register: fd must be an int"),
    (lambda h: h.register_nopoll(None), TypeError, "Hub.register_nopoll: fd must be an int"),
    (lambda h: h.pipe()[1].recv("x"), TypeError, "Recver.recv: ms must be a number or None, not str"),
    (lambda h: h.value(1)[1].recv([]), TypeError, "ValueRecver.recv: ms must be"),
    (lambda h: h.queue()[1].recv("x"), TypeError, "recv: ms must be"),
    (lambda h: h.selector().recv("x"), TypeError, "Selector.recv: ms must be"),
    (lambda h: h.dealer()[1].recv("x"), TypeError, "recv: ms must be"),
    (lambda h: h.broadcast().recv("x"), TypeError, "recv: ms must be"),
    (lambda h: h.queue(0), ValueError, "Hub.queue: size must be >= 1, got 0"),
    (lambda h: h.queue("3"), TypeError, "Hub.queue: size must be an int or None, not str"),
    (lambda h: h.stalk(-1), ValueError, "Hub.stalk: size must be >= 1"),
    (lambda h: h.pool(42, 1), TypeError, "Hub.pool: factory must be callable, not int"),
    (lambda h: h.pool(list, "2"), TypeError, "Hub.pool: size must be an int, not str"),
    (lambda h: h.pool(list, 1).run(42), TypeError, "Pool.run: f must be callable"),
    (lambda h: h.pool(list, 1).recv("x"), TypeError, "Pool.recv: ms must be"),
    (lambda h: h.pipe()[1].redirect(42), TypeError, "redirect: target must be a selector"),
])
def test_bad_arguments_raise_naming_the_argument(h, call, exc, words):
    with pytest.raises(exc) as e:
        call(h)
    assert words in str(e.value)
    h.sleep(0)   # the hub is still usable


def test_stalk_remove_checks_n(h):
    s, r = h.stalk()
    s.send(1)
    with pytest.raises(ValueError, match="n must be in 1..1, got 2"):
        r.remove(2)
    with pytest.raises(TypeError, match="n must be an int"):
        r.remove("1")
    r.remove(1)
    assert len(r) == 0


def test_spawn_of_a_non_callable_does_not_end_the_process():
    code = ("import levee; h = levee.Hub()\n"
            "try:\n    h.spawn(42)\nexcept TypeError as e:\n    print('TypeError', e)\n"
            "h.sleep(1); print('alive')")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(levee.__file__)))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                       env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["TypeError levee: Hub.spawn: f must be callable, not int",
                                     "alive"]


@pytest.mark.parametrize("kind", ["pipe", "value", "flag", "gate", "queue", "stalk", "router",
                                  "dealer"])
def test_close_is_true_then_false_on_either_end_of_every_kind(h, kind):
    s, r = getattr(h, kind)()
    assert s.close() is True and s.close() is False
    s2, r2 = getattr(h, kind)()
    assert r2.close() is True and r2.close() is False
    with pytest.raises(levee.Closed):
        s2.send(1)


def test_router_recver_close_yields_so_queued_senders_see_closed(h):
    s, r = h.router()
    got = []
    for i in range(2):
        h.spawn(lambda i=i: got.append(_catch(lambda: s.send(i))))
    r.close()
    assert len(got) == 2 and all(isinstance(e, levee.Closed) for e in got)


def test_value_send_yields_only_when_it_woke_a_waiter(h):
    s, r = h.value()
    ran = []
    h.spawn(lambda: (h.continue_(), ran.append(True)))
    s.send(1)
    assert ran == []
    s.send(None)
    got = []
    h.spawn(lambda: got.append(r.recv()))
    s.send("x")
    assert got == ["x"]


def test_flag_send_never_yields_and_overwrites(h):
    s, r = h.flag()
    ran = []
    h.spawn(lambda: (h.continue_(), ran.append(True)))
    s.send(1)
    s.send(2)
    assert ran == []
    assert r.recv() == 2
    with pytest.raises(levee.Timeout):
        r.recv(1)


def test_a_closed_hub_raises_runtime_error_instead_of_using_freed_memory():
    # _close frees the C hub (a thread's hub when its thread ends); a later
    # call must name the closed hub, on the compiled and the pure-Python loop
    # (tests/suites/python-pure runs this file again with LEVEE_PURE_PYTHON=1).
    h = levee.Hub()
    h._close()
    with pytest.raises(RuntimeError, match="hub was closed"):
        h.sleep(1)
    h = levee.Hub()
    h._close()
    r, w = os.pipe()
    try:
        with pytest.raises(RuntimeError, match="hub was closed"):
            h.register(r)
    finally:
        os.close(r)
        os.close(w)
