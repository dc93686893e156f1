"""Sums the counts of every suite in a results directory and prints one line:
"N passed, N failed". JUnit XML (GoogleTest, pytest) and "<passed> <failed>"
count files (LuaJIT runner, header, fuzz, examples) are read. Exits 1 when
anything failed or nothing ran."""
import os
import sys
import xml.etree.ElementTree as ET


def junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for s in suites:
        total += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0)) + int(s.get("disabled", 0))
    return total - failed - skipped, failed, skipped


def main(directory):
    passed = failed = skipped = 0
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith(".xml"):
            p, f, s = junit(path)
        elif name.endswith(".count"):
            fields = open(path).read().split()
            p, f, s = int(fields[0]), int(fields[1]), 0
        else:
            continue
        print(f"  {name:40} {p:5} passed {f:3} failed" + (f" {s} skipped" if s else ""))
        passed, failed, skipped = passed + p, failed + f, skipped + s
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
