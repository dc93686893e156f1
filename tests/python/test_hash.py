"""levee.hash: crc32 / crc32c / metro / sip / sipcase / seed, checked against
the standard check values, zlib and the Lua binding's fixed key."""
import zlib

import pytest

import levee
from levee import hash as lhash


def test_crc_check_values_and_chaining():
    assert lhash.crc32(b"123456789") == 0xCBF43926
    assert lhash.crc32c(b"123456789") == 0xE3069283
    assert lhash.crc32c(b" world", lhash.crc32c(b"hello")) == lhash.crc32c(b"hello world")
    assert lhash.crc32("text") == lhash.crc32(b"text")


@pytest.mark.parametrize("n", [0, 1, 15, 16, 63, 64, 65, 1000, 100000])
def test_crc32_matches_zlib(n):
    data = bytes((i * 7 + 3) & 0xff for i in range(n))
    assert lhash.crc32(data) == zlib.crc32(data)
    assert lhash.crc32(memoryview(data)[1:]) == zlib.crc32(data[1:])
    assert lhash.crc32(data, 12345) == zlib.crc32(data, 12345)


def test_metro_reference_vectors():
    key = b"012345678901234567890123456789012345678901234567890123456789012"
    assert lhash.metro(key).to_bytes(8, "little") == bytes.fromhex("6B753DAE06704BAD")
    assert lhash.metro(key, 1).to_bytes(8, "little") == bytes.fromhex("3B0D481CF4B9B8DF")


def test_sip_fixed_key_reference_and_case_folding():
    assert lhash.sip(b"") == 0x726FDB47DD0E0E31  # SipHash-2-4 vector, key 00..0f
    assert lhash.sipcase(b"Content-Type") == lhash.sip(b"content-type")
    key = lhash.seed()
    assert len(key) == 16 and key != lhash.seed()
    assert lhash.sip(b"x", key) != lhash.sip(b"x")
    assert lhash.sipcase(b"AB", key) == lhash.sip(b"ab", key)
    with pytest.raises(ValueError):
        lhash.sip(b"x", b"short")
    with pytest.raises(TypeError):
        lhash.crc32(42)
