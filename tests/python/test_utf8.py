"""levee.utf8: validation with the utf8 domain's errors, charlen, and the
escaping modes, on invalid UTF-8 of every kind."""
import pytest

import levee
from levee import utf8


@pytest.mark.parametrize("data,name", [
    (b"\x80", "EENCODING"), (b"\xc0\xaf", "EENCODING"), (b"\xe0\x80\xaf", "EENCODING"),
    (b"\xed\xa0\x80", "ESURROGATE"), (b"\xf4\x90\x80\x80", "ECODEPOINT"),
    (b"\xf5\x80\x80\x80", "ECODEPOINT"), (b"\xc3", "ETOOSHORT"), (b"\xe2\x82", "ETOOSHORT"),
    (b"\xc3A", "EENCODING"), (b"\xff", "EENCODING"),
])
def test_every_kind_of_fault_raises_its_error(data, name):
    assert not utf8.is_valid(data)
    with pytest.raises(levee.UTF8Error) as e:
        utf8.validate(b"12345678" + data)
    assert e.value.name == name and e.value.domain == "utf8"
    assert e.value.offset == 8 == utf8.valid_prefix(b"12345678" + data)
    assert isinstance(e.value, ValueError)


def test_valid_text():
    for data in [b"", b"plain", "caf\u00e9 \u20ac \U0001F62C".encode(), b"\xf4\x8f\xbf\xbf",
                 bytearray(b"abc"), memoryview(b"abc")]:
        assert utf8.validate(data) is None
        assert utf8.is_valid(data)
    assert utf8.is_valid("text as str")
    assert not utf8.is_valid("lone \ud800 surrogate")


def test_charlen():
    assert [utf8.charlen(s) for s in ["a", "\u00e9", "\u20ac", "\U0001F62C"]] == [1, 2, 3, 4]
    with pytest.raises(levee.UTF8Error) as e:
        utf8.charlen(b"")
    assert e.value.name == "ETOOSHORT"
    with pytest.raises(levee.UTF8Error):
        utf8.charlen(b"\x80")


def test_encode_modes():
    assert utf8.encode("hi: \U0001F62C\U0001F47B") == b"hi:%20%F0%9F%98%AC%F0%9F%91%BB"
    assert utf8.encode("a/b?&=", utf8.URI_COMPONENT) == b"a%2Fb%3F%26%3D"
    assert utf8.encode("a b+", utf8.URI_COMPONENT | utf8.SPACE_PLUS) == b"a+b%2B"
    assert utf8.encode('say "hi"\n', utf8.JSON) == b'say \\"hi\\"\\n'
    with pytest.raises(levee.UTF8Error):
        utf8.encode(b"\xff")


def test_decode_undoes_encode():
    s = 'a b+c/d?e "q"\n\\ \u00e9 \U0001F62C'
    for mode in (utf8.NONE, utf8.URI_COMPONENT, utf8.URI_COMPONENT | utf8.SPACE_PLUS, utf8.JSON):
        assert utf8.decode(utf8.encode(s, mode), mode) == s.encode()
    with pytest.raises(levee.UTF8Error) as e:
        utf8.decode(b"%zz")
    assert e.value.name == "EESCAPE"
    with pytest.raises(levee.UTF8Error) as e:
        utf8.decode(b"\\ud83d", utf8.JSON)
    assert e.value.name == "ESURROGATE"


def test_wrong_types():
    with pytest.raises(TypeError):
        utf8.validate(42)
