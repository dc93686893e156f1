import contextlib
import gc
import os
import subprocess
import sys
import tempfile

# Use the in-tree binding even when the environment was not set up.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))

import pytest  # noqa: E402

import levee  # noqa: E402

# A sanitizer run preloads libasan into this interpreter (tests/run-all);
# peers the tests start (curl, nginx) must not inherit it: curl hangs with it.
PEER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def fds():
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def h():
    """A hub that must end with no fd registered and no fd leaked (test
    files that need a plain hub define their own h)."""
    gc.collect()   # hubs of earlier tests close their fds now, not mid-test
    hub = levee.Hub()
    before = fds()
    yield hub
    hub.continue_()
    hub.continue_()
    assert not hub.in_use()
    assert fds() == before


def curl(h, *args):
    """Runs curl without blocking the hub: (exit status, stdout, stderr)."""
    r, w = os.pipe()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(["curl", "-sS", "--max-time", "20", *args], stdout=w, stderr=err,
                         env=PEER_ENV)
    os.close(w)
    out = []
    with h.io.r(r) as rd:
        while True:
            try:
                out.append(rd.read())
            except levee.Closed:
                break
    rc = p.wait()
    err.seek(0)
    text = err.read().decode()
    err.close()
    return rc, b"".join(out), text


def echo(conn):
    """Writes back everything conn sends until it closes (then closes it)."""
    with conn:
        while True:
            try:
                data = conn.read()
            except levee.Closed:
                return
            conn.write(data)


def read_all(conn):
    """Everything conn sends until it closes."""
    out = []
    while True:
        try:
            out.append(conn.read())
        except levee.Closed:
            return b"".join(out)


@contextlib.contextmanager
def busy(hub):
    """While the block runs, a green thread of hub stays runnable (it calls
    continue_() in a loop), so every tick of the hub is a busy one."""
    spinning = [True]

    def spin():
        while spinning[0]:
            hub.continue_()
    hub.spawn(spin)
    try:
        yield
    finally:
        spinning[0] = False
        hub.continue_()
