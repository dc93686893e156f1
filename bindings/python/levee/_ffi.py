"""Loads liblevee for the Python binding over cffi in ABI mode.

The declarations come verbatim from the levee:cdef block of levee.h (looked
for at $LEVEE_HEADER, then in the source tree next to this package, then at
the path `make install` wrote into levee/_install.py); the library is
$LEVEE_LIBRARY, then the in-tree build, then the system's liblevee.so.0.
`ffi` and `lib` are the two names every other module imports.
"""
import os
import re

import cffi

_here = os.path.dirname(os.path.abspath(__file__))
_tree = os.path.normpath(os.path.join(_here, "..", "..", ".."))


def _find_header():
    candidates = [os.environ.get("LEVEE_HEADER"), os.path.join(_tree, "include", "levee.h")]
    try:
        from . import _install  # written by `make install`
        candidates.append(_install.HEADER)
    except ImportError:
        pass
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    raise ImportError("levee: cannot find levee.h (set LEVEE_HEADER)")


def cdef_block(path):
    """The declaration block of the header at path."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"/\* levee:cdef-begin \*/(.*?)/\* levee:cdef-end \*/", text, re.S)
    if not m:
        raise ImportError("levee: %s has no levee:cdef block" % path)
    return m.group(1)


def _library_path():
    env = os.environ.get("LEVEE_LIBRARY")
    if env:
        return env
    built = os.path.join(_tree, "build", "liblevee.so.0")
    if os.path.isfile(built):
        return built
    return "liblevee.so.0"


HEADER = _find_header()
ffi = cffi.FFI()
ffi.cdef(cdef_block(HEADER))
lib = ffi.dlopen(_library_path())
