"""h.thread: OS threads with hubs of their own, and the channels between
them (the Lua h.thread in Python's idiom).

    h = levee.Hub()
    r = h.thread.call(sum, [1, 2, 3])    # sum([1, 2, 3]) on another thread
    r.recv()                             # 6

    def worker(child, n):                # child: the thread's own Hub
        for v in child.parent:           # a Pair back to the parent
            child.parent.send(v * n)
    c = h.thread.spawn(worker, 2)
    c.send(21); c.recv()                 # 42

A channel (levee_chan) is the inbox of one hub: senders on any thread push
messages into it and the hub wakes on its fd. Values travel as None,
bools, ints (int64; larger ones pickled), floats, str, bytes, levee errors
(by code), levee.Buffer (its bytes move: the sender's buffer is left
empty), senders, and anything else pickled. Python threads share one
interpreter, so the function and arguments of call/spawn are handed over
directly; only messages cross a channel.
"""
import pickle
import threading

from . import message
from ._ffi import ffi, lib
from .errors import Closed, Error, check, error_for

_BATCH = 256
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _adopt_buffer(ptr):
    from .d import Buffer
    b = Buffer.__new__(Buffer)
    b._h = ffi.gc(ffi.cast("levee_buffer *", ptr), lib.levee_buffer_free)
    return b


_libc = None


def _free(ptr):
    """free(3) for d.Data memory sent by a Lua thread of this process."""
    global _libc
    if _libc is None:
        import cffi
        f = cffi.FFI()
        f.cdef("void free(void *);")
        _libc = f.dlopen(None)
    _libc.free(ptr)


def _encode(v):
    """(type, i, num, ptr, len) for a value; ptr keeps its bytes alive."""
    from .d import Buffer
    if v is None:
        return lib.LEVEE_VAL_NIL, 0, 0.0, ffi.NULL, 0
    if v is True or v is False:
        return lib.LEVEE_VAL_BOOL, int(v), 0.0, ffi.NULL, 0
    if type(v) is int and _INT64[0] <= v <= _INT64[1]:
        return lib.LEVEE_VAL_INT64, v, 0.0, ffi.NULL, 0
    if type(v) is float:
        return lib.LEVEE_VAL_NUMBER, 0, v, ffi.NULL, 0
    if type(v) is str:
        b = v.encode("utf-8", "surrogatepass")
        return lib.LEVEE_VAL_STRING, 0, 0.0, b, len(b)
    if type(v) is bytes:
        return lib.LEVEE_VAL_BYTES, 0, 0.0, v, len(v)
    if isinstance(v, Error) and lib.levee_error_get(v.code) != ffi.NULL:
        return lib.LEVEE_VAL_ERROR, v.code, 0.0, ffi.NULL, 0
    if isinstance(v, Buffer):
        return lib.LEVEE_VAL_BUFFER, 0, 0.0, v._handle(), 0
    if isinstance(v, Sender):
        return lib.LEVEE_VAL_SENDER, 0, 0.0, v._handle(), 0
    data = pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
    return lib.LEVEE_VAL_PICKLE, 0, 0.0, data, len(data)


def _decode(m):
    t = m.type
    if t == lib.LEVEE_VAL_NIL:
        return None
    if t == lib.LEVEE_VAL_BOOL:
        return m.i != 0
    if t == lib.LEVEE_VAL_INT64:
        return int(m.i)
    if t == lib.LEVEE_VAL_UINT64:
        return int(m.i) & 0xFFFFFFFFFFFFFFFF
    if t == lib.LEVEE_VAL_NUMBER:
        return float(m.num)
    if t == lib.LEVEE_VAL_STRING:
        return ffi.unpack(ffi.cast("char *", m.ptr), m.len).decode("utf-8", "surrogatepass")
    if t == lib.LEVEE_VAL_BYTES or t == lib.LEVEE_VAL_MSGPACK:
        return ffi.unpack(ffi.cast("char *", m.ptr), m.len)
    if t == lib.LEVEE_VAL_ERROR:
        return error_for(int(m.i))
    if t == lib.LEVEE_VAL_BUFFER:
        return _adopt_buffer(m.ptr)
    if t == lib.LEVEE_VAL_SENDER:
        return Sender(ffi.gc(ffi.cast("levee_chan_sender *", m.ptr), lib.levee_chan_sender_free))
    if t == lib.LEVEE_VAL_DATA:
        data = ffi.unpack(ffi.cast("char *", m.ptr), m.len)
        _free(m.ptr)
        return data
    if t == lib.LEVEE_VAL_PICKLE:
        return pickle.loads(ffi.unpack(ffi.cast("char *", m.ptr), m.len))
    return None


