"""levee.hash.crc32 beside zlib.crc32 in Python, same bytes, same run.
Usage: python3 bench/modules/hash.py [runs]"""
import statistics
import sys
import time
import zlib

import levee.hash

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def rate(n, f):
    reps, t0 = 0, time.perf_counter()
    while True:
        for _ in range(64):
            f()
        reps += 64
        dt = time.perf_counter() - t0
        if dt > 0.1:
            return n * reps / dt / 1e9


print("%-8s %-8s %-20s %9s %9s %7s" % ("hash", "bytes", "reference", "levee", "ref", "ratio"))
for n in (64, 1024, 65536):
    data = bytes((i * 131 + 7) & 0xff for i in range(n))
    assert levee.hash.crc32(data) == zlib.crc32(data)
    a, b = [], []
    for _ in range(runs):
        a.append(rate(n, lambda: levee.hash.crc32(data)))
        b.append(rate(n, lambda: zlib.crc32(data)))
    la, lb = statistics.median(a), statistics.median(b)
    print("%-8s %-8d %-20s %7.2f G %7.2f G %6.2fx" % ("crc32", n, "zlib.crc32 (Python)", la, lb, la / lb))
print("(GB/s)")
