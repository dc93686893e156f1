"""levee: a toolkit for fast network appliances, over liblevee (cffi).

    import levee
    buf = levee.Buffer()
    buf.write(b"hello")
    bytes(buf)  # b"hello"

Green threads, streams, JSON and HTTP live in submodules that are imported
here as they land; see docs/python.md.
"""
from ._ffi import ffi, lib
from .errors import (Error, Timeout, Closed, SystemError, ConnectionRefused, ConnectionReset,
                     BrokenPipe, FileNotFound, PermissionDenied, AddressError, TLSError,
                     JSONError, HTTPError, DNSError)


def version():
    """The loaded library's version string, e.g. "0.1.0"."""
    return ffi.string(lib.levee_version_string()).decode()
