"""Message primitives between green threads (levee.Hub methods; the same
semantics as the Lua binding, docs/hub.md). recv() returns the value or
raises: levee.Closed when the other end closed, levee.Timeout after ms, or
the exception a sender passed with error(). Receivers iterate until they
close or fail. Every end has close() (idempotent: False the second time)
and works as a context manager.
"""
import collections

import greenlet

from .errors import Closed, Timeout


def _me():
    return greenlet.getcurrent()


def _single(obj, what):
    if obj.waiter is not None:
        raise RuntimeError("levee: a second green thread cannot block on this %s" % what)


def _wake(obj, err, value):
    g = obj.waiter
    if g is None:
        return False
    obj.waiter = None
    obj.hub.resume(g, value, err)
    return True


def _wait(obj, ms, what):
    _single(obj, what)
    me = _me()
    obj.waiter = me
    try:
        return obj.hub._wait(ms)
    finally:
        if obj.waiter is me:
            obj.waiter = None


def check_ms(ms, where, optional=True):
    """Raises TypeError unless ms is a number of milliseconds (or None when
    optional); where names the call in the message."""
    if ms is None and optional:
        return
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        raise TypeError("levee: %s: ms must be a number%s, not %s"
                        % (where, " or None" if optional else "", type(ms).__name__))


def check_size(size, where, minimum=1, optional=True):
    """Raises TypeError / ValueError unless size is a whole number >= minimum
    (or None when optional)."""
    if size is None and optional:
        return
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("levee: %s: size must be an int%s, not %s"
                        % (where, " or None" if optional else "", type(size).__name__))
    if size < minimum:
        raise ValueError("levee: %s: size must be >= %d, got %d" % (where, minimum, size))


def check_callable(f, where, what="f"):
    """Raises TypeError unless f is callable."""
    if not callable(f):
        raise TypeError("levee: %s: %s must be callable, not %s" % (where, what, type(f).__name__))


def _check_target(target):
    if not all(hasattr(target, name) for name in ("_take", "_offer", "_closed")):
        raise TypeError("levee: redirect: target must be a selector, a broadcast or a recver, "
                        "not %s" % type(target).__name__)


def _result(pair):
    err, value = pair
    if err is not None:
        raise err
    return value


class _End:
    closed = False
    peer_closed = False
    waiter = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _release(sender, err):
    """Resumes a parked sender: its send returns, or raises err."""
    g = sender.waiter
    sender.waiter, sender.err, sender.value = None, None, None
    if g is not None:
        sender.hub.resume(g, None, err)


class _Send(_End):
    """send(v) and error(exc) are pass_(None, v) / pass_(exc, None)."""

    def send(self, value=None):
        self.pass_(None, value)

    def error(self, exc):
        self.pass_(exc, None)


def _ends(hub, sender, recver_class, *args):
    """A connected (sender, recver) pair."""
    r = recver_class(hub, sender, *args)
    sender.recver = r
    return sender, r


class _Recv(_End):
    def recv(self, ms=None):
        if ms is not None:
            check_ms(ms, "%s.recv" % type(self).__name__)
        return _result(self._recv(ms))

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except (Closed, Timeout):
            raise StopIteration from None


class Sender(_Send):
    """The sending end of a pipe (and of selector/broadcast sources)."""

    def __init__(self, hub):
        self.hub, self.recver, self.err, self.value = hub, None, None, None

    def pass_(self, err, value):
        """Hands (err, value) over: a waiting receiver runs before this
        returns; otherwise parks until taken. Raises Closed."""
        if self.closed or self.peer_closed:
            raise Closed()
        _single(self, "sender")
        r = self.recver
        if r._take(self, err, value):
            self.hub.continue_()
            return
        self.err, self.value = err, value
        self.waiter = _me()
        r._offer(self)
        _result(self.hub._wait())

    def close(self):
        """The receiving end sees Closed. When that woke a waiting receiver
        the sender yields one tick, so the receiver has seen it by the
        time close returns."""
        if self.closed:
            return False
        self.closed = True
        if self.recver._closed(self):
            self.hub.continue_()
        return True

    def _taken(self, err):
        _release(self, err)


