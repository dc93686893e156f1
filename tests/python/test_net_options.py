"""h.stream / h.dgram arguments in Python (docs/net.md): URLs with the
schemes levee serves, the tls hook that refuses until TLS is built in (never
a plaintext connection), and clear errors for bad arguments, as in the Lua
binding: TypeError where Lua raises, the levee error Lua returns otherwise,
with a message that names the address or the argument."""
import pytest

import levee


def test_a_url_gives_host_and_port(h):
    with h.stream.listen(port=0) as serve:
        port = serve.port()
        got = []
        h.spawn(lambda: got.append(serve.recv()))
        with h.stream.dial("tcp://127.0.0.1:%d/ignored/path" % port) as c:
            assert c.peername().port == port
        got[0].close()
        with h.stream.listen("tcp://127.0.0.1:0") as other:
            assert other.port() not in (0, port)


def test_listen_refuses_a_port_outside_0_to_65535(h):
    for port in (70000, -1, "65536"):
        with pytest.raises(levee.AddressError) as e:
            h.stream.listen(port=port)
        assert e.value.name == "ENONAME"
        assert "outside 0..65535" in str(e.value)
    assert not h.in_use()


def test_dial_without_a_port_says_so(h):
    with pytest.raises(levee.Error) as e:
        h.stream.dial(host="127.0.0.1")
    assert e.value.name == "EINVAL"
    assert "no port" in str(e.value)


def test_wrong_types_and_unknown_options_are_type_errors(h):
    with pytest.raises(TypeError, match="unknown option.*bogus"):
        h.stream.listen(port=0, bogus=1)
    with pytest.raises(TypeError, match="port must be"):
        h.stream.dial(port=1.5)
    with pytest.raises(TypeError, match="host must be"):
        h.stream.dial(port=1, host=7)
    with pytest.raises(TypeError, match="timeout"):
        h.stream.dial(port=1, timeout="soon")
    with pytest.raises(TypeError, match="tls must be"):
        h.stream.dial(port=1, tls="on")
    with pytest.raises(TypeError, match="backlog"):
        h.stream.listen(port=0, backlog="many")
    assert not h.in_use()


def test_an_empty_host_is_einval(h):
    with pytest.raises(levee.Error) as e:
        h.stream.dial(port=1, host="")
    assert e.value.name == "EINVAL"


@pytest.mark.parametrize("url", ["ftp://example.com", "imaps://example.com:993",
                                 "udp://127.0.0.1:53", "foo://bar:1"])
def test_a_scheme_levee_cannot_serve_is_an_error(h, url):
    with pytest.raises(levee.Error) as e:
        h.stream.dial(url)
    assert e.value.name == "EPROTONOSUPPORT"
    assert "is not served" in str(e.value)


@pytest.mark.parametrize("url", ["tcp://127.0.0.1", "http://:80", "http://host:8o"])
def test_a_url_without_host_or_port_is_einval(h, url):
    with pytest.raises(levee.Error) as e:
        h.stream.dial(url)
    assert e.value.name == "EINVAL"


def test_eaddrinuse_names_the_address(h):
    with h.stream.listen(port=0) as serve:
        with pytest.raises(OSError) as e:
            h.stream.listen(port=serve.port())
        assert e.value.name == "EADDRINUSE"
        assert "127.0.0.1:%d" % serve.port() in str(e.value)


def test_a_refused_dial_names_the_address(h):
    serve = h.stream.listen(port=0)
    port = serve.port()
    serve.close()
    h.continue_()
    with pytest.raises(ConnectionRefusedError) as e:
        h.stream.dial(port=port)
    assert "127.0.0.1:%d" % port in str(e.value)


def test_tls_is_refused_and_nothing_goes_out_in_plaintext(h):
    with h.stream.listen(port=0) as serve:
        got = []

        def server():
            conn = serve.recv()
            try:
                got.append(conn.read())
            except levee.Closed:
                got.append("eof")
        h.spawn(server)
        with pytest.raises(levee.TLSError) as e:
            h.stream.dial(port=serve.port(), tls={})
        assert "TLS is not available in this build" in str(e.value)
        with pytest.raises(levee.TLSError):
            h.stream.dial("https://127.0.0.1:%d" % serve.port())
        h.sleep(20)
        assert got == ["eof"]


def test_listen_with_tls_is_refused_before_binding(h):
    with pytest.raises(levee.TLSError):
        h.stream.listen(port=0, tls={"cert": "x"})
    assert not h.in_use()


def test_dgram_ports_are_checked(h):
    with pytest.raises(levee.AddressError) as e:
        h.dgram.bind(70000)
    assert e.value.name == "ENONAME"
    with pytest.raises(TypeError):
        h.dgram.bind({})
    with pytest.raises(levee.Error) as e:
        h.dgram.dial(None)
    assert e.value.name == "EINVAL"
    assert not h.in_use()
