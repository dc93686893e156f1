"""levee.http client for Python (h.http.connect, h.http.pool): against
nginx (nginx-light) serving a static file and a chunked response, against
the levee server, and against raw sockets for the awkward cases (1xx,
bodies read until close, truncation, garbage, silence). No leaked fds."""
import os
import shutil
import socket
import subprocess
import time

import pytest

import levee

from conftest import PEER_ENV  # noqa: E402  (the fixture h comes from conftest too)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    types {{ text/plain txt; application/octet-stream bin; application/json json; }}
    keepalive_requests 1000;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location /sub/ {{
            sub_filter 'WORLD' 'levee';
            sub_filter_once off;
            sub_filter_types *;
        }}
        location = /gone {{ return 410; }}
    }}
}}
"""

BIG = os.urandom(1 << 20)
TEXT = b"hello WORLD\n" * 5000


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    d = tmp_path_factory.mktemp("nginx")
    (d / "tmp").mkdir()
    www = d / "www"
    (www / "sub").mkdir(parents=True)
    (www / "hello.txt").write_bytes(b"hello from nginx\n")
    (www / "big.bin").write_bytes(BIG)
    (www / "data.json").write_bytes(b'{"a": [1, 2, 3], "b": "c"}')
    (www / "sub" / "text.txt").write_bytes(TEXT)
    port = free_port()
    (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port))
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    p = subprocess.Popen([nginx_bin, "-e", str(d / "error.log"), "-p", str(d),
                          "-c", str(d / "nginx.conf")], env=PEER_ENV)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                assert p.poll() is None, (d / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.02)
        yield port
    finally:
        p.terminate()
        p.wait()


# ---------------------------------------------------------------- nginx
def test_get_a_static_file_from_nginx(h, nginx):
    with h.http.connect(nginx) as c:
        r = c.get("/hello.txt")
        assert (r.code, r.reason, r.version) == (200, "OK", 1)
        assert r.headers["content-type"] == "text/plain"
        assert r.length == 17 and not r.chunked
        assert r.read() == b"hello from nginx\n"
        assert r.body == b"hello from nginx\n"


def test_keep_alive_many_requests_on_one_connection(h, nginx):
    with h.http.connect(nginx) as c:
        for _ in range(20):
            assert c.get("/hello.txt").read() == b"hello from nginx\n"
        assert c.get("/big.bin").read() == BIG
        r = c.get("/nothing-here")
        assert r.code == 404
        r.discard()
        assert c.get("/gone").code == 410


def test_chunked_response_from_nginx(h, nginx):
    with h.http.connect(nginx) as c:
        r = c.get("/sub/text.txt")
        assert r.code == 200 and r.chunked and r.length is None
        assert "content-length" not in r.headers
        assert b"".join(r.chunks()) == TEXT.replace(b"WORLD", b"levee")
        assert c.get("/hello.txt").read() == b"hello from nginx\n"


def test_json_body_from_nginx(h, nginx):
    with h.http.connect(nginx) as c:
        r = c.get("/data.json")
        assert r.json() == {"a": [1, 2, 3], "b": "c"}


def test_head_to_nginx_has_length_but_no_body(h, nginx):
    with h.http.connect(nginx) as c:
        r = c.head("/big.bin")
        assert r.code == 200 and r.headers["Content-Length"] == str(len(BIG))
        assert r.read() == b""
        assert c.get("/hello.txt").read() == b"hello from nginx\n"


def test_pipelined_requests_to_nginx_come_back_in_order(h, nginx):
    with h.http.connect(nginx) as c:
        ps = [c.send("GET", p) for p in ("/hello.txt", "/big.bin", "/sub/text.txt", "/data.json")]
        # the last one first: the earlier bodies are buffered for their owners
        assert ps[3].recv().json()["b"] == "c"
        assert ps[0].recv().read() == b"hello from nginx\n"
        assert ps[1].recv().read() == BIG
        assert ps[2].recv().read() == TEXT.replace(b"WORLD", b"levee")


def test_save_and_chunks_of_a_large_body(h, nginx, tmp_path):
    with h.http.connect(nginx) as c:
        n = c.get("/big.bin").save(str(tmp_path / "big"))
        assert n == len(BIG) and (tmp_path / "big").read_bytes() == BIG
        pieces = list(c.get("/big.bin").chunks())
        assert len(pieces) > 1 and b"".join(pieces) == BIG


def test_pool_against_nginx(h, nginx):
    with h.http.pool("http://127.0.0.1:%d" % nginx, size=2) as pool:
        results = []

        def fetch(i):
            results.append(pool.get("/hello.txt").read())
        for i in range(6):
            h.spawn(fetch, i)
        while len(results) < 6:
            h.sleep(1)
        assert results == [b"hello from nginx\n"] * 6
        # every connection came back; how many were dialed depends on whether
        # a response arrived before the next fetch was spawned (the hub polls
        # on every tick), never more than size
        assert 1 <= pool.idle() <= 2


# ---------------------------------------------------------------- levee server
def app(req):
    if req.path.startswith("/echo"):
        return (200, {"X-Method": req.method, "X-Path": req.path,
                      "X-Type": req.headers.get("content-type", "")}, req.read())
    if req.path == "/chunks":
        w = req.respond(200, None, None)
        for s in ("one", "two", "three"):
            w.send(s)
        w.close()
        return
    if req.path == "/close":
        return (200, {"Connection": "close"}, "bye")
    if req.path == "/json":
        return (200, {"Content-Type": "application/json"}, '{"ok": true, "n": [1, 2]}')
    if req.path == "/headers":
        return "|".join("%s=%s" % kv for kv in req.headers.items())
    return "path " + req.path


def test_client_against_levee_server(h):
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect(srv.port) as c:
            r = c.get("/echo", params={"a": "b c", "d": ["1", "2"]})
            assert r.headers["x-path"] == "/echo?a=b+c&d=1&d=2"
            assert r.read() == b""
            r = c.post("/echo", data="posted")
            assert (r.headers["x-method"], r.read()) == ("POST", b"posted")
            r = c.post("/echo", json={"k": [1, 2]})
            assert r.headers["x-type"] == "application/json"
            assert levee.json.loads(r.read()) == {"k": [1, 2]}
            r = c.put("/echo", data=iter([b"up", "load", b""]))
            assert r.read() == b"upload"
            assert c.delete("/echo").headers["x-method"] == "DELETE"
            assert c.get("/json").json() == {"ok": True, "n": [1, 2]}
            r = c.get("/chunks")
            assert r.chunked and list(r.chunks()) == [b"one", b"two", b"three"]
            hdrs = c.get("/headers", headers={"X-Multi": ["a", "b"]}).text()
            assert "X-Multi=a|X-Multi=b" in hdrs and "Host=127.0.0.1:%d" % srv.port in hdrs
        assert srv.accepted == 1


def test_url_connect_and_a_response_as_context_manager(h):
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect("http://127.0.0.1:%d/ignored" % srv.port) as c:
            with c.get("/chunks") as r:
                assert r.code == 200   # body left unread: discarded on exit
            assert c.get("/x").read() == b"path /x"


def test_server_connection_close_closes_the_client(h):
    with h.http.listen() as srv:
        srv.serve(app)
        c = h.http.connect(srv.port)
        r = c.get("/close")
        assert r.headers["connection"] == "close"
        assert r.read() == b"bye"
        assert c.closed
        with pytest.raises(levee.Closed):
            c.get("/x")


def test_pipelining_with_the_levee_server(h):
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect(srv.port) as c:
            ps = [c.send("GET", "/%d" % i) for i in range(10)]
            assert [p.recv().read() for p in reversed(ps)] == \
                [b"path /%d" % i for i in reversed(range(10))]


def test_pool_reuses_connections_and_limits_their_number(h):
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.pool("127.0.0.1:%d" % srv.port, size=3) as pool:
            done = []

            def fetch(i):
                r = pool.post("/echo", data=str(i))
                done.append(r.read())
            for i in range(20):
                h.spawn(fetch, i)
            while len(done) < 20:
                h.sleep(1)
            assert sorted(done) == sorted(str(i).encode() for i in range(20))
            assert srv.accepted <= 3
            r = pool.get("/chunks", stream=True)
            assert pool.idle() < 3 or srv.accepted < 3
            assert r.read() == b"onetwothree"
            assert pool.get("/x").read() == b"path /x"


def test_pool_replaces_connections_the_server_closed(h):
    with h.http.listen(timeout=None) as srv:
        srv.serve(app)
        with h.http.pool("127.0.0.1:%d" % srv.port, size=1) as pool:
            assert pool.get("/a").read() == b"path /a"
            for conn in list(srv.connections):
                conn.close()       # the server drops the idle keep-alive connection
            h.continue_()
            assert pool.get("/b").read() == b"path /b"
            assert pool.get("/close").read() == b"bye"
            assert pool.get("/c").read() == b"path /c"
            assert srv.accepted == 3


def test_pool_retries_an_idempotent_request_once_on_a_new_connection(h):
    listener = h.stream.listen(port=0)
    conns = []

    def serve():
        for i, conn in enumerate(listener):
            conns.append(conn)
            h.spawn(answer, i, conn)

    def answer(i, conn):
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                try:
                    data += conn.read()
                except levee.Closed:
                    return
            data = data[data.index(b"\r\n\r\n") + 4:]
            if i == 0 and len(conns) == 1 and getattr(conn, "answered", False):
                conn.close()   # dies under the second request, unanswered
                return
            conn.answered = True
            conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % i)
    h.spawn(serve)
    with h.http.pool("127.0.0.1:%d" % listener.port(), size=1) as pool:
        assert pool.get("/a").read() == b"0"
        assert pool.get("/b").read() == b"1"
        assert len(conns) == 2
        with pytest.raises(levee.Closed):
            conns[1].close()
            pool.post("/c", data="x")   # not idempotent: no retry
    listener.close()
    for c in conns:
        c.close()


def test_over_a_unix_socket(h, tmp_path):
    path = str(tmp_path / "http.sock")
    with h.http.listen(unix=path) as srv:
        srv.serve(app)
        with h.http.connect(unix=path) as c:
            assert c.get("/u").read() == b"path /u"
            assert "Host=localhost" in c.get("/headers").text()


def test_refused_connection(h):
    port = free_port()
    with pytest.raises(ConnectionRefusedError):
        h.http.connect(port)


# ---------------------------------------------------------------- raw peers
def raw_server(h, script):
    """A one-connection server that reads a request head, then writes each
    item of script (bytes) and finally closes."""
    listener = h.stream.listen(port=0)

    def run():
        conn = listener.recv()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.read()
        for item in script:
            conn.write(item)
        conn.close()
        listener.close()
    h.spawn(run)
    return listener.port()


def test_interim_100_response_is_skipped(h):
    port = raw_server(h, [b"HTTP/1.1 100 Continue\r\n\r\n",
                          b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    with h.http.connect(port) as c:
        r = c.get("/")
        assert r.code == 200 and r.read() == b"ok"


def test_body_until_close(h):
    port = raw_server(h, [b"HTTP/1.0 200 OK\r\n\r\n", b"first ", b"second"])
    with h.http.connect(port) as c:
        r = c.get("/")
        assert r.length is None and not r.chunked
        assert r.read() == b"first second"
        assert c.closed


def test_truncated_body_raises_closed(h):
    port = raw_server(h, [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"])
    with h.http.connect(port) as c:
        r = c.get("/")
        with pytest.raises(levee.Closed):
            r.read()
        assert c.closed


def test_truncated_chunked_body_raises_closed(h):
    port = raw_server(h, [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"])
    with h.http.connect(port) as c:
        with pytest.raises(levee.Closed):
            c.get("/").read()


def test_malformed_chunked_body_raises_http_error_and_closes(h):
    port = raw_server(h, [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"2\r\nok\r\nnot hex\r\n"])
    with h.http.connect(port) as c:
        r = c.get("/")
        with pytest.raises(levee.HTTPError) as e:
            r.read()
        assert e.value.name == "ESYNTAX" and c.closed


def test_garbage_response_raises_http_error_and_closes(h):
    port = raw_server(h, [b"SMTP ready\r\n\r\n"])
    with h.http.connect(port) as c:
        with pytest.raises(levee.HTTPError) as e:
            c.get("/")
        assert e.value.name == "ESYNTAX"
        assert c.closed


def test_ambiguous_response_framing_is_refused(h):
    port = raw_server(h, [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"])
    with h.http.connect(port) as c:
        with pytest.raises(levee.HTTPError):
            c.get("/")


def test_connection_closed_before_a_response(h):
    port = raw_server(h, [])
    with h.http.connect(port) as c:
        p1, p2 = c.send("GET", "/1"), c.send("GET", "/2")
        with pytest.raises(levee.Closed):
            p1.recv()
        with pytest.raises(levee.Closed):
            p2.recv()


def test_silent_server_times_out_and_the_client_closes(h):
    listener = h.stream.listen(port=0)
    held = []
    h.spawn(lambda: held.append(listener.recv()))
    with h.http.connect(listener.port(), timeout=20) as c:
        with pytest.raises(levee.Timeout):
            c.get("/")
        assert c.closed
    with h.http.connect(listener.port()) as c:
        with pytest.raises(TimeoutError):
            c.get("/", ms=10)
    for conn in held:
        conn.close()
    listener.close()


def test_response_headers_keep_order_and_repeats(h):
    port = raw_server(h, [b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Y: z\r\n"
                          b"set-cookie: b=2\r\nContent-Length: 0\r\n\r\n"])
    with h.http.connect(port) as c:
        r = c.get("/")
        assert r.headers.getall("Set-Cookie") == ["a=1", "b=2"]
        assert list(r.headers) == ["Set-Cookie", "X-Y", "set-cookie", "Content-Length"]
        assert r.status.code == 200 and str(r.status) == "HTTP/1.1 200 OK\r\n"