class Recver(_Recv):
    """The receiving end of a pipe."""

    def __init__(self, hub, sender):
        self.hub, self.sender, self.pending, self.sender_closed = hub, sender, collections.deque(), False
        self.on_close = None

    def _take(self, sender, err, value):
        return _wake(self, err, value)

    def _offer(self, sender):
        self.pending.append(sender)

    def _closed(self, sender):
        """The sender closed: a waiting receiver wakes with Closed and this
        end counts as closed (its close() returns False). True when it woke
        someone."""
        self.sender_closed = True
        if _wake(self, Closed(), None):
            self.closed = True
            return True
        return False

    def _recv(self, ms):
        if self.pending:
            s = self.pending.popleft()
            pair = (s.err, s.value)
            s._taken(None)
            return pair
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "recver")

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.sender.peer_closed = True
        while self.pending:
            self.pending.popleft()._taken(Closed())
        _wake(self, Closed(), None)
        if self.on_close:
            self.on_close(self)
        return True

    def redirect(self, target):
        """The sender now delivers to target (selector, broadcast or another
        recver); this recver becomes closed."""
        _check_target(target)
        if self.closed:
            raise Closed()
        self.closed = True
        s = self.sender
        s.recver = target
        if hasattr(target, "_attach"):
            target._attach(s, self)
        # A parked value goes straight to a consumer already waiting on target.
        while self.pending:
            p = self.pending.popleft()
            if target._take(p, p.err, p.value):
                p._taken(None)
            else:
                target._offer(p)
        if self.sender_closed:
            target._closed(s)


def pipe(hub):
    return _ends(hub, Sender(hub), Recver)


class Value(_Send):
    """A sticky value: send stores it, recv returns it without consuming."""

    def __init__(self, hub, initial):
        self.hub, self.err, self.value, self.recver = hub, None, initial, None

    def pass_(self, err, value):
        if self.closed or self.peer_closed:
            raise Closed()
        self.err, self.value = err, value
        if (err is not None or value) and self.recver._notify(err, value):
            self.hub.continue_()

    def _set(self, err, value):
        self.err, self.value = err, value
        if err is not None or value:
            self.recver._notify(err, value)

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.recver._closed(self)
        return True


class ValueRecver(_Recv):
    def __init__(self, hub, sender):
        self.hub, self.sender, self.sender_closed = hub, sender, False

    def _notify(self, err, value):
        return _wake(self, err, value)

    def _closed(self, sender):
        self.sender_closed = True
        _wake(self, Closed(), None)

    def _recv(self, ms):
        if self.closed:
            return (Closed(), None)
        s = self.sender
        if s.err is not None or s.value:
            return (s.err, s.value)
        if self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "value recver")

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.sender.peer_closed = True
        _wake(self, Closed(), None)
        return True

    def redirect(self, target):
        _check_target(target)
        if self.closed:
            raise Closed()
        self.closed = True
        s = self.sender
        s.recver = target
        if hasattr(target, "_attach"):
            target._attach(s, self)
        if self.sender_closed:
            target._closed(s)


def value(hub, initial=None):
    return _ends(hub, Value(hub, initial), ValueRecver)


class Flag(_Send):
    def __init__(self, hub):
        self.hub, self.recver = hub, None

    def pass_(self, err, value):
        if self.closed or self.peer_closed:
            raise Closed()
        r = self.recver
        if not _wake(r, err, value):
            r.has, r.err, r.value = True, err, value

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.recver.sender_closed = True
        _wake(self.recver, Closed(), None)
        return True