class Sender:
    """The sending end of a channel recver; usable from any thread."""

    __slots__ = ("_s", "__weakref__")

    def __init__(self, handle):
        self._s = handle

    def _handle(self):
        if self._s is None:
            raise Closed()
        return self._s

    def pass_(self, err, value):
        """Sends (err, value): the recver's recv raises err (a levee.Error
        travels by code; another exception travels pickled, and the value
        is dropped) or returns value. Raises Closed when the recver or its
        channel is gone."""
        code = 0
        if err is not None:
            if isinstance(err, Error) and lib.levee_error_get(err.code) != ffi.NULL:
                code = err.code
            else:
                code, value = lib.LEVEE_EUNKNOWN, _PickledError(err)
        t, i, num, ptr, n = _encode(value)
        check(lib.levee_chan_send(self._handle(), code, t, i, num, ptr, n))

    def send(self, value=None):
        """Sends value; raises Closed when the recver is gone."""
        self.pass_(None, value)

    def error(self, exc):
        """The recver's recv raises exc."""
        self.pass_(exc, None)

    def close(self):
        """True the first time, False after. The recver closes once its
        last sender is closed or collected."""
        if self._s is None:
            return False
        return lib.levee_chan_sender_close(self._s) == 0

    def connect(self, chan):
        """Binds a new recver on chan (this thread's channel), sends a
        sender for it to this sender's recver, and returns the new recver."""
        r = chan.bind()
        s = r.create_sender()
        try:
            self.send(s)
        except BaseException:
            r.close()
            raise
        finally:
            s.close()
        return r

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __eq__(self, other):
        return isinstance(other, Sender) and bool(lib.levee_chan_sender_same(self._s, other._s))

    __hash__ = object.__hash__


class _PickledError:
    """A non-levee exception passed as err: travels pickled as the value."""

    def __init__(self, exc):
        self.exc = exc


class Recver(message._Recv):
    """A recver bound on a hub's channel: recv(ms=None), iteration,
    create_sender(), close()."""

    def __init__(self, chan, rid):
        self.chan, self.id = chan, rid
        self._s, self._r = message.queue(chan.hub)
        self._thread = None  # a thread's link: joined when it closes

    def _recv(self, ms):
        err, value = self._r._recv(ms)
        if isinstance(value, _PickledError):
            return value.exc, None
        if isinstance(err, Closed) and self._thread is not None:
            self._thread.join()
            self._thread = None
        return err, value

    def create_sender(self):
        """A new Sender for this recver."""
        if self.closed or self.chan._h is None:
            raise Closed()
        out = ffi.new("levee_chan_sender **")
        check(lib.levee_chan_sender_new(out, self.chan._h, self.id))
        return Sender(ffi.gc(out[0], lib.levee_chan_sender_free))

    def close(self):
        """True the first time; senders get Closed from then on."""
        if self.closed:
            return False
        self.closed = True
        self.chan._recvers.pop(self.id, None)
        if self.chan._h is not None:
            lib.levee_chan_unbind(self.chan._h, self.id)
        self._r.close()
        return True


