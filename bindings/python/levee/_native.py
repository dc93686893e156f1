"""The compiled hot paths of levee.hub and levee.io (the module levee._io,
bindings/python/ext/_io.c): `io` is that module, ready to use, or None.

None when the module is not built or installed (a pure-Python install) or
when the environment sets LEVEE_PURE_PYTHON=1; hub and io then run their
Python code, which behaves the same (the test suite runs both).
"""
import os

import greenlet

from .errors import Closed, Timeout, check
from .message import check_ms

io = None
if not os.environ.get("LEVEE_PURE_PYTHON"):
    try:  # after _ffi (levee/__init__): the module links the liblevee _ffi loaded
        from . import _io as io
    except ImportError:
        io = None
if io is not None:
    io.init({"greenlet": greenlet.greenlet, "getcurrent": greenlet.getcurrent,
             "GreenletExit": greenlet.GreenletExit, "Closed": Closed, "Timeout": Timeout, "check_ms": check_ms, "check": check})
