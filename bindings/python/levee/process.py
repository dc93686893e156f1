"""h.process: child processes for levee.Hub (the Lua h.process in Python's
idiom).

    h = levee.Hub()
    p = h.process.spawn(["sh", "-c", "echo hello"])
    p.stdout.read()        # b"hello\\n"
    p.wait()               # the Process, once it has exited
    p.exit_code            # 0

The core spawns (clone + exec, every fd above 2 closed on exec) and reaps
the child through its pidfd: a green thread per child waits for the exit,
fills exit_code / exit_sig, closes p.stdin and sends p on p.done. Only
levee's own children are reaped (subprocess keeps working beside it).
"""
import os

from ._ffi import ffi, lib
from .errors import check, error_for

_STDIO = {"pipe": lib.LEVEE_STDIO_PIPE, "inherit": lib.LEVEE_STDIO_INHERIT,
          "null": lib.LEVEE_STDIO_NULL, "close": lib.LEVEE_STDIO_CLOSE, None: lib.LEVEE_STDIO_PIPE}


def _stdio(value, name):
    if isinstance(value, str) or value is None:
        try:
            return _STDIO[value]
        except KeyError:
            raise ValueError("%s must be an fd, a file, an io or one of pipe, inherit, null, close"
                             % name) from None
    if isinstance(value, int):
        if value == -1:
            return lib.LEVEE_STDIO_CLOSE
        if value < 0:
            raise ValueError("bad fd for %s" % name)
        return value
    fd = value.no if hasattr(value, "no") else value.fileno()
    if hasattr(value, "no"):       # a levee io: children expect a blocking fd
        os.set_blocking(fd, True)
    return fd


class Process:
    """A child process. Fields: pid, args, stdin (writable IO), stdout and
    stderr (readable IOs) for the streams that are pipes, done (a recver
    that gives the Process once it has exited), exit_code and exit_sig
    (None while it runs)."""

    def __init__(self, hub, args):
        from . import message
        self.hub, self.args = hub, args
        self.pid = None
        self.stdin = self.stdout = self.stderr = None
        self.exit_code = self.exit_sig = None
        self._done_sender, recver = message.value(hub)
        self.done = message.Pair(self._done_sender, recver)
        self._handle = None

    def running(self):
        """True until the child has exited and been reaped."""
        return self.exit_code is None

    @property
    def returncode(self):
        """subprocess's convention: the exit code, -signal when a signal
        killed the child, None while it runs."""
        if self.exit_code is None:
            return None
        return -self.exit_sig if self.exit_sig else self.exit_code

    def kill(self, sig=lib.LEVEE_SIGTERM):
        """Sends sig (default SIGTERM). Raises levee's ProcessLookup error
        (ESRCH) once the child is gone."""
        check(lib.levee_process_kill(self._handle, int(sig)))

    def wait(self, ms=None):
        """Blocks the green thread until the child has exited; returns the
        Process. Raises levee.Timeout after ms."""
        return self.done.recv(ms)

    def _reap(self, ev, fd):
        while True:
            ev.recv()
            rc = lib.levee_process_wait(self._handle, 0)
            if rc != 0:
                break
        self.hub.unregister(fd)
        self.exit_code = lib.levee_process_exit_code(self._handle)
        self.exit_sig = lib.levee_process_exit_signal(self._handle)
        if self.stdin is not None:
            self.stdin.close()
        self._done_sender.send(self)

    def __repr__(self):
        if self.exit_code is None:
            return "<levee.Process pid=%d running>" % self.pid
        return "<levee.Process pid=%d done code=%d signal=%d>" % (self.pid, self.exit_code,
                                                                   self.exit_sig)


class Spawner:
    """h.process"""

    def __init__(self, hub):
        self.hub = hub

    def spawn(self, args, argv=(), stdin="pipe", stdout="pipe", stderr="pipe", env=None, cwd=None,
              pdeathsig=lib.LEVEE_SIGTERM):
        """Starts a child. args is the argument list (its first item the
        program, looked up in PATH unless it holds a '/'), or the program
        name with argv holding the rest. stdin, stdout, stderr: "pipe" (the
        default: p.stdin / p.stdout / p.stderr), "inherit", "null"
        (/dev/null), "close", an fd, a file or a levee io. env: a dict that
        replaces the environment; cwd: the child's directory. pdeathsig
        (default SIGTERM; 0 for none): sent to the child when the OS thread
        that spawned it ends, or when the Process is collected while the
        child runs. Raises the error that kept the program from running
        (levee.FileNotFound, levee.PermissionDenied, ...)."""
        if isinstance(args, (str, bytes)):
            args = [args]
        args = [a if isinstance(a, bytes) else os.fsencode(str(a)) for a in list(args) + list(argv)]
        if not args:
            raise ValueError("h.process.spawn: no program")
        cargv = [ffi.new("char[]", a) for a in args]
        argv_arr = ffi.new("const char *[]", cargv + [ffi.NULL])
        envp = ffi.NULL
        keep = []
        if env is not None:
            keep = [ffi.new("char[]", os.fsencode("%s=%s" % (k, v))) for k, v in sorted(env.items())]
            envp = ffi.new("const char *[]", keep + [ffi.NULL])
        stdio = ffi.new("int32_t[3]", [_stdio(stdin, "stdin"), _stdio(stdout, "stdout"),
                                       _stdio(stderr, "stderr")])
        out = ffi.new("levee_process **")
        rc = lib.levee_process_spawn(out, cargv[0], argv_arr, envp,
                                     os.fsencode(cwd) if cwd is not None else ffi.NULL, stdio,
                                     int(pdeathsig or 0))
        if rc < 0:
            raise error_for(rc, ffi.string(lib.levee_last_message()).decode(errors="replace"))
        hub = self.hub
        p = Process(hub, [os.fsdecode(a) for a in args])
        p._handle = ffi.gc(out[0], lib.levee_process_free)
        p.pid = lib.levee_process_pid(p._handle)
        for i, field in enumerate(("stdin", "stdout", "stderr")):
            fd = lib.levee_process_take_fd(p._handle, i)
            if fd >= 0:
                setattr(p, field, hub.io.w(fd) if i == 0 else hub.io.r(fd))
        fd = check(lib.levee_process_watch_fd(p._handle))
        try:
            ev, _ = hub.register(fd, True, False)
        except BaseException:
            os.close(fd)
            raise
        # the reaper starts on the next tick; spawn itself does not yield
        g = hub._green(p._reap)
        hub._ready.append((g, (ev, fd), {}))
        return p

    def respawn(self, argv=(), **options):
        """Runs this interpreter again (sys.executable and sys.argv) with
        argv appended."""
        import sys
        return self.spawn([sys.executable] + sys.argv + list(argv), **options)