class Channel:
    """The inbox of one hub (h.thread.channel())."""

    def __init__(self, hub, first_id=1):
        out = ffi.new("levee_chan **")
        check(lib.levee_chan_new(out))
        self.hub, self._h = hub, ffi.gc(out[0], lib.levee_chan_free)
        self._recvers = {}
        self._next = first_id
        self._msgs = ffi.new("levee_chan_msg[]", _BATCH)
        self.fd = check(lib.levee_chan_watch_fd(self._h))
        self._ev = hub._register_private(self.fd)
        g = hub._green(self._pump_loop)
        hub._ready.append((g, (), {}))

    def _pump_loop(self):
        while self._h is not None:
            if self._ev.recv() < 0:
                break
            self.pump()

    def bind(self):
        """A new Recver on this channel."""
        if self._h is None:
            raise Closed()
        rid = self._next
        self._next += 1
        check(lib.levee_chan_bind(self._h, rid))
        r = Recver(self, rid)
        self._recvers[rid] = r
        return r

    def pump(self):
        """Hands every waiting message to its recver."""
        msgs, recvers = self._msgs, self._recvers
        while self._h is not None:
            n = check(lib.levee_chan_recv(self._h, msgs, _BATCH))
            for k in range(n):
                m = msgs[k]
                r = recvers.get(m.recver)
                if m.type == lib.LEVEE_CHAN_CLOSED:
                    if r is not None:
                        r._s.close()
                    continue
                value = _decode(m)
                if r is not None:
                    r._s.pass_(error_for(m.err) if m.err else None, value)
            if n == 0:  # only an empty answer re-arms the channel's fd
                break

    def close(self):
        """Closes every recver; senders get Closed from then on."""
        if self._h is None:
            return False
        h, self._h = self._h, None
        for r in list(self._recvers.values()):
            r.closed = True
            r._r.close()
        self._recvers.clear()
        lib.levee_chan_close(h)
        self.hub._unregister_private(self.fd)
        ffi.release(h)
        return True


def _child(f, args, reply, mode, handover):
    """The body of a thread: a hub of its own, then f."""
    from .hub import Hub
    h = inbox = chan = None
    try:
        h = Hub()
        chan = h.thread.channel()
        inbox = chan.bind()
        handover.append(inbox.create_sender())
    finally:
        handover.append(None)
        handover.ready.set()
    try:
        if mode == "spawn":
            h.parent = message.Pair(reply, inbox)
            f(h, *args)
        else:
            try:
                result = f(*args)
            except BaseException as e:  # noqa: B902 - it travels to the caller
                reply.error(e)
            else:
                reply.send(result)
    except Closed:
        pass
    finally:
        reply.close()
        inbox.close()
        chan.close()
        h.continue_()  # the channel's pump ends
        h._close()


class _Handover(list):
    def __init__(self):
        super().__init__()
        self.ready = threading.Event()


class Threads:
    """h.thread: call(f, *args), spawn(f, *args), channel()."""

    def __init__(self, hub):
        self.hub = hub
        self._chan = None

    def channel(self):
        """This hub's Channel (made on first use)."""
        if self._chan is None or self._chan._h is None:
            self._chan = Channel(self.hub)
        return self._chan

    def _start(self, mode, f, args):
        link = self.channel().bind()
        reply = link.create_sender()
        handover = _Handover()
        t = threading.Thread(target=_child, args=(f, args, reply, mode, handover),
                             name="levee.thread", daemon=True)
        link._thread = t
        t.start()
        handover.ready.wait()  # the child's hub and inbox exist (or failed)
        to_child = handover.pop(0)
        if to_child is None:
            link.close()
            t.join()
            raise Error("levee.thread: the thread could not start its hub")
        return link, to_child

    def call(self, f, *args):
        """Runs f(*args) on a new OS thread with a hub of its own; returns a
        recver whose recv() gives f's result (or raises what f raised) once
        the thread has ended."""
        link, to_child = self._start("call", f, args)
        to_child.close()
        return _Call(link)

    def spawn(self, f, *args):
        """Runs f(child_hub, *args) on a new OS thread; child_hub.parent is a
        Pair back here. Returns a Pair (send, recv, close; .sender,
        .recver) whose recv raises Closed once the thread has ended."""
        link, to_child = self._start("spawn", f, args)
        return message.Pair(to_child, link)


class _Call(message._Recv):
    """The recver of h.thread.call: recv() returns f's result once the
    thread has ended (the same answer every time)."""

    def __init__(self, link):
        self.link = link
        self._result = None

    def _recv(self, ms):
        if self._result is None:
            err, value = self.link._recv(ms)
            if not isinstance(err, Closed):
                self.link._recv(None)  # the Closed that follows the join
            self._result = (err, value)
        return self._result

    def close(self):
        return self.link.close()
