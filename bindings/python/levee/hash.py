"""levee.hash: checksums and hashes from levee's C core, the same values the
Lua binding's levee._.hash gives.

    levee.hash.crc32(b"123456789")        # 0xCBF43926, as zlib.crc32
    levee.hash.crc32c(b"123456789")       # 0xE3069283 (Castagnoli)
    levee.hash.metro(b"key")              # MetroHash64, an int
    levee.hash.sip(b"key")                # SipHash-2-4 under levee's fixed key
    levee.hash.sipcase(b"Content-Type")   # == sip(b"content-type")

crc32/crc32c run on the CPU's CRC instructions when it has them. data is
bytes-like, or a str (hashed as UTF-8). sip and sipcase take a 16-byte key
(seed() makes a random one); without one they use levee's fixed key, so
hashes agree across processes and with d.HashRing / d.Bloom in Lua.
"""
import os as _os

from ._ffi import ffi, lib

__all__ = ["crc32", "crc32c", "metro", "sip", "sipcase", "seed"]

_from_buffer = ffi.from_buffer


def _data(data):
    if type(data) is bytes:  # cffi passes bytes as they are
        return data
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("levee.hash expects bytes-like data or str, not %s" % type(data).__name__)
    return _from_buffer(data)


def _key(key):
    if key is None:
        return ffi.NULL
    if not isinstance(key, (bytes, bytearray)) or len(key) != 16:
        raise ValueError("levee.hash: key must be 16 bytes (see seed())")
    return _from_buffer(key)


_crc32 = lib.levee_crc32


def crc32(data, crc=0):
    """CRC-32 (IEEE, zlib's) of data, continuing from crc."""
    if type(data) is bytes:
        return _crc32(crc, data, len(data))
    p = _data(data)
    return _crc32(crc, p, len(p))


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of data, continuing from crc."""
    p = _data(data)
    return lib.levee_crc32c(crc, p, len(p))


def metro(data, seed=0):
    """MetroHash64 of data with a 64-bit seed (an int or 8+ bytes)."""
    if isinstance(seed, (bytes, bytearray)):
        seed = int.from_bytes(bytes(seed[:8]), "little")
    p = _data(data)
    return lib.levee_metrohash64(p, len(p), seed)


def sip(data, key=None):
    """SipHash-2-4 of data under a 16-byte key (levee's fixed key by default)."""
    p = _data(data)
    return lib.levee_siphash_keyed(p, len(p), _key(key))


def sipcase(data, key=None):
    """SipHash-2-4 of data with ASCII letters folded to lower case."""
    p = _data(data)
    return lib.levee_siphash_case(p, len(p), _key(key))


def seed():
    """A random 16-byte key for sip / sipcase (from the kernel's CSPRNG)."""
    return _os.urandom(16)
