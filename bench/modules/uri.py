"""levee.uri parse throughput beside urllib.parse.urlsplit, same URLs, same
run. urlsplit keeps an lru_cache of 128 results; the reference calls the
function under it (urlsplit.__wrapped__) so both sides parse every time.
Each side reads the five fields a server uses.
Usage: python3 bench/modules/uri.py [runs]"""
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

import levee.uri

here = os.path.dirname(os.path.abspath(__file__))
urls = subprocess.run(["luajit", os.path.join(here, "urls.lua")], check=True,
                      capture_output=True, text=True).stdout.split("\n")[:-1]
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
split = urlsplit.__wrapped__
URI = levee.uri.URI


def levee_pass():
    for s in urls:
        u = URI(s)
        u.scheme, u.host, u.port, u.path, u.query


def stdlib_pass():
    for s in urls:
        u = split(s)
        u.scheme, u.hostname, u.port, u.path, u.query


def rate(f):
    n, t0 = 0, time.perf_counter()
    while True:
        f()
        n += 1
        dt = time.perf_counter() - t0
        if dt > 0.2:
            return len(urls) * n / dt


a, b = [], []
for _ in range(runs):
    a.append(rate(levee_pass))
    b.append(rate(stdlib_pass))
la, lb = statistics.median(a), statistics.median(b)
print("%-34s %12s %12s %7s" % ("Python, 1000 URLs", "levee.uri", "urlsplit", "ratio"))
print("%-34s %10.2f M %10.2f M %6.2fx" % ("parse + 5 fields (URLs/s)", la / 1e6, lb / 1e6, la / lb))
