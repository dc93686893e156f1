"""levee.http: Parser (requests, responses, chunked, limits, smuggling) and Status."""
import pytest

import levee
from levee import http
from levee.http import Parser, Status, HTTPError, UNTIL_CLOSE


def test_read_head_of_a_request_in_one_call():
    data = b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept:  */* \r\n\r\nrest"
    p = Parser()
    n, head = p.read_head(data)
    assert n == len(data) - 4
    assert (head.method, head.target, head.version) == ("GET", "/a?b=1", 1)
    assert head.headers == [("Host", "x"), ("Accept", "*/*")]
    assert head.header("host") == "x"
    assert head.header("missing", "d") == "d"
    assert head.length == 0 and not head.chunked
    assert p.is_done()


def test_read_head_incrementally_byte_by_byte():
    data = b"POST /p HTTP/1.0\r\nContent-Length: 5\r\nX: y\r\n\r\nhello"
    p = Parser()
    buf = bytearray()
    head = None
    for i in range(len(data)):
        buf.append(data[i])
        n, head = p.read_head(buf)
        del buf[:n]
        if head is not None:
            break
    assert head.method == "POST" and head.version == 0
    assert head.length == 5
    assert head.headers == [("Content-Length", "5"), ("X", "y")]


def test_many_headers_span_several_bulk_calls():
    data = b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: %d\r\n" % (i, i) for i in range(99)) + b"\r\n"
    n, head = Parser().read_head(data)
    assert n == len(data)
    assert len(head.headers) == 99
    assert head.headers[98] == ("H98", "98")


def test_response_head_and_until_close():
    p = Parser(response=True)
    n, head = p.read_head(b"HTTP/1.1 200 OK\r\nServer: s\r\n\r\n")
    assert (head.status, head.reason, head.version) == (200, "OK", 1)
    assert head.length == UNTIL_CLOSE
    p.init_response()
    n, head = p.read_head(memoryview(b"HTTP/1.1 204 No Content\r\n\r\n"))
    assert head.status == 204 and head.length == 0


def test_chunked_body():
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n"
    p = Parser(response=True)
    n, head = p.read_head(data)
    assert head.chunked
    pos, body = n, b""
    while True:
        n, size = p.chunk(data[pos:])
        pos += n
        if size == 0:
            break
        body += data[pos:pos + size]
        pos += size
    assert body == b"wikipedia"
    assert pos == len(data)
    assert p.is_done()


def test_next_tokens():
    p = Parser()
    data = b"GET / HTTP/1.1\r\nA: b\r\n\r\n"
    assert p.next(data[:5]) == (0, None)
    n, tok = p.next(data)
    assert tok == ("request", "GET", "/", 1)
    n2, tok = p.next(data[n:])
    assert tok == ("field", "A", "b")
    _, tok = p.next(data[n + n2:])
    assert tok == ("body", False, 0)


@pytest.mark.parametrize("data", [
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
    b"GET / HTTP/1.1\nA: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nA : b\r\n\r\n",
])
def test_smuggling_and_syntax_raise_http_error(data):
    with pytest.raises(HTTPError) as e:
        Parser().read_head(data)
    assert e.value.name == "ESYNTAX"
    assert isinstance(e.value, levee.Error)


def test_bad_chunk_size_raises():
    p = Parser()
    n, head = p.read_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(HTTPError):
        p.chunk(b"xx\r\n")


def test_limits():
    p = Parser(max_uri=4)
    assert p.limits()["max_uri"] == 4
    assert p.limits()["max_method"] == 32
    with pytest.raises(HTTPError) as e:
        p.read_head(b"GET /abcd HTTP/1.1\r\n\r\n")
    assert e.value.name == "ESIZE"
    p.reset()
    assert p.read_head(b"GET /abc HTTP/1.1\r\n\r\n")[1].target == "/abc"
    p.init_request(max_headers=1)
    with pytest.raises(HTTPError):
        p.read_head(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n")
    with pytest.raises(TypeError):
        p.config(max_nope=1)
    with pytest.raises(ValueError):
        p.config(max_uri=0)


def test_status():
    assert Status(200) is Status(200)
    assert Status(404, "Not Found") is Status(404)
    assert Status(200, "Fine") is not Status(200)
    assert str(Status(404)) == "HTTP/1.1 404 Not Found\r\n"
    assert Status(204).no_content() and Status(304).no_content()
    assert not Status(200).no_content()
    for c in (420, 499, 520, 521, 522, 523, 524, 598, 599):
        assert c in http.REASONS
    with pytest.raises(ValueError):
        Status(42)
