"""levee.json.loads beside stdlib json.loads and ujson.loads, same bytes,
same run; median MB/s of several interleaved runs.
Usage: python3 bench/json/py_bench.py DATA_DIR [runs]"""
import json
import os
import statistics
import sys
import time

import ujson

import levee.json as lj

DATA = sys.argv[1] if len(sys.argv) > 1 else "tests/data/json/bench"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 9


def rate(f, x, size):
    n, t0 = 0, time.perf_counter()
    while True:
        f(x)
        n += 1
        dt = time.perf_counter() - t0
        if dt > 0.2:
            return size * n / dt / 1e6


print("%-18s %-6s %9s %9s %9s %8s %8s" % ("file", "input", "levee", "stdlib", "ujson", "/stdlib", "/ujson"))
for name in ("canada.json", "citm_catalog.json", "twitter.json"):
    with open(os.path.join(DATA, name), "rb") as f:
        b = f.read()
    s = b.decode("utf-8")
    assert lj.loads(b) == json.loads(b)
    for label, x in (("str", s), ("bytes", b)):
        r = {"levee": [], "stdlib": [], "ujson": []}
        for _ in range(RUNS):  # interleaved so machine load hits all alike
            r["levee"].append(rate(lj.loads, x, len(b)))
            r["stdlib"].append(rate(json.loads, x, len(b)))
            r["ujson"].append(rate(ujson.loads, x, len(b)))
        m = {k: statistics.median(v) for k, v in r.items()}
        print("%-18s %-6s %9.1f %9.1f %9.1f %8.2f %8.2f" % (
            name, label, m["levee"], m["stdlib"], m["ujson"], m["levee"] / m["stdlib"], m["levee"] / m["ujson"]))
