"""TLS in Python (docs/tls.md): levee against levee, against openssl
s_client / s_server, curl and nginx, and against hostile peers. The
certificates are made at test time by tests/tls/mkcerts. Every test ends
with no fd leaked and nothing registered (the h fixture)."""
import os
import shutil
import socket
import subprocess
import time

import pytest

import levee
from levee import errors

from conftest import PEER_ENV, fds  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run([os.path.join(ROOT, "tests", "tls", "mkcerts"), str(d)], check=True, env=PEER_ENV)
    return d


@pytest.fixture(autouse=True)
def settle(h):
    """Lets the server side of each test's connections see their end before
    the h fixture checks that nothing stays registered."""
    yield
    h.sleep(50)


def server_opts(d, name="server", **more):
    return dict(cert_file=str(d / (name + ".pem")), key_file=str(d / (name + ".key")), **more)


def client_opts(d, **more):
    return dict(ca_file=str(d / "ca.pem"), **more)


def echo(conn):
    try:
        while True:
            conn.write(conn.read())
    except levee.Error:
        pass
    conn.close()


def echo_server(h, tls, **more):
    serve = h.stream.listen(0, tls=tls, **more)
    serve.spawn_every(echo)
    return serve


def roundtrip(conn, data):
    conn.write(data)
    got = b""
    while len(got) < len(data):
        got += conn.read()
    return got


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def await_port(h, port, proc=None):
    deadline = time.monotonic() + 10
    while True:
        try:
            h.stream.dial(port).close()
            return
        except levee.Error:
            assert proc is None or proc.poll() is None, "the peer exited"
            assert time.monotonic() < deadline, "nothing listens on %d" % port
            h.sleep(20)


