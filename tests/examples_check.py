"""Checks an example's output against the values its comments promise.

Each `print(...)  -- value` (Lua) or `print(...)  # value` (Python) line
promises that `value` appears among the output lines, in the same order as
the print lines, with runs of white space folded (Lua prints tabs).
Usage: examples_check.py EXAMPLE OUTPUT_FILE
"""
import re
import sys


def fold(s):
    return " ".join(s.split())


def main(example, output):
    mark = "--" if example.endswith(".lua") else "#"
    pattern = re.compile(r"^\s*print\(.*\)\s*" + re.escape(mark) + r" (.*)$")
    expected = [fold(m.group(1)) for m in map(pattern.match, open(example)) if m]
    lines = [fold(l) for l in open(output, errors="replace")]
    i = 0
    for want in expected:
        while i < len(lines) and lines[i] != want:
            i += 1
        if i == len(lines):
            print(f"{example}: expected output line not found (in order): {want!r}")
            return 1
        i += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