class FlagRecver(_Recv):
    def __init__(self, hub, sender, initial):
        self.hub, self.sender, self.sender_closed = hub, sender, False
        self.has, self.err, self.value = initial is not None, None, initial

    def _recv(self, ms):
        if self.has:
            pair = (self.err, self.value)
            self.has, self.err, self.value = False, None, None
            return pair
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "flag recver")

    close = ValueRecver.close


def flag(hub, initial=None):
    return _ends(hub, Flag(hub), FlagRecver, initial)


class GateSender(_Send):
    def __init__(self, hub):
        self.hub, self.recver, self.err, self.value = hub, None, None, None

    def pass_(self, err, value):
        if self.closed or self.peer_closed:
            raise Closed()
        _single(self, "gate sender")
        r = self.recver
        self.waiter = _me()
        if _wake(r, err, value):
            r.holding = self
        else:
            self.err, self.value = err, value
            r.pending = self
        _result(self.hub._wait())

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.recver.sender_closed = True
        _wake(self.recver, Closed(), None)
        return True


class GateRecver(_Recv):
    def __init__(self, hub, sender):
        self.hub, self.sender, self.sender_closed = hub, sender, False
        self.holding = self.pending = None

    def _recv(self, ms):
        if self.holding is not None:
            _release(self.holding, None)
            self.holding = None
        s = self.pending
        if s is not None:
            self.pending, self.holding = None, s
            pair = (s.err, s.value)
            s.err = s.value = None
            return pair
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "gate recver")

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.sender.peer_closed = True
        for s in (self.holding, self.pending):
            if s is not None:
                _release(s, Closed())
        self.holding = self.pending = None
        _wake(self, Closed(), None)
        return True


def gate(hub):
    return _ends(hub, GateSender(hub), GateRecver)


class Pair(_Recv):
    """A sender and a recver used as one object."""

    def __init__(self, sender, recver):
        self.sender, self.recver = sender, recver

    def send(self, value=None):
        self.sender.send(value)

    def pass_(self, err, value):
        self.sender.pass_(err, value)

    def error(self, exc):
        self.sender.error(exc)

    def _recv(self, ms):
        return self.recver._recv(ms)

    def close(self):
        a = self.sender.close()
        b = self.recver.close()
        return a or b


class QSender(_Send):
    def __init__(self, hub):
        self.hub, self.recver = hub, None

    def pass_(self, err, value):
        """Never blocks while the buffer has room; raises Closed."""
        if self.closed or self.peer_closed:
            raise Closed()
        r = self.recver
        if r._direct and _wake(r, err, value):
            return
        while r.size is not None and len(r.items) >= r.size:
            _single(self, "queue sender")
            self.waiter = _me()
            _result(self.hub._wait())
            if r._direct and _wake(r, err, value):
                return
        r.items.append((err, value))
        if len(r.items) == 1:
            r._became_busy()
        if not r._direct:
            _wake(r, None, True)

    def close(self):
        """Queued behind the buffered items."""
        if self.closed:
            return False
        self.closed = True
        r = self.recver
        r.close_after = len(r.items)
        if not r.items:
            r.sender_closed = True
            _wake(r, Closed(), None)
        return True


class QRecver(_Recv):
    _direct = True

    def __init__(self, hub, sender, size):
        self.hub, self.sender, self.size = hub, sender, size
        self.items = collections.deque()
        self.sender_closed, self.close_after, self._empty, self.on_close = False, None, None, None

    @property
    def empty(self):
        """A Pair over a value that is True while the queue is empty."""
        if self._empty is None:
            s, r = value(self.hub, True if not self.items else None)
            self._empty = Pair(s, r)
        return self._empty

    def _became_busy(self):
        if self._empty is not None:
            self._empty.sender._set(None, None)

    def _took(self, n):
        if self.close_after is not None:
            self.close_after -= n
            if self.close_after <= 0:
                self.close_after, self.sender_closed = None, True
        if not self.items and self._empty is not None:
            self._empty.sender._set(None, True)
        s = self.sender
        if s.waiter is not None:
            g, s.waiter = s.waiter, None
            self.hub.resume(g)

    def _recv(self, ms):
        if self.items:
            pair = self.items.popleft()
            self._took(1)
            return pair
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "queue recver")

    def __len__(self):
        return len(self.items)

    def close(self):
        if self.closed:
            return False
        self.closed = True
        s = self.sender
        s.peer_closed = True
        if s.waiter is not None:
            g, s.waiter = s.waiter, None
            self.hub.resume(g, None, Closed())
        _wake(self, Closed(), None)
        if self.on_close:
            self.on_close(self)
        return True


