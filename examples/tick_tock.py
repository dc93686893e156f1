# The tick/tock example of the original levee's documentation, in Python: a spawned green thread ticks every
# 10 ms while main tocks every 10 ms, offset by 5 ms. Bounded to 3 rounds so
# it terminates; the original loops forever with 1000 ms periods.
import levee

h = levee.Hub()
lines = []


def tick():
    for _ in range(3):
        lines.append("tick")
        h.sleep(10)


h.spawn(tick)  # tick runs first: spawn runs the child before main continues
h.sleep(5)

for _ in range(3):
    lines.append("tock")
    h.sleep(10)

print(" ".join(lines))  # tick tock tick tock tick tock
