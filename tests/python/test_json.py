"""levee.json: strict RFC 8259 decoding through the C++ tokenizer."""
import gc
import json as stdjson
import math
import os
import sys
import threading
import tracemalloc

import pytest

import levee
from levee import json as lj

_here = os.path.dirname(os.path.abspath(__file__))


# The conformance sets live in the repository (tests/data/json, see its
# README for their sources and licences).
DATA = os.path.join(_here, "..", "data", "json")


def _read(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


# levee.json has two paths: the compiled levee._json_ext (objects built
# from the tape, text written straight into a str) and, when that module is
# missing, marshal/pickle. Every test of this file runs on both.
EXT = lj._ext


@pytest.fixture(autouse=True, params=["ext", "marshal"])
def json_path(request, monkeypatch):
    if request.param == "marshal":
        monkeypatch.setattr(lj, "_ext", None)
    return request.param


def test_the_in_tree_build_has_the_extension():
    # `make` builds it beside the library the tests load; without it the
    # "ext" runs would silently test the marshal path twice.
    assert EXT is not None, "levee._json_ext was not built or not found"
    assert os.path.dirname(EXT.__file__) == os.path.join(
        os.path.dirname(os.path.realpath(levee._ffi._path)), "bindings", "python", "levee")


CHECKER = sorted(n for n in os.listdir(os.path.join(DATA, "jsonchecker"))
                 if n.endswith(".json") and "EXCLUDE" not in n)
ROUNDTRIP = sorted(os.listdir(os.path.join(DATA, "roundtrip")))


def test_loads_builds_python_values():
    v = lj.loads('{"a": [1, -2.5, "x", true, false, null], "o": {}, "l": []}')
    assert v == {"a": [1, -2.5, "x", True, False, None], "o": {}, "l": []}
    assert type(v["a"][0]) is int and type(v["a"][1]) is float


def test_decode_and_encode_are_aliases():
    assert lj.decode is lj.loads and lj.encode is lj.dumps


def test_loads_accepts_bytes_bytearray_and_memoryview():
    for data in (b"[1, 2]", bytearray(b"[1, 2]"), memoryview(b"[1, 2]")):
        assert lj.loads(data) == [1, 2]


def test_integers_are_exact_at_any_size():
    text = "[9007199254740993, -9223372036854775808, 18446744073709551615, 123456789012345678901234567890, -0]"
    assert lj.loads(text) == [9007199254740993, -9223372036854775808, 18446744073709551615,
                              123456789012345678901234567890, 0]


def test_floats_equal_what_strtod_gives():
    for text in ["0.1", "1e23", "5e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
                 "0.30000000000000004", "1E+2", "-1.5e-7", "1e-400", "123.456e78"]:
        got = lj.loads(text)
        assert type(got) is float
        assert got == float(text) and math.copysign(1, got) == math.copysign(1, float(text)), text
    assert math.copysign(1, lj.loads("-0.0")) == -1


def test_strings_unescape_including_surrogate_pairs():
    assert lj.loads(r'"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"') == 'a"b\\c/d\b\f\n\r\t\u00e9\u20ac\U0001F600'
    assert lj.loads(b'{"\xc3\xa9": "\xe2\x82\xac"}') == {"\u00e9": "\u20ac"}


def test_repeated_keys_share_one_string_and_last_wins():
    v = lj.loads('[{"key": 1}, {"key": 2}, {"a": 1, "a": 2}]')
    assert v[0].keys() == v[1].keys() and v[2] == {"a": 2}
    assert list(v[0])[0] is list(v[1])[0]
    v = lj.loads('{"a": [1], "b": 2, "a": {"c": [3, 4]}}')
    assert v == {"a": {"c": [3, 4]}, "b": 2} and list(v) == ["a", "b"]


def test_keys_that_collide_in_the_key_cache_stay_distinct():
    # same length, same first and last 8 bytes: one cache slot for all
    keys = ["aaaaaaaa%04dbbbbbbbb" % i for i in range(3000)] + ["k%d" % i for i in range(3000)]
    keys += ["", "a", "ab", "abc", "abcd", "abcde", "x" * 64, "x" * 65, "\u00e9", "caf\u00e9", "\u6f22"]
    doc = "[" + ", ".join('{"%s": %d}' % (k, i) for i, k in enumerate(keys * 2)) + "]"
    assert lj.loads(doc) == stdjson.loads(doc)
    assert lj.loads(doc.encode()) == stdjson.loads(doc)


# Characters at each boundary of UTF-8 lengths and of CPython's storage
# widths (1, 2 and 4 bytes per character).
WIDTHS = ["\x7f", "\x80", "\xe9", "\xff", "\u0100", "\u07ff", "\u0800", "\u6f22", "\uffff",
          "\U00010000", "\U0001f600", "\U0010ffff"]


def test_strings_of_every_width_decode_as_the_stdlib_does():
    texts = WIDTHS + ["a" + c + "b" for c in WIDTHS] + ["".join(WIDTHS), "x" * 40 + "\u6f22" * 40 + "\xe9" * 17]
    for t in texts:
        for doc in (stdjson.dumps([t, {t: t}], ensure_ascii=False), stdjson.dumps([t, {t: t}])):
            got = lj.loads(doc.encode())
            assert got == stdjson.loads(doc), ascii(t)
            assert [sys.getsizeof(x) for x in (got[0], list(got[1])[0])] == [sys.getsizeof(t)] * 2


@pytest.mark.parametrize("text,name,offset", [
    (b"[1,]", "ESYNTAX", 3), (b'{"a":1,}', "ESYNTAX", 7), (b"01", "ESYNTAX", 1),
    (b"/* c */ 1", "ESYNTAX", 0), (b"NaN", "ESYNTAX", 0), (b"[Infinity]", "ESYNTAX", 1),
    (b'"\\ud800"', "EESCAPE", 1), (b'"\\udc00"', "EESCAPE", 1), (b'"\\x"', "EESCAPE", 1),
    (b'"a\xff"', "EBYTE", 2), (b'"\xc0\x80"', "EBYTE", 1), (b'"\xed\xa0\x80"', "EBYTE", 1),
    (b'"a\tb"', "EBYTE", 2), (b"[1] 2", "ESYNTAX", 4), (b"", "ESYNTAX", 0),
    (b"[1", "ESYNTAX", 2), (b"1e400", "ESIZE", 0), (b"tru", "ESYNTAX", 3),
])
def test_strict_errors_carry_the_byte_offset(text, name, offset):
    with pytest.raises(levee.JSONError) as info:
        lj.loads(text)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.domain, e.name, e.offset) == ("json", name, offset)
    assert "at byte %d" % offset in str(e)