def queue(hub, size=None):
    check_size(size, "Hub.queue")
    return _ends(hub, QSender(hub), QRecver, size)


class Stalk(QRecver):
    """recv() returns True once items are buffered, removing nothing;
    iter() walks them, remove(n) drops them, len() counts them."""

    _direct = False

    def _recv(self, ms):
        if self.items:
            return (None, True)
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "stalk recver")

    def iter(self):
        return iter([v for _, v in list(self.items)])

    def remove(self, n):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("levee: Stalk.remove: n must be an int, not %s" % type(n).__name__)
        if not 0 < n <= len(self.items):
            raise ValueError("levee: Stalk.remove: n must be in 1..%d, got %d" % (len(self.items), n))
        for _ in range(n):
            self.items.popleft()
        self._took(n)


def stalk(hub, size=None):
    check_size(size, "Hub.stalk")
    return _ends(hub, QSender(hub), Stalk, size)


class Selector(_End):
    """recv() -> (recver, value) from any recver redirected into it."""

    def __init__(self, hub):
        self.hub, self.pending, self.origin = hub, collections.deque(), {}

    def _attach(self, sender, recver):
        self.origin[sender] = recver

    def _take(self, sender, err, value):
        return _wake(self, err, (self.origin.get(sender), value))

    def _offer(self, sender):
        self.pending.append(sender)

    def _notify(self, err, value):
        return False

    def _closed(self, sender):
        if _wake(self, Closed(), (self.origin.get(sender), None)):
            self.origin.pop(sender, None)
        else:
            self.pending.append(("closed", sender))

    def recv(self, ms=None):
        """(recver, value); raises Closed (with .recver) when a source closes."""
        if ms is not None:
            check_ms(ms, "Selector.recv")
        if self.pending:
            s = self.pending.popleft()
            if isinstance(s, tuple):
                err = Closed()
                err.recver = self.origin.pop(s[1], None)
                raise err
            pair = (self.origin.get(s), s.value)
            err = s.err
            s._taken(None)
            if err is not None:
                raise err
            return pair
        err, pair = _wait(self, ms, "selector")
        if err is not None:
            if pair is not None:
                err.recver = pair[0]
            raise err
        return pair

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.recv()
        except (Closed, Timeout):
            raise StopIteration from None

    def close(self):
        return False


class RSender(_Send):
    def __init__(self, hub):
        self.hub, self.recver = hub, None

    def pass_(self, err, value):
        if self.closed or self.peer_closed:
            raise Closed()
        r = self.recver
        if _wake(r, err, value):
            self.hub.continue_()
            return
        r.waiting.append((_me(), err, value))
        _result(self.hub._wait())

    def close(self):
        if self.closed:
            return False
        self.closed = True
        r = self.recver
        r.sender_closed = True
        if not r.waiting:
            _wake(r, Closed(), None)
        return True


class RRecver(_Recv):
    def __init__(self, hub, sender):
        self.hub, self.sender, self.waiting, self.sender_closed = hub, sender, collections.deque(), False

    def _recv(self, ms):
        if self.waiting:
            g, err, value = self.waiting.popleft()
            self.hub.resume(g)
            return (err, value)
        if self.closed or self.sender_closed:
            return (Closed(), None)
        return _wait(self, ms, "router recver")

    def close(self):
        """Every queued sender raises Closed; yields one tick."""
        if self.closed:
            return False
        self.closed = True
        self.sender.peer_closed = True
        while self.waiting:
            g, _, _ = self.waiting.popleft()
            self.hub.resume(g, None, Closed())
        _wake(self, Closed(), None)
        self.hub.continue_()
        return True


