"""levee.Hub for Python: green threads on greenlets over the C++ hub.

The same scheduler as the Lua binding (docs/hub.md), in Python's idiom:

    h = levee.Hub()
    sender, recver = h.pipe()
    h.spawn(lambda: sender.send("hello"))
    recver.recv()              # "hello"
    recver.recv(ms=10)         # raises levee.Timeout

spawn(f, *args) runs f until it first blocks before spawn returns. Blocking
calls take an optional timeout in milliseconds and raise levee.Timeout;
a closed channel raises levee.Closed; `for v in recver:` iterates until it
closes. An uncaught exception in a green thread other than the one that
made the hub prints its traceback and exits the process with status 1.
"""
import collections
import functools
import os
import signal as _signal
import struct
import sys
import threading
import traceback

import greenlet

from ._ffi import ffi, lib
from ._native import io as _native
from .errors import Closed, Timeout, check, error_for
from .message import check_callable, check_ms

_MAX_EVENTS = 256
_HUB_READ, _HUB_WRITE, _HUB_TIMER, _HUB_WAKE = 1, 2, 3, 4
_HUB_SIGNAL = lib.LEVEE_HUB_SIGNAL
_TIMEOUT = _native.TIMEOUT if _native else object()  # resume marker of an expired timer
_EVENT = struct.Struct("=Qii")  # levee_event: token, kind, value
assert _EVENT.size == ffi.sizeof("levee_event")
_INTERRUPT = object()  # ready-queue marker: wake main to raise an interrupt
_WAKEUP_TOKEN = (1 << 63) + 1  # the signal wake-up socket's read token (fd tokens are fd * 2)


def _check_fd(fd, where):
    if isinstance(fd, bool) or not isinstance(fd, int):
        raise TypeError("levee: %s: fd must be an int, not %s" % (where, type(fd).__name__))


def _fatal(exc=None):
    """An uncaught exception in a green thread (exc, else the one being
    handled): prints its traceback and ends the process with status 1."""
    if exc is None:
        traceback.print_exc()
    else:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    sys.stderr.write("levee: uncaught error in a green thread\n")
    sys.stderr.flush()
    os._exit(1)


class _PyState:
    """An fd readiness latch returned by Hub.register (levee._io.State,
    the same in C, when the compiled module is there)."""

    __slots__ = ("hub", "waiter", "has", "value", "nopoll")

    def __init__(self, hub, nopoll=False):
        self.hub, self.waiter, self.has, self.value, self.nopoll = hub, None, False, None, nopoll

    def recv(self, ms=None):
        """1 when ready, -1 on hang-up, error or unregister; raises Timeout."""
        if ms is not None:
            check_ms(ms, "State.recv")
        if self.has:
            v, self.has, self.value = self.value, False, None
            return v
        if self.nopoll:
            return 1
        if self.waiter is not None:
            raise RuntimeError("levee: a second green thread cannot wait on the same fd state")
        me = greenlet.getcurrent()
        self.waiter = me
        try:
            return self.hub._wait(ms)[1]
        finally:
            if self.waiter is me:
                self.waiter = None

    def set(self, value):
        """Wakes the waiter, or latches value (the latest wins)."""
        g = self.waiter
        if g is not None:
            self.waiter = None
            self.hub._wake_now(g, (None, value))
        else:
            self.has, self.value = True, value


State = _native.State if _native else _PyState


# ---- signals and the main greenlet ----------------------------------------
#
# Python runs signal handlers in the main thread, between bytecodes, in
# whatever greenlet is running; while the hub waits in epoll_wait no
# bytecode runs. So the hubs of the main thread watch the read end of a
# socket that signal.set_wakeup_fd writes to: a signal ends the wait and
# its Python handler runs at once. SIGINT's default handler is replaced by
# one that raises KeyboardInterrupt in the main greenlet even when another
# green thread (or the hub's loop) was running.

_wakeup = None          # (read socket, write socket) given to set_wakeup_fd
_blocked_main = None    # the hub in which the main thread's main greenlet waits


def _drain(sock):
    try:
        while sock.recv(4096):
            pass
    except (BlockingIOError, InterruptedError):
        pass