@pytest.mark.parametrize("name", CHECKER)
def test_jsonchecker(name):
    data = _read("jsonchecker", name)
    if name.startswith("pass"):
        assert lj.loads(data) == stdjson.loads(data)
    else:
        with pytest.raises(levee.JSONError):
            lj.loads(data)


@pytest.mark.parametrize("name", ROUNDTRIP)
def test_roundtrip_value(name):
    data = _read("roundtrip", name)
    v = lj.loads(data)
    assert v == stdjson.loads(data)
    again = lj.dumps(v)
    w = lj.loads(again)
    assert w == v and repr(w) == repr(v)


def test_every_truncation_needs_more_never_a_wrong_value():
    doc = _read("jsonchecker", "pass01.json")
    whole = lj.loads(doc)
    for i in range(len(doc)):
        d = lj.Decoder()
        assert d.feed(doc[:i]) == []
        with pytest.raises(levee.JSONError):
            lj.loads(doc[:i])
    d = lj.Decoder()
    got = []
    for i in range(len(doc)):
        got += d.feed(doc[i:i + 1])
    assert got == [whole]


def test_decoder_yields_each_value_in_order():
    d = lj.Decoder()
    assert d.feed(b'{"a": [1, 2]} [3')
    assert d.feed("] \"s\" 4") == [[3], "s"]
    assert not d.is_done()
    assert d.close() == [4]
    assert d.is_done()


def test_decoder_error_offset_counts_from_the_stream_start():
    d = lj.Decoder()
    assert d.feed(b"[1] [2") == [[1]]
    with pytest.raises(levee.JSONError) as info:
        d.feed(b",,]")
    assert info.value.offset == 7 and "at byte 7" in str(info.value)


def test_decoder_close_inside_a_value_raises():
    d = lj.Decoder()
    d.feed(b'{"a": ')
    with pytest.raises(levee.JSONError):
        d.close()


def test_decoder_reset_drops_a_partial_value():
    d = lj.Decoder()
    d.feed(b'{"a": [1, ')
    d.reset()
    assert d.feed(b"[2] ") == [[2]]


