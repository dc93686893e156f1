"""Python switch rate: two green threads ping-ponging over h.pipe(), beside
the same written with gevent (gevent.queue.Channel, an unbuffered channel)
in the same run. A round trip is two messages.
    python3 bench/pyhub/pingpong.py [round_trips] [runs]
"""
import statistics
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def levee_run():
    import levee
    h = levee.Hub()
    s1, r1 = h.pipe()
    s2, r2 = h.pipe()
    done_s, done_r = h.pipe()

    def echo():
        for v in r1:
            s2.send(v)

    def ping():
        for i in range(N):
            s1.send(i)
            r2.recv()
        done_s.send(True)
    h.spawn(echo)
    t0 = time.perf_counter()
    h.spawn(ping)
    done_r.recv()
    t = time.perf_counter() - t0
    s1.close()
    return 2 * N / t


def gevent_run():
    import gevent
    from gevent.queue import Channel
    c1, c2 = Channel(), Channel()

    def echo():
        while True:
            v = c1.get()
            if v is None:
                return
            c2.put(v)

    def ping():
        for i in range(N):
            c1.put(i)
            c2.get()
        c1.put(None)
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(echo), gevent.spawn(ping)])
    return 2 * N / (time.perf_counter() - t0)


lv, gv = [], []
for _ in range(RUNS):  # interleaved so drift hits both
    gv.append(gevent_run())
    lv.append(levee_run())
l, g = statistics.median(lv), statistics.median(gv)
print("python ping-pong, %d round trips, median of %d runs (messages/s)" % (N, RUNS))
print("  levee h.pipe()          %10.0f" % l)
print("  gevent Channel          %10.0f" % g)
print("  levee/gevent  %.2fx" % (l / g))
