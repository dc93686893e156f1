// levee_siphash*, levee_bloom_*: SipHash-2-4 (Aumasson & Bernstein's
// reference algorithm) and a Bloom filter probing with double hashing.
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
    v3 ^= m;
    round(); round();
    v0 ^= m;
  }
  uint64_t b = uint64_t(n) << 56;
  switch (n & 7) {
    case 7: b |= uint64_t(in[6]) << 48; [[fallthrough]];
    case 6: b |= uint64_t(in[5]) << 40; [[fallthrough]];
    case 5: b |= uint64_t(in[4]) << 32; [[fallthrough]];
    case 4: b |= uint64_t(in[3]) << 24; [[fallthrough]];
    case 3: b |= uint64_t(in[2]) << 16; [[fallthrough]];
    case 2: b |= uint64_t(in[1]) << 8; [[fallthrough]];
    case 1: b |= uint64_t(in[0]); break;
    case 0: break;
  }
  v3 ^= b;
  round(); round();
  v0 ^= b;
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
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
  return siphash24(static_cast<const uint8_t *>(p), n, kFixedKey);
}

uint64_t levee_siphash_keyed(const void *p, size_t n, const uint8_t *key16) {
  if (!p) n = 0;
  return siphash24(static_cast<const uint8_t *>(p), n, key16 ? key16 : kFixedKey);
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
