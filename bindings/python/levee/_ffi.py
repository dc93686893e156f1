"""Loads liblevee for the Python binding over cffi in ABI mode.

The declarations are the levee:cdef block of levee.h, taken from
$LEVEE_HEADER, else from the header of the source tree when this package
sits in one (<tree>/bindings/python/levee), else from levee._cdef, the copy
of the block generated when the package was built and installed with it
(tools/gen-cdef). The library is $LEVEE_LIBRARY, then the in-tree build,
then the path `make install` wrote into levee/_install.py, then the
system's liblevee.so.0. `ffi` and `lib` are the two names every other
module imports; VERSION is the version of the header the declarations come
from (levee.__version__).
"""
import os
import re

import cffi

_here = os.path.dirname(os.path.abspath(__file__))


def _source_tree():
    """The source tree this package sits in, or None when installed."""
    parent, name = os.path.split(_here)
    tree, rest = os.path.split(parent)
    if name != "levee" or rest != "python" or os.path.basename(tree) != "bindings":
        return None
    tree = os.path.dirname(tree)
    return tree if os.path.isfile(os.path.join(tree, "include", "levee.h")) else None


_tree = _source_tree()


def cdef_block(path):
    """The declaration block of the header at path."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"/\* levee:cdef-begin \*/(.*?)/\* levee:cdef-end \*/", text, re.S)
    if not m:
        raise ImportError("levee: %s has no levee:cdef block" % path)
    return m.group(1)


def header_version(path):
    """The version levee.h at path declares, as "major.minor.patch"."""
    with open(path) as f:
        text = f.read()
    parts = [re.search(r"^#define LEVEE_VERSION_%s (\d+)$" % p, text, re.M) for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        raise ImportError("levee: %s has no LEVEE_VERSION_* lines" % path)
    return ".".join(m.group(1) for m in parts)


def _declarations():
    """(cdef block, its version, where it came from)."""
    header = os.environ.get("LEVEE_HEADER") or (_tree and os.path.join(_tree, "include", "levee.h"))
    if header:
        return cdef_block(header), header_version(header), header
    try:
        from . import _cdef  # generated when the package was built
    except ImportError:
        raise ImportError("levee: no declarations: levee._cdef is missing (an incomplete "
                          "install?) and LEVEE_HEADER is not set") from None
    return _cdef.CDEF, _cdef.VERSION, "levee._cdef"


def _library_path():
    env = os.environ.get("LEVEE_LIBRARY")
    if env:
        return env
    if _tree:
        built = os.path.join(_tree, "build", "liblevee.so.0")
        if os.path.isfile(built):
            return built
    try:
        from . import _install  # written by `make install`
        if os.path.isfile(_install.LIBRARY):
            return _install.LIBRARY
    except ImportError:
        pass
    return "liblevee.so.0"


def _number(version):
    major, minor, patch = (int(x) for x in version.split("."))
    return major * 10000 + minor * 100 + patch


CDEF, VERSION, SOURCE = _declarations()
ffi = cffi.FFI()
ffi.cdef(CDEF)
_path = _library_path()
try:
    lib = ffi.dlopen(_path)
except OSError as e:
    raise ImportError("levee: cannot load %s (%s); install liblevee0 or set LEVEE_LIBRARY"
                      % (_path, e)) from None

# The declarations may name functions a library older than them lacks, and
# another major version is another ABI: refuse both with a clear message
# rather than fail later on a missing symbol.
_want, _have = _number(VERSION), lib.levee_version()
if _have // 10000 != _want // 10000 or _have < _want:
    raise ImportError("levee: %s is liblevee %s, older than or incompatible with the "
                      "declarations of levee.h %s (%s)"
                      % (_path, ffi.string(lib.levee_version_string()).decode(), VERSION, SOURCE))