def run(h, args, **kw):
    """Runs a peer process while the hub keeps serving; its CompletedProcess."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=kw.pop("stdin", subprocess.DEVNULL), env=PEER_ENV, **kw)
    deadline = time.monotonic() + 20
    while p.poll() is None:
        assert time.monotonic() < deadline, "peer did not finish: %r" % (args,)
        h.sleep(10)
    out = p.stdout.read()
    p.stdout.close()
    return p.returncode, out


# ---------------------------------------------------------------- configuration
def test_errors_have_their_own_classes():
    assert isinstance(errors.error_for(lib_code("ECONFIG")), levee.TLSConfigError)
    assert isinstance(errors.error_for(lib_code("ECONFIG")), ValueError)
    assert isinstance(errors.error_for(lib_code("EHANDSHAKE")), levee.TLSHandshakeError)
    e = errors.error_for(lib_code("EVERIFY"))
    assert isinstance(e, levee.TLSVerifyError) and isinstance(e, levee.TLSHandshakeError)
    assert isinstance(e, levee.TLSError)
    assert (e.domain, e.name) == ("tls", "VERIFY")
    assert str(e) == "TLS peer verification failed (tls.VERIFY)"


def lib_code(name):
    return getattr(levee._ffi.lib, "LEVEE_TLS_" + name)


def test_config_takes_every_option(certs):
    c = levee.tls.Config({
        "ca": (certs / "ca.pem").read_text(), "ca_path": str(certs / "capath"),
        "ca_file": str(certs / "ca.pem"), "cert": (certs / "server.pem").read_text(),
        "key": (certs / "server.key").read_text(),
        "certs": [{"cert_file": str(certs / "other.pem"), "key_file": str(certs / "other.key")}],
        "ciphers": "secure", "dheparams": "auto", "ecdhecurve": "X25519",
        "protocols": ["TLSv1.2", "TLSv1_3"], "verify_depth": 4, "alpn": ["h2", "http/1.1"],
        "server": {"prefer_ciphers": "client", "verify_client": "optional"},
        "insecure": {"verify_cert": True, "verify_name": True, "verify_time": True}})
    assert c.server() is not None


@pytest.mark.parametrize("opts, needle", [
    ({"verify_depth": "deep"}, "verify_depth"),
    ({"protocols": "TLSv9"}, "protocols"),
    ({"server": {"verify_client": "maybe"}}, "server.verify_client"),
    ({"insecure": {"verify_cert": "no"}}, "insecure.verify_cert"),
    ({"ca_file": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
    ({"certs": [{"cert": "x"}]}, "certs[1]"),
    ({"f": print}, "tls options"),
])
def test_bad_options_raise_tls_config_error_naming_them(opts, needle):
    with pytest.raises(levee.TLSConfigError) as info:
        levee.tls.Config(opts)
    assert needle in str(info.value)


def test_a_server_needs_a_certificate():
    with pytest.raises(levee.TLSConfigError):
        levee.tls.Config({}).server()


# ---------------------------------------------------------------- levee to levee
def test_dial_and_listen_with_tls_echo_and_info(h, certs):
    serve = echo_server(h, server_opts(certs, alpn=["h2", "http/1.1"]))
    with h.stream.dial(serve.port(), tls=client_opts(certs, alpn="http/1.1")) as conn:
        assert roundtrip(conn, b"hello") == b"hello"
        info = conn.tls_info()
        assert info["version"] == "TLSv1.3"
        assert info["alpn"] == "http/1.1"
        assert info["server_name"] == "127.0.0.1"
        assert "CN=localhost" in info["peer"]["subject"]
        assert "levee test CA" in info["peer"]["issuer"]
        assert info["peer"]["hash"].startswith("SHA256:")
        assert info["peer"]["not_before"] <= time.time() < info["peer"]["not_after"]
    serve.close()


def test_every_io_method_over_tls(h, certs):
    serve = echo_server(h, server_opts(certs))
    conn = h.stream.dial(serve.port(), tls=client_opts(certs))
    big = os.urandom(1 << 20)
    h.spawn(conn.write, big)  # one write of 1 MiB goes out whole
    buf = levee.Buffer()
    conn.readinto(buf, len(big))
    assert bytes(buf) == big
    s = conn.stream()
    conn.write(b"line one\nrest")
    assert s.line() == b"line one"
    assert s.take(4) == b"rest"
    conn.write(b'{"a": [1, 2]}')
    assert s.json() == {"a": [1, 2]}
    conn.close()
    serve.close()


def test_reads_never_hang_when_data_and_close_notify_arrive_together(h, certs):
    serve = h.stream.listen(0, tls=server_opts(certs))

    def last_words():
        conn = serve.recv()
        conn.write(b"last words")
        conn.close()
    h.spawn(last_words)
    conn = h.stream.dial(serve.port(), timeout=2000, tls=client_opts(certs))
    got = b""
    with pytest.raises(levee.Closed):
        while True:
            got += conn.read()
    assert got == b"last words"
    serve.close()


@pytest.mark.parametrize("cert, name", [("wrongname", "127.0.0.1"), ("server", "example.com"),
                                        ("expired", "localhost"), ("rogue", "localhost")])
def test_refused_wrong_name_expired_unknown_ca(h, certs, cert, name):
    serve = echo_server(h, server_opts(certs, cert))
    with pytest.raises(levee.TLSVerifyError) as info:
        h.stream.dial(serve.port(), tls=client_opts(certs, server_name=name))
    assert ": " in str(info.value)  # libtls's own text follows
    with pytest.raises(levee.TLSVerifyError):  # the system CAs do not know the test CA
        h.stream.dial(serve.port(), tls={"server_name": "localhost"})
    serve.close()


def test_insecure_switches(h, certs):
    serve = echo_server(h, server_opts(certs, "expired"))
    conn = h.stream.dial(serve.port(), tls=client_opts(certs, insecure={"verify_time": False}))
    assert roundtrip(conn, b"ok") == b"ok"
    conn.close()
    with pytest.raises(levee.TLSVerifyError):
        h.stream.dial(serve.port(), tls=client_opts(certs, insecure={"verify_name": False}))
    serve.close()


def test_required_client_certificate(h, certs):
    serve = echo_server(h, server_opts(certs, ca_file=str(certs / "ca.pem"),
                                       server={"verify_client": True}))
    # TLS 1.3: the client finishes first and learns of the refusal on read
    with pytest.raises((levee.Closed, levee.TLSError)):
        conn = h.stream.dial(serve.port(), timeout=2000, tls=client_opts(certs))
        try:
            conn.write(b"x")
            conn.read()
        finally:
            conn.close()
    with h.stream.dial(serve.port(), tls=client_opts(certs, cert_file=str(certs / "client.pem"),
                                                      key_file=str(certs / "client.key"))) as good:
        assert roundtrip(good, b"after") == b"after"
    serve.close()


def test_sni_chooses_the_certificate(h, certs):
    serve = echo_server(h, server_opts(certs, certs=[{"cert_file": str(certs / "other.pem"),
                                                      "key_file": str(certs / "other.key")}]))
    for name in ("other.test", "localhost"):
        with h.stream.dial(serve.port(), tls=client_opts(certs, server_name=name)) as conn:
            assert "CN=" + name in conn.tls_info()["peer"]["subject"]
    serve.close()


def test_config_upgrade_and_server_upgrade(h, certs):
    plain = h.stream.listen(0)
    server = levee.tls.Config(server_opts(certs)).server()

    def serve():
        conn = server.upgrade(plain.recv())
        conn.handshake()
        conn.write(conn.read())
        conn.close()
    h.spawn(serve)
    conn = levee.tls.Config(client_opts(certs)).upgrade(h.stream.dial(plain.port()), "localhost")
    conn.handshake()
    assert roundtrip(conn, b"ping") == b"ping"
    conn.close()
    plain.close()


# ---------------------------------------------------------------- hostile peers
def test_listener_survives_garbage_stall_and_reset(h, certs):
    serve = echo_server(h, server_opts(certs, handshake_timeout=300))
    port = serve.port()
    junk = h.stream.dial(port)
    junk.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(levee.Closed):
        while True:
            junk.read()
    staller = h.stream.dial(port)
    staller.write(b"\x16\x03\x01\x02\x00\x01")  # a record header and one byte, then silence
    with h.stream.dial(port, tls=client_opts(certs)) as conn:
        assert roundtrip(conn, b"served") == b"served"
    staller.timeout = 5000
    with pytest.raises(levee.Closed):
        while True:
            staller.read()
    resetter = h.stream.dial(port)
    resetter.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    resetter.sockopt("linger", 0)
    resetter.close()
    h.sleep(20)
    with h.stream.dial(port, tls=client_opts(certs)) as conn:
        assert roundtrip(conn, b"still") == b"still"
    serve.close()
    h.sleep(20)


def test_thousand_failed_handshakes_leak_nothing(h, certs):
    serve = echo_server(h, server_opts(certs))
    port = serve.port()
    before = fds()
    for _ in range(1000):
        c = h.stream.dial(port)
        c.write(b"\x16\x03\x01\x00\x05hello")
        with pytest.raises(levee.Closed):
            while True:
                c.read()  # an alert may come first
    h.sleep(50)
    assert fds() == before
    with h.stream.dial(port, tls=client_opts(certs)) as conn:
        assert roundtrip(conn, b"alive") == b"alive"
    serve.close()
    h.sleep(20)


# ---------------------------------------------------------------- interop
def test_openssl_s_client_and_curl_against_levee(h, certs):
    serve = h.stream.listen(0, tls=server_opts(certs, alpn="http/1.1"))

    def answer(conn):
        try:
            data = conn.read()
            if data.startswith(b"GET"):
                while b"\r\n\r\n" not in data:
                    data += conn.read()
                conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
                           b"hello from levee\n")
            else:
                conn.write(b"greetings " + data + b"\n")
        except levee.Error:
            pass
        conn.close()
    serve.spawn_every(answer)
    port = serve.port()
    rc, out = run(h, ["sh", "-c", "printf x | openssl s_client -connect 127.0.0.1:%d -CAfile %s "
                      "-servername localhost -verify_return_error -quiet" % (port, certs / "ca.pem")])
    assert rc == 0, out
    assert b"greetings x" in out
    rc, out = run(h, ["curl", "-s", "--cacert", str(certs / "ca.pem"), "-w", " %{http_version}",
                      "https://127.0.0.1:%d/" % port])
    assert (rc, out) == (0, b"hello from levee\n 1.1")
    rc, out = run(h, ["curl", "-s", "https://127.0.0.1:%d/" % port])
    assert rc == 60  # curl: the peer's certificate cannot be authenticated
    serve.close()
    h.sleep(20)


def test_levee_client_against_openssl_s_server(h, certs):
    port = free_port()
    p = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
                          str(certs / "server.pem"), "-key", str(certs / "server.key"), "-www",
                          "-naccept", "2", "-quiet"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=PEER_ENV)
    try:
        await_port(h, port, p)  # the first of the two accepts
        conn = h.stream.dial(port, timeout=5000, tls=client_opts(certs, server_name="localhost"))
        conn.write(b"GET / HTTP/1.0\r\n\r\n")
        got = b""
        with pytest.raises(levee.Closed):
            while True:
                got += conn.read()
        assert got.startswith(b"HTTP/1.0 200 ok"), got[:60]
    finally:
        p.kill()
        p.wait()


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert}; ssl_certificate_key {key};
        root {d}/www;
    }}
}}
"""


def test_levee_client_against_nginx(h, certs, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "www" / "hello.txt").write_bytes(b"hello from nginx\n")
    port = free_port()
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.format(
        d=tmp_path, port=port, cert=certs / "server.pem", key=certs / "server.key"))
    p = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(tmp_path), "-c",
                          str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                         env=PEER_ENV)
    try:
        await_port(h, port, p)

        def get(conn):
            with conn:
                conn.write(b"GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
                got = b""
                with pytest.raises(levee.Closed):
                    while True:
                        got += conn.read()
                return got
        body = get(h.stream.dial(port, timeout=5000, tls=client_opts(certs)))
        assert body.startswith(b"HTTP/1.1 200 OK") and body.endswith(b"hello from nginx\n")
        with pytest.raises(levee.TLSVerifyError):
            h.stream.dial(port, tls=client_opts(certs, server_name="wrong.test"))
    finally:
        p.terminate()
        p.wait()
