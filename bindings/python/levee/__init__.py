"""levee: a toolkit for fast network appliances, over liblevee (cffi).

    import levee
    buf = levee.Buffer()
    buf.write(b"hello")
    bytes(buf)  # b"hello"

Green threads (levee.Hub), JSON (levee.json) and the rest live in
submodules loaded on first use; each has its page under docs/.
"""
import os as _os

from ._ffi import ffi, lib, VERSION as __version__
from . import _ffi

# Compiled extension modules (levee._json_ext): installed inside this
# package; in a source tree, built beside the library that _ffi loaded
# (<build>/bindings/python/levee, see the Makefile), so a sanitizer build
# pairs with its own extension. Packages without them run pure Python.
if _ffi._tree and _os.path.isabs(_ffi._path):
    __path__.append(_os.path.join(_os.path.dirname(_ffi._path), "bindings", "python", "levee"))
from .errors import (Error, Timeout, Closed, SystemError, ConnectionRefused, ConnectionReset,
                     BrokenPipe, FileNotFound, PermissionDenied, AddressError, TLSError,
                     TLSConfigError, TLSHandshakeError, TLSVerifyError,
                     JSONError, HTTPError, DNSError, UTF8Error, URIError)


def version():
    """The loaded library's version string, e.g. "0.1.0". __version__ is the
    version of the declarations the binding was built with; the loader
    refuses a library older than them, so version() >= __version__."""
    return ffi.string(lib.levee_version_string()).decode()


# Names that live in submodules, imported on first use so `import levee`
# stays cheap and each capability loads only when a program touches it.
_LAZY = {
    "Buffer": ("levee.d", "Buffer"),
    "Iovec": ("levee.d", "Iovec"),
    "Hub": ("levee.hub", "Hub"),
}
_SUBMODULES = ("d", "hub", "json", "http", "sys", "io", "dns", "tls", "uri", "utf8", "hash", "process",
               "signal", "thread")


def __getattr__(name):
    import importlib
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in _SUBMODULES:
        value = importlib.import_module("levee." + name)
    else:
        raise AttributeError("module 'levee' has no attribute %r" % name)
    globals()[name] = value
    return value
