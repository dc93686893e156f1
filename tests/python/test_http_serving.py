"""levee.http serving beyond the basics: the engine's rules as Python sees
them (Host, header injection), the error hook, query/uri/respond_json,
head and keep-alive timeouts (many half-head clients closed), and the
same HTTP over TLS (https:// URLs, a pool, curl)."""
import os
import subprocess

import pytest

import levee

from conftest import PEER_ENV, curl, read_all  # noqa: E402  (and the fixture h)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def status_of(out):
    return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.1 ") else None


def test_http11_request_without_host_or_with_two_is_400(h):
    with h.http.listen() as srv:
        srv.serve(lambda req: "hi")
        for raw in (b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
            with h.stream.dial(srv.port) as c:
                c.write(raw)
                out = read_all(c)
                assert status_of(out) == 400 and b"Connection: close" in out
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.0\r\n\r\n")
            assert read_all(c).endswith(b"hi")


def test_header_injection_is_refused_on_both_sides(h):
    def app(req):
        with pytest.raises(ValueError):
            req.respond(200, {"X-A": "a\r\nX-Injected: yes"}, "x")
        return "clean"
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect(srv.port) as c:
            r = c.get("/")
            assert r.read() == b"clean" and "x-injected" not in r.headers
            with pytest.raises(ValueError):
                c.get("/", headers={"X": "a\nb"})
            with pytest.raises(ValueError):
                c.get("/a b")


def test_on_error_hook_gets_the_exception_and_the_request(h):
    seen = []
    with h.http.listen(on_error=lambda e, req: seen.append((str(e), req.path))) as srv:
        def app(req):
            if req.path == "/boom":
                raise ValueError("boom")
            return "fine"
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
            out = read_all(c)
        assert status_of(out) == 500 and b"Connection: close" in out
        assert seen == [("boom", "/boom")]
        with h.http.connect(srv.port) as c:
            assert c.get("/ok").read() == b"fine"


def test_query_uri_and_respond_json(h):
    def app(req):
        u = req.uri()
        req.respond_json({"q": req.query, "host": u.host, "path": u.path})
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect(srv.port) as c:
            r = c.get("/p", params=[("a", "x y"), ("b", "1"), ("b", "2")])
            assert r.headers["content-type"] == "application/json"
            assert r.json() == {"q": {"a": "x y", "b": ["1", "2"]}, "host": "127.0.0.1",
                                "path": "/p"}


def test_many_clients_sending_half_a_head_are_closed_after_head_timeout(h):
    with h.http.listen(head_timeout=60, keepalive_timeout=None) as srv:
        srv.serve(lambda req: "never")
        clients = []
        for _ in range(40):
            c = h.stream.dial(srv.port, timeout=3000)
            c.write(b"GET /never-finished HTTP/1.1\r\nHost: x\r\nX-Half: ")
            clients.append(c)
        t0 = h.now()
        for c in clients:
            assert read_all(c) == b""   # closed without an answer
            c.close()
        assert h.now() - t0 < 2000
        h.sleep(20)
        assert not srv.connections


def test_idle_keep_alive_connection_closes_after_keepalive_timeout(h):
    with h.http.listen(keepalive_timeout=50) as srv:
        srv.serve(lambda req: "once")
        with h.stream.dial(srv.port, timeout=3000) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = h.now()
            assert read_all(c).endswith(b"once")
            assert h.now() - t0 >= 40


def test_no_timeouts_keep_a_half_head_open(h):
    with h.http.listen(head_timeout=None, keepalive_timeout=None) as srv:
        srv.serve(lambda req: "x")
        with h.stream.dial(srv.port, timeout=150) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            with pytest.raises(levee.Timeout):
                c.read()
            assert len(srv.connections) == 1


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run([os.path.join(ROOT, "tests", "tls", "mkcerts"), str(d)], check=True,
                   env=PEER_ENV)
    return d


def test_https_client_pool_and_curl_against_a_tls_server(h, certs):
    server_tls = {"cert_file": str(certs / "server.pem"), "key_file": str(certs / "server.key")}
    client_tls = {"ca_file": str(certs / "ca.pem")}
    with h.http.listen(tls=server_tls) as srv:
        srv.serve(lambda req: (200, {"Content-Type": "text/plain"}, "tls " + req.path))
        url = "https://127.0.0.1:%d" % srv.port
        with h.http.connect(url, tls=client_tls, timeout=5000) as c:
            for i in range(3):
                assert c.get("/%d" % i).read() == b"tls /%d" % i
            big = os.urandom(300000)
            assert c.post("/up", data=big).read() == b"tls /up"
        with h.http.pool(url, tls=client_tls, size=2) as pool:
            assert pool.get("/pooled").read() == b"tls /pooled"
        rc, out, _ = curl(h, "--cacert", str(certs / "ca.pem"), url + "/curl")
        assert rc == 0 and out == b"tls /curl"
        # an https:// URL without the CA is refused, never plaintext
        with pytest.raises(levee.TLSError):
            h.http.connect(url)
        h.sleep(50)
