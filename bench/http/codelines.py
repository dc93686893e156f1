"""Lines that hold code (not blank, not only a comment or a docstring) in
the Lua or Python files given on stdin as "name\\0content\\0..." pairs.
    codelines.py < packed   (bench/http/lines.sh feeds it)"""
import io
import sys
import tokenize


def lua_lines(text):
    n = 0
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("--"):
            n += 1
    return n


def py_lines(text):
    lines = set()
    prev = tokenize.INDENT
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            prev = tok.type if tok.type != tokenize.COMMENT else prev
            continue
        if tok.type == tokenize.STRING and prev in (tokenize.INDENT, tokenize.NEWLINE,
                                                    tokenize.DEDENT, tokenize.NL):
            prev = tok.type
            continue   # a docstring (a string standing alone as a statement)
        for i in range(tok.start[0], tok.end[0] + 1):
            lines.add(i)
        prev = tok.type
    return len(lines)


data = sys.stdin.buffer.read().split(b"\0")
total = 0
for i in range(0, len(data) - 1, 2):
    name, text = data[i].decode(), data[i + 1].decode("utf-8", "replace")
    total += py_lines(text) if name.endswith(".py") else lua_lines(text)
print(total)