def router(hub):
    return _ends(hub, RSender(hub), RRecver)


class DRecver(_Recv):
    def __init__(self, hub, sender):
        self.hub, self.sender = hub, sender
        self.pending, self.waiters, self.gone, self.sender_closed = collections.deque(), collections.deque(), set(), False

    def _take(self, sender, err, value):
        while self.waiters:
            g = self.waiters.popleft()
            if g in self.gone:
                self.gone.discard(g)
                continue
            self.hub.resume(g, value, err)
            return True
        return False

    def _offer(self, sender):
        self.pending.append(sender)

    def _closed(self, sender=None):
        """Every waiting recv gets Closed; True (and this end counts as
        closed) when that woke someone."""
        self.sender_closed = True
        woke = False
        while self.waiters:
            g = self.waiters.popleft()
            if g not in self.gone:
                self.hub.resume(g, None, Closed())
                woke = True
            self.gone.discard(g)
        if woke:
            self.closed = True
        return woke

    def _recv(self, ms):
        if self.pending:
            s = self.pending.popleft()
            pair = (s.err, s.value)
            s._taken(None)
            return pair
        if self.closed or self.sender_closed:
            return (Closed(), None)
        me = _me()
        self.waiters.append(me)
        try:
            return self.hub._wait(ms)
        except Timeout:
            self.gone.add(me)
            raise

    def close(self):
        if self.closed:
            return False
        self.closed = True
        self.sender.peer_closed = True
        while self.pending:
            self.pending.popleft()._taken(Closed())
        self._closed()
        return True


def dealer(hub):
    return _ends(hub, Sender(hub), DRecver)


class Broadcast(_Recv):
    """Every waiting recv gets each value of the source redirected into it."""

    def __init__(self, hub):
        self.hub, self.waiters, self.gone, self.source = hub, [], set(), None

    def _attach(self, sender, recver):
        self.source = sender

    def _wake_all(self, err, value):
        waiters, self.waiters = self.waiters, []
        for g in waiters:
            if g not in self.gone:
                self.hub.resume(g, value, err)
            self.gone.discard(g)
        return bool(waiters)

    def _take(self, sender, err, value):
        self._wake_all(err, value)
        return True

    def _offer(self, sender):
        sender._taken(None)

    def _notify(self, err, value):
        return self._wake_all(err, value)

    def _closed(self, sender):
        self.closed = True
        self._wake_all(Closed(), None)

    def _recv(self, ms):
        if self.closed:
            return (Closed(), None)
        src = self.source
        if isinstance(src, Value) and (src.err is not None or src.value):
            return (src.err, src.value)
        me = _me()
        self.waiters.append(me)
        try:
            return self.hub._wait(ms)
        except Timeout:
            self.gone.add(me)
            raise

    def close(self):
        if self.closed:
            return False
        self._closed(None)
        return True


class Pool:
    """size items made by factory(); recv() checks one out, send() returns it."""

    def __init__(self, hub, factory, size):
        check_callable(factory, "Hub.pool", "factory")
        check_size(size, "Hub.pool", 0, optional=False)
        self.hub, self.size = hub, size
        self.sender, self.recver = queue(hub)
        for _ in range(size):
            self.sender.send(factory())

    def recv(self, ms=None):
        if ms is not None:
            check_ms(ms, "Pool.recv")
        return self.recver.recv(ms)

    def send(self, item):
        self.sender.send(item)

    def run(self, f, *args, **kwargs):
        """f(item, *args) with an item checked out; returns f's result."""
        check_callable(f, "Pool.run")
        item = self.recver.recv()
        try:
            return f(item, *args, **kwargs)
        finally:
            self.sender.send(item)
