"""h.signal(sig, ...): signal deliveries as a recver, the levee form.

    h = levee.Hub()
    r = h.signal(levee.signal.SIGTERM)
    for sig in r:          # each delivery gives the signal number
        ...
        r.close()          # unsubscribes

The C hub counts every delivery in each subscribed hub (a process-wide
handler owns the signal while any hub is subscribed), so every recver gets
every delivery; when the last recver of a signal closes, the signal's
previous action (Python's handler, the default) is back. Python's own
`signal.signal` handlers keep working besides: a hub made in the main
thread wakes for them, so they run at once even while the hub waits.
"""
from ._ffi import ffi, lib
from .errors import error_for


def _numbers():
    out = {}
    for sig in range(1, 65):
        name = lib.levee_signal_name(sig)
        if name != ffi.NULL:
            out[ffi.string(name).decode()] = sig
    return out


#: Signal numbers by name ("SIGTERM": 15 ...), from the core.
NUMBERS = _numbers()
globals().update({name: n for name, n in NUMBERS.items() if "+" not in name})


def number(sig):
    """The number of sig: an int, a name ("SIGTERM" or "TERM") or a
    signal.Signals member."""
    if isinstance(sig, str):
        n = NUMBERS.get(sig) or NUMBERS.get("SIG" + sig)
        if n is None:
            raise ValueError("unknown signal %r" % sig)
        return n
    return int(sig)


def name(sig):
    """The name of signal number sig ("SIGTERM"), or None."""
    s = lib.levee_signal_name(int(sig))
    return None if s == ffi.NULL else ffi.string(s).decode()


class Signals:
    """h.signal: call it with one or more signals to get a recver."""

    def __init__(self, hub):
        self.hub = hub
        self.registered = {}  # sig -> [queue sender]
        self.reverse = {}     # recver -> [sig]

    def __call__(self, *sigs):
        """A queue recver that gets the signal number of every delivery of
        any of sigs; recv() blocks, close() unsubscribes. Raises
        levee.Error (EINVAL) for a signal levee cannot take (SIGKILL,
        SIGSEGV ...), subscribing nothing."""
        from . import message
        sigs = [number(s) for s in sigs]
        if not sigs:
            raise TypeError("h.signal: at least one signal")
        for sig in sigs:
            if sig not in self.registered:
                rc = lib.levee_hub_signal(self.hub._h, sig, 1)
                if rc < 0:
                    self._release_unused()
                    raise error_for(rc, "signal %d" % sig)
                self.registered[sig] = []
                self.hub._polled += 1  # a busy tick still polls for deliveries
        sender, recver = message.queue(self.hub)
        for sig in sigs:
            self.registered[sig].append(sender)
        self.reverse[recver] = sigs
        recver.on_close = self._unsubscribe
        return recver

    def _release_unused(self):
        for sig in [s for s, lst in self.registered.items() if not lst]:
            lib.levee_hub_signal(self.hub._h, sig, 0)
            del self.registered[sig]
            self.hub._polled -= 1

    def _unsubscribe(self, recver):
        sigs = self.reverse.pop(recver, None)
        if sigs is None:
            return
        for sig in sigs:
            lst = self.registered.get(sig)
            if lst is not None:
                lst[:] = [s for s in lst if s is not recver.sender]
        self._release_unused()

    def _deliver(self, sig, count):
        for s in self.registered.get(sig, ()):
            for _ in range(count):
                s.send(sig)
