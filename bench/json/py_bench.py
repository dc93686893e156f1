"""levee.json beside the standard library (and ujson, or orjson), same
bytes, same run; median MB/s of several interleaved runs, timed in process
CPU time so other load on the machine does not count.

Usage: python3 bench/json/py_bench.py DATA_DIR [runs] [orjson]

Without "orjson": loads (str and bytes input) beside json.loads and
ujson.loads, and dumps beside json.dumps. With "orjson" (run it under an
interpreter that has orjson and cffi): loads(bytes) and dumps beside
orjson.loads / orjson.dumps and json.dumps. Both print first which path
levee.json took (the compiled levee._json_ext, or marshal when it is not
importable under this interpreter), and the "marshal" column measures the
marshal path in the same run (levee.json with the extension switched off).

loads results are dropped at once, as a server drops a request's value.
The extension holds the cyclic collector off while it builds a value (its
objects cannot form cycles), where the others let it run every 700 new
containers: "loads, no gc" runs everything with gc.disable(), to show the
parse-and-build speed alone."""
import gc
import json
import os
import statistics
import sys
import time

import levee.json as lj

DATA = sys.argv[1] if len(sys.argv) > 1 else "tests/data/json/bench"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 9
ORJSON = len(sys.argv) > 3 and sys.argv[3] == "orjson"
FILES = ("canada.json", "citm_catalog.json", "twitter.json")


def rate(f, x, size):
    n, t0 = 0, time.process_time()
    while True:
        f(x)
        n += 1
        dt = time.process_time() - t0
        if dt > 0.2:
            return size * n / dt / 1e6


def measure(fns, x, size):
    r = {k: [] for k in fns}
    for _ in range(RUNS):  # interleaved so machine load hits all alike
        for k, f in fns.items():
            r[k].append(rate(f, x, size))
    return {k: statistics.median(v) for k, v in r.items()}


def pure(f):
    """f with levee.json's extension switched off (the marshal path)."""
    def call(x):
        ext, lj._ext = lj._ext, None
        try:
            return f(x)
        finally:
            lj._ext = ext
    return call


def nogc(f):
    """f with the cyclic collector disabled."""
    def call(x):
        gc.disable()
        try:
            return f(x)
        finally:
            gc.enable()
    return call


print("levee.json path: %s (Python %s)" % (
    "extension " + os.path.basename(lj._ext.__file__) if lj._ext else "marshal (no extension)",
    sys.version.split()[0]))


def load(name):
    with open(os.path.join(DATA, name), "rb") as f:
        b = f.read()
    assert lj.loads(b) == json.loads(b)
    return b


if ORJSON:
    import orjson
    print("%-18s %-12s %9s %9s %9s %9s %8s %8s" % (
        "file", "op", "levee", "marshal", "orjson", "stdlib", "/orjson", "/stdlib"))
    for name in FILES:
        b = load(name)
        v = json.loads(b)
        out = len(lj.dumps(v).encode())
        for op, fns, x, size in (
                ("loads", (lj.loads, orjson.loads, json.loads), b, len(b)),
                ("loads, no gc", (nogc(lj.loads), nogc(orjson.loads), nogc(json.loads)), b, len(b)),
                ("dumps", (lj.dumps, orjson.dumps, json.dumps), v, out)):
            levee, ref, std = fns
            fns = {"levee": levee, "orjson": ref, "stdlib": std}
            if lj._ext:
                fns["marshal"] = pure(levee)
            m = measure(fns, x, size)
            print("%-18s %-12s %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f" % (
                name, op, m["levee"], m.get("marshal", float("nan")), m["orjson"], m["stdlib"],
                m["levee"] / m["orjson"], m["levee"] / m["stdlib"]))
    sys.exit(0)

try:
    import ujson
    uloads = ujson.loads
except ImportError:  # bench-deps installs python3-ujson
    uloads = None

print("%-18s %-12s %9s %9s %9s %8s %8s" % ("file", "op", "levee", "stdlib", "ujson", "/stdlib", "/ujson"))
for name in FILES:
    b = load(name)
    s = b.decode("utf-8")
    v = json.loads(b)
    for label, x in (("loads(str)", s), ("loads(bytes)", b)):
        fns = {"levee": lj.loads, "stdlib": json.loads}
        if uloads:
            fns["ujson"] = uloads
        m = measure(fns, x, len(b))
        u = m.get("ujson", float("nan"))
        print("%-18s %-12s %9.1f %9.1f %9.1f %8.2f %8.2f" % (
            name, label, m["levee"], m["stdlib"], u, m["levee"] / m["stdlib"], m["levee"] / u))
    out = len(lj.dumps(v).encode())
    fns = {"levee": lj.dumps, "stdlib": json.dumps}
    if lj._ext:
        fns["marshal"] = pure(lj.dumps)
    m = measure(fns, v, out)
    print("%-18s %-12s %9.1f %9.1f %9s %8.2f %8s   marshal path %.1f (%.2f)" % (
        name, "dumps", m["levee"], m["stdlib"], "", m["levee"] / m["stdlib"], "",
        m.get("marshal", float("nan")), m.get("marshal", float("nan")) / m["stdlib"]))
