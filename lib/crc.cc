// levee_crc32, levee_crc32c, levee_hash_accel: CRC-32 (IEEE, zlib's) and
// CRC-32C (Castagnoli). The portable path is slicing-by-8 (eight 256-entry
// tables, 8 bytes per step); on x86-64 the CPU's instructions are chosen at
// run time: SSE4.2's CRC32 for CRC-32C, carry-less multiplication
// (PCLMULQDQ) folding 64 bytes per step for CRC-32 (Intel's "Fast CRC
// Computation Using PCLMULQDQ", the constants zlib-ng and Chromium use).
#include <atomic>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "internal.h"

namespace {

struct Tables {
  uint32_t t[8][256] = {};
  constexpr explicit Tables(uint32_t poly) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
      for (int i = 0; i < 256; i++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
};

constexpr Tables kCrc32(0xEDB88320u);   // reflected 0x04C11DB7
constexpr Tables kCrc32c(0x82F63B78u);  // reflected 0x1EDC6F41

// The raw (not inverted) CRC state over p[0, n), slicing by 8.
uint32_t slice8(const Tables &T, uint32_t c, const uint8_t *p, size_t n) {
  while (n && (reinterpret_cast<uintptr_t>(p) & 7)) {
    c = T.t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    n--;
  }
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = T.t[7][lo & 0xff] ^ T.t[6][(lo >> 8) & 0xff] ^ T.t[5][(lo >> 16) & 0xff] ^
        T.t[4][lo >> 24] ^ T.t[3][hi & 0xff] ^ T.t[2][(hi >> 8) & 0xff] ^
        T.t[1][(hi >> 16) & 0xff] ^ T.t[0][hi >> 24];
  }
  while (n--) c = T.t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)

// Operators that append n zero bytes to a raw CRC-32C register: zeros[k][v]
// is the register that v << 8k becomes (the CRC is linear, so four lookups
// shift any register). Built at compile time.
struct Zeros {
  uint32_t t[4][256] = {};
  constexpr explicit Zeros(size_t n) {
    uint32_t basis[32] = {};
    for (int b = 0; b < 32; b++) {
      uint32_t c = uint32_t(1) << b;
      for (size_t i = 0; i < n; i++) c = kCrc32c.t[0][c & 0xff] ^ (c >> 8);
      basis[b] = c;
    }
    for (int k = 0; k < 4; k++)
      for (int v = 0; v < 256; v++) {
        uint32_t c = 0;
        for (int b = 0; b < 8; b++)
          if (v & (1 << b)) c ^= basis[8 * k + b];
        t[k][v] = c;
      }
  }
  uint32_t shift(uint32_t c) const {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
  }
};

// Three interleaved streams hide the CRC32 instruction's latency (three
// cycles; one per cycle throughput on Intel cores): lanes of LONG (then SHORT) bytes are
// summed at once and joined with the zero-append operators, as in Mark
// Adler's crc32c.c.
constexpr size_t kLong = 2048, kShort = 256;
constexpr Zeros kZerosLong(kLong), kZerosShort(kShort);

__attribute__((target("sse4.2"))) inline const uint8_t *crc32c_lanes(uint64_t &c,
                                                                     const uint8_t *p,
                                                                     size_t &n, size_t lane,
                                                                     const Zeros &z) {
  while (n >= 3 * lane) {
    uint64_t c0 = c, c1 = 0, c2 = 0;
    for (const uint8_t *end = p + lane; p < end; p += 8) {
      uint64_t v0, v1, v2;
      memcpy(&v0, p, 8);
      memcpy(&v1, p + lane, 8);
      memcpy(&v2, p + 2 * lane, 8);
      c0 = _mm_crc32_u64(c0, v0);
      c1 = _mm_crc32_u64(c1, v1);
      c2 = _mm_crc32_u64(c2, v2);
    }
    c = z.shift(uint32_t(c0)) ^ uint32_t(c1);
    c = z.shift(uint32_t(c)) ^ uint32_t(c2);
    p += 2 * lane;
    n -= 3 * lane;
  }
  return p;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t c, const uint8_t *p, size_t n) {
  while (n && (reinterpret_cast<uintptr_t>(p) & 7)) {
    c = _mm_crc32_u8(c, *p++);
    n--;
  }
  uint64_t c64 = c;
  p = crc32c_lanes(c64, p, n, kLong, kZerosLong);
  p = crc32c_lanes(c64, p, n, kShort, kZerosShort);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
  }
  c = uint32_t(c64);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return c;
}

