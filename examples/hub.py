# Green threads on greenlets: the Lua example in Python's idiom.
import levee

h = levee.Hub()
trace = []


def child():
    trace.append("child starts")
    h.sleep(10)
    trace.append("child wakes")


h.spawn(child)
trace.append("main continues")
h.sleep(20)
print(", ".join(trace))  # child starts, main continues, child wakes

sender, recver = h.pipe()
h.spawn(lambda: [sender.send(i) for i in (1, 2, 3)] and sender.close())
print(list(recver))  # [1, 2, 3]

try:
    h.pipe()[1].recv(ms=5)
except levee.Timeout as e:
    print(e)  # operation timed out (levee.TIMEOUT)
