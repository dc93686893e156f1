import contextlib
import os
import sys

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
    hub = levee.Hub()
    before = fds()
    yield hub
    hub.continue_()
    hub.continue_()
    assert not hub.in_use()
    assert fds() == before


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
