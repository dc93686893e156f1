"""The levee.h block loads in cffi and names exactly the library's exported
levee_* functions."""
import os
import re
import subprocess

import cffi

from levee import _ffi


def declared():
    block = re.sub(r"/\*.*?\*/", "", _ffi.cdef_block(_ffi.HEADER), flags=re.S)
    return set(re.findall(r"(levee_\w+)\s*\(", block))


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", _ffi._library_path()],
                         capture_output=True, text=True, check=True).stdout
    return {f[2].split("@")[0] for f in (l.split() for l in out.splitlines())
            if len(f) == 3 and f[1] in "TW"}


def test_block_loads_in_a_fresh_cffi():
    fresh = cffi.FFI()
    fresh.cdef(_ffi.cdef_block(_ffi.HEADER))
    lib = fresh.dlopen(_ffi._library_path())
    for name in declared():
        assert getattr(lib, name) is not None


def test_declared_functions_equal_exported_symbols():
    exp = exported()
    assert all(n.startswith("levee_") for n in exp), sorted(n for n in exp if not n.startswith("levee_"))
    assert declared() == exp


def test_version():
    import levee
    assert levee.version() == "0.1.0"
    assert _ffi.lib.levee_version() == 100
