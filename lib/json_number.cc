// Decimal to double, correctly rounded, for the JSON tokenizer: the exact
// fast path of Clinger (1990) and the algorithm of Eisel and Lemire ("Number
// Parsing at a Gigabyte per Second", 2021) with its table of 128-bit
// truncated powers of five. The table is computed once, on first use, with a
// small big-integer loop (no generated source). Callers fall back to
// std::from_chars when this answers false (more than 19 digits, or the rare
// product the 128 bits cannot decide).
#include <cstring>
#include <vector>

#include "json.h"

namespace {

constexpr int kMinQ = -342, kMaxQ = 308;

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

const uint64_t *pow5() {
  static const Pow5 *table = new Pow5();  // built once, never freed
  return table->v;
}

constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline double with_sign(uint64_t bits, bool neg) {
  bits |= uint64_t(neg) << 63;
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

}  // namespace

namespace levee {

bool json_decimal_to_double(uint64_t w, int64_t q, bool neg, double *out) {
  if (w == 0 || q < kMinQ) {
    *out = with_sign(0, neg);
    return true;
  }
  if (q > kMaxQ) {
    *out = with_sign(uint64_t(0x7FF) << 52, neg);
    return true;
  }
  // Clinger: w and 10^|q| are exact doubles, one rounding.
  if (w <= (uint64_t(1) << 53) && q >= -22 && q <= 22) {
    double d = double(w);
    d = q < 0 ? d / kPow10[-q] : d * kPow10[q];
    *out = neg ? -d : d;
    return true;
  }
  int lz = __builtin_clzll(w);
  w <<= lz;
  const uint64_t *t = pow5() + 2 * (q - kMinQ);
  unsigned __int128 first = static_cast<unsigned __int128>(w) * t[0];
  uint64_t hi = uint64_t(first >> 64), lo = uint64_t(first);
  if ((hi & 0x1FF) == 0x1FF) {  // 64 - (52 + 3) low bits all ones: refine
    unsigned __int128 second = static_cast<unsigned __int128>(w) * t[1];
    uint64_t shi = uint64_t(second >> 64);
    lo += shi;
    if (shi > lo) hi++;
  }
  if (lo == ~uint64_t(0) && (q < -27 || q > 55)) return false;
  int upper = int(hi >> 63);
  uint64_t m = hi >> (upper + 64 - 52 - 3);
  int64_t p2 = (((152170 + 65536) * q) >> 16) + 63 + upper - lz + 1023;
  if (p2 <= 0) {  // subnormal
    if (-p2 + 1 >= 64) {
      *out = with_sign(0, neg);
      return true;
    }
    m >>= -p2 + 1;
    m += m & 1;
    m >>= 1;
    p2 = m < (uint64_t(1) << 52) ? 0 : 1;
    *out = with_sign(m | (uint64_t(p2) << 52), neg);
    return true;
  }
  // Exactly halfway between two doubles: round to even.
  if (lo <= 1 && q >= -4 && q <= 23 && (m & 3) == 1 && (m << (upper + 64 - 52 - 3)) == hi) m &= ~uint64_t(1);
  m += m & 1;
  m >>= 1;
  if (m >= (uint64_t(2) << 52)) {
    m = uint64_t(1) << 52;
    p2++;
  }
  m &= ~(uint64_t(1) << 52);
  if (p2 >= 0x7FF) {
    *out = with_sign(uint64_t(0x7FF) << 52, neg);
    return true;
  }
  *out = with_sign(m | (uint64_t(p2) << 52), neg);
  return true;
}

}  // namespace levee
