"""Signals in Python: h.signal (the levee form) with exact counts, and
Python's own handlers while the hub waits: SIGINT raises KeyboardInterrupt
in the main greenlet, signal.signal handlers run at once. Also: a hub used
after fork() is refused."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import levee
from conftest import busy  # noqa: E402  (the fixture h comes from conftest too)
from levee import signal as lsignal

HERE = os.path.dirname(os.path.abspath(__file__))


def run_script(code, send, timeout=30):
    """Runs code in a new interpreter; once it prints "ready", sends it the
    signals in send (one per "ready" line). Returns (returncode, output)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(HERE, "..", "..", "bindings", "python")
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    out = []
    sends = list(send)
    try:
        for line in p.stdout:
            out.append(line.decode())
            if line.startswith(b"ready") and sends:
                p.send_signal(sends.pop(0))
        p.wait(timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, "".join(out)


def action(sig):
    return signal.getsignal(sig)


def test_h_signal_gives_the_number_of_each_delivery(h):
    r = h.signal(lsignal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR1)
    assert r.recv(5000) == lsignal.SIGUSR1
    with pytest.raises(levee.Timeout):
        r.recv(10)
    r.close()
    assert h.signal.registered == {} and h.signal.reverse == {}


def test_several_signals_and_subscribers_names_too(h):
    a = h.signal("SIGUSR1", "USR2")
    b = h.signal(signal.SIGUSR2)
    os.kill(os.getpid(), signal.SIGUSR2)
    assert a.recv(5000) == signal.SIGUSR2
    assert b.recv(5000) == signal.SIGUSR2
    a.close()
    os.kill(os.getpid(), signal.SIGUSR2)
    assert b.recv(5000) == signal.SIGUSR2
    b.close()
    assert h.signal.registered == {} and h.signal.reverse == {}


def test_a_hub_busy_with_runnable_green_threads_still_takes_deliveries(h):
    r = h.signal(signal.SIGUSR1)
    with busy(h):
        os.kill(os.getpid(), signal.SIGUSR1)
        assert r.recv(5000) == signal.SIGUSR1
    r.close()


def test_the_last_close_gives_back_pythons_handler(h):
    seen = []
    old = signal.signal(signal.SIGUSR1, lambda s, f: seen.append(s))
    try:
        r = h.signal(signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
        assert r.recv(5000) == signal.SIGUSR1
        assert seen == []  # levee owned it
        r.close()
        os.kill(os.getpid(), signal.SIGUSR1)
        h.sleep(1)
        assert seen == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_a_storm_of_1000_sigusr1_is_counted_exactly(h):
    r = h.signal(signal.SIGUSR1)
    for _ in range(1000):
        os.kill(os.getpid(), signal.SIGUSR1)
        assert r.recv(5000) == signal.SIGUSR1
    with pytest.raises(levee.Timeout):
        r.recv(20)
    r.close()


def test_a_burst_of_queued_realtime_signals_is_counted_exactly(h):
    rt = lsignal.SIGRTMIN + 1
    r = h.signal(rt)
    for i in range(1000):
        levee.errors.check(levee.lib.levee_signal_queue(os.getpid(), rt, i))
    for _ in range(1000):
        assert r.recv(5000) == rt
    with pytest.raises(levee.Timeout):
        r.recv(20)
    r.close()


def test_signals_levee_cannot_take_are_refused(h):
    with pytest.raises(levee.Error) as e:
        h.signal(signal.SIGKILL)
    assert e.value.name == "EINVAL"
    with pytest.raises(levee.Error):
        h.signal(signal.SIGUSR1, signal.SIGSEGV)
    assert h.signal.registered == {}
    with pytest.raises(ValueError):
        h.signal("SIGNOPE")


def test_sigint_raises_keyboardinterrupt_in_main_while_the_hub_is_idle():
    rc, out = run_script("""
        import levee, time
        h = levee.Hub()
        h.spawn_later(1, lambda: print("ready", flush=True))  # main waits by then
        try:
            h.sleep(60000)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        h.sleep(1)   # the hub goes on
        print("after", flush=True)
    """, [signal.SIGINT])
    assert rc == 0, out
    assert "interrupted\nafter\n" in out


def test_sigint_reaches_main_not_the_green_thread_that_was_running():
    rc, out = run_script("""
        import levee
        h = levee.Hub()
        def busy():
            while True:
                sum(range(1000))
                h.continue_()
        h.spawn(busy)
        h.spawn_later(1, lambda: print("ready", flush=True))
        r, w = h.io.pipe()
        try:
            r.read()   # main waits; busy keeps the loop running
        except KeyboardInterrupt:
            print("main interrupted", flush=True)
    """, [signal.SIGINT])
    assert rc == 0, out
    assert "main interrupted" in out


def test_python_signal_handlers_run_while_the_hub_waits():
    rc, out = run_script("""
        import levee, signal
        h = levee.Hub()
        r, w = h.io.pipe()
        # handlers must not block: they run in whichever green thread is running
        signal.signal(signal.SIGTERM, lambda s, f: h.spawn_later(0, lambda: w.write(b"term")))
        h.spawn_later(1, lambda: print("ready", flush=True))
        print(r.read(), flush=True)
    """, [signal.SIGTERM])
    assert rc == 0, out
    assert "b'term'" in out


def test_a_hub_used_after_fork_is_refused_and_a_new_one_works(h):
    h.sleep(1)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            h.sleep(1)
            code |= 1
        except levee.Error as e:
            if e.name != "EFORKED":
                code |= 2
        except BaseException:
            code |= 4
        try:
            fresh = levee.Hub()
            r = fresh.signal(signal.SIGUSR1)
            os.kill(os.getpid(), signal.SIGUSR1)
            if r.recv(5000) != signal.SIGUSR1:
                code |= 8
        except BaseException:
            code |= 16
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    h.sleep(1)
