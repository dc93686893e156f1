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
import collections
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


# the value types, as module constants (a lib attribute lookup per message
# costs more than the rest of a send)
_NIL, _BOOL, _NUMBER, _INT64_T, _UINT64 = (lib.LEVEE_VAL_NIL, lib.LEVEE_VAL_BOOL,
                                           lib.LEVEE_VAL_NUMBER, lib.LEVEE_VAL_INT64,
                                           lib.LEVEE_VAL_UINT64)
_STRING, _BYTES, _ERROR, _BUFFER, _SENDER = (lib.LEVEE_VAL_STRING, lib.LEVEE_VAL_BYTES,
                                             lib.LEVEE_VAL_ERROR, lib.LEVEE_VAL_BUFFER,
                                             lib.LEVEE_VAL_SENDER)
_DATA, _MSGPACK, _PICKLE, _CLOSED = (lib.LEVEE_VAL_DATA, lib.LEVEE_VAL_MSGPACK,
                                     lib.LEVEE_VAL_PICKLE, lib.LEVEE_CHAN_CLOSED)
_NULL = ffi.NULL
_chan_send = lib.levee_chan_send
_Buffer = None


def _encode(v):
    """(type, i, num, ptr, len) for a value; ptr keeps its bytes alive."""
    global _Buffer
    t = type(v)
    if t is int:
        if _INT64[0] <= v <= _INT64[1]:
            return _INT64_T, v, 0.0, _NULL, 0
    elif v is None:
        return _NIL, 0, 0.0, _NULL, 0
    elif t is bool:
        return _BOOL, int(v), 0.0, _NULL, 0
    elif t is float:
        return _NUMBER, 0, v, _NULL, 0
    elif t is str:
        b = v.encode("utf-8", "surrogatepass")
        return _STRING, 0, 0.0, b, len(b)
    elif t is bytes:
        return _BYTES, 0, 0.0, v, len(v)
    elif isinstance(v, Error) and lib.levee_error_get(v.code) != _NULL:
        return _ERROR, v.code, 0.0, _NULL, 0
    elif t is Sender:
        return _SENDER, 0, 0.0, v._handle(), 0
    else:
        if _Buffer is None:
            from .d import Buffer as _Buffer
        if isinstance(v, _Buffer):
            return _BUFFER, 0, 0.0, v._handle(), 0
    data = pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
    return _PICKLE, 0, 0.0, data, len(data)


def _decode(m):
    t = m.type
    if t == _INT64_T:
        return m.i
    if t == _NIL:
        return None
    if t == _BOOL:
        return m.i != 0
    if t == _NUMBER:
        return m.num
    if t == _STRING:
        return ffi.unpack(ffi.cast("char *", m.ptr), m.len).decode("utf-8", "surrogatepass")
    if t == _BYTES or t == _MSGPACK:
        return ffi.unpack(ffi.cast("char *", m.ptr), m.len)
    if t == _UINT64:
        return m.i & 0xFFFFFFFFFFFFFFFF
    if t == _ERROR:
        return error_for(int(m.i))
    if t == _BUFFER:
        return _adopt_buffer(m.ptr)
    if t == _SENDER:
        return Sender(ffi.gc(ffi.cast("levee_chan_sender *", m.ptr), lib.levee_chan_sender_free))
    if t == _DATA:
        data = ffi.unpack(ffi.cast("char *", m.ptr), m.len)
        _free(m.ptr)
        return data
    if t == _PICKLE:
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
        check(_chan_send(self._handle(), code, t, i, num, ptr, n))

    def send(self, value=None):
        """Sends value; raises Closed when the recver is gone."""
        h = self._s
        if h is None:
            raise Closed()
        t, i, num, ptr, n = _encode(value)
        rc = _chan_send(h, 0, t, i, num, ptr, n)
        if rc < 0:
            check(rc)

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
        self.chan, self.id, self.hub = chan, rid, chan.hub
        self.items = collections.deque()
        self.sender_closed = False
        self._thread = None  # a thread's link: joined when it closes

    def _push(self, err, value):
        """A message for this recver (from the channel's pump)."""
        g = self.waiter
        if g is not None:
            self.waiter = None
            self.hub.resume(g, value, err)
        else:
            self.items.append((err, value))

    def _sender_gone(self):
        self.sender_closed = True
        g = self.waiter
        if g is not None and not self.items:
            self.waiter = None
            self.hub.resume(g, None, Closed())

    def _recv(self, ms):
        if self.items:
            err, value = self.items.popleft()
        elif self.closed or self.sender_closed:
            err, value = Closed(), None
        else:
            err, value = message._wait(self, ms, "channel recver")
        if isinstance(value, _PickledError):
            return value.exc, None
        if self._thread is not None and isinstance(err, Closed):
            self._thread.join()
            self._thread = None
        return err, value

    def __len__(self):
        return len(self.items)

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
        g = self.waiter
        if g is not None:
            self.waiter = None
            self.hub.resume(g, None, Closed())
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
        msgs, recvers, recv = self._msgs, self._recvers, lib.levee_chan_recv
        while self._h is not None:
            n = check(recv(self._h, msgs, _BATCH))
            for k in range(n):
                m = msgs[k]
                r = recvers.get(m.recver)
                if m.type == _CLOSED:
                    if r is not None:
                        r._sender_gone()
                    continue
                value = _decode(m)  # also for a recver gone: frees what it owns
                if r is not None:
                    r._push(error_for(m.err) if m.err else None, value)
            if n == 0:  # only an empty answer re-arms the channel's fd
                break

    def close(self):
        """Closes every recver; senders get Closed from then on."""
        if self._h is None:
            return False
        h, self._h = self._h, None
        for r in list(self._recvers.values()):
            r.close()
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
                try:
                    reply.send(result)
                except Closed:
                    raise
                except Exception as e:  # a result that cannot travel (unpicklable)
                    reply.error(e)
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