def _make_wakeup():
    global _wakeup
    import socket
    r, w = socket.socketpair()
    r.setblocking(False)
    w.setblocking(False)
    try:
        old = _signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        r.close()
        w.close()
        return None
    if old != -1:  # someone else's (asyncio ...): leave it to them
        _signal.set_wakeup_fd(old)
        r.close()
        w.close()
        _wakeup = False
        return None
    _wakeup = (r, w)
    return _wakeup


def _after_fork_in_child():
    # The socket pair is shared with the parent: the child gets its own.
    global _wakeup, _blocked_main
    _blocked_main = None
    if _wakeup:
        r, w = _wakeup
        _signal.set_wakeup_fd(-1)
        r.close()
        w.close()
        _wakeup = None
        _make_wakeup()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _on_sigint(signum, frame):
    hub = _blocked_main
    if hub is None or greenlet.getcurrent() is hub._main:
        raise KeyboardInterrupt
    hub._interrupt_main(KeyboardInterrupt())


class Hub:
    """The event hub and green-thread scheduler."""

    def __init__(self):
        out = ffi.new("levee_hub **")
        check(lib.levee_hub_new(out))
        self._h = ffi.gc(out[0], lib.levee_hub_free)
        self._interrupt = None  # raised in main when it resumes
        self._interrupt_gen = 0
        self._in_main_thread = threading.current_thread() is threading.main_thread()
        if self._in_main_thread:
            wakeup = _wakeup if _wakeup is not None else _make_wakeup()
            if wakeup:
                check(lib.levee_hub_register(self._h, wakeup[0].fileno(),
                                             lib.LEVEE_HUB_R | lib.LEVEE_HUB_PRIVATE, _WAKEUP_TOKEN, 0))
            if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
                _signal.signal(_signal.SIGINT, _on_sigint)
        self._main = greenlet.getcurrent()
        self._ready = collections.deque()
        self._events = ffi.new("levee_event[]", _MAX_EVENTS)
        # the events read as tuples in one C-level pass (a cffi attribute
        # read per field costs more than the whole unpack)
        self._event_view = memoryview(ffi.buffer(self._events))
        self._timers = {}   # token -> greenlet, or (f, args) for spawn_later
        self._paused = {}   # greenlet -> (slot, token) of its timeout
        self._token = 0
        self._states = {}
        self.registered = {}
        self._closing = []
        self._nopoll = 0
        self._polled = 0    # fds registered with the C hub (not nopoll)
        self._core, run = None, self._run
        if _native:  # _pump in C (levee._io.Loop), over the queues above
            self._core = _native.Loop(self, int(ffi.cast("uintptr_t", self._h)),
                                      int(ffi.cast("uintptr_t", self._events)), _MAX_EVENTS)
            run = self._core.run
        self._loop = greenlet.greenlet(run, parent=self._main)

    @functools.cached_property
    def io(self):
        """h.io: pipes, fds and files as IO objects (levee.io.IOFactory)."""
        from .io import IOFactory
        return IOFactory(self)

    @functools.cached_property
    def stream(self):
        """h.stream: dial and listen (levee.io.StreamFactory)."""
        from .io import StreamFactory
        return StreamFactory(self)

    @functools.cached_property
    def dgram(self):
        """h.dgram: UDP (levee.io.DgramFactory)."""
        from .io import DgramFactory
        return DgramFactory(self)

    @functools.cached_property
    def http(self):
        """h.http: HTTP/1.1 listen, connect and pool (levee.http.HTTPFactory)."""
        from .http import HTTPFactory
        return HTTPFactory(self)

    @functools.cached_property
    def dns(self):
        """h.dns: lookup() and resolve() (levee.dns.DNS)."""
        from .dns import DNS
        return DNS(self)

    @property
    def tcp(self):
        """Alias of h.stream."""
        return self.stream

    @functools.cached_property
    def signal(self):
        """h.signal(sig, ...): a recver of signal deliveries (levee.signal)."""
        from .signal import Signals
        return Signals(self)

    @functools.cached_property
    def process(self):
        """h.process: spawn child processes (levee.process.Spawner)."""
        from .process import Spawner
        return Spawner(self)

    @functools.cached_property
    def thread(self):
        """h.thread: OS threads with hubs of their own and channels
        (levee.thread.Threads)."""
        from .thread import Threads
        return Threads(self)

    # ---- switching -------------------------------------------------------
    def _run(self):
        while True:
            self._pump()

    def _wait(self, ms=None):
        """Blocks the caller; returns the (err, value) it is resumed with,
        raising Timeout when ms passes first."""
        me = greenlet.getcurrent()
        if ms is not None:
            slot, token = self._timer(ms, me)
            self._paused[me] = (slot, token)
        if me is self._main and self._in_main_thread:
            got = self._main_switch()
        else:
            got = self._loop.switch()
        if got is _TIMEOUT:
            raise Timeout()
        return got

    def _main_switch(self):
        """Main (of the main thread) blocks: an interrupt raises here."""
        global _blocked_main
        outer, _blocked_main = _blocked_main, self
        try:
            got = self._loop.switch()
        finally:
            _blocked_main = outer
        if self._interrupt is not None:
            exc, self._interrupt = self._interrupt, None
            self._interrupt_gen += 1  # a wake-up still queued for it is stale
            raise exc
        return got

    def _interrupt_main(self, exc):
        """Raises exc in the main greenlet, which is blocked in this hub:
        now if it is queued to run, else it is woken for it."""
        main = self._main
        self._interrupt = exc
        if any(entry[0] is main for entry in self._ready):
            return
        self._cancel_pause(main)
        self._ready.append((main, self._interrupt_gen, _INTERRUPT))

    def _cancel_pause(self, g):
        entry = self._paused.pop(g, None)
        if entry is not None:
            slot, token = entry
            self._timers.pop(token, None)
            lib.levee_hub_timer_cancel(self._h, slot, token)

    def _wake_now(self, g, value):
        self._cancel_pause(g)
        if greenlet.getcurrent() is self._loop:
            g.switch(value)
        else:
            self._ready.append((g, value, None))

    def resume(self, g, value=None, err=None):
        """Queues green thread g to run on the next tick; its pause()
        returns value (or raises err)."""
        if not isinstance(g, greenlet.greenlet):
            raise TypeError("levee: Hub.resume: g must be a greenlet, not %s" % type(g).__name__)
        self._cancel_pause(g)
        self._ready.append((g, (err, value), None))

    def pause(self, ms=None):
        """Blocks until resume(); raises Timeout after ms."""
        if ms is not None:
            check_ms(ms, "Hub.pause")
        err, value = self._wait(ms)
        if err is not None:
            raise err
        return value

    def continue_(self):
        """Lets every other runnable green thread run once."""
        me = greenlet.getcurrent()
        self._ready.append((me, (None, None), None))
        if me is self._main and self._in_main_thread:
            self._main_switch()
        else:
            self._loop.switch()

    def current(self):
        return greenlet.getcurrent()

    # ---- time -------------------------------------------------------------
    def now(self):
        """The hub clock in milliseconds (monotonic, cached per poll)."""
        return lib.levee_hub_now(self._h)

    def _timer(self, ms, target):
        self._token += 1
        token = self._token
        # measured from now: busy ticks without fds or timers do not
        # refresh the cached clock
        slot = self._check(lib.levee_hub_timer_add(self._h, lib.levee_hub_update_time(self._h) + ms,
                                             token))
        self._timers[token] = target
        return slot, token

    def sleep(self, ms):
        """Suspends the caller for at least ms milliseconds."""
        check_ms(ms, "Hub.sleep", optional=False)
        try:
            self._wait(ms)
        except Timeout:
            pass

    # ---- threads ----------------------------------------------------------
    def _green(self, f):
        if _native:  # the same in C: no interpreter frame under f (levee._io.Run)
            return greenlet.greenlet(_native.Run(f, _fatal), parent=self._loop)

        def run(*args, **kwargs):
            try:
                f(*args, **kwargs)
            except greenlet.GreenletExit:
                pass
            except BaseException:
                _fatal()
        return greenlet.greenlet(run, parent=self._loop)

    def spawn(self, f, *args, **kwargs):
        """Runs f(*args, **kwargs) as a green thread; it runs until it first
        blocks before spawn returns. Returns the greenlet."""
        check_callable(f, "Hub.spawn")
        g = self._green(f)
        self._ready.append((g, args, kwargs))
        self.continue_()
        return g

    def spawn_later(self, ms, f, *args, **kwargs):
        """Runs f(*args, **kwargs) as a new green thread after ms."""
        check_ms(ms, "Hub.spawn_later", optional=False)
        check_callable(f, "Hub.spawn_later")
        self._timer(ms, (f, args, kwargs))

    def spawn_every(self, iterable, f):
        """A green thread that spawns f(item) for every item of iterable."""
        check_callable(f, "Hub.spawn_every")
        iterable = iter(iterable)  # TypeError here, not in the green thread
        def every():
            for item in iterable:
                self.spawn(f, item)
        self.spawn(every)

    # ---- fds ----------------------------------------------------------------
    def register(self, fd, r=True, w=False):
        """(r_ev, w_ev) States for fd (None for a direction not asked for).
        Raises levee.Error (EEXIST) if fd is already registered."""
        _check_fd(fd, "Hub.register")
        flags = (1 if r else 0) | (2 if w else 0)
        self._check(lib.levee_hub_register(self._h, fd, flags, fd * 2, fd * 2 + 1))
        r_ev = State(self) if r else None
        w_ev = State(self) if w else None
        self._states[fd * 2], self._states[fd * 2 + 1] = r_ev, w_ev
        self.registered[fd] = (r_ev, w_ev, False)
        self._polled += 1
        return r_ev, w_ev

    def register_nopoll(self, fd, r=True, w=False):
        """States for a regular file: always ready."""
        _check_fd(fd, "Hub.register_nopoll")
        if fd in self.registered:
            raise error_for(lib.LEVEE_EEXIST)
        r_ev = State(self, True) if r else None
        w_ev = State(self, True) if w else None
        self.registered[fd] = (r_ev, w_ev, True)
        self._nopoll += 1
        return r_ev, w_ev

    def unregister(self, fd):
        """Stops watching fd, wakes its waiters with -1 and closes it on the
        next tick."""
        reg = self.registered.pop(fd, None)
        if reg is None:
            return
        r_ev, w_ev, nopoll = reg
        if nopoll:
            self._nopoll -= 1
        else:
            lib.levee_hub_unregister(self._h, fd)
            self._polled -= 1
            self._states.pop(fd * 2, None)
            self._states.pop(fd * 2 + 1, None)
        self._closing.append(fd)
        for ev in (r_ev, w_ev):
            if ev is not None:
                ev.set(-1)

    def in_use(self):
        """True while any fd is registered."""
        return lib.levee_hub_registered(self._h) + self._nopoll > 0

    # ---- the hub's own plumbing (channels): fds not counted by in_use --------
    def _register_private(self, fd):
        """A State for the readability of fd, which in_use() does not count."""
        self._check(lib.levee_hub_register(self._h, fd, lib.LEVEE_HUB_R | lib.LEVEE_HUB_PRIVATE,
                                     fd * 2, fd * 2 + 1))
        ev = State(self)
        self._states[fd * 2] = ev
        self._polled += 1  # a busy tick still polls for it
        return ev

    def _unregister_private(self, fd):
        """Forgets and closes fd now; its waiter wakes with -1."""
        ev = self._states.pop(fd * 2, None)
        if ev is None:
            return
        self._polled -= 1
        lib.levee_hub_unregister(self._h, fd)
        os.close(fd)
        ev.set(-1)

    def _check(self, rc):
        """check(rc), naming a closed hub as such (the core answers EINVAL
        to the NULL handle _close leaves)."""
        if rc < 0 and self._h == ffi.NULL:
            raise RuntimeError("levee: the hub was closed")
        return check(rc)

    def _close(self):
        """Ends the loop greenlet and frees the C hub now (a thread's hub
        when its thread ends: greenlets of a finished thread are never
        collected, nor what they hold). The hub is unusable afterwards."""
        if self._loop and not self._loop.dead and greenlet.getcurrent() is self._main:
            self._loop.throw(greenlet.GreenletExit)
        if self._core is not None:
            self._core.close()
        ffi.release(self._h)
        self._h = ffi.NULL  # the core answers EINVAL to a NULL hub, never a freed one

    # ---- the loop -----------------------------------------------------------
    def _pump(self):
        ready = self._ready
        for _ in range(len(ready)):
            entry = ready.popleft()
            if entry[2] is None:
                entry[0].switch(entry[1])
            else:
                self._pump_special(entry)
        if self._closing:
            self._close_pending()
        # While green threads are runnable, poll without waiting on every
        # tick (a thread blocked on an fd runs before the writer's write,
        # continue_ or spawn returns); skip the system call while no fd is
        # registered: then only the clock is read and timers expire, and
        # with no timer either nothing can happen (a cffi call per tick
        # costs the ping-pong about 15%; _timer reads the clock itself).
        # _polled mirrors levee_hub_registered without a call.
        events = self._events
        if not ready:
            n = lib.levee_hub_poll(self._h, -1, events, _MAX_EVENTS)
        elif not self._polled:
            if not self._timers:
                return
            n = lib.levee_hub_expire(self._h, events, _MAX_EVENTS)
        else:
            n = lib.levee_hub_poll(self._h, 0, events, _MAX_EVENTS)
        if n < 0:
            self._check(n)
        states = self._states
        for token, kind, value in _EVENT.iter_unpack(self._event_view[:n * _EVENT.size]):
            if kind == _HUB_READ or kind == _HUB_WRITE:
                state = states.get(token)
                if state is not None:
                    state.set(value)
                    continue
            self._event(token, kind, value)

    # The parts of a tick that levee._io.Loop leaves to Python.
    def _pump_special(self, entry):
        """A ready-queue entry other than a plain resume."""
        g, value, kwargs = entry
        if kwargs is _INTERRUPT:  # value: the interrupt generation
            if value == self._interrupt_gen and self._interrupt is not None:
                g.switch(None)
        else:                     # a new green thread: value is its args
            g.switch(*value, **kwargs)

    def _close_pending(self):
        """Closes the fds unregistered since the last tick."""
        closing = self._closing[:]
        del self._closing[:]   # in place: levee._io.Loop holds the list
        for fd in closing:
            try:
                os.close(fd)
            except OSError:
                pass

    def _event(self, token, kind, value):
        """An event other than the readiness of a registered fd State."""
        if kind == _HUB_TIMER:
            target = self._timers.pop(token, None)
            if target is None:
                return
            if isinstance(target, tuple):
                f, args, kwargs = target
                self._green(f).switch(*args, **kwargs)
            else:
                self._paused.pop(target, None)
                target.switch(_TIMEOUT)
        elif kind == _HUB_READ or kind == _HUB_WRITE:
            if token == _WAKEUP_TOKEN and _wakeup:
                _drain(_wakeup[0])
        elif kind == _HUB_SIGNAL:
            self.signal._deliver(int(token), value)

    # ---- message primitives -------------------------------------------------
    def pipe(self):
        """(sender, recver): unbuffered; a send parks until taken."""
        from . import message
        return message.pipe(self)

    def value(self, initial=None):
        """(sender, recver) over a sticky value."""
        from . import message
        return message.value(self, initial)

    def flag(self, initial=None):
        """(sender, recver): a one-shot latch."""
        from . import message
        return message.flag(self, initial)

    def gate(self):
        """(sender, recver): the sender is released when the recver asks
        for the next value."""
        from . import message
        return message.gate(self)

    def queue(self, size=None):
        """(sender, recver) with a buffer of size items (None: unbounded)."""
        from . import message
        return message.queue(self, size)

    def stalk(self, size=None):
        """(sender, recver): a batch queue (recver.iter/remove, len)."""
        from . import message
        return message.stalk(self, size)

    def selector(self):
        """A fan-in of redirected recvers: recv() -> (recver, value)."""
        from . import message
        return message.Selector(self)

    def router(self):
        """(sender, recver): many senders queue FIFO for one recver."""
        from . import message
        return message.router(self)

    def dealer(self):
        """(sender, recver): many recvers served in arrival order."""
        from . import message
        return message.dealer(self)

    def broadcast(self):
        """Every waiting recv gets each value of the redirected source."""
        from . import message
        return message.Broadcast(self)

    def pool(self, factory, size):
        """A pool of size items made by factory()."""
        from . import message
        return message.Pool(self, factory, size)
