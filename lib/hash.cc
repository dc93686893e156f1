// levee_siphash*, levee_metrohash64, levee_bloom_*: SipHash-2-4 (Aumasson &
// Bernstein's reference algorithm, also in an ASCII case-folding form),
// MetroHash64 (J. Andrew Rogers') and a Bloom filter probing with double
// hashing.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "internal.h"

namespace {

inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86_64, aarch64)
}

// ASCII 'A'..'Z' to lower case in each byte of x (SWAR: no branch per
// byte; bytes >= 0x80 are left alone).
inline uint64_t fold8(uint64_t x) {
  constexpr uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  uint64_t low7 = x & ~high;
  uint64_t ge_a = low7 + (0x80 - 'A') * ones;
  uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones;
  uint64_t upper = ge_a & ~gt_z & ~x & high;
  return x | (upper >> 2);
}

template <bool Fold>
uint64_t siphash24(const uint8_t *in, size_t n, const uint8_t *key) {
  uint64_t k0 = load64(key), k1 = load64(key + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const uint8_t *end = in + (n & ~size_t(7));
  for (; in != end; in += 8) {
    uint64_t m = load64(in);
    if (Fold) m = fold8(m);
    v3 ^= m;
    round(); round();
    v0 ^= m;
  }
  uint64_t t = 0;
  switch (n & 7) {
    case 7: t |= uint64_t(in[6]) << 48; [[fallthrough]];
    case 6: t |= uint64_t(in[5]) << 40; [[fallthrough]];
    case 5: t |= uint64_t(in[4]) << 32; [[fallthrough]];
    case 4: t |= uint64_t(in[3]) << 24; [[fallthrough]];
    case 3: t |= uint64_t(in[2]) << 16; [[fallthrough]];
    case 2: t |= uint64_t(in[1]) << 8; [[fallthrough]];
    case 1: t |= uint64_t(in[0]); break;
    case 0: break;
  }
  if (Fold) t = fold8(t);
  uint64_t b = (uint64_t(n) << 56) | t;
  v3 ^= b;
  round(); round();
  v0 ^= b;
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

inline uint64_t rotr(uint64_t x, int b) { return (x >> b) | (x << (64 - b)); }

// MetroHash64 (the MetroHash64 class of the reference implementation).
uint64_t metrohash64(const uint8_t *p, size_t n, uint64_t seed) {
  constexpr uint64_t k0 = 0xD6D018F5, k1 = 0xA2AA033B, k2 = 0x62992FC1, k3 = 0x30BC5B29;
  const uint8_t *const end = p + n;
  auto r64 = [](const uint8_t *q) { return load64(q); };
  auto r32 = [](const uint8_t *q) { uint32_t v; memcpy(&v, q, 4); return uint64_t(v); };
  auto r16 = [](const uint8_t *q) { uint16_t v; memcpy(&v, q, 2); return uint64_t(v); };
  uint64_t h = (seed + k2) * k0;
  if (n >= 32) {
    uint64_t v0 = h, v1 = h, v2 = h, v3 = h;
    do {
      v0 += r64(p) * k0; p += 8; v0 = rotr(v0, 29) + v2;
      v1 += r64(p) * k1; p += 8; v1 = rotr(v1, 29) + v3;
      v2 += r64(p) * k2; p += 8; v2 = rotr(v2, 29) + v0;
      v3 += r64(p) * k3; p += 8; v3 = rotr(v3, 29) + v1;
    } while (end - p >= 32);
    v2 ^= rotr(((v0 + v3) * k0) + v1, 37) * k1;
    v3 ^= rotr(((v1 + v2) * k1) + v0, 37) * k0;
    v0 ^= rotr(((v0 + v2) * k0) + v3, 37) * k1;
    v1 ^= rotr(((v1 + v3) * k1) + v2, 37) * k0;
    h += v0 ^ v1;
  }
  if (end - p >= 16) {
    uint64_t v0 = h + (r64(p) * k2); p += 8; v0 = rotr(v0, 29) * k3;
    uint64_t v1 = h + (r64(p) * k2); p += 8; v1 = rotr(v1, 29) * k3;
    v0 ^= rotr(v0 * k0, 21) + v1;
    v1 ^= rotr(v1 * k3, 21) + v0;
    h += v1;
  }
  if (end - p >= 8) {
    h += r64(p) * k3; p += 8;
    h ^= rotr(h, 55) * k1;
  }
  if (end - p >= 4) {
    h += r32(p) * k3; p += 4;
    h ^= rotr(h, 26) * k1;
  }
  if (end - p >= 2) {
    h += r16(p) * k3; p += 2;
    h ^= rotr(h, 48) * k1;
  }
  if (end - p >= 1) {
    h += uint64_t(*p) * k3;
    h ^= rotr(h, 37) * k1;
  }
  h ^= rotr(h, 28);
  h *= k0;
  h ^= rotr(h, 29);
  return h;
}

constexpr uint8_t kFixedKey[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Bits and probes for n items at probability p (the textbook optimum).
void bloom_shape(uint64_t n, double p, uint64_t &bits, uint32_t &k) {
  if (!n) n = 64;
  const double ln2 = std::log(2.0);
  double m = std::ceil(-double(n) * std::log(p) / (ln2 * ln2));
  if (m > double(uint64_t(1) << 40)) levee::fail(LEVEE_ENOMEM);
  bits = uint64_t(m) < 64 ? 64 : uint64_t(m);
  double kk = std::round(double(bits) / double(n) * ln2);
  k = kk < 1 ? 1 : kk > 32 ? 32 : uint32_t(kk);
}

}  // namespace

struct levee_bloom {
  uint64_t bits = 0;
  uint32_t k = 0;
  std::vector<uint64_t> words;

  // Probe i of a hash: Kirsch-Mitzenmacher double hashing.
  uint64_t probe(uint64_t h, uint32_t i) const {
    uint64_t h2 = rotl(h, 32) * 0x9e3779b97f4a7c15ULL | 1;
    return (h + i * h2) % bits;
  }
};

extern "C" {

uint64_t levee_siphash(const void *p, size_t n) {
  if (!p) n = 0;
  return siphash24<false>(static_cast<const uint8_t *>(p), n, kFixedKey);
}

uint64_t levee_siphash_keyed(const void *p, size_t n, const uint8_t *key16) {
  if (!p) n = 0;
  return siphash24<false>(static_cast<const uint8_t *>(p), n, key16 ? key16 : kFixedKey);
}

uint64_t levee_siphash_case(const void *p, size_t n, const uint8_t *key16) {
  if (!p) n = 0;
  return siphash24<true>(static_cast<const uint8_t *>(p), n, key16 ? key16 : kFixedKey);
}

uint64_t levee_metrohash64(const void *p, size_t n, uint64_t seed) {
  if (!p) n = 0;
  return metrohash64(static_cast<const uint8_t *>(p), n, seed);
}

int levee_bloom_new(levee_bloom **out, uint64_t hint, double fpp) {
  return levee::guard([&]() -> int {
    if (!out || !(fpp > 0 && fpp < 1)) return LEVEE_EINVAL;
    auto *b = new levee_bloom;
    try {
      bloom_shape(hint, fpp, b->bits, b->k);
      b->words.assign((b->bits + 63) / 64, 0);
    } catch (...) {
      delete b;
      throw;
    }
    *out = b;
    return 0;
  });
}

void levee_bloom_free(levee_bloom *b) { delete b; }

int levee_bloom_copy(levee_bloom **out, const levee_bloom *src) {
  return levee::guard([&]() -> int {
    if (!out || !src) return LEVEE_EINVAL;
    *out = new levee_bloom(*src);
    return 0;
  });
}

void levee_bloom_put_hash(levee_bloom *b, uint64_t hash) {
  if (!b) return;
  for (uint32_t i = 0; i < b->k; i++) {
    uint64_t bit = b->probe(hash, i);
    b->words[bit / 64] |= uint64_t(1) << (bit % 64);
  }
}

int levee_bloom_maybe_hash(const levee_bloom *b, uint64_t hash) {
  if (!b) return 0;
  for (uint32_t i = 0; i < b->k; i++) {
    uint64_t bit = b->probe(hash, i);
    if (!(b->words[bit / 64] & (uint64_t(1) << (bit % 64)))) return 0;
  }
  return 1;
}

int levee_bloom_is_capable(const levee_bloom *b, uint64_t hint, double fpp) {
  if (!b || !(fpp > 0 && fpp < 1)) return 0;
  return levee::guard([&]() -> int {
    uint64_t bits;
    uint32_t k;
    bloom_shape(hint, fpp, bits, k);
    return int(b->bits >= bits);
  });
}

void levee_bloom_clear(levee_bloom *b) {
  if (b) std::fill(b->words.begin(), b->words.end(), 0);
}

}  // extern "C"