def test_hostile_input_fails_fast_with_a_clear_error():
    with pytest.raises(levee.JSONError) as info:
        lj.loads(b"[" * 1000000)
    assert info.value.name == "ESTACK" and info.value.offset == 1024
    assert lj.loads(b"[" * 1024 + b"]" * 1024) is not None
    d = lj.Decoder(max_size=4096)
    with pytest.raises(levee.JSONError) as info:
        d.feed(b'"' + b"x" * 10000)
    assert info.value.name == "ESIZE" and info.value.offset == 4096
    with pytest.raises(levee.JSONError) as info:
        lj.loads(b"1e99999999999999999999")
    assert info.value.name == "ESIZE"
    assert lj.loads(b"1e-99999999999999999999") == 0.0
    with pytest.raises(levee.JSONError):
        lj.loads(b'["\xff\xfe"]')


def test_dumps_keeps_the_lua_text_format():
    assert lj.dumps(["a", 1, {"k": "v"}]) == '["a", 1, {"k": "v"}]'
    assert lj.dumps({}) == "{}"
    assert lj.dumps({"a\"b\n": "\u00e9\x01"}) == '{"a\\"b\\n": "\u00e9\\u0001"}'
    assert lj.dumps([0.1, 1e21, -0.0, 5e-324, 2 ** 70]) == "[0.1, 1e+21, -0.0, 5e-324, 1180591620717411303424]"


def test_dumps_refuses_nan_and_unknown_types():
    with pytest.raises(ValueError):
        lj.dumps(float("nan"))
    with pytest.raises(TypeError):
        lj.dumps(object())


def test_values_marshal_cannot_carry_fall_back_to_pickle():
    # an integer beyond 64 bits inside an ordinary document
    assert lj.loads('{"a": [1, 123456789012345678901234567890, "x"]}') == {
        "a": [1, 123456789012345678901234567890, "x"]}
    # a depth limit above what marshal.loads nests
    d = lj.Decoder(max_depth=5000)
    (v,) = d.feed(b"[" * 3000 + b"]" * 3000)
    for _ in range(2999):
        (v,) = v
    assert v == []


def test_non_ascii_and_escaped_strings_decode_to_the_same_text():
    doc = r'{"\u00e9": "caf\u00e9", "k": "\u0041\u0042", "raw": "RAW", "e": ""}'.replace("RAW", "\u65e5\u672c")
    assert "\\u00e9" in doc and "\u65e5" in doc
    want = {"\u00e9": "caf\u00e9", "k": "AB", "raw": "\u65e5\u672c", "e": ""}
    assert lj.loads(doc) == want == stdjson.loads(doc)
    assert lj.loads(doc.encode()) == want


def test_loads_from_many_threads_at_once():
    import threading
    docs = [('{"n": %d, "s": "%s"}' % (i, "x" * (i * 37 % 500))).encode() for i in range(64)]

    def work():
        for _ in range(50):
            for i, d in enumerate(docs):
                v = lj.loads(d)
                assert v["n"] == i and len(v["s"]) == i * 37 % 500

    assert _in_threads(work, 4) == []


def _in_threads(work, n):
    """Runs work() on n threads at once; the exceptions they raised."""
    errors = []

    def run():
        try:
            work()
        except Exception as e:  # pragma: no cover - returned to the test
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_loads_str_of_every_storage_width():
    # CPython keeps str as latin-1, UCS-2 or UCS-4; each takes its own path
    # to UTF-8 (docs/json.md) and must decode the same as bytes input.
    import json as std
    for text in ('["caf\u00e9", 1]', '{"k": "\u6f22\u5b57", "n": [1.5]}',
                 '["\U0001f600 \u00e9 \u6f22"]', '["' + "x" * 1000 + '\u6f22"]'):
        assert levee.json.loads(text) == std.loads(text) == levee.json.loads(text.encode())


def test_loads_str_with_a_lone_surrogate_is_refused():
    for text in ('["\ud800"]', '["\U0001f600\udc00"]'):
        with pytest.raises(levee.JSONError):
            levee.json.loads(text)


# dumps: marshal.dumps walks the objects in C and the core transcodes its
# bytes; whatever it declines takes the stdlib encoder. Either way the text
# (or the error) is what json.dumps gives with levee's settings.
_STD = stdjson.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _same_as_stdlib(value):
    try:
        want = _STD.encode(value)
    except (ValueError, TypeError, RecursionError) as e:
        with pytest.raises(type(e)):
            lj.dumps(value)
        return
    assert lj.dumps(value) == want


def test_dumps_floats_print_as_python_repr():
    import random
    import struct
    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 123456789012345678.0, 0.0001, 0.00001, 1e-7, 5e-324,
              2.2250738585072014e-308, 1.7976931348623157e308, 1.5, -2.5e-10, 1e22, 1e21, 9007199254740993.0]
    for _ in range(20000):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            values.append(x)
    values += [rng.uniform(-1e6, 1e6) for _ in range(2000)] + [float(rng.randint(-10**17, 10**17)) for _ in range(500)]
    assert lj.dumps(values) == _STD.encode(values)


