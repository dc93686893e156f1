"""Messages per second from one Python OS thread (h.thread) to the main
thread over a levee channel: the producer sends N ints, the main thread
iterates the recver.
    python3 bench/proc/chan.py RUNS N   -> prints the median msg/s
"""
import sys
import time

import levee

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
h = levee.Hub()


def produce(to, count):
    send = to.send
    for i in range(1, count + 1):
        send(i)
    to.close()


def once():
    r = h.thread.channel().bind()
    t0 = time.perf_counter()
    done = h.thread.call(produce, r.create_sender(), n)
    expect = 1
    for v in r:
        assert v == expect
        expect += 1
    t = time.perf_counter() - t0
    assert expect == n + 1
    done.recv()
    r.close()
    return n / t


rates = sorted(once() for _ in range(runs))
print("%.0f" % rates[runs // 2])
