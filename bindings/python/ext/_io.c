/* levee._io: the hot paths of the Python binding's I/O in C.
 *
 * The pure-Python binding (levee/hub.py, levee/io.py) spends most of an
 * echo round trip in the interpreter and in cffi: per round trip two
 * Python method calls, three cffi calls and the hub's dispatch loop in
 * Python. This module runs the same steps in C, calling liblevee directly
 * (the copy levee._ffi loaded: the module links the soname):
 *
 *   State      the fd readiness latch of levee.hub (same fields, same
 *              recv/set); a wait with no timeout outside the main greenlet
 *              switches straight to the hub's loop greenlet.
 *   IOBase     the base of levee.io.IO: read() and write() of bytes, the
 *              would-block wait included; every other case calls the
 *              Python method it mirrors (_failed, _write_rest, _read_py).
 *   Loop       the hub's scheduler loop (Hub._pump): runs the ready queue,
 *              polls, and wakes the waiter of each fd event; timers,
 *              signals, interrupts and new green threads go to Python.
 *   Run        the body of every green thread (Hub._green): calls its
 *              function; GreenletExit ends it, anything else is fatal.
 *   h1_step    the HTTP server's one call per head (levee_h1_step) with
 *              the head handed back as Python values, and h1_reply.
 *
 * Greenlets are switched through their Python API (g.switch). Behaviour
 * is that of the pure-Python code, which stays the fallback
 * (LEVEE_PURE_PYTHON=1 or no compiled module) and is tested as well.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#include "levee.h"

/* greenlet's C API (greenlet.h ships in the greenlet package; the
 * Makefile puts its directory on the include path): getcurrent and switch
 * without a Python call each. Without the header, or when the capsule
 * does not load, the module calls greenlet through its Python API. */
#if defined(__has_include)
#if __has_include(<greenlet.h>)
#include <greenlet.h>
#define HAVE_GREENLET_API 1
#endif
#endif
#ifndef HAVE_GREENLET_API
#define HAVE_GREENLET_API 0
#endif

/* Greenlets switch by copying the C stack between the switch and the
 * greenlet's start (memcpy): the redzones AddressSanitizer puts around
 * the locals of frames on that stack would be reported as overflows. So
 * the frames of this module that can sit under a switch (everything that
 * calls Python code or switches) are not instrumented; their heap
 * accesses and everything they call still are. */
#if defined(__SANITIZE_ADDRESS__)
#define NOASAN __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOASAN __attribute__((no_sanitize_address))
#endif
#endif
#ifndef NOASAN
#define NOASAN
#endif

static PyObject *getcurrent;   /* greenlet.getcurrent */
static PyObject *exc_closed;   /* levee.Closed */
static PyObject *exc_timeout;  /* levee.Timeout */
static PyObject *check_ms;     /* levee.message.check_ms */
static PyObject *check_rc;     /* levee.errors.check */
static PyObject *TIMEOUT;      /* the resume marker of an expired timer */
static PyObject *exc_greenlet_exit; /* greenlet.GreenletExit */
/* What a waiter on an fd State is resumed with, (None, value): shared
 * for the values of nearly every wake-up (1 ready, -1 hang-up), so a
 * wake-up allocates no tuple. */
static PyObject *resume_ready, *resume_hangup;

static PyObject *s_switch, *s_wait, *s_write_rest, *s_write_py, *s_read_py, *s_continue,
    *s_popleft, *s_polled, *s_close_pending, *s_pump_special, *s_cancel_pause,
    *s_wake_now, *s_recv, *s_loop, *s_main, *s_in_main_thread;

/* Reads land here and are copied into a bytes object at once: no Python
 * code runs in between, and the GIL is held throughout. */
#define SCRATCH 65536
static char scratch[SCRATCH];

#define WRITE_STREAK 16

static int ready(void) {
  if (getcurrent == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "levee._io: init() was not called");
    return 0;
  }
  return 1;
}

/* PyObject_CallMethodNoArgs / OneArg, whose inline versions in the
 * CPython headers put an array on the stack (instrumented). */