def test_dumps_strings_escape_like_the_stdlib_and_keep_non_ascii():
    texts = ["", "plain", 'q"uote', "back\\slash", "\b\f\n\r\t", "".join(map(chr, range(0x20))), "\x7f",
             "é", "中文" * 30, "😀", "mixed é \n 中 \" \\ 😀" * 5, "a" * 23 + "\n", "a" * 24 + "\n", "\ud800", "x\udfff"]
    for t in texts:
        _same_as_stdlib(t)
        _same_as_stdlib({t: t})
    _same_as_stdlib(texts)


def test_dumps_containers_shared_values_and_tuples():
    shared = [1, "s", {"k": None}]
    value = {"a": shared, "b": shared, "t": (1, (2, ())), "e": {}, "l": [], "n": [[[]]], "big": 2**63,
             "neg": -(2**64 - 1), "i": [-(2**31), 2**31 - 1, 2**31, 0], "bools": [True, False, None]}
    _same_as_stdlib(value)
    _same_as_stdlib([shared] * 50)
    _same_as_stdlib(list(range(-300, 300)))


def test_dumps_declined_values_take_the_stdlib_path():
    import collections
    import enum

    class Color(enum.IntEnum):
        RED = 1

    class MyDict(dict):
        pass

    cyc = [1]
    cyc.append(cyc)
    deep = []
    for _ in range(5000):
        deep = [deep]
    for value in [float("nan"), [float("inf")], {"k": -float("inf")}, 2**64, -(2**70), {1: "int key"},
                  {1.5: "float key"}, {True: 1, None: 2}, {(1, 2): 3}, b"bytes", {1, 2}, frozenset(), 1j,
                  Color.RED, [Color.RED], MyDict(a=1), collections.OrderedDict(b=2), cyc, deep, object()]:
        _same_as_stdlib(value)


def test_dumps_random_documents_equal_the_stdlib_text():
    import random
    rng = random.Random(11)

    def value(depth):
        k = rng.randrange(9 if depth < 4 else 5)
        if k == 0:
            return rng.randint(-2**64, 2**64)
        if k == 1:
            return rng.uniform(-1e300, 1e300) * 10 ** rng.randint(-300, 0)
        if k == 2:
            return rng.choice([True, False, None])
        if k in (3, 4):
            return "".join(rng.choice("ab \"\\\n\x01é中😀") for _ in range(rng.randrange(40)))
        if k in (5, 6):
            return [value(depth + 1) for _ in range(rng.randrange(6))]
        return {"".join(rng.choice("kéy\"") for _ in range(rng.randrange(5))): value(depth + 1)
                for _ in range(rng.randrange(6))}

    for _ in range(300):
        _same_as_stdlib(value(0))


def test_dumps_bench_documents_equal_the_stdlib_text():
    for name in ("canada.json", "citm_catalog.json", "twitter.json"):
        value = stdjson.loads(_read("bench", name))
        assert lj.dumps(value) == _STD.encode(value)


@pytest.mark.parametrize("arg", [42, None, 1.5, ["[1]"], object()])
def test_loads_of_a_non_text_type_is_a_type_error_naming_the_argument(arg):
    with pytest.raises(TypeError, match="levee.json.loads: s must be str, bytes, bytearray or "
                                        "memoryview, not " + type(arg).__name__):
        levee.json.loads(arg)


def test_loads_accepts_every_bytes_like_form():
    for s in ('[1]', b'[1]', bytearray(b'[1]'), memoryview(b'[1]')):
        assert levee.json.loads(s) == [1]


def test_decoder_refuses_bad_arguments():
    with pytest.raises(TypeError, match="Decoder.feed: data must be"):
        levee.json.Decoder().feed(42)
    with pytest.raises(TypeError, match="Decoder: max_depth must be an int or None, not str"):
        levee.json.Decoder(max_depth="3")


def test_dumps_widens_the_text_as_wider_strings_come():
    # the output starts one byte per character and widens when a wider str
    # comes; the result must be the str json.dumps gives (same width too)
    for order in (WIDTHS, WIDTHS[::-1], ["a", "\U0001f600", "b", "\xe9"]):
        for value in ([x * 3 for x in order], {x: [x, 1.5, "q\"\n"] for x in order},
                      ["plain"] * 100 + order + ["\x01"] * 3):
            want = _STD.encode(value)
            got = lj.dumps(value)
            assert got == want and sys.getsizeof(got) == sys.getsizeof(want)
    assert lj.dumps("\xe9") == '"\xe9"' and lj.dumps(["\x80"]) == '["\x80"]'


