"""h.process in Python: spawn, stdio mappings, env/cwd, exit status, exec
failures raised, children that crash, ignore SIGTERM, close stdin early or
write more than a pipe holds; no zombie and no fd left after 1,000 spawns."""
import os
import signal
import subprocess
import sys

import pytest

import levee


def slurp(io):
    parts = []
    while True:
        try:
            parts.append(io.read())
        except levee.Closed:
            return b"".join(parts)


def no_child_left():
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_spawn_runs_a_program_found_in_path_and_reports_its_exit(h):
    p = h.process.spawn(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert p.pid > 0 and p.running()
    assert slurp(p.stdout) == b"out\n"
    assert slurp(p.stderr) == b"err\n"
    assert p.wait() is p
    assert (p.exit_code, p.exit_sig, p.returncode) == (3, 0, 3)
    assert not p.running()
    assert p.done.recv() is p  # sticky
    assert repr(p) == "<levee.Process pid=%d done code=3 signal=0>" % p.pid


def test_program_name_with_argv_like_the_lua_form(h):
    p = h.process.spawn("echo", argv=["a", "b"], stderr="null")
    assert slurp(p.stdout) == b"a b\n"
    p.wait()


def test_stdin_is_writable_and_closed_by_the_reaper(h):
    p = h.process.spawn(["cat"], stderr="inherit")
    p.stdin.write(b"round trip")
    p.stdin.close()
    assert slurp(p.stdout) == b"round trip"
    p.wait()
    assert p.stdin.closed


def test_stdio_maps_fds_files_ios_null_and_close(h, tmp_path):
    r, w = h.io.pipe()
    p = h.process.spawn(["sh", "-c", "echo to-pipe; cat; echo gone >&2 || true"],
                        stdin="null", stdout=w, stderr="close")
    w.close()
    assert slurp(r) == b"to-pipe\n"
    assert p.wait().exit_code == 0
    path = tmp_path / "out"
    with open(path, "wb") as f:
        q = h.process.spawn(["echo", "to-file"], stdin=-1, stdout=f, stderr=f.fileno())
        q.wait()
    assert path.read_bytes() == b"to-file\n"


def test_env_replaces_the_environment_and_cwd_is_honoured(h, tmp_path):
    p = h.process.spawn(["sh", "-c", "echo $A-$HOME; pwd"], env={"A": "1", "PATH": "/usr/bin:/bin"},
                        cwd=str(tmp_path), stderr="null")
    assert slurp(p.stdout) == b"1-\n" + str(tmp_path).encode() + b"\n"
    p.wait()


def test_an_exec_failure_raises_and_leaves_no_child(h):
    with pytest.raises(levee.FileNotFound) as e:
        h.process.spawn(["levee-no-such-program"])
    assert "exec" in str(e.value)
    with pytest.raises(levee.PermissionDenied):
        h.process.spawn(["/etc/passwd"])
    with pytest.raises(FileNotFoundError) as e:
        h.process.spawn(["true"], cwd="/no/such/dir")
    assert "chdir" in str(e.value)
    assert no_child_left()


def test_kill_and_signal_death(h):
    p = h.process.spawn(["sleep", "30"], stdin="null", stdout="null", stderr="null")
    p.kill()
    p.wait()
    assert (p.exit_code, p.exit_sig, p.returncode) == (0, signal.SIGTERM, -signal.SIGTERM)
    with pytest.raises(ProcessLookupError):
        p.kill()


def test_a_child_that_crashes_reports_sigsegv(h):
    # PATH only: a sanitizer run's LD_PRELOAD would catch the SEGV in sh
    p = h.process.spawn(["sh", "-c", "kill -SEGV $$"], stdin="null", stdout="null", stderr="null",
                        env={"PATH": os.environ["PATH"]})
    assert p.wait().exit_sig == signal.SIGSEGV


def test_a_child_that_ignores_sigterm_runs_until_sigkill(h):
    p = h.process.spawn(["sh", "-c", "trap '' TERM; echo ready; sleep 30 & wait"], stdin="null",
                        stderr="null")
    assert p.stdout.read() == b"ready\n"
    p.kill(signal.SIGTERM)
    with pytest.raises(levee.Timeout):
        p.wait(200)
    assert p.running()
    p.kill(signal.SIGKILL)
    assert p.wait().exit_sig == signal.SIGKILL
    p.stdout.close()


def test_a_child_that_closes_stdin_early_breaks_our_pipe(h):
    p = h.process.spawn(["head", "-c", "1"], stderr="null")
    with pytest.raises(levee.BrokenPipe):
        for _ in range(64):
            p.stdin.write(b"x" * 65536)
    assert slurp(p.stdout) == b"x"
    p.wait()


def test_a_child_that_writes_more_than_a_pipe_holds_is_read_to_the_end(h):
    p = h.process.spawn(["head", "-c", "1048576", "/dev/zero"], stdin="null", stderr="null")
    assert len(slurp(p.stdout)) == 1048576
    assert p.wait().exit_code == 0


def test_only_its_own_children_are_reaped(h):
    other = subprocess.Popen(["sh", "-c", "sleep 0.2; exit 7"])
    p = h.process.spawn(["true"], stdin="null", stdout="null", stderr="null")
    p.wait()
    assert other.wait() == 7  # subprocess still finds its child


def test_a_thousand_spawns_leave_no_zombie_and_no_fd(h):
    for _ in range(1000):
        p = h.process.spawn(["/bin/true"], stdin="null", stderr="null")
        p.stdout.close()
        p.wait()
    assert no_child_left()


def test_pdeathsig_reaches_a_child_whose_parent_dies(h):
    code = ("import levee, os, signal\n"
            "h = levee.Hub()\n"
            "p = h.process.spawn(['sleep', '60'], stdin='null', stdout='null')\n"
            "print(p.pid, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    parent = h.process.spawn([sys.executable, "-c", code], stdin="null")
    pid = int(slurp(parent.stdout))
    assert parent.wait().exit_sig == signal.SIGKILL
    parent.stderr.close()
    state = None
    for _ in range(200):
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            state = "gone"
        if state in ("gone", "Z"):
            break
        h.sleep(25)
    assert state in ("gone", "Z")


def test_bad_stdio_values_raise(h):
    with pytest.raises(ValueError):
        h.process.spawn(["true"], stdout="bogus")
    with pytest.raises(ValueError):
        h.process.spawn([])


def test_every_core_example_shares_a_port_and_stops_gracefully_on_sigterm(h):
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "every_core.py")
    p = h.process.spawn([sys.executable, example, "0", "2"], stdin="null", stderr="inherit")
    lines = p.stdout.stream()
    line = lines.line()
    port = int(line.split(b":")[1].split()[0])
    assert line.endswith(b"with 2 processes")
    seen = set()
    for _ in range(64):
        with h.http.connect(port) as c:
            seen.add(c.get("/").read())
    assert seen == {b"hello from process 1\n", b"hello from process 2\n"}
    with h.http.connect(port) as c:
        resp = c.send("GET", "/slow").recv()   # the head: the body is still to come
        assert resp.code == 200
        p.kill(signal.SIGTERM)                  # while /slow is in flight
        assert resp.read().startswith(b"hello from process")
    assert lines.line() == b"every process shut down"
    assert p.wait().exit_code == 0
    with pytest.raises(ConnectionRefusedError):
        h.http.connect(port)
    p.stdout.close()
