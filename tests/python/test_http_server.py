"""levee.http server for Python (h.http.listen): curl and raw sockets as
peers on loopback. Keep-alive, pipelining answered in order, chunked bodies
both ways, HEAD/204, size limits (400/413/414/431), refused framing,
vanishing peers, timeouts, shutdown, and no leaked fds."""
import os

import pytest

import levee
from levee import http

from conftest import curl, read_all  # noqa: E402  (the fixture h comes from conftest too)


def read_responses(conn, n):
    """n responses from a raw connection, as (status line, headers, body)
    read with a response Parser (Content-Length bodies only)."""
    p = http.Parser(response=True)
    data = b""
    got = []
    while len(got) < n:
        consumed, head = p.read_head(data)
        if head is None:
            data = data[consumed:] + conn.read()
            continue
        data = data[consumed:]
        p.reset()
        while len(data) < head.length:
            data += conn.read()
        got.append((head.status, head, data[:head.length]))
        data = data[head.length:]
    return got


def echo(req):
    if req.method == "POST" or req.method == "PUT":
        return (200, {"X-Chunked": str(req.chunked)}, req.read())
    return "%s %s\n" % (req.method, req.path)


def test_curl_get_answers_with_body_date_and_length(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, _ = curl(h, "-i", "http://127.0.0.1:%d/hello?x=1" % srv.port)
        assert rc == 0
        head, body = out.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nDate: " in head
        assert head.endswith(b"\r\nContent-Length: 15")
        assert body == b"GET /hello?x=1\n"


def test_curl_post_body_is_read_by_the_handler(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, _ = curl(h, "--data-binary", "posted data", "http://127.0.0.1:%d/p" % srv.port)
        assert rc == 0 and out == b"posted data"


def test_curl_chunked_upload_is_decoded(h, tmp_path):
    payload = os.urandom(200000)
    f = tmp_path / "up.bin"
    f.write_bytes(payload)
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, _ = curl(h, "-i", "-H", "Transfer-Encoding: chunked", "--data-binary",
                          "@%s" % f, "http://127.0.0.1:%d/up" % srv.port)
        assert rc == 0
        head, body = out.split(b"\r\n\r\n", 1)
        assert b"X-Chunked: True" in head
        assert body == payload


def test_curl_expect_100_continue_gets_an_interim_response(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, err = curl(h, "-v", "-H", "Expect: 100-continue", "--data-binary", "x" * 5000,
                            "http://127.0.0.1:%d/e" % srv.port)
        assert rc == 0 and out == b"x" * 5000
        assert "HTTP/1.1 100 Continue" in err


def test_unread_body_behind_expect_100_closes_after_the_answer(h):
    with h.http.listen() as srv:
        srv.serve(lambda req: (417, "no thanks"))
        with h.stream.dial(srv.port) as c:
            c.write(b"PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n")
            out = read_all(c)
            assert out.startswith(b"HTTP/1.1 417 Expectation Failed\r\n")
            assert b"Connection: close" in out and b"100 Continue" not in out


def test_curl_reuses_one_keep_alive_connection_for_two_urls(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, _ = curl(h, "http://127.0.0.1:%d/a" % srv.port,
                          "http://127.0.0.1:%d/b" % srv.port)
        assert rc == 0
        assert out == b"GET /a\nGET /b\n"
        assert srv.accepted == 1


def test_curl_head_gets_headers_only(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        rc, out, _ = curl(h, "-I", "http://127.0.0.1:%d/h" % srv.port)
        assert rc == 0
        assert out.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Content-Length: 8\r\n" in out
        assert out.endswith(b"\r\n\r\n")


def test_curl_reads_a_chunked_response(h):
    def app(req):
        w = req.respond(200, {"Content-Type": "text/plain"}, None)
        for i in range(3):
            w.send("part %d\n" % i)
        w.close()
    with h.http.listen() as srv:
        srv.serve(app)
        rc, out, _ = curl(h, "-i", "http://127.0.0.1:%d/" % srv.port)
        assert rc == 0
        head, body = out.split(b"\r\n\r\n", 1)
        assert b"Transfer-Encoding: chunked" in head
        assert body == b"part 0\npart 1\npart 2\n"


def test_curl_sized_response_written_by_the_app(h):
    def app(req):
        w = req.respond(200, None, 10)
        w.write(b"01234")
        req.conn.write(b"56789")
        w.close()
    with h.http.listen() as srv:
        srv.serve(app)
        rc, out, _ = curl(h, "http://127.0.0.1:%d/" % srv.port)
        assert rc == 0 and out == b"0123456789"


def test_chunk_data_written_by_the_app_after_a_chunk_header(h):
    def app(req):
        w = req.respond(200, None, None)
        w.send(3)
        req.conn.write(b"abc")
        w.send("de")
        w.send(1)
        w.write(b"f")
        w.close()
    with h.http.listen() as srv:
        srv.serve(app)
        with h.http.connect(srv.port) as c:
            r = c.get("/")
            assert r.chunked and list(r.chunks()) == [b"abc", b"de", b"f"]
            assert c.get("/").read() == b"abcdef"


def test_sendfile_serves_a_file_and_404s_a_missing_one(h, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"file body\n" * 1000)

    def app(req):
        req.sendfile(str(tmp_path / req.path.lstrip("/")))
    with h.http.listen() as srv:
        srv.serve(app)
        rc, out, _ = curl(h, "http://127.0.0.1:%d/f.txt" % srv.port)
        assert rc == 0 and out == f.read_bytes()
        rc, out, _ = curl(h, "-i", "http://127.0.0.1:%d/missing" % srv.port)
        assert out.startswith(b"HTTP/1.1 404 Not Found") and out.endswith(b"Not Found\n")


def test_three_pipelined_requests_in_one_write_are_answered_in_order(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo"
                    b"GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = read_responses(c, 3)
            assert [b for _, _, b in got] == [b"GET /1\n", b"two", b"GET /3\n"]
        assert srv.accepted == 1


def test_answers_given_out_of_order_go_out_in_request_order(h):
    with h.http.listen() as srv:
        def serve():
            conn = srv.recv()
            reqs = [conn.recv() for _ in range(3)]
            for req in reversed(reqs):
                req.respond(200, None, req.path)
            h.spawn(lambda: [None for _ in conn])  # runs until the peer closes
        h.spawn(serve)
        with h.stream.dial(srv.port) as c:
            c.write(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3)))
            got = read_responses(c, 3)
            assert [b for _, _, b in got] == [b"/0", b"/1", b"/2"]


def test_streaming_answer_waits_for_its_turn(h):
    with h.http.listen() as srv:
        def serve():
            conn = srv.recv()
            r1, r2 = conn.recv(), conn.recv()
            done = []

            def second():
                w = r2.respond(200, None, None)   # waits until r1 is answered
                w.send("late")
                w.close()
                done.append(2)
            h.spawn(second)
            assert done == []
            r1.respond(200, None, "first")
            h.spawn(lambda: [None for _ in conn])
        h.spawn(serve)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"0\r\n\r\n"):
                data += c.read()
            assert data.index(b"first") < data.index(b"4\r\nlate\r\n")


def test_204_and_304_carry_no_body_or_length(h):
    def app(req):
        return (int(req.path[1:]), {"X-A": "1"}, "ignored")
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /200 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = read_responses(c, 3)
            assert [s for s, _, _ in got] == [204, 304, 200]
            assert got[0][1].header("content-length") is None
            assert got[1][1].header("content-length") is None
            assert got[2][2] == b"ignored"


def test_request_headers_are_case_insensitive(h):
    seen = {}

    def app(req):
        seen["a"] = req.headers["x-thing"]
        seen["all"] = req.headers.getall("X-THING")
        seen["in"] = "X-Thing" in req.headers
        seen["version"] = req.version
        return "ok"
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Thing: a\r\nx-thing: b\r\n\r\n")
            read_responses(c, 1)
    assert seen == {"a": "a", "all": ["a", "b"], "in": True, "version": 1}


def test_oversized_header_is_answered_431_and_closed(h):
    with h.http.listen(max_value=100) as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 200 + b"\r\n\r\n")
            out = read_all(c)
            assert out.startswith(b"HTTP/1.1 200 OK")
            assert b"HTTP/1.1 431 Request Header Fields Too Large\r\n" in out
            assert b"Connection: close" in out


def test_oversized_header_arriving_slowly_is_431(h):
    with h.http.listen(max_value=100, max_uri=64) as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            h.continue_()
            c.write(b"X-Big: " + b"v" * 200 + b"\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 431 ")


def test_too_many_header_bytes_is_answered_431(h):
    with h.http.listen(max_head=1024) as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 50)
                                                     for i in range(40)) + b"\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 431 ")


