"""levee.uri: parsing, attributes, sub, params, join, and malformed URIs."""
import pytest

import levee
from levee.uri import URI


def test_every_segment_is_an_attribute():
    u = URI("https://user:pw@example.com:8443/a/b.html?x=1&y=2#top")
    assert (u.scheme, u.user, u.password, u.host, u.port) == ("https", "user", "pw", "example.com", "8443")
    assert (u.path, u.query, u.fragment) == ("/a/b.html", "x=1&y=2", "top")
    assert u.userinfo == "user:pw"
    assert u.authority == "user:pw@example.com:8443"
    assert u.hierarch == "//user:pw@example.com:8443/a/b.html"
    assert u.request == "/a/b.html?x=1&y=2"
    assert str(u) == u.value == "https://user:pw@example.com:8443/a/b.html?x=1&y=2#top"


def test_absent_segments_are_none():
    u = URI("http://example.com")
    assert u.host == "example.com"
    assert [u.user, u.password, u.port, u.path, u.query, u.fragment, u.userinfo] == [None] * 7
    u = URI("/search?q=a+b")
    assert u.scheme is None and u.host is None
    assert u.request == "/search?q=a+b"


def test_bytes_and_ip_literals():
    u = URI(b"http://[::1]:80/")
    assert u.host == "[::1]" and u.port == "80"
    with pytest.raises(TypeError):
        URI(42)


@pytest.mark.parametrize("text", [
    "http://exa mple.com/", "http://host:80a/", "http://a@b@c/", "http://[::1/", "/p?q=\x01",
    "/caf\u00e9", "/%zz", "/%4", "http://h%/", "http://ho<st/",
])
def test_malformed_uris_raise_uri_esyntax(text):
    with pytest.raises(levee.URIError) as e:
        URI(text)
    assert e.value.name == "ESYNTAX" and e.value.domain == "uri"
    assert isinstance(e.value, ValueError)
    assert "byte" in str(e.value)


def test_sub_ranges_and_valid_forms():
    u = URI("http://user:pw@host:80/p/q?a=b#f")
    assert u.sub(URI.USER, URI.PORT) == "user:pw@host:80"
    assert u.sub("path", "query") == "/p/q?a=b"
    assert u.sub("query", True) == "?a=b"
    assert u.sub(levee.uri.USER, levee.uri.PORT, valid=True) == "//user:pw@host:80"
    assert u.sub("scheme", valid=True) == "http:"
    v = URI("http://host/p")
    with pytest.raises(levee.URIError) as e:
        v.sub("query", "fragment")
    assert e.value.name == "ESEGMENT"
    with pytest.raises(levee.URIError) as e:
        v.sub("path", "host")
    assert e.value.name == "ERANGE"
    with pytest.raises(levee.URIError):
        v.sub("nonsense")


def test_params_decode_and_collect_repeated_keys():
    u = URI("/x?a=1&b=x+y&&c&a=caf%C3%A9&a=3")
    assert u.params() == {"a": ["1", "caf\u00e9", "3"], "b": "x y", "c": ""}
    assert u.params() is u.params()
    assert URI("/x").params() == {}
    many = "&".join("k%d=%d" % (i, i) for i in range(300))
    assert URI("/x?" + many).params()["k299"] == "299"


def test_params_with_bad_escapes_raise_utf8_errors():
    with pytest.raises(levee.UTF8Error) as e:
        URI("/x?a=%ff").params()
    assert e.value.name == "EENCODING"
    with pytest.raises(levee.UTF8Error) as e:
        URI("/x?a=%ED%A0%80").params()
    assert e.value.name == "ESURROGATE"


@pytest.mark.parametrize("ref,want", [
    ("g:h", "g:h"), ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("/g", "http://a/g"),
    ("//g", "http://g"), ("?y", "http://a/b/c/d;p?y"), ("#s", "http://a/b/c/d;p?q#s"),
    ("", "http://a/b/c/d;p?q"), ("..", "http://a/b/"), ("../../g", "http://a/g"),
    ("../../../g", "http://a/g"), ("g;x=1/../y", "http://a/b/c/y"),
])
def test_join_resolves_rfc3986_examples(ref, want):
    assert URI("http://a/b/c/d;p?q").join(ref).value == want


def test_join_takes_a_uri_and_reports_bad_references():
    t = URI("http://a/b/c").join(URI("../x?k=v"))
    assert (t.host, t.path, t.query) == ("a", "/x", "k=v")
    with pytest.raises(levee.URIError):
        URI("http://a/").join("a b")


def test_equality_and_hash():
    assert URI("http://a/") == URI(b"http://a/")
    assert len({URI("http://a/"), URI("http://a/")}) == 1
