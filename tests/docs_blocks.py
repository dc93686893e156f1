"""Runs every fenced code block tagged `lua` or `python` in README.md and
docs/**/*.md as a complete program against the in-tree build.

Each block is written to a file of its own and run (luajit or this Python)
in an empty temporary folder with a time limit; it must exit 0 and print
what its comments promise (tests/examples_check.py: a line
`print(...)  -- value` or `print(...)  # value` promises `value` among the
output lines, in order). A `c` block that defines `main` is compiled
against include/levee.h and the library of $LEVEE_LIBRARY and must exit
0; a `c` block without `main` is a fragment. Blocks with any other tag
(`text`, `sh`, ...) are not run. A block without a tag fails: say `text` for signatures and
fragments, so nothing that looks like code escapes the run unnoticed.
With no FILE given, it also checks that README.md links every page of
docs/ (a new module page is listed there).

Usage: docs_blocks.py RESULTS_DIR [FILE.md ...]
Writes "passed failed" to RESULTS_DIR/docs.count. The environment (LUA_PATH,
PYTHONPATH, LD_LIBRARY_PATH, a sanitizer preload) comes from the caller.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CHECK = os.path.join(ROOT, "tests", "examples_check.py")
TIME_LIMIT = int(os.environ.get("DOCS_TIME_LIMIT", "10"))
RUN = {"lua": ["luajit"], "python": [sys.executable], "c": []}
SUFFIX = {"lua": ".lua", "python": ".py", "c": ".c"}
MAIN = re.compile(r"\bint\s+main\s*\(")
FENCE = re.compile(r"^( *)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


def blocks(path):
    """Yields (line number, tag, code) for each fenced block of a Markdown
    file. The fence's indentation is taken off the block's lines."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, tag = len(m.group(1)), m.group(2), m.group(3).lower()
        start, body = i + 1, []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            i += 1
        yield start, tag, "\n".join(body) + "\n"
        i += 1


def compile_c(source, binary):
    """Builds a C block against the in-tree header and library; returns
    None or the compiler's complaint."""
    library = os.environ.get("LEVEE_LIBRARY") or os.path.join(ROOT, "build", "liblevee.so.0")
    sanitize = os.environ.get("SANITIZE")
    command = ["cc", "-std=c99", "-Wall", "-Werror", "-I" + os.path.join(ROOT, "include"), source,
               library, "-Wl,-rpath," + os.path.dirname(library), "-o", binary]
    if sanitize:
        command[1:1] = ["-fsanitize=" + sanitize]
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    if r.returncode != 0:
        return "does not compile\n" + r.stdout.decode(errors="replace")[-2000:]
    return None


def run(lang, code, where):
    """Runs one block; returns None or the reason it failed."""
    with tempfile.TemporaryDirectory(prefix="levee-doc-") as tmp:
        name = re.sub(r"[^A-Za-z0-9]+", "_", where) + SUFFIX[lang]
        program = os.path.join(tmp, name)
        with open(program, "w", encoding="utf-8") as f:
            f.write(code)
        command = RUN[lang] + [program]
        if lang == "c":
            command = [os.path.join(tmp, "program")]
            failure = compile_c(program, command[0])
            if failure:
                return failure
        try:
            r = subprocess.run(command, cwd=tmp, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=TIME_LIMIT)
        except subprocess.TimeoutExpired as e:
            return "did not exit within %d s\n%s" % (TIME_LIMIT, (e.stdout or b"").decode(errors="replace")[-2000:])
        out = r.stdout.decode(errors="replace")
        if r.returncode != 0:
            return "exit status %d\n%s" % (r.returncode, out[-2000:])
        if lang == "c":
            return None
        output = os.path.join(tmp, "output.txt")
        with open(output, "w", encoding="utf-8") as f:
            f.write(out)
        c = subprocess.run([sys.executable, CHECK, program, output], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if c.returncode != 0:
            return "output\n%s\n--- printed:\n%s" % (c.stdout.decode(errors="replace"), out[-2000:])
    return None


def unlinked_pages():
    """The pages of docs/ (not docs/bench/) that README.md does not link."""
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    pages = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    return ["docs/" + p for p in pages if "(docs/%s)" % p not in readme]


def main(results, files):
    everything = not files
    if everything:
        files = [os.path.join(ROOT, "README.md")] + sorted(
            glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    passed = failed = 0
    for path in files:
        rel = os.path.relpath(path, ROOT)
        for line, tag, code in blocks(path):
            where = "%s:%d" % (rel, line)
            if tag == "":
                failed += 1
                print("FAILED docs %s: a fenced block without a language tag (use text for fragments)" % where)
                continue
            if tag not in RUN or (tag == "c" and not MAIN.search(code)):
                continue
            reason = run(tag, code, where)
            if reason is None:
                passed += 1
                print("ok     docs %s (%s)" % (where, tag))
            else:
                failed += 1
                print("FAILED docs %s (%s): %s" % (where, tag, reason))
    if everything and passed + failed == 0:
        failed += 1
        print("FAILED docs: no lua or python block found in README.md and docs/")
    if everything:
        missing = unlinked_pages()
        if missing:
            failed += 1
            print("FAILED docs: README.md does not link %s (one page per module)" % ", ".join(missing))
        else:
            passed += 1
            print("ok     docs README.md links every page of docs/")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "docs.count"), "w") as f:
        f.write("%d %d\n" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
