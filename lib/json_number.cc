// The table of 128-bit truncated powers of five behind
// levee::json_decimal_to_double (lib/json.h), computed once, on first use,
// with a small big-integer loop (no generated source).
#include <cstring>
#include <vector>

#include "json.h"

namespace {

constexpr int kMinQ = levee::kJsonMinQ, kMaxQ = levee::kJsonMaxQ;

// Little-endian base-2^32 natural number, just the operations the table needs.
struct Big {
  std::vector<uint32_t> d;
  size_t bits() const {
    size_t n = d.size();
    while (n && d[n - 1] == 0) n--;
    if (!n) return 0;
    return (n - 1) * 32 + size_t(32 - __builtin_clz(d[n - 1]));
  }
  void mul_small(uint32_t m) {
    uint64_t carry = 0;
    for (uint32_t &x : d) {
      uint64_t v = uint64_t(x) * m + carry;
      x = uint32_t(v);
      carry = v >> 32;
    }
    if (carry) d.push_back(uint32_t(carry));
  }
  void div_small(uint32_t m) {
    uint64_t rem = 0;
    for (size_t i = d.size(); i-- > 0;) {
      uint64_t v = (rem << 32) | d[i];
      d[i] = uint32_t(v / m);
      rem = v % m;
    }
  }
  // Bit i (0 = least significant).
  bool bit(size_t i) const { return i / 32 < d.size() && ((d[i / 32] >> (i % 32)) & 1); }
  // floor(this / 2^s) + add, as a new number.
  Big shifted_plus(size_t s, uint32_t add) const {
    Big r;
    size_t ws = s / 32, bs = s % 32;
    for (size_t i = ws; i < d.size(); i++) {
      uint64_t v = d[i] >> bs;
      if (bs && i + 1 < d.size()) v |= uint64_t(d[i + 1]) << (32 - bs);
      r.d.push_back(uint32_t(v));
    }
    uint64_t carry = add;
    for (size_t i = 0; carry; i++) {
      if (i == r.d.size()) r.d.push_back(0);
      uint64_t v = uint64_t(r.d[i]) + carry;
      r.d[i] = uint32_t(v);
      carry = v >> 32;
    }
    return r;
  }
  // The 128 most significant bits, truncated (or the number shifted left
  // so its top bit is bit 127 when it is shorter).
  void top128(uint64_t *hi, uint64_t *lo) const {
    size_t n = bits();
    uint64_t h = 0, l = 0;
    for (int k = 0; k < 128; k++) {
      // bit 127 - k of the result is bit n - 1 - k of the number
      bool b = n >= size_t(k) + 1 && bit(n - 1 - size_t(k));
      if (b) {
        if (k < 64) h |= uint64_t(1) << (63 - k);
        else l |= uint64_t(1) << (127 - k);
      }
    }
    *hi = h;
    *lo = l;
  }
};

// The truncated 128-bit powers of five for q in [kMinQ, kMaxQ], as fast_float
// defines them: for q >= 0, the top 128 bits of 5^q; for q < 0, the top 128
// bits of floor(2^b / 5^-q) + 1 with b = bits(5^-q) + 127 (q >= -27) or
// 2 * bits(5^-q) + 128.
struct Pow5 {
  uint64_t v[2 * (kMaxQ - kMinQ + 1)];
  Pow5() {
    Big p;
    p.d = {1};
    for (int q = 0; q <= kMaxQ; q++) {
      p.top128(&v[2 * (q - kMinQ)], &v[2 * (q - kMinQ) + 1]);
      p.mul_small(5);
    }
    // x = floor(2^B / 5^k) by repeated floor division (exact), B above
    // every b needed (b <= 2 * 795 + 128).
    constexpr size_t B = 1800;
    Big x, five;
    x.d.assign(B / 32 + 1, 0);
    x.d[B / 32] = 1u << (B % 32);
    five.d = {1};
    for (int k = 1; k <= -kMinQ; k++) {
      x.div_small(5);
      five.mul_small(5);
      size_t z = five.bits();
      size_t b = k <= 27 ? z + 127 : 2 * z + 128;
      Big c = x.shifted_plus(B - b, 1);
      c.top128(&v[2 * (-k - kMinQ)], &v[2 * (-k - kMinQ) + 1]);
    }
  }
};

}  // namespace

namespace levee {

std::atomic<const uint64_t *> g_json_pow5{nullptr};

const uint64_t *json_pow5_build() {
  static const Pow5 *table = new Pow5();  // built once, never freed
  g_json_pow5.store(table->v, std::memory_order_release);
  return table->v;
}

}  // namespace levee