NOASAN static PyObject *call_method0(PyObject *o, PyObject *name) {
  PyObject *a[1] = {o};
  return PyObject_VectorcallMethod(name, a, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

NOASAN static PyObject *call_method1(PyObject *o, PyObject *name, PyObject *x) {
  PyObject *a[2] = {o, x};
  return PyObject_VectorcallMethod(name, a, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *greenlet_type;   /* greenlet.greenlet */
static PyObject *greenlet_switch; /* greenlet.greenlet.switch, the unbound method */
static int greenlet_api;          /* greenlet's C API is loaded (and is that greenlet's) */
static PyObject *no_args;         /* () */

NOASAN static PyObject *current(void) {
#if HAVE_GREENLET_API
  if (greenlet_api) return (PyObject *)PyGreenlet_GetCurrent();
#endif
  return PyObject_CallNoArgs(getcurrent);
}

/* g.switch(arg), or g.switch() for NULL. A plain greenlet switches through
 * the C API when the argument can be its argument tuple as it is (NULL:
 * (); a tuple of other than one item, which the receiver gets back as
 * it is), else through the unbound method, which skips a method lookup
 * per switch. */
NOASAN static PyObject *gswitch(PyObject *g, PyObject *arg) {
  PyObject *args[3] = {NULL, g, arg};
  if ((PyObject *)Py_TYPE(g) == greenlet_type) {
#if HAVE_GREENLET_API
    if (greenlet_api && (arg == NULL || (PyTuple_CheckExact(arg) && PyTuple_GET_SIZE(arg) != 1)))
      return PyGreenlet_Switch((PyGreenlet *)g, arg ? arg : no_args, NULL);
#endif
    return PyObject_Vectorcall(greenlet_switch, args + 1, arg ? 2 : 1, NULL);
  }
  return PyObject_VectorcallMethod(s_switch, args + 1,
                                   (arg ? 2 : 1) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

NOASAN static int raise_new(PyObject *cls) {
  PyObject *e = PyObject_CallNoArgs(cls);
  if (e != NULL) {
    PyErr_SetObject(cls, e);
    Py_DECREF(e);
  }
  return -1;
}

/* (None, value) for a State's waiter: a new reference, or NULL. */
static PyObject *resume_args(PyObject *value) {
  if (PyLong_CheckExact(value)) {
    int overflow;
    long v = PyLong_AsLongAndOverflow(value, &overflow);
    if (v == 1 && !overflow) return Py_NewRef(resume_ready);
    if (v == -1 && !overflow) return Py_NewRef(resume_hangup);
  }
  return PyTuple_Pack(2, Py_None, value);
}

/* The hub's loop (below): the events of the last poll and how far their
 * dispatch went, shared by the loop greenlet and the green threads that
 * hand over to the next waiter directly (see handoff). */
typedef struct {
  PyObject_HEAD
  PyObject *hub, *ready, *closing, *timers, *states, *paused;
  levee_hub *h;
  levee_event *events;
  int max;
  int cursor, count; /* events[cursor..count) are still to dispatch */
} Loop;

static PyTypeObject LoopType;

/* ------------------------------------------------------------------ State */

typedef struct {
  PyObject_HEAD
  PyObject *hub;
  PyObject *waiter; /* None or the greenlet waiting */
  PyObject *value;  /* the latched value while has */
  PyObject *loop;   /* hub._loop */
  PyObject *main;   /* hub._main when the hub belongs to the main thread, else None */
  PyObject *core;   /* hub._core: the Loop, or None */
  char has, nopoll;
} State;

static PyTypeObject StateType;

NOASAN static int state_init(State *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"hub", "nopoll", NULL};
  PyObject *hub;
  int nopoll = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:State", names, &hub, &nopoll)) return -1;
  PyObject *loop = PyObject_GetAttr(hub, s_loop);
  if (loop == NULL) return -1;
  PyObject *main = PyObject_GetAttr(hub, s_main);
  if (main == NULL) {
    Py_DECREF(loop);
    return -1;
  }
  PyObject *inmain = PyObject_GetAttr(hub, s_in_main_thread);
  int im = inmain ? PyObject_IsTrue(inmain) : -1;
  Py_XDECREF(inmain);
  if (im < 0) {
    Py_DECREF(loop);
    Py_DECREF(main);
    return -1;
  }
  if (!im) {
    Py_DECREF(main);
    main = Py_NewRef(Py_None);
  }
  PyObject *core = PyObject_GetAttrString(hub, "_core");
  if (core == NULL || Py_TYPE(core) != &LoopType) {
    PyErr_Clear();
    Py_XDECREF(core);
    core = Py_NewRef(Py_None);
  }
  Py_XSETREF(self->core, core);
  Py_INCREF(hub);
  Py_XSETREF(self->hub, hub);
  Py_XSETREF(self->loop, loop);
  Py_XSETREF(self->main, main);
  Py_XSETREF(self->waiter, Py_NewRef(Py_None));
  Py_XSETREF(self->value, Py_NewRef(Py_None));
  self->has = 0;
  self->nopoll = (char)nopoll;
  return 0;
}

static int state_traverse(State *self, visitproc visit, void *arg) {
  Py_VISIT(self->hub);
  Py_VISIT(self->waiter);
  Py_VISIT(self->value);
  Py_VISIT(self->loop);
  Py_VISIT(self->main);
  Py_VISIT(self->core);
  return 0;
}

static int state_clear(State *self) {
  Py_CLEAR(self->hub);
  Py_CLEAR(self->waiter);
  Py_CLEAR(self->value);
  Py_CLEAR(self->loop);
  Py_CLEAR(self->main);
  Py_CLEAR(self->core);
  return 0;
}

static void state_dealloc(State *self) {
  PyObject_GC_UnTrack(self);
  state_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int state_fire(State *self, PyObject *value, PyObject *paused);

/* The caller (a green thread) parks: rather than switching to the loop
 * greenlet, which would switch on to the waiter of the next fd event of
 * its batch, go on with that batch here and switch to that waiter at
 * once: one switch per hand-over instead of two. Readiness nobody waits
 * for is latched on the way; any other event (a timer, a signal, a
 * waiter with a timeout, a Python State) is left to the loop. Returns
 * what the caller is resumed with. */
NOASAN static PyObject *handoff(State *self) {
  Loop *L = (Loop *)self->core;
  if ((PyObject *)L != Py_None) {
    while (L->cursor < L->count) {
      levee_event *e = &L->events[L->cursor];
      if (e->kind != LEVEE_HUB_READ && e->kind != LEVEE_HUB_WRITE) break;
      PyObject *key = PyLong_FromUnsignedLongLong(e->token);
      if (key == NULL) return NULL;
      PyObject *st = PyDict_GetItemWithError(L->states, key);
      Py_DECREF(key);
      if (st == NULL) {
        if (PyErr_Occurred()) return NULL;
        break;
      }
      if (Py_TYPE(st) != &StateType) break;
      State *t = (State *)st;
      if (t->waiter != Py_None && PyDict_GET_SIZE(L->paused) > 0) break;
      L->cursor++;
      PyObject *v = PyLong_FromLong(e->value);
      if (v == NULL) return NULL;
      if (t->waiter == Py_None) {   /* latch */
        t->has = 1;
        Py_SETREF(t->value, v);
        continue;
      }
      PyObject *g = t->waiter;     /* its reference is now ours */
      t->waiter = Py_NewRef(Py_None);
      PyObject *tup = resume_args(v);
      Py_DECREF(v);
      if (tup == NULL) {
        Py_DECREF(g);
        return NULL;
      }
      PyObject *got = gswitch(g, tup);
      Py_DECREF(tup);
      Py_DECREF(g);
      return got;
    }
  }
  return gswitch(self->loop, NULL);
}

/* State.recv: 1 when ready, -1 on hang-up, error or unregister; Timeout
 * after ms. A new reference, or NULL with an exception. */
NOASAN static PyObject *state_wait(State *self, PyObject *ms) {
  if (ms != Py_None) {
    PyObject *r = PyObject_CallFunction(check_ms, "Os", ms, "State.recv");
    if (r == NULL) return NULL;
    Py_DECREF(r);
  }
  if (self->has) {
    PyObject *v = self->value;
    self->value = Py_NewRef(Py_None);
    self->has = 0;
    return v;
  }
  if (self->nopoll) return PyLong_FromLong(1);
  if (self->waiter != Py_None) {
    PyErr_SetString(PyExc_RuntimeError,
                    "levee: a second green thread cannot wait on the same fd state");
    return NULL;
  }
  PyObject *me = current();
  if (me == NULL) return NULL;
  Py_SETREF(self->waiter, Py_NewRef(me));
  PyObject *got;
  if (ms == Py_None && me != self->main) {
    /* Hub._wait without a timer, for a green thread other than main */
    got = handoff(self);
    if (got == TIMEOUT) {
      Py_DECREF(got);
      got = NULL;
      raise_new(exc_timeout);
    }
  } else {
    got = call_method1(self->hub, s_wait, ms);
  }
  if (self->waiter == me) Py_SETREF(self->waiter, Py_NewRef(Py_None));
  Py_DECREF(me);
  if (got == NULL) return NULL;
  PyObject *v;
  if (PyTuple_Check(got) && PyTuple_GET_SIZE(got) == 2) {
    v = Py_NewRef(PyTuple_GET_ITEM(got, 1));
  } else {
    v = PySequence_GetItem(got, 1);
  }
  Py_DECREF(got);
  return v;
}

NOASAN static PyObject *state_recv(State *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
  PyObject *ms = Py_None;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs + nkw > 1 || (nkw == 1 && !_PyUnicode_EqualToASCIIString(
                                           PyTuple_GET_ITEM(kwnames, 0), "ms"))) {
    PyErr_SetString(PyExc_TypeError, "State.recv() takes one optional argument: ms");
    return NULL;
  }
  if (nargs + nkw == 1) ms = args[0];
  return state_wait(self, ms);
}

/* Wakes the waiter from the hub's loop greenlet (Hub._wake_now there), or
 * latches value. 0, or -1 with an exception. */
NOASAN static int state_fire(State *self, PyObject *value, PyObject *paused) {
  PyObject *g = self->waiter;
  if (g == Py_None) {
    self->has = 1;
    Py_SETREF(self->value, Py_NewRef(value));
    return 0;
  }
  self->waiter = Py_NewRef(Py_None);   /* g's reference is now ours */
  if (PyDict_GET_SIZE(paused) > 0) {
    PyObject *r = call_method1(self->hub, s_cancel_pause, g);
    if (r == NULL) {
      Py_DECREF(g);
      return -1;
    }
    Py_DECREF(r);
  }
  PyObject *t = resume_args(value);
  if (t == NULL) {
    Py_DECREF(g);
    return -1;
  }
  PyObject *r = gswitch(g, t);
  Py_DECREF(t);
  Py_DECREF(g);
  if (r == NULL) return -1;
  Py_DECREF(r);
  return 0;
}

NOASAN static PyObject *state_set(State *self, PyObject *value) {
  PyObject *g = self->waiter;
  if (g == Py_None) {
    self->has = 1;
    Py_SETREF(self->value, Py_NewRef(value));
    Py_RETURN_NONE;
  }
  self->waiter = Py_NewRef(Py_None);
  PyObject *t = resume_args(value);
  if (t == NULL) {
    Py_DECREF(g);
    return NULL;
  }
  PyObject *args[3] = {self->hub, g, t};
  PyObject *r = PyObject_VectorcallMethod(s_wake_now, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                          NULL);
  Py_DECREF(t);
  Py_DECREF(g);
  return r;
}

static PyMethodDef state_methods[] = {
    {"recv", (PyCFunction)(void (*)(void))state_recv, METH_FASTCALL | METH_KEYWORDS,
     "recv(ms=None): 1 when ready, -1 on hang-up, error or unregister; raises Timeout."},
    {"set", (PyCFunction)state_set, METH_O, "set(value): wakes the waiter, or latches value."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef state_members[] = {
    {"hub", T_OBJECT, offsetof(State, hub), READONLY, NULL},
    {"waiter", T_OBJECT, offsetof(State, waiter), 0, NULL},
    {"value", T_OBJECT, offsetof(State, value), 0, NULL},
    {"has", T_BOOL, offsetof(State, has), 0, NULL},
    {"nopoll", T_BOOL, offsetof(State, nopoll), 0, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyTypeObject StateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "levee._io.State",
    .tp_basicsize = sizeof(State),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "State(hub, nopoll=False): an fd readiness latch (levee.hub.State in C).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)state_init,
    .tp_dealloc = (destructor)state_dealloc,
    .tp_traverse = (traverseproc)state_traverse,
    .tp_clear = (inquiry)state_clear,
    .tp_methods = state_methods,
    .tp_members = state_members,
};

/* ev.recv(ms): inline for a State */
NOASAN static PyObject *ev_recv(PyObject *ev, PyObject *ms) {
  if (Py_TYPE(ev) == &StateType) return state_wait((State *)ev, ms);
  return call_method1(ev, s_recv, ms);
}

/* ----------------------------------------------------------------- IOBase */

typedef struct {
  PyObject_HEAD
  levee_stream *s;
  PyObject *hub, *r_ev, *w_ev, *timeout;
  char closed, r_error;
  int streak;
} IOBase;

static int io_traverse(IOBase *self, visitproc visit, void *arg) {
  Py_VISIT(self->hub);
  Py_VISIT(self->r_ev);
  Py_VISIT(self->w_ev);
  Py_VISIT(self->timeout);
  return 0;
}

static int io_clear(IOBase *self) {
  Py_CLEAR(self->hub);
  Py_CLEAR(self->r_ev);
  Py_CLEAR(self->w_ev);
  Py_CLEAR(self->timeout);
  return 0;
}

static void io_dealloc(IOBase *self) {
  PyObject_GC_UnTrack(self);
  io_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *io_bind(IOBase *self, PyObject *addr) {
  void *p = PyLong_AsVoidPtr(addr);
  if (p == NULL && PyErr_Occurred()) return NULL;
  self->s = (levee_stream *)p;
  Py_RETURN_NONE;
}

/* self.<name>(*args) through the Python implementation */
NOASAN static PyObject *delegate(PyObject *self, PyObject *name, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames) {
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  PyObject *stack[8];
  if (nargs + nkw + 1 > 8) {
    PyErr_SetString(PyExc_TypeError, "levee._io: too many arguments");
    return NULL;
  }
  stack[0] = self;
  for (Py_ssize_t i = 0; i < nargs + nkw; i++) stack[i + 1] = args[i];
  return PyObject_VectorcallMethod(name, stack, (size_t)(nargs + 1), kwnames);
}

NOASAN static PyObject *io_read(IOBase *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames) {
  Py_ssize_t n = SCRATCH;
  if (kwnames != NULL || nargs > 1 || self->s == NULL || self->r_ev == NULL ||
      self->timeout == NULL || !ready())
    return delegate((PyObject *)self, s_read_py, args, nargs, kwnames);
  if (nargs == 1) {
    if (!PyLong_CheckExact(args[0])) return delegate((PyObject *)self, s_read_py, args, nargs, NULL);
    n = PyLong_AsSsize_t(args[0]);
    if (n <= 0 || n > SCRATCH) {
      PyErr_Clear();
      return delegate((PyObject *)self, s_read_py, args, nargs, NULL);
    }
  }
  if (self->closed) {
    raise_new(exc_closed);
    return NULL;
  }
  /* The last read drained the fd and no readiness came since (the latch
   * is empty): wait first, as if a read had answered LEVEE_WANT_READ,
   * rather than make the system call that would (an echo's read right
   * after its write). */
  int64_t rc = LEVEE_WANT_READ;
  int park = !self->r_error && Py_TYPE(self->r_ev) == &StateType &&
             !((State *)self->r_ev)->has && levee_stream_drained(self->s);
  for (;;) {
    if (!park) {
      rc = levee_stream_read(self->s, scratch, (size_t)n);
      if (rc > 0) return PyBytes_FromStringAndSize(scratch, (Py_ssize_t)rc);
    }
    park = 0;
    if (rc == LEVEE_WANT_READ && !self->r_error) {
      self->streak = 0;
      PyObject *ev = Py_NewRef(self->r_ev);
      PyObject *v = ev_recv(ev, self->timeout);
      Py_DECREF(ev);
      if (v == NULL) return NULL;
      int neg = PyLong_Check(v) && PyLong_AsLong(v) < 0;
      Py_DECREF(v);
      if (neg) self->r_error = 1;
    } else {
      PyObject *r = PyObject_CallMethod((PyObject *)self, "_failed", "L", (long long)rc);
      if (r == NULL) return NULL;
      Py_DECREF(r);
    }
  }
}

NOASAN static PyObject *io_write(IOBase *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames) {
  if (kwnames != NULL || nargs != 1 || self->s == NULL || self->hub == NULL || !ready() ||
      !PyBytes_CheckExact(args[0]))
    return delegate((PyObject *)self, s_write_py, args, nargs, kwnames);
  if (self->closed) {
    raise_new(exc_closed);
    return NULL;
  }
  PyObject *data = args[0];
  Py_ssize_t total = PyBytes_GET_SIZE(data);
  int64_t rc = levee_stream_write(self->s, PyBytes_AS_STRING(data), (size_t)total);
  if (rc == total) {
    if (++self->streak >= WRITE_STREAK) {
      self->streak = 0;
      PyObject *hub = Py_NewRef(self->hub);
      PyObject *r = call_method0(hub, s_continue);
      Py_DECREF(hub);
      if (r == NULL) return NULL;
      Py_DECREF(r);
    }
    return PyLong_FromSsize_t(total);
  }
  /* the rest as the Python write does it: _write_rest(data, total, rc) */
  PyObject *t = PyLong_FromSsize_t(total), *r = PyLong_FromLongLong(rc);
  PyObject *out = NULL;
  if (t != NULL && r != NULL) {
    PyObject *stack[4] = {(PyObject *)self, data, t, r};
    out = PyObject_VectorcallMethod(s_write_rest, stack, 4, NULL);
  }
  Py_XDECREF(t);
  Py_XDECREF(r);
  return out;
}

static PyMethodDef io_methods[] = {
    {"_bind", (PyCFunction)io_bind, METH_O, "_bind(address): the levee_stream * to move bytes through."},
    {"read", (PyCFunction)(void (*)(void))io_read, METH_FASTCALL | METH_KEYWORDS,
     "read(n=65536): up to n bytes (at least 1); see levee.io.IO.read."},
    {"write", (PyCFunction)(void (*)(void))io_write, METH_FASTCALL | METH_KEYWORDS,
     "write(data): writes all of data; see levee.io.IO.write."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef io_members[] = {
    {"hub", T_OBJECT, offsetof(IOBase, hub), 0, NULL},
    {"r_ev", T_OBJECT, offsetof(IOBase, r_ev), 0, NULL},
    {"w_ev", T_OBJECT, offsetof(IOBase, w_ev), 0, NULL},
    {"timeout", T_OBJECT, offsetof(IOBase, timeout), 0, NULL},
    {"closed", T_BOOL, offsetof(IOBase, closed), 0, NULL},
    {"r_error", T_BOOL, offsetof(IOBase, r_error), 0, NULL},
    {"_streak", T_INT, offsetof(IOBase, streak), 0, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyTypeObject IOBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "levee._io.IOBase",
    .tp_basicsize = sizeof(IOBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C base of levee.io.IO: read() and write() of bytes.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)io_dealloc,
    .tp_traverse = (traverseproc)io_traverse,
    .tp_clear = (inquiry)io_clear,
    .tp_methods = io_methods,
    .tp_members = io_members,
};

/* ------------------------------------------------------------------- Loop */

static int loop_init(Loop *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"hub", "handle", "events", "max", NULL};
  PyObject *hub, *ha, *ea;
  int max;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOi:Loop", names, &hub, &ha, &ea, &max)) return -1;
  levee_hub *h = (levee_hub *)PyLong_AsVoidPtr(ha);
  levee_event *ev = (levee_event *)PyLong_AsVoidPtr(ea);
  if (PyErr_Occurred()) return -1;
  if (h == NULL || ev == NULL || max <= 0) {
    PyErr_SetString(PyExc_ValueError, "Loop: NULL hub or events, or max <= 0");
    return -1;
  }
  PyObject *ready = PyObject_GetAttrString(hub, "_ready");
  PyObject *closing = PyObject_GetAttrString(hub, "_closing");
  PyObject *timers = PyObject_GetAttrString(hub, "_timers");
  PyObject *states = PyObject_GetAttrString(hub, "_states");
  PyObject *paused = PyObject_GetAttrString(hub, "_paused");
  if (!ready || !closing || !timers || !states || !paused || !PyList_CheckExact(closing) ||
      !PyDict_CheckExact(timers) || !PyDict_CheckExact(states) || !PyDict_CheckExact(paused)) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "Loop: the hub's queues have the wrong types");
    Py_XDECREF(ready);
    Py_XDECREF(closing);
    Py_XDECREF(timers);
    Py_XDECREF(states);
    Py_XDECREF(paused);
    return -1;
  }
  Py_INCREF(hub);
  Py_XSETREF(self->hub, hub);
  Py_XSETREF(self->ready, ready);
  Py_XSETREF(self->closing, closing);
  Py_XSETREF(self->timers, timers);
  Py_XSETREF(self->states, states);
  Py_XSETREF(self->paused, paused);
  self->h = h;
  self->events = ev;
  self->max = max;
  self->cursor = self->count = 0;
  return 0;
}

static int loop_traverse(Loop *self, visitproc visit, void *arg) {
  Py_VISIT(self->hub);
  Py_VISIT(self->ready);
  Py_VISIT(self->closing);
  Py_VISIT(self->timers);
  Py_VISIT(self->states);
  Py_VISIT(self->paused);
  return 0;
}

static int loop_clear(Loop *self) {
  Py_CLEAR(self->hub);
  Py_CLEAR(self->ready);
  Py_CLEAR(self->closing);
  Py_CLEAR(self->timers);
  Py_CLEAR(self->states);
  Py_CLEAR(self->paused);
  return 0;
}

static void loop_dealloc(Loop *self) {
  PyObject_GC_UnTrack(self);
  loop_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* hub._event(token, kind, value): the events handled in Python */
NOASAN static int py_event(Loop *self, levee_event *e) {
  PyObject *r = PyObject_CallMethod(self->hub, "_event", "Kii", (unsigned long long)e->token,
                                    (int)e->kind, (int)e->value);
  if (r == NULL) return -1;
  Py_DECREF(r);
  return 0;
}

/* One tick of Hub._pump. 0, or -1 with an exception. */
NOASAN static int pump(Loop *self) {
  PyObject *hub = self->hub;
  Py_ssize_t n = PyObject_Length(self->ready);
  if (n < 0) return -1;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *item = call_method0(self->ready, s_popleft);
    if (item == NULL) return -1;
    PyObject *r;
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 3 &&
        PyTuple_GET_ITEM(item, 2) == Py_None) {
      r = gswitch(PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1));
    } else {
      r = call_method1(hub, s_pump_special, item);
    }
    Py_DECREF(item);
    if (r == NULL) return -1;
    Py_DECREF(r);
  }
  if (PyList_GET_SIZE(self->closing) > 0) {
    PyObject *r = call_method0(hub, s_close_pending);
    if (r == NULL) return -1;
    Py_DECREF(r);
  }
  n = PyObject_Length(self->ready);
  if (n < 0) return -1;
  int got;
  if (n == 0) {
    Py_BEGIN_ALLOW_THREADS
    got = levee_hub_poll(self->h, -1, self->events, self->max);
    Py_END_ALLOW_THREADS
  } else {
    PyObject *polled = PyObject_GetAttr(hub, s_polled);
    if (polled == NULL) return -1;
    int busy = PyObject_IsTrue(polled);
    Py_DECREF(polled);
    if (busy < 0) return -1;
    if (busy) {
      got = levee_hub_poll(self->h, 0, self->events, self->max);
    } else {
      if (PyDict_GET_SIZE(self->timers) == 0) return 0;
      got = levee_hub_expire(self->h, self->events, self->max);
    }
  }
  if (got < 0) {
    PyObject *r = PyObject_CallFunction(check_rc, "i", got);
    Py_XDECREF(r);
    return -1;
  }
  self->cursor = 0;
  self->count = got;
  /* a signal ended the wait: its Python handler runs now, in this greenlet */
  if (PyErr_CheckSignals() < 0) {
    self->count = 0;
    return -1;
  }
  /* the green threads woken here may dispatch events of the batch
   * themselves (handoff): the cursor is shared */
  while (self->cursor < self->count) {
    levee_event *e = &self->events[self->cursor++];
    if (e->kind == LEVEE_HUB_READ || e->kind == LEVEE_HUB_WRITE) {
      PyObject *key = PyLong_FromUnsignedLongLong(e->token);
      if (key == NULL) goto fail;
      PyObject *st = PyDict_GetItemWithError(self->states, key);
      Py_DECREF(key);
      if (st == NULL && PyErr_Occurred()) goto fail;
      if (st != NULL && st != Py_None) {
        Py_INCREF(st);
        int rc;
        if (Py_TYPE(st) == &StateType) {
          PyObject *v = PyLong_FromLong(e->value);
          rc = v ? state_fire((State *)st, v, self->paused) : -1;
          Py_XDECREF(v);
        } else {
          PyObject *r = PyObject_CallMethod(st, "set", "i", (int)e->value);
          rc = r ? 0 : -1;
          Py_XDECREF(r);
        }
        Py_DECREF(st);
        if (rc < 0) goto fail;
        continue;
      }
    }
    if (py_event(self, e) < 0) goto fail;
  }
  return 0;
fail:
  self->count = 0; /* the loop ends: nobody dispatches the rest */
  return -1;
}

NOASAN static PyObject *loop_run(Loop *self, PyObject *unused) {
  (void)unused;
  if (!ready()) return NULL;
  Py_INCREF(self);
  for (;;) {
    if (self->h == NULL) {
      PyErr_SetString(PyExc_RuntimeError, "levee: the hub was closed");
      Py_DECREF(self);
      return NULL;
    }
    if (pump(self) < 0) {
      Py_DECREF(self);
      return NULL;
    }
  }
}

/* Forgets the C hub (Hub._close frees it): run() refuses to tick after. */
static PyObject *loop_close(Loop *self, PyObject *unused) {
  (void)unused;
  self->h = NULL;
  self->cursor = self->count = 0;
  Py_RETURN_NONE;
}

static PyMethodDef loop_methods[] = {
    {"run", (PyCFunction)loop_run, METH_NOARGS, "run(): ticks forever (the hub's loop greenlet)."},
    {"close", (PyCFunction)loop_close, METH_NOARGS, "close(): forgets the C hub, which is freed next."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject LoopType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "levee._io.Loop",
    .tp_basicsize = sizeof(Loop),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Loop(hub, handle, events, max): the scheduler loop of a levee.Hub.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)loop_init,
    .tp_dealloc = (destructor)loop_dealloc,
    .tp_traverse = (traverseproc)loop_traverse,
    .tp_clear = (inquiry)loop_clear,
    .tp_methods = loop_methods,
};

/* -------------------------------------------------------------------- Run */

/* Run(f, fatal): the body of a green thread (Hub._green). Called with the
 * arguments the green thread starts with, it calls f with them; a
 * GreenletExit ends it quietly and any other exception goes to
 * fatal(exc), which prints it and ends the process. It is the Python
 * closure Hub._green makes without the compiled module, in C: greenlet
 * copies a green thread's C stack, from where it started up to where it
 * switches, out to the heap and back on every switch, and the closure
 * put an interpreter frame (about 430 bytes) under every green thread's
 * own code for that copy. */
typedef struct {
  PyObject_HEAD
  PyObject *f, *fatal;
} Run;

static int run_init(Run *self, PyObject *args, PyObject *kw) {
  PyObject *f, *fatal;
  if (kw != NULL && PyDict_GET_SIZE(kw) > 0) {
    PyErr_SetString(PyExc_TypeError, "Run() takes no keyword arguments");
    return -1;
  }
  if (!PyArg_UnpackTuple(args, "Run", 2, 2, &f, &fatal)) return -1;
  if (!PyCallable_Check(f) || !PyCallable_Check(fatal)) {
    PyErr_SetString(PyExc_TypeError, "Run(f, fatal): both must be callable");
    return -1;
  }
  Py_INCREF(f);
  Py_INCREF(fatal);
  Py_XSETREF(self->f, f);
  Py_XSETREF(self->fatal, fatal);
  return 0;
}

static int run_traverse(Run *self, visitproc visit, void *arg) {
  Py_VISIT(self->f);
  Py_VISIT(self->fatal);
  return 0;
}

static int run_clear(Run *self) {
  Py_CLEAR(self->f);
  Py_CLEAR(self->fatal);
  return 0;
}

static void run_dealloc(Run *self) {
  PyObject_GC_UnTrack(self);
  run_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

NOASAN static PyObject *run_call(Run *self, PyObject *args, PyObject *kw) {
  if (self->f == NULL || !ready()) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "levee._io: Run() was not initialised");
    return NULL;
  }
  PyObject *r = PyObject_Call(self->f, args, kw);
  if (r != NULL) {
    Py_DECREF(r);
    Py_RETURN_NONE;
  }
  if (PyErr_ExceptionMatches(exc_greenlet_exit)) {
    PyErr_Clear();
    Py_RETURN_NONE;
  }
  PyObject *t, *v, *tb;
  PyErr_Fetch(&t, &v, &tb);
  PyErr_NormalizeException(&t, &v, &tb);
  if (tb != NULL && v != NULL) PyException_SetTraceback(v, tb);
  Py_XDECREF(t);
  Py_XDECREF(tb);
  PyObject *fatal = Py_NewRef(self->fatal);
  PyObject *out = PyObject_CallOneArg(fatal, v ? v : Py_None);
  Py_DECREF(fatal);
  Py_XDECREF(v);
  if (out == NULL) return NULL;
  Py_DECREF(out);
  Py_RETURN_NONE;
}

static PyMemberDef run_members[] = {
    {"f", T_OBJECT, offsetof(Run, f), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyTypeObject RunType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "levee._io.Run",
    .tp_basicsize = sizeof(Run),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Run(f, fatal): a green thread's body: f(*args, **kwargs); GreenletExit ends it, "
              "any other exception goes to fatal(exc).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)run_init,
    .tp_dealloc = (destructor)run_dealloc,
    .tp_traverse = (traverseproc)run_traverse,
    .tp_clear = (inquiry)run_clear,
    .tp_call = (ternaryfunc)run_call,
    .tp_members = run_members,
};

/* -------------------------------------------------------------- HTTP/1.1 */

/* The record, token array and pack buffer of levee.http.wire (one per
 * process: a head is turned into Python values right after the call). */
static levee_h1_msg *h1_msg;
static levee_http_token *h1_toks;
static uint32_t h1_cap;
static uint8_t *h1_pack;
static size_t h1_pack_cap;

static int address_of(PyObject *o, void **out) {
  *out = PyLong_AsVoidPtr(o);
  if (*out == NULL) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "levee._io: NULL handle");
    return -1;
  }
  return 0;
}

/* h1_step(h, s, ready): levee_h1_step into the shared record. HEAD gives
 * (parts, length, id, version, body, flags), parts being the packed head
 * split at NUL as bytes.split(b"\0") does; anything else the int code
 * (the record's flags carry the state for NEED). */
static PyObject *h1_step(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
  (void)m;
  void *h, *st;
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "h1_step(h, s, ready)");
    return NULL;
  }
  if (h1_msg == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "levee._io: h1_init() was not called");
    return NULL;
  }
  if (address_of(args[0], &h) < 0 || address_of(args[1], &st) < 0) return NULL;
  long ready = PyLong_AsLong(args[2]);
  if (ready == -1 && PyErr_Occurred()) return NULL;
  int rc = levee_h1_step((levee_h1 *)h, (levee_stream *)st, (int32_t)ready, h1_msg, h1_toks, h1_cap,
                         h1_pack, h1_pack_cap);
  if (rc != LEVEE_H1_HEAD) return PyLong_FromLong(rc);
  const char *p = (const char *)h1_pack, *end = p + h1_msg->packed;
  PyObject *parts = PyList_New(0);
  if (parts == NULL) return NULL;
  for (;;) {
    const char *z = memchr(p, 0, (size_t)(end - p));
    const char *stop = z ? z : end;
    PyObject *b = PyBytes_FromStringAndSize(p, stop - p);
    if (b == NULL || PyList_Append(parts, b) < 0) {
      Py_XDECREF(b);
      Py_DECREF(parts);
      return NULL;
    }
    Py_DECREF(b);
    if (z == NULL) break;
    p = z + 1;
  }
  const levee_h1_msg *g = h1_msg;
  return Py_BuildValue("(NKIIiI)", parts, (unsigned long long)g->length, g->id, g->version,
                       (int)g->body, g->flags);
}

/* h1_reply(h, id, status, reason, fields, body, kind, length, flags):
 * levee_h1_reply; reason None or bytes, fields bytes, body bytes-like. */
static PyObject *h1_reply(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
  (void)m;
  void *h;
  if (nargs != 9) {
    PyErr_SetString(PyExc_TypeError,
                    "h1_reply(h, id, status, reason, fields, body, kind, length, flags)");
    return NULL;
  }
  if (address_of(args[0], &h) < 0) return NULL;
  unsigned long id = PyLong_AsUnsignedLong(args[1]);
  unsigned long status = PyLong_AsUnsignedLong(args[2]);
  long kind = PyLong_AsLong(args[6]);
  unsigned long long length = PyLong_AsUnsignedLongLong(args[7]);
  unsigned long flags = PyLong_AsUnsignedLong(args[8]);
  if (PyErr_Occurred()) return NULL;
  const char *reason = NULL;
  Py_ssize_t reason_len = 0;
  if (args[3] != Py_None && PyBytes_AsStringAndSize(args[3], (char **)&reason, &reason_len) < 0)
    return NULL;
  char *fields;
  Py_ssize_t fields_len;
  if (PyBytes_AsStringAndSize(args[4], &fields, &fields_len) < 0) return NULL;
  int rc;
  if (PyBytes_CheckExact(args[5])) {
    rc = levee_h1_reply((levee_h1 *)h, (uint32_t)id, (uint32_t)status, reason, (size_t)reason_len,
                        fields, (size_t)fields_len, (const uint8_t *)PyBytes_AS_STRING(args[5]),
                        (size_t)PyBytes_GET_SIZE(args[5]), (int32_t)kind, length, (uint32_t)flags);
  } else {
    Py_buffer body;
    if (PyObject_GetBuffer(args[5], &body, PyBUF_SIMPLE) < 0) return NULL;
    rc = levee_h1_reply((levee_h1 *)h, (uint32_t)id, (uint32_t)status, reason, (size_t)reason_len,
                        fields, (size_t)fields_len, (const uint8_t *)body.buf, (size_t)body.len,
                        (int32_t)kind, length, (uint32_t)flags);
    PyBuffer_Release(&body);
  }
  return PyLong_FromLong(rc);
}

/* h1_init(msg, toks, cap, pack, pack_cap): the addresses of the shared
 * record, token array and pack buffer. */
static PyObject *h1_init(PyObject *m, PyObject *args) {
  (void)m;
  PyObject *ma, *ta, *pa;
  unsigned int cap;
  Py_ssize_t pcap;
  if (!PyArg_ParseTuple(args, "OOIOn:h1_init", &ma, &ta, &cap, &pa, &pcap)) return NULL;
  void *mp, *tp, *pp;
  if (address_of(ma, &mp) < 0 || address_of(ta, &tp) < 0 || address_of(pa, &pp) < 0) return NULL;
  if (cap == 0 || pcap <= 0) {
    PyErr_SetString(PyExc_ValueError, "h1_init: empty token array or pack buffer");
    return NULL;
  }
  h1_msg = mp;
  h1_toks = tp;
  h1_cap = cap;
  h1_pack = pp;
  h1_pack_cap = (size_t)pcap;
  Py_RETURN_NONE;
}

/* ----------------------------------------------------------------- module */

static PyObject *object(PyObject *d, const char *name) {
  PyObject *v = PyDict_GetItemString(d, name);
  if (v == NULL) PyErr_Format(PyExc_KeyError, "levee._io.init: no %s", name);
  return Py_XNewRef(v);
}

static PyObject *mod_init(PyObject *m, PyObject *d) {
  if (!PyDict_Check(d)) {
    PyErr_SetString(PyExc_TypeError, "levee._io.init takes a dict");
    return NULL;
  }
  PyObject *gt = object(d, "greenlet");
  PyObject *gsw = gt ? PyObject_GetAttr(gt, s_switch) : NULL;
  if (gsw == NULL) {
    Py_XDECREF(gt);
    return NULL;
  }
  Py_XSETREF(greenlet_type, gt);
  Py_XSETREF(greenlet_switch, gsw);
  greenlet_api = 0;
#if HAVE_GREENLET_API
  PyGreenlet_Import();
  if (_PyGreenlet_API == NULL)
    PyErr_Clear();
  else
    greenlet_api = (PyObject *)&PyGreenlet_Type == greenlet_type;
#endif
  if (PyObject_SetAttrString(m, "greenlet_c_api", greenlet_api ? Py_True : Py_False) < 0) return NULL;
  PyObject *gc = object(d, "getcurrent"), *cl = object(d, "Closed"), *to = object(d, "Timeout"),
           *cm = object(d, "check_ms"), *ck = object(d, "check"), *ge = object(d, "GreenletExit");
  if (!gc || !cl || !to || !cm || !ck || !ge) {
    Py_XDECREF(ge);
    Py_XDECREF(gc);
    Py_XDECREF(cl);
    Py_XDECREF(to);
    Py_XDECREF(cm);
    Py_XDECREF(ck);
    return NULL;
  }
  Py_XSETREF(getcurrent, gc);
  Py_XSETREF(exc_closed, cl);
  Py_XSETREF(exc_timeout, to);
  Py_XSETREF(check_ms, cm);
  Py_XSETREF(check_rc, ck);
  Py_XSETREF(exc_greenlet_exit, ge);
  Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
    {"h1_init", (PyCFunction)h1_init, METH_VARARGS,
     "h1_init(msg, toks, cap, pack, pack_cap): the shared HTTP record and buffers (addresses)."},
    {"h1_step", (PyCFunction)(void (*)(void))h1_step, METH_FASTCALL,
     "h1_step(h, s, ready): levee_h1_step; HEAD as (parts, length, id, version, body, flags)."},
    {"h1_reply", (PyCFunction)(void (*)(void))h1_reply, METH_FASTCALL,
     "h1_reply(h, id, status, reason, fields, body, kind, length, flags): levee_h1_reply."},
    {"init", (PyCFunction)mod_init, METH_O,
     "init(dict): the Python objects the module uses (greenlet, getcurrent, GreenletExit, Closed, Timeout, check_ms, check)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, "levee._io",
    "The hot paths of levee's Python I/O in C (State, IOBase, Loop).", -1, mod_methods,
    NULL, NULL, NULL, NULL};

#define INTERN(var, text)                          \
  do {                                             \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL; \
  } while (0)

PyMODINIT_FUNC PyInit__io(void) {
  INTERN(s_switch, "switch");
  INTERN(s_wait, "_wait");
  INTERN(s_write_rest, "_write_rest");
  INTERN(s_write_py, "_write_py");
  INTERN(s_read_py, "_read_py");
  INTERN(s_continue, "continue_");
  INTERN(s_popleft, "popleft");
  INTERN(s_polled, "_polled");
  INTERN(s_close_pending, "_close_pending");
  INTERN(s_pump_special, "_pump_special");
  INTERN(s_cancel_pause, "_cancel_pause");
  INTERN(s_wake_now, "_wake_now");
  INTERN(s_recv, "recv");
  INTERN(s_loop, "_loop");
  INTERN(s_main, "_main");
  INTERN(s_in_main_thread, "_in_main_thread");
  if (PyType_Ready(&StateType) < 0 || PyType_Ready(&IOBaseType) < 0 ||
      PyType_Ready(&LoopType) < 0 || PyType_Ready(&RunType) < 0)
    return NULL;
  PyObject *m = PyModule_Create(&moddef);
  if (m == NULL) return NULL;
  no_args = PyTuple_New(0);
  if (no_args == NULL) return NULL;
  PyObject *one = PyLong_FromLong(1), *minus_one = PyLong_FromLong(-1);
  resume_ready = one ? PyTuple_Pack(2, Py_None, one) : NULL;
  resume_hangup = minus_one ? PyTuple_Pack(2, Py_None, minus_one) : NULL;
  Py_XDECREF(one);
  Py_XDECREF(minus_one);
  if (resume_ready == NULL || resume_hangup == NULL) return NULL;
  TIMEOUT = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
  if (TIMEOUT == NULL || PyModule_AddObjectRef(m, "TIMEOUT", TIMEOUT) < 0 ||
      PyModule_AddObjectRef(m, "State", (PyObject *)&StateType) < 0 ||
      PyModule_AddObjectRef(m, "IOBase", (PyObject *)&IOBaseType) < 0 ||
      PyModule_AddObjectRef(m, "Loop", (PyObject *)&LoopType) < 0 ||
      PyModule_AddObjectRef(m, "Run", (PyObject *)&RunType) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