def test_dumps_values_past_the_native_depth_take_the_stdlib_path():
    for depth in (511, 512, 513, 900):
        deep = ["x"]
        for _ in range(depth):
            deep = [deep, {"k": 1.5}]
        _same_as_stdlib(deep)
    shared = {"a": [1, 2]}
    _same_as_stdlib([shared, (shared, shared)])


def test_dumps_integers_at_and_beyond_64_bits():
    values = [2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**64), 10**300, -(10**300), 0, -1, True, False]
    _same_as_stdlib(values)
    _same_as_stdlib({"n": 3**2000})
    # beyond the int -> str digit limit both raise the standard library's ValueError
    _same_as_stdlib([10**5000])


def test_dumps_subclasses_keep_the_stdlib_behaviour():
    class S(str):
        pass

    class I(int):
        def __repr__(self):
            return "I!"

    class F(float):
        def __repr__(self):
            return "F!"

    class L(list):
        pass

    for value in [S("s"), [S("x")], {S("k"): 1}, I(5), [I(7)], F(1.5), [F(2.5)], L([1, 2]), {"a": L([3])}]:
        _same_as_stdlib(value)


def test_loads_of_a_bytes_subclass_a_str_subclass_and_a_strided_view():
    class B(bytes):
        pass

    class S(str):
        pass

    assert lj.loads(B(b'{"a": [1]}')) == {"a": [1]}
    assert lj.loads(S('{"a": "\u00e9"}')) == {"a": "\xe9"}
    assert lj.loads(S('["\u6f22"]')) == ["\u6f22"]
    strided = memoryview(b"".join(bytes([c]) + b"x" for c in b"[1, 2]"))[::2]
    assert not strided.contiguous and lj.loads(strided) == [1, 2]
    with pytest.raises(levee.JSONError) as info:
        lj.loads(memoryview(b"[1,,]"))
    assert (info.value.name, info.value.offset) == ("ESYNTAX", 3)


def test_large_documents_decode_in_threads_at_once():
    # inputs of 64 KiB and more are parsed with the GIL released: threads
    # meanwhile decode with handles of their own
    doc = stdjson.dumps([{"id": i, "s": "\u6f22" * (i % 7), "f": i / 7} for i in range(4000)]).encode()
    assert len(doc) > 65536
    want = stdjson.loads(doc)

    def work():
        for _ in range(15):
            assert lj.loads(doc) == want
            assert lj.loads(b'{"small": [1, 2]}') == {"small": [1, 2]}

    assert _in_threads(work, 4) == []


def test_loads_and_dumps_leave_no_python_objects_behind():
    doc = _read("bench", "twitter.json")
    value = stdjson.loads(doc)
    bad = [b'{"a": [1, 2, {"b": "\xff"}]}', b"[" * 2000, b'{"k": [1, 2, "x"', b"[1e400]"]
    declined = [[1, float("nan")], {(1, 2): 2}, [[]] * 3 + [object()]]

    def round_():
        assert lj.loads(doc) == value
        assert lj.loads(doc.decode()) == value
        assert lj.dumps(value)
        d = lj.Decoder()
        d.feed(doc[:1000])
        assert d.feed(doc[1000:]) == [value]
        for b in bad:
            with pytest.raises(levee.JSONError):
                lj.loads(b)
        for v in declined:
            with pytest.raises((ValueError, TypeError)):
                lj.dumps(v)
        assert lj.dumps({1: [2]}) == '{"1": [2]}'

    tracemalloc.start()
    try:
        for _ in range(3):  # the key cache, scratch buffers and free lists fill
            round_()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            round_()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # one leaked reference per value or key would be megabytes
    assert grown < 256 * 1024, grown


def test_dumps_escapes_at_every_position_of_every_width():
    # the bulk copy scans 16, 8 or 4 characters at a time: an escape must be
    # found at any position of a block, in text of each storage width
    specials = ['"', "\\", "\x00", "\x1f", "\n", "\x7f", " ", "\x9f", "\u2028", "\ud800"]
    for fill in ("a", "\xe9", "\u6f22", "\U0001f600"):
        texts = []
        for n in (1, 7, 15, 16, 17, 33):
            for c in specials:
                for at in range(n):
                    texts.append(fill * at + c + fill * (n - at - 1))
        _same_as_stdlib(texts)
        _same_as_stdlib({t: 0 for t in texts[::7]})