// One folding step: x carried 128 bits further by the constants k, plus next.
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

inline __m128i load(const uint8_t *q) { return _mm_loadu_si128(reinterpret_cast<const __m128i *>(q)); }

// Folds n bytes (n >= 64, a multiple of 16) into the raw CRC-32 state c.
__attribute__((target("pclmul,sse4.1"))) uint32_t crc32_clmul(uint32_t c, const uint8_t *p,
                                                              size_t n) {
  alignas(16) static const uint64_t k1k2[2] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const uint64_t k3k4[2] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const uint64_t k5k0[2] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const uint64_t poly[2] = {0x01db710641, 0x01f7011641};
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(int(c)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i *>(k1k2));
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x1 = fold(x1, k, load(p));
    x2 = fold(x2, k, load(p + 16));
    x3 = fold(x3, k, load(p + 32));
    x4 = fold(x4, k, load(p + 48));
  }
  k = _mm_load_si128(reinterpret_cast<const __m128i *>(k3k4));
  x1 = fold(x1, k, x2);
  x1 = fold(x1, k, x3);
  x1 = fold(x1, k, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = fold(x1, k, load(p));
  // 128 bits -> 64 bits
  __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
  __m128i x2b = _mm_clmulepi64_si128(x1, k, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2b);
  __m128i k5 = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(k5k0));
  x2b = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, mask32);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5, 0x00), x2b);
  // Barrett reduction to 32 bits
  __m128i pk = _mm_load_si128(reinterpret_cast<const __m128i *>(poly));
  x2b = _mm_and_si128(x1, mask32);
  x2b = _mm_clmulepi64_si128(x2b, pk, 0x10);
  x2b = _mm_and_si128(x2b, mask32);
  x2b = _mm_clmulepi64_si128(x2b, pk, 0x00);
  x1 = _mm_xor_si128(x1, x2b);
  return uint32_t(_mm_extract_epi32(x1, 1));
}

int cpu_bits() {
  static const int bits = [] {
    __builtin_cpu_init();
    int b = 0;
    if (__builtin_cpu_supports("sse4.2")) b |= LEVEE_HASH_ACCEL_CRC32C;
    if (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1"))
      b |= LEVEE_HASH_ACCEL_CRC32;
    return b;
  }();
  return bits;
}

#else

int cpu_bits() { return 0; }

#endif

std::atomic<int> g_use_cpu{1};

inline int accel() { return g_use_cpu.load(std::memory_order_relaxed) ? cpu_bits() : 0; }

}  // namespace

extern "C" {

uint32_t levee_crc32(uint32_t crc, const void *data, size_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  if (!p) return crc;
  uint32_t c = ~crc;
#if defined(__x86_64__)
  if (n >= 64 && (accel() & LEVEE_HASH_ACCEL_CRC32)) {
    size_t bulk = n & ~size_t(15);
    c = crc32_clmul(c, p, bulk);
    p += bulk;
    n -= bulk;
  }
#endif
  return ~slice8(kCrc32, c, p, n);
}

uint32_t levee_crc32c(uint32_t crc, const void *data, size_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  if (!p) return crc;
#if defined(__x86_64__)
  if (accel() & LEVEE_HASH_ACCEL_CRC32C) return ~crc32c_hw(~crc, p, n);
#endif
  return ~slice8(kCrc32c, ~crc, p, n);
}

int levee_hash_accel(int mode) {
  if (mode == 0 || mode == 1) g_use_cpu.store(mode, std::memory_order_relaxed);
  return accel();
}

}  // extern "C"
