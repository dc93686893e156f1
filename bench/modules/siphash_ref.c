/* SipHash-2-4 as the reference implementation by Jean-Philippe Aumasson and
 * Daniel J. Bernstein writes it (byte-wise little-endian loads, the
 * SIPROUND macro): the plain C reference make bench-modules measures
 * levee's SipHash against. Built as a shared object and called through
 * LuaJIT's FFI, as levee's own function is. */
#include <stddef.h>
#include <stdint.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define U8TO64_LE(p)                                                                   \
  (((uint64_t)((p)[0])) | ((uint64_t)((p)[1]) << 8) | ((uint64_t)((p)[2]) << 16) |   \
   ((uint64_t)((p)[3]) << 24) | ((uint64_t)((p)[4]) << 32) | ((uint64_t)((p)[5]) << 40) | \
   ((uint64_t)((p)[6]) << 48) | ((uint64_t)((p)[7]) << 56))
#define SIPROUND           \
  do {                     \
    v0 += v1;              \
    v1 = ROTL(v1, 13);     \
    v1 ^= v0;              \
    v0 = ROTL(v0, 32);     \
    v2 += v3;              \
    v3 = ROTL(v3, 16);     \
    v3 ^= v2;              \
    v0 += v3;              \
    v3 = ROTL(v3, 21);     \
    v3 ^= v0;              \
    v2 += v1;              \
    v1 = ROTL(v1, 17);     \
    v1 ^= v2;              \
    v2 = ROTL(v2, 32);     \
  } while (0)

uint64_t siphash_ref(const uint8_t *in, size_t inlen, const uint8_t *k) {
  uint64_t v0 = 0x736f6d6570736575ULL, v1 = 0x646f72616e646f6dULL;
  uint64_t v2 = 0x6c7967656e657261ULL, v3 = 0x7465646279746573ULL;
  uint64_t k0 = U8TO64_LE(k), k1 = U8TO64_LE(k + 8), m;
  const uint8_t *end = in + inlen - (inlen % 8);
  const int left = inlen & 7;
  uint64_t b = ((uint64_t)inlen) << 56;
  v3 ^= k1;
  v2 ^= k0;
  v1 ^= k1;
  v0 ^= k0;
  for (; in != end; in += 8) {
    m = U8TO64_LE(in);
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
  }
  switch (left) {
    case 7: b |= ((uint64_t)in[6]) << 48; /* fall through */
    case 6: b |= ((uint64_t)in[5]) << 40; /* fall through */
    case 5: b |= ((uint64_t)in[4]) << 32; /* fall through */
    case 4: b |= ((uint64_t)in[3]) << 24; /* fall through */
    case 3: b |= ((uint64_t)in[2]) << 16; /* fall through */
    case 2: b |= ((uint64_t)in[1]) << 8; /* fall through */
    case 1: b |= ((uint64_t)in[0]); break;
    case 0: break;
  }
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}
