"""The levee.h block loads in cffi and names exactly the library's exported
levee_* functions; the loader reports the versions and refuses a library
older than its declarations."""
import os
import re
import subprocess
import sys

import cffi

from levee import _ffi


def declared():
    block = re.sub(r"/\*.*?\*/", "", _ffi.CDEF, flags=re.S)
    return set(re.findall(r"(levee_\w+)\s*\(", block))


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", _ffi._library_path()],
                         capture_output=True, text=True, check=True).stdout
    return {f[2].split("@")[0] for f in (l.split() for l in out.splitlines())
            if len(f) == 3 and f[1] in "TW"}


def test_block_loads_in_a_fresh_cffi():
    fresh = cffi.FFI()
    fresh.cdef(_ffi.CDEF)
    lib = fresh.dlopen(_ffi._library_path())
    for name in declared():
        assert getattr(lib, name) is not None


def test_declared_functions_equal_exported_symbols():
    exp = exported()
    assert all(n.startswith("levee_") for n in exp), sorted(n for n in exp if not n.startswith("levee_"))
    assert declared() == exp


HEADER = os.environ.get("LEVEE_HEADER") or os.path.join(
    os.path.dirname(__file__), "..", "..", "include", "levee.h")


def test_versions_are_the_headers():
    import levee
    major, minor, patch = (int(x) for x in _ffi.header_version(HEADER).split("."))
    assert levee.version() == levee.__version__ == "%d.%d.%d" % (major, minor, patch)
    assert _ffi.lib.levee_version() == major * 10000 + minor * 100 + patch


def _import_with_header(tmp_path, major_delta, minor_delta):
    """Imports levee in a child whose declarations claim another version."""
    text = open(HEADER).read()
    for part, delta in (("MAJOR", major_delta), ("MINOR", minor_delta)):
        text = re.sub(r"^(#define LEVEE_VERSION_%s )(\d+)$" % part,
                      lambda m: m.group(1) + str(int(m.group(2)) + delta), text, flags=re.M)
    header = tmp_path / "levee.h"
    header.write_text(text)
    env = dict(os.environ, LEVEE_HEADER=str(header))
    return subprocess.run([sys.executable, "-c", "import levee; print(levee.__version__)"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_loader_refuses_a_library_older_than_its_declarations(tmp_path):
    r = _import_with_header(tmp_path, 0, 1)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "older than or incompatible" in r.stderr


def test_loader_refuses_declarations_of_the_next_major_version(tmp_path):
    r = _import_with_header(tmp_path, 1, 0)
    assert r.returncode != 0
    assert "older than or incompatible" in r.stderr


def test_loader_accepts_declarations_of_the_same_version(tmp_path):
    r = _import_with_header(tmp_path, 0, 0)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == _ffi.header_version(HEADER)