def test_oversized_uri_is_answered_414(h):
    with h.http.listen(max_uri=64) as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /" + b"a" * 200 + b" HTTP/1.1\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 414 URI Too Long\r\n")
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /" + b"a" * 200)   # the line is not even complete
            assert read_all(c).startswith(b"HTTP/1.1 414 URI Too Long\r\n")
        with h.stream.dial(srv.port) as c:
            c.write(b"GETTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT / HTTP/1.1\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 400 ")


def test_too_large_body_is_answered_413_without_calling_the_handler(h):
    called = []

    def app(req):
        called.append(req)
        return "no"
    with h.http.listen(max_body=10) as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
    assert called == []


def test_too_large_chunked_body_is_answered_413(h):
    errors = []

    def app(req):
        try:
            req.read()
        except levee.HTTPError as e:
            errors.append(e.name)
            raise
    with h.http.listen(max_body=10) as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 413 ")
    assert errors == ["ESIZE"]


def test_content_length_with_transfer_encoding_is_400_and_closed(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"3\r\nabc\r\n0\r\n\r\n")
            out = read_all(c)
            assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
            assert out.count(b"HTTP/1.1") == 1


def test_differing_content_lengths_are_400(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
            assert read_all(c).startswith(b"HTTP/1.1 400 ")


def test_garbage_is_400(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"\x00\x01 nonsense\r\n\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 400 ")


def test_malformed_chunked_body_is_400(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            assert read_all(c).startswith(b"HTTP/1.1 400 ")


def test_connection_close_request_is_answered_then_closed(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            out = read_all(c)
            assert out.count(b"HTTP/1.1 200") == 1
            assert b"Connection: close\r\n" in out and out.endswith(b"GET /a\n")


def test_http10_closes_unless_keep_alive(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            (status, head, body), = read_responses(c, 1)
            assert head.header("connection") == "keep-alive" and body == b"GET /a\n"
            c.write(b"GET /b HTTP/1.0\r\n\r\n")
            out = read_all(c)
            assert out.startswith(b"HTTP/1.1 200") and out.endswith(b"GET /b\n")


def test_http10_streaming_response_is_delimited_by_close(h):
    def app(req):
        w = req.respond(200, None, None)
        w.send("a")
        w.send("b")
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.0\r\n\r\n")
            out = read_all(c)
            head, body = out.split(b"\r\n\r\n", 1)
            assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
            assert body == b"ab"


def test_head_of_a_chunked_response_sends_no_chunks(h):
    def app(req):
        w = req.respond(200, None, None)
        w.send("never sent to HEAD")
        w.close()
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            out = read_all(c)
            first, rest = out.split(b"\r\n\r\n", 1)
            assert b"Transfer-Encoding: chunked" in first
            assert rest.startswith(b"HTTP/1.1 200 OK\r\n")


def test_peer_vanishing_mid_head_and_mid_body_leaves_the_server_serving(h):
    got = []

    def app(req):
        try:
            got.append(req.read())
        except levee.Closed:
            got.append("closed")
            raise
        return "ok"
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: half")
        with h.stream.dial(srv.port) as c:
            c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
        h.continue_()
        rc, out, _ = curl(h, "-d", "fine", "http://127.0.0.1:%d/" % srv.port)
        assert rc == 0 and out == b"ok"
        assert got == ["closed", b"fine"]
        assert len(srv.connections) == 0


def test_peer_gone_before_the_answer_is_not_an_error(h):
    with h.http.listen() as srv:
        result = []

        def serve():
            conn = srv.recv()
            req = conn.recv()
            conn.io.shutdown("rw")   # as if the peer vanished
            req.respond(200, None, "nobody listens")   # not an error
            # the answer goes out when the loop asks for the next request
            # (with any pipelined ones): the connection closes then
            with pytest.raises(levee.Closed):
                conn.recv()
            result.append(conn.closed)
            conn.close()
        h.spawn(serve)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            read_all(c)
        assert result == [True]


def test_streaming_to_a_vanished_peer_raises_closed(h):
    with h.http.listen() as srv:
        result = []

        def serve():
            conn = srv.recv()
            req = conn.recv()
            w = req.respond(200, None, None)
            conn.io.shutdown("rw")
            try:
                for _ in range(100):
                    w.send("x" * 1000)
            except (levee.Closed, BrokenPipeError, ConnectionResetError):
                result.append("raised")
            conn.close()
        h.spawn(serve)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            read_all(c)
        assert result == ["raised"]


def test_idle_connection_is_closed_after_the_timeout(h):
    with h.http.listen(timeout=20) as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_all(c).endswith(b"GET /\n")   # answered, then closed when idle
        assert len(srv.connections) == 0


def test_handler_exception_answers_500_and_closes(h, capsys):
    def app(req):
        if req.path == "/boom":
            raise ValueError("boom")
        return "fine"
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n")
            out = read_all(c)
            assert out.startswith(b"HTTP/1.1 200 OK") and b"fine" in out
            assert b"HTTP/1.1 500 Internal Server Error" in out and b"never" not in out
        rc, out, _ = curl(h, "http://127.0.0.1:%d/again" % srv.port)
        assert out == b"fine"
    assert "ValueError: boom" in capsys.readouterr().err


def test_handler_return_forms(h):
    def app(req):
        return {"/a": b"bytes", "/b": (201, "two"), "/c": (202, {"X-C": "c"}, "three")}[req.path]
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            got = read_responses(c, 3)
            assert [(s, b) for s, _, b in got] == [(200, b"bytes"), (201, b"two"), (202, b"three")]
            assert got[2][1].header("x-c") == "c"


def test_shutdown_finishes_in_flight_and_closes_idle(h):
    with h.http.listen() as srv:
        go_s, go_r = h.pipe()

        def app(req):
            if req.path == "/slow":
                go_r.recv()
            return "done " + req.path
        srv.serve(app)
        idle = h.stream.dial(srv.port)
        idle.write(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        read_responses(idle, 1)
        busy = h.stream.dial(srv.port)
        busy.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        h.continue_()
        assert len(srv.connections) == 2

        def release():
            go_s.send(True)
        h.spawn_later(10, release)
        srv.shutdown(10000)
        assert read_all(idle) == b""
        out = read_all(busy)
        assert out.startswith(b"HTTP/1.1 200") and b"Connection: close" in out
        assert out.endswith(b"done /slow")
        with pytest.raises(ConnectionRefusedError):
            h.stream.dial(srv.port)
        idle.close(), busy.close()


def test_shutdown_force_closes_at_the_deadline(h):
    with h.http.listen() as srv:
        stuck_s, stuck_r = h.pipe()

        def app(req):
            try:
                stuck_r.recv()
            except levee.Closed:
                pass
            return "late"
        srv.serve(app)
        c = h.stream.dial(srv.port)
        c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        h.continue_()
        srv.shutdown(10)
        assert len(srv.connections) == 0
        assert read_all(c) == b""
        stuck_s.close()
        h.continue_()
        c.close()


def test_iterating_a_server_and_its_connections(h):
    with h.http.listen() as srv:
        seen = []

        def loop():
            for conn in srv:
                for req in conn:
                    seen.append((req.method, req.path, req.read()))
                    req.respond(200, [("X-N", "1"), ("X-N", "2")], "ok")
                conn.close()
        h.spawn(loop)
        with h.stream.dial(srv.port) as c:
            c.write(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            (status, head, body), = read_responses(c, 1)
            assert [v for k, v in head.headers if k == "X-N"] == ["1", "2"]
        h.continue_()
    assert seen == [("PUT", "/x", b"hi")]


def test_unread_body_is_discarded_before_the_next_request(h):
    def app(req):
        return req.path
    with h.http.listen() as srv:
        srv.serve(app)
        with h.stream.dial(srv.port) as c:
            c.write(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
                    b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                    b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            got = read_responses(c, 3)
            assert [b for _, _, b in got] == [b"/a", b"/b", b"/c"]


def test_listen_refuses_unknown_limits(h):
    with pytest.raises(TypeError):
        h.http.listen(max_nonsense=1)


def test_requests_arriving_a_byte_at_a_time(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            raw = (b"POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
                   b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            for i in range(len(raw)):
                c.write(raw[i:i + 1])
            got = read_responses(c, 2)
            assert [b for _, _, b in got] == [b"abcde", b"GET /next\n"]


def test_a_long_pipelined_batch_spanning_many_reads(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        with h.stream.dial(srv.port) as c:
            n = 8000
            batch = b"".join(b"GET /%d HTTP/1.1\r\nHost: somewhere\r\n\r\n" % i for i in range(n))
            assert len(batch) > 4 * 65536
            h.spawn(c.write, batch)
            got = read_responses(c, n)
            assert [b for _, _, b in got] == [b"GET /%d\n" % i for i in range(n)]
        assert srv.accepted == 1


def test_many_concurrent_clients(h):
    with h.http.listen() as srv:
        srv.serve(echo)
        done = []

        def client(i):
            with h.http.connect(srv.port) as c:
                for j in range(10):
                    assert c.post("/", data="%d-%d" % (i, j)).read() == b"%d-%d" % (i, j)
            done.append(i)
        for i in range(50):
            h.spawn(client, i)
        while len(done) < 50:
            h.sleep(1)
        assert srv.accepted == 50
        h.continue_()
        assert len(srv.connections) == 0


def test_wait_returns_once_the_server_closes(h):
    srv = h.http.listen()
    srv.serve(echo)
    h.spawn_later(1, srv.close)
    srv.wait()
    assert srv.closed
    assert list(srv) == []
