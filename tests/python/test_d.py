"""levee.Buffer and levee.Iovec (levee.d for Python)."""
import pytest

import levee


def test_buffer_write_bytes_len_and_protocol_views():
    buf = levee.Buffer()
    buf.write(b"foo")
    buf.write(bytearray(b"bar"))
    buf.write("baz")
    assert len(buf) == 9
    assert bytes(buf) == b"foobarbaz"
    assert bytes(buf.memoryview()) == b"foobarbaz"


def test_buffer_release_only_when_empty():
    buf = levee.Buffer(10)
    buf.write(b"x")
    assert buf.release() is False
    assert bytes(buf) == b"x"
    buf.trim()
    assert buf.release() is True
    buf.write(b"y")
    assert bytes(buf) == b"y"


def test_buffer_value_forms():
    buf = levee.Buffer()
    buf.write(b"foobar")
    assert bytes(buf.value()) == b"foobar"
    assert bytes(buf.value(3)) == b"foo"
    assert bytes(buf.value(3, True)) == b"bar"
    assert bytes(buf.value(3, 1)) == b"b"
    assert bytes(buf.value(100, 2)) == b""
    assert bytes(buf.slice(4)) == b"foob"


def test_buffer_tail_bump_and_ensure():
    buf = levee.Buffer()
    assert buf.cap == 0
    assert buf.ensure(10) is buf
    assert buf.available() >= 10
    view = buf.tail()
    view[:4] = b"abcd"
    buf.bump(4)
    assert bytes(buf) == b"abcd"


def test_buffer_peek_take_trim():
    buf = levee.Buffer()
    buf.write(b"foobar")
    assert buf.peek(3) == b"foo"
    assert buf.take(3) == b"foo"
    assert buf.take() == b"bar"
    buf.write(b"xyz")
    assert buf.trim(1) == 1
    assert buf.trim() == 2
    assert len(buf) == 0


def test_buffer_copy_and_move_into_bytearray():
    buf = levee.Buffer()
    buf.write(b"foobar")
    dst = bytearray(4)
    assert buf.copy(dst) == 4
    assert dst == b"foob"
    assert len(buf) == 6
    assert buf.move(dst, 2) == 2
    assert dst[:2] == b"fo"
    assert bytes(buf) == b"obar"


def test_buffer_freeze_thaw_truncate():
    buf = levee.Buffer()
    buf.write(b"HEADbody")
    buf.freeze(4)
    assert bytes(buf) == b"body"
    buf.trim()
    buf.write(b"z" * 20000)
    buf.thaw()
    assert bytes(buf) == b"HEAD" + b"z" * 20000
    buf.trim(10)
    buf.truncate()
    assert len(buf) == 20004 - 10


def test_buffer_bad_sizes_raise():
    buf = levee.Buffer()
    with pytest.raises(ValueError):
        levee.Buffer(-1)
    with pytest.raises(ValueError):
        buf.ensure(-1)
    with pytest.raises(levee.Error) as e:
        buf.ensure(2 ** 50)
    assert e.value.name == "ENOMEM"
    with pytest.raises(levee.Error) as e:
        buf.bump(buf.available() + 1)
    assert e.value.name == "EINVAL"
    with pytest.raises(TypeError):
        buf.trim("x")


def test_buffer_close_is_idempotent_and_context_manager_closes():
    with levee.Buffer() as buf:
        buf.write(b"x")
    buf.close()
    with pytest.raises(ValueError):
        len(buf)


def test_iovec_gathers_without_copying():
    iov = levee.Iovec()
    buf = levee.Buffer()
    buf.write(b"bar")
    iov.write(b"foo")
    iov.write(buf)
    iov.writeraw(b"bazqux", 3)
    iov.writeraw(b"")
    assert len(iov) == 9
    assert iov.n == 3
    assert iov.string() == b"foobarbaz"
    entries, n = iov.value()
    assert n == 3 and entries[1].len == 3


def test_iovec_consume_and_reset():
    iov = levee.Iovec()
    iov.write(b"abc")
    iov.write(b"defg")
    assert iov.consume(4) == 4
    assert bytes(iov) == b"efg"
    iov.reset()
    assert len(iov) == 0 and iov.n == 0


def test_buffer_negative_reads_raise_and_long_lengths_clamp_to_the_data():
    buf = levee.Buffer()
    buf.write(b"abc")
    for f in (lambda: buf.value(-1), lambda: buf.peek(-1), lambda: buf.take(-1)):
        with pytest.raises(ValueError):
            f()
    buf.write(b"de", 9)
    assert buf.peek() == b"abcde"
    iov = levee.Iovec()
    iov.writeraw(b"xy", 9)
    assert len(iov) == 2


def test_bad_arguments_name_what_was_expected():
    from levee.d import Iovec
    with pytest.raises(TypeError, match="Iovec: size must be an int, not str"):
        Iovec("x")
    with pytest.raises(ValueError, match="Iovec: size must be >= 0"):
        Iovec(-1)
    with pytest.raises(TypeError, match="data must be bytes-like, str or a levee.Buffer, not int"):
        levee.Buffer(8).write(42)
    with pytest.raises(TypeError, match="data must be bytes-like"):
        Iovec().write(42)
    with pytest.raises(TypeError, match="size must be an int, not str"):
        levee.Buffer("x")
