"""Spawn + wait of /bin/true per second: levee's h.process beside the
standard library's subprocess.run, interleaved in the same run (stdio
inherited in both; subprocess closes other fds as levee does).
    python3 bench/proc/spawn.py RUNS N   -> prints "levee subprocess" medians
"""
import subprocess
import sys
import time

import levee

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
h = levee.Hub()


def levee_once():
    t0 = time.perf_counter()
    for _ in range(n):
        p = h.process.spawn(["/bin/true"], stdin="inherit", stdout="inherit", stderr="inherit")
        assert p.wait().exit_code == 0
    return n / (time.perf_counter() - t0)


def subprocess_once():
    t0 = time.perf_counter()
    for _ in range(n):
        assert subprocess.run(["/bin/true"]).returncode == 0
    return n / (time.perf_counter() - t0)


lv, sp = [], []
for _ in range(runs):
    lv.append(levee_once())
    sp.append(subprocess_once())
lv.sort()
sp.sort()
print("%.0f %.0f" % (lv[runs // 2], sp[runs // 2]))
