"""tests/docs_blocks.py, the runner of the docs' code blocks: it finds the
blocks, runs lua/python ones, fails on a bad exit, a broken promise or an
untagged block, and leaves other tags alone."""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("docs_blocks", os.path.join(HERE, "..", "docs_blocks.py"))
docs_blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docs_blocks)

PAGE = '''# A page

```python
print(6 * 7)  # 42
```

1. In a list:

   ```lua
   print(("x"):rep(3))  -- xxx
   ```

```text
not code at all (
```

~~~sh
exit 1
~~~
'''


def run(tmp_path, text):
    page = tmp_path / "page.md"
    page.write_text(text)
    results = tmp_path / "results"
    rc = docs_blocks.main(str(results), [str(page)])
    return rc, open(results / "docs.count").read().split()


def test_finds_blocks_with_their_tags_and_indentation(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    found = [(tag, code) for _, tag, code in docs_blocks.blocks(str(page))]
    assert found == [("python", "print(6 * 7)  # 42\n"), ("lua", 'print(("x"):rep(3))  -- xxx\n'),
                     ("text", "not code at all (\n"), ("sh", "exit 1\n")]


def test_runs_lua_and_python_blocks_only(tmp_path):
    assert run(tmp_path, PAGE) == (0, ["2", "0"])


def test_a_block_that_fails_fails(tmp_path):
    assert run(tmp_path, "```python\nraise SystemExit(3)\n```\n") == (1, ["0", "1"])


def test_a_broken_promise_fails(tmp_path):
    assert run(tmp_path, "```lua\nprint(1 + 1)  -- 3\n```\n") == (1, ["0", "1"])


def test_an_untagged_block_fails(tmp_path):
    assert run(tmp_path, "```\nprint(1)\n```\n") == (1, ["0", "1"])


def test_c_blocks_with_main_are_built_and_run_and_fragments_are_not(tmp_path):
    ok = "```c\n#include <levee.h>\nint main(void) { return levee_version() > 0 ? 0 : 1; }\n```\n"
    fragment = "```c\nlevee_buffer *b;\nlevee_buffer_new(&b, 0);\n```\n"
    assert run(tmp_path, ok + fragment) == (0, ["1", "0"])


def test_a_c_block_that_fails_fails(tmp_path):
    assert run(tmp_path, "```c\nint main(void) { return 2; }\n```\n") == (1, ["0", "1"])
    assert run(tmp_path, "```c\nint main(void) { return undeclared; }\n```\n") == (1, ["0", "1"])


def test_a_block_past_the_time_limit_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(docs_blocks, "TIME_LIMIT", 1)
    assert run(tmp_path, "```python\nimport time\ntime.sleep(30)\n```\n") == (1, ["0", "1"])
