// The scanning kernels of lib/scan.h at each SIMD level.
//
// The x86-64 kernels carry GCC target attributes, so this file builds with
// the project's plain flags and each kernel is only called once
// levee::simd::level() says the CPU has its instructions. UTF-8 validation
// is the lookup algorithm of Keiser and Lemire ("Validating UTF-8 in less
// than one instruction per byte", 2021): three 16-entry table lookups per
// byte classify every pair of adjacent bytes, and one saturating subtract
// marks where a third or fourth byte of a sequence must follow.
#include "scan.h"

#include <cstring>

#if LEVEE_SIMD_X86
#include <immintrin.h>
#endif

namespace levee::scan {

namespace {

// ---------------------------------------------------------------- classes

struct Table {
  bool text[256], ws[256], plain[256], token[256], target[256], value[256];
  constexpr Table() : text(), ws(), plain(), token(), target(), value() {
    for (int c = 0; c < 256; c++) {
      text[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
      ws[c] = c == ' ' || c == '\t' || c == '\n' || c == '\r';
      plain[c] = c >= 0x20 && c != '"' && c != '\\';
      token[c] = is_tchar(c);
      target[c] = c >= 0x21 && c <= 0x7e;
      value[c] = (c >= 0x20 && c <= 0x7e) || c == '\t' || c >= 0x80;
    }
  }
};
constexpr Table kTable;

// ---------------------------------------------------------------- portable

const uint8_t *text_portable(const uint8_t *p, const uint8_t *e, bool *) {
  while (p < e && kTable.text[*p]) p++;
  return p;
}
const uint8_t *ws_portable(const uint8_t *p, const uint8_t *e) {
  while (p < e && kTable.ws[*p]) p++;
  return p;
}
const uint8_t *plain_portable(const uint8_t *p, const uint8_t *e) {
  while (p < e && kTable.plain[*p]) p++;
  return p;
}
__attribute__((hot)) const uint8_t *token_portable(const uint8_t *p, const uint8_t *e) {
  while (p < e && kTable.token[*p]) p++;
  return p;
}
__attribute__((hot)) const uint8_t *target_portable(const uint8_t *p, const uint8_t *e) {
  while (p < e && kTable.target[*p]) p++;
  return p;
}
__attribute__((hot)) const uint8_t *value_portable(const uint8_t *p, const uint8_t *e) {
  while (p < e && kTable.value[*p]) p++;
  return p;
}

#if LEVEE_SIMD_X86

// The tchar class as two nibble lookups: c is a tchar iff
// (kTokenLo[c & 15] & kTokenHi[c >> 4]) != 0, one bit per high nibble 2..7
// (no tchar has another high nibble).
struct TokenNibbles {
  uint8_t lo[16], hi[16];
  constexpr TokenNibbles() : lo(), hi() {
    for (int h = 2; h <= 7; h++) hi[h] = uint8_t(1u << (h - 2));
    for (int c = 0; c < 128; c++)
      if (is_tchar(c)) lo[c & 15] |= hi[c >> 4];
  }
};
constexpr TokenNibbles kTokenNibbles;
constexpr bool token_nibbles_exact() {
  for (int c = 0; c < 256; c++)
    if (((kTokenNibbles.lo[c & 15] & kTokenNibbles.hi[c >> 4]) != 0) != is_tchar(c)) return false;
  return true;
}
static_assert(token_nibbles_exact(), "tchar is not a product of nibble classes");

// White space by its low nibble: ' ' (0x20), '\t' (0x09), '\n' (0x0a),
// '\r' (0x0d). The other entries are 0, whose low nibble differs from their
// index, so lookup(c & 15) == c holds exactly for white space (the lookup
// gives 0 for bytes >= 0x80).
constexpr uint8_t kWsByLow[16] = {0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0a, 0, 0, 0x0d, 0, 0};

// UTF-8 error classes of a byte pair (Keiser-Lemire).
enum : uint8_t {
  TOO_SHORT = 1 << 0,  // lead then a non-continuation
  TOO_LONG = 1 << 1,   // ASCII then a continuation
  OVERLONG_3 = 1 << 2,
  TOO_LARGE = 1 << 3,  // above U+10FFFF
  SURROGATE = 1 << 4,
  OVERLONG_2 = 1 << 5,
  TOO_LARGE_1000 = 1 << 6,
  OVERLONG_4 = 1 << 6,
  TWO_CONTS = 1 << 7,  // a continuation after a continuation
  CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS,
};
constexpr uint8_t kByte1High[16] = {
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4};
constexpr uint8_t kByte1Low[16] = {
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    CARRY | OVERLONG_2,
    CARRY,
    CARRY,
    CARRY | TOO_LARGE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000};
constexpr uint8_t kByte2High[16] = {
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT};

// p follows bytes that are valid UTF-8 except that they may end inside a
// sequence; returns the start of that unfinished sequence, or p.
inline const uint8_t *boundary(const uint8_t *start, const uint8_t *p) {
  const uint8_t *q = p;
  for (int i = 0; i < 3 && q > start; i++) {
    uint8_t c = q[-1];
    if (c < 0x80) return p;
    if (c >= 0xC0) {
      int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      return p - (q - 1) < need ? q - 1 : p;
    }
    q--;
  }
  return p;
}

// ---------------------------------------------------------------- JSON index

// The classes of one 64-byte block, one bit per byte.
struct Masks {
  uint64_t quote, bs, ws, op, ctl, high;
};

// The bytes escaped by a backslash (simdjson's branchless method: odd runs
// of backslashes escape the byte after them). *prev is 1 when the block's
// first byte is escaped and becomes the same for the next block.
inline uint64_t find_escaped(uint64_t bs, uint64_t *prev) {
  bs &= ~*prev;
  uint64_t follows = bs << 1 | *prev;
  const uint64_t even = 0x5555555555555555ull;
  uint64_t odd_starts = bs & ~even & ~follows;
  unsigned long long even_starts;
  *prev = _addcarry_u64(0, odd_starts, bs, &even_starts);
  return (even ^ (uint64_t(even_starts) << 1)) & follows;
}

// Prefix XOR by shifts (the SSE4.2 level does without PCLMULQDQ).
inline uint64_t prefix_xor_shifts(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// What is carried between blocks, in registers while a window is indexed.
struct Carry {
  uint64_t in_string, escaped, scalar;
  unsigned char esc, high;
  explicit Carry(const JsonIndexCarry &c)
      : in_string(c.in_string), escaped(c.escaped), scalar(c.scalar), esc((unsigned char)c.carry_esc),
        high((unsigned char)c.carry_high) {}
  void save(JsonIndexCarry &c) const {
    c.in_string = in_string;
    c.escaped = escaped;
    c.scalar = scalar;
    c.carry_esc = esc;
    c.carry_high = high;
  }
};

// tzcnt (bsf where BMI1 is missing) of a word that may be zero: the entries
// written for a zero word lie past the count and are never read.
inline uint32_t tz_any(uint64_t s) {
  uint64_t r;
  __asm__("tzcnt %1, %0" : "=r"(r) : "r"(s) : "cc");
  return uint32_t(r);
}

#define LEVEE_FLATTEN_ONE(j)  \
  w[j] = off + tz_any(s);     \
  s &= s - 1;

// A block's entries, once classified (see Masks and JsonIndex).
struct BlockBits {
  uint64_t structural;  // the bytes that get an entry
  uint64_t fe, fh;      // closing quotes of strings with a backslash / a byte >= 0x80
};

// The entries of a block once its string mask S is known (S: the opening
// quote and content of strings; quotes: the quotes that open or close one).
// Carries the block's state to the next. The caller checks that no control
// byte lies inside a string (m.ctl & S).
__attribute__((always_inline)) inline BlockBits block_bits(Carry &c, const Masks &m, uint64_t quotes, uint64_t S) {
  uint64_t scalar = ~(m.ws | m.op | m.quote | S);
  uint64_t starts = scalar & ~(scalar << 1 | c.scalar);
  uint64_t structural = (m.op & ~S) | quotes | starts;
  // A string's flags land on its closing quote: adding its backslashes (or
  // high bytes) to the run of ones S holds for it carries a one out of the
  // run, onto the closing quote, when it has any (carried across blocks).
  // Most blocks have neither inside a string, nor an open flagged string.
  c.scalar = scalar >> 63;
  if (__builtin_expect((((m.bs | m.high) & S) | c.esc | c.high) == 0, 1)) {
    c.in_string = uint64_t(int64_t(S) >> 63);
    return BlockBits{structural, 0, 0};
  }
  unsigned long long se, sh;
  c.esc = _addcarry_u64(c.esc, S, m.bs & S, &se);
  c.high = _addcarry_u64(c.high, S, m.high & S, &sh);
  c.in_string = uint64_t(int64_t(S) >> 63);
  return BlockBits{structural, se & ~S, sh & ~S};
}

// Writes a block's entries at *o (8 at a time: up to 7 past the last one;
// a block without any writes 8 that lie past the count).
__attribute__((always_inline)) inline void flatten(const BlockBits &b, uint32_t off, uint32_t *&o) {
  uint64_t structural = b.structural, fe = b.fe, fh = b.fh;
  uint32_t cnt = uint32_t(__builtin_popcountll(structural));
  uint64_t s = structural;
  uint32_t *w = o;
  LEVEE_FLATTEN_ONE(0) LEVEE_FLATTEN_ONE(1) LEVEE_FLATTEN_ONE(2) LEVEE_FLATTEN_ONE(3)
  LEVEE_FLATTEN_ONE(4) LEVEE_FLATTEN_ONE(5) LEVEE_FLATTEN_ONE(6) LEVEE_FLATTEN_ONE(7)
  if (__builtin_expect(cnt > 8, 0)) {
    w += 8;
    for (uint32_t k = 8; k < cnt; k += 8) {
      LEVEE_FLATTEN_ONE(0) LEVEE_FLATTEN_ONE(1) LEVEE_FLATTEN_ONE(2) LEVEE_FLATTEN_ONE(3)
      LEVEE_FLATTEN_ONE(4) LEVEE_FLATTEN_ONE(5) LEVEE_FLATTEN_ONE(6) LEVEE_FLATTEN_ONE(7)
      w += 8;
    }
  }
  if (__builtin_expect((fe | fh) != 0, 0)) {
    for (uint64_t f = fe | fh; f; f &= f - 1) {
      unsigned t = unsigned(__builtin_ctzll(f));
      uint32_t k = uint32_t(__builtin_popcountll(structural & ((uint64_t(1) << t) - 1)));
      o[k] |= uint32_t((fe >> t) & 1) << 31 | uint32_t((fh >> t) & 1) << 30;
    }
  }
  o += cnt;
}

// The SSE4.2 level's whole step for a block: false (nothing written) when
// a control byte lies inside a string.
__attribute__((always_inline)) inline bool finish_block(Carry &c, const Masks &m, uint64_t quotes, uint64_t S,
                                                        uint32_t off, uint32_t *&o) {
  if (m.ctl & S) return false;
  flatten(block_bits(c, m, quotes, S), off, o);
  return true;
}
#undef LEVEE_FLATTEN_ONE

// True when the 16 bytes before a block may end inside a UTF-8 sequence.
inline bool may_continue(const uint8_t *prev16) { return (prev16[13] | prev16[14] | prev16[15]) >= 0x80; }

// ---------------------------------------------------------------- SSE4.2

#define LEVEE_SSE __attribute__((target("sse4.2")))
// On the kernels that read a last partial block within its page (in_page):
// AddressSanitizer would report the bytes past the input it reads and masks.
#define LEVEE_OVERREAD __attribute__((no_sanitize_address))

LEVEE_SSE inline __m128i table16(const uint8_t *t) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i *>(t));
}
LEVEE_SSE inline __m128i hi_nibble16(__m128i x) {
  return _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0F));
}
// Bytes of x that are <= 0x1f.
LEVEE_SSE inline __m128i ctl16(__m128i x) { return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x); }

// Nonzero bytes where the block x (after the block prev) breaks UTF-8.
LEVEE_SSE inline __m128i utf8_errors16(__m128i x, __m128i prev) {
  __m128i prev1 = _mm_alignr_epi8(x, prev, 15);
  __m128i lo = _mm_set1_epi8(0x0F);
  __m128i sc = _mm_and_si128(
      _mm_and_si128(_mm_shuffle_epi8(table16(kByte1High), hi_nibble16(prev1)),
                    _mm_shuffle_epi8(table16(kByte1Low), _mm_and_si128(prev1, lo))),
      _mm_shuffle_epi8(table16(kByte2High), hi_nibble16(x)));
  __m128i prev2 = _mm_alignr_epi8(x, prev, 14), prev3 = _mm_alignr_epi8(x, prev, 13);
  __m128i must23 = _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(char(0xE0 - 0x80))),
                                _mm_subs_epu8(prev3, _mm_set1_epi8(char(0xF0 - 0x80))));
  return _mm_xor_si128(_mm_and_si128(must23, _mm_set1_epi8(char(0x80))), sc);
}

LEVEE_SSE const uint8_t *text_sse42(const uint8_t *p, const uint8_t *e, bool *high_out) {
  const uint8_t *start = p;
  __m128i prev = _mm_setzero_si128();
  bool prev_high = false;
  while (e - p >= 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                                ctl16(x));
    unsigned stops = unsigned(_mm_movemask_epi8(stop)), high = unsigned(_mm_movemask_epi8(x));
    if (!high && !prev_high) {
      if (stops) return p + __builtin_ctz(stops);
    } else {
      unsigned errs = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(utf8_errors16(x, prev), _mm_setzero_si128()))) ^ 0xFFFFu;
      if (stops) {
        unsigned k = unsigned(__builtin_ctz(stops));
        if (errs & ((2u << k) - 1)) return text_portable(boundary(start, p), e, high_out);
        if (high & ((1u << k) - 1)) *high_out = true;
        return p + k;
      }
      if (errs) return text_portable(boundary(start, p), e, high_out);
      if (high) *high_out = true;
    }
    prev = x;
    prev_high = high != 0;
    p += 16;
  }
  return text_portable(boundary(start, p), e, high_out);
}

// True when the n bytes at p lie in one 4 KiB page: reading them cannot
// fault even past the end of the input, since the input's last byte is in a
// page up to there. The vector kernels read the last partial block this
// way (masking what lies beyond e), as optimised string functions do.
inline bool in_page(const uint8_t *p, size_t n) { return (reinterpret_cast<uintptr_t>(p) & 4095) <= 4096 - n; }

// Scans 16 bytes at a time for the first byte M::stops marks.
template <class M>
LEVEE_SSE LEVEE_OVERREAD inline const uint8_t *find16(const uint8_t *p, const uint8_t *e, Find portable) {
  while (e - p >= 16) {
    unsigned m = unsigned(_mm_movemask_epi8(M::stops(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)))));
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
  if (p == e) return p;
  if (!in_page(p, 16)) return portable(p, e);
  unsigned m = unsigned(_mm_movemask_epi8(M::stops(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)))));
  return p + __builtin_ctz(m | (~0u << (e - p)));
}

struct Ws16 {
  LEVEE_SSE static __m128i stops(__m128i x) {
    return _mm_xor_si128(_mm_cmpeq_epi8(_mm_shuffle_epi8(table16(kWsByLow), x), x), _mm_set1_epi8(-1));
  }
};
struct Plain16 {
  LEVEE_SSE static __m128i stops(__m128i x) {
    return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                        ctl16(x));
  }
};
struct Token16 {
  LEVEE_SSE static __m128i stops(__m128i x) {
    __m128i k = _mm_and_si128(_mm_shuffle_epi8(table16(kTokenNibbles.lo), _mm_and_si128(x, _mm_set1_epi8(0x0F))),
                              _mm_shuffle_epi8(table16(kTokenNibbles.hi), hi_nibble16(x)));
    return _mm_cmpeq_epi8(k, _mm_setzero_si128());
  }
};
struct Target16 {
  // signed: bytes >= 0x80 are negative, so "< 0x21" takes them too
  LEVEE_SSE static __m128i stops(__m128i x) {
    return _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x21)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
  }
};
struct Value16 {
  LEVEE_SSE static __m128i stops(__m128i x) {
    return _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), ctl16(x)),
                        _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
  }
};

LEVEE_SSE LEVEE_OVERREAD const uint8_t *ws_sse42(const uint8_t *p, const uint8_t *e) { return find16<Ws16>(p, e, ws_portable); }
LEVEE_SSE LEVEE_OVERREAD const uint8_t *plain_sse42(const uint8_t *p, const uint8_t *e) {
  return find16<Plain16>(p, e, plain_portable);
}
LEVEE_SSE LEVEE_OVERREAD __attribute__((hot)) const uint8_t *token_sse42(const uint8_t *p, const uint8_t *e) { return find16<Token16>(p, e, token_portable); }
LEVEE_SSE LEVEE_OVERREAD __attribute__((hot)) const uint8_t *target_sse42(const uint8_t *p, const uint8_t *e) {
  return find16<Target16>(p, e, target_portable);
}
LEVEE_SSE LEVEE_OVERREAD __attribute__((hot)) const uint8_t *value_sse42(const uint8_t *p, const uint8_t *e) { return find16<Value16>(p, e, value_portable); }

LEVEE_SSE inline uint64_t bits16(__m128i a, __m128i b, __m128i c, __m128i d) {
  return uint64_t(uint32_t(_mm_movemask_epi8(a)) | uint32_t(_mm_movemask_epi8(b)) << 16) |
         uint64_t(uint32_t(_mm_movemask_epi8(c)) | uint32_t(_mm_movemask_epi8(d)) << 16) << 32;
}

// simdjson's operator lookup: by low nibble, compared with the byte | 0x20
// (so '[' and ']' match '{' and '}'); 0x0c and 0x1a match too.
constexpr uint8_t kOpByLow[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0};

LEVEE_SSE inline Masks classify16(const __m128i x[4]) {
  __m128i q[4], b[4], w[4], o[4], c[4];
  for (int i = 0; i < 4; i++) {
    q[i] = _mm_cmpeq_epi8(x[i], _mm_set1_epi8('"'));
    b[i] = _mm_cmpeq_epi8(x[i], _mm_set1_epi8('\\'));
    w[i] = _mm_cmpeq_epi8(_mm_shuffle_epi8(table16(kWsByLow), x[i]), x[i]);
    o[i] = _mm_cmpeq_epi8(_mm_shuffle_epi8(table16(kOpByLow), x[i]), _mm_or_si128(x[i], _mm_set1_epi8(0x20)));
    c[i] = ctl16(x[i]);
  }
  return Masks{bits16(q[0], q[1], q[2], q[3]), bits16(b[0], b[1], b[2], b[3]), bits16(w[0], w[1], w[2], w[3]),
               bits16(o[0], o[1], o[2], o[3]), bits16(c[0], c[1], c[2], c[3]), bits16(x[0], x[1], x[2], x[3])};
}

LEVEE_SSE size_t json_index_sse42(JsonIndexCarry *c, const uint8_t *p, size_t n, uint32_t base, uint32_t *out,
                                  size_t *clean) {
  uint32_t *o = out;
  Carry cy(*c);
  __m128i prev = _mm_loadu_si128(reinterpret_cast<const __m128i *>(c->prev));
  bool check = may_continue(c->prev);
  alignas(16) uint8_t tail[64];
  for (size_t k = 0; k < n; k += 64) {
    const uint8_t *b = p + k;
    if (n - k < 64) {
      memset(tail, ' ', 64);
      memcpy(tail, b, n - k);
      b = tail;
    }
    __m128i x[4];
    for (int i = 0; i < 4; i++) x[i] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 16 * i));
    Masks m = classify16(x);
    if (m.high || check) {
      __m128i err = _mm_or_si128(_mm_or_si128(utf8_errors16(x[0], prev), utf8_errors16(x[1], x[0])),
                                 _mm_or_si128(utf8_errors16(x[2], x[1]), utf8_errors16(x[3], x[2])));
      if (!_mm_testz_si128(err, err)) {
        *clean = k;
        return size_t(o - out);
      }
    }
    check = m.high != 0;
    prev = x[3];
    uint64_t quotes = m.quote & ~find_escaped(m.bs, &cy.escaped);
    uint64_t S = prefix_xor_shifts(quotes) ^ cy.in_string;
    if (!finish_block(cy, m, quotes, S, base + uint32_t(k), o)) {
      *clean = k;
      return size_t(o - out);
    }
  }
  cy.save(*c);
  _mm_storeu_si128(reinterpret_cast<__m128i *>(c->prev), prev);
  *clean = n;
  return size_t(o - out);
}

// ---------------------------------------------------------------- AVX2

#define LEVEE_AVX2 __attribute__((target("avx2")))

LEVEE_AVX2 inline __m256i table32(const uint8_t *t) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(t)));
}
LEVEE_AVX2 inline __m256i hi_nibble32(__m256i x) {
  return _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0F));
}
LEVEE_AVX2 inline __m256i ctl32(__m256i x) {
  return _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1F)), x);
}
// The 32 bytes that end n bytes before the end of x, the block after prev.
template <int N>
LEVEE_AVX2 inline __m256i back32(__m256i x, __m256i prev) {
  return _mm256_alignr_epi8(x, _mm256_permute2x128_si256(prev, x, 0x21), 16 - N);
}

LEVEE_AVX2 inline __m256i utf8_errors32(__m256i x, __m256i prev) {
  __m256i prev1 = back32<1>(x, prev);
  __m256i lo = _mm256_set1_epi8(0x0F);
  __m256i sc = _mm256_and_si256(
      _mm256_and_si256(_mm256_shuffle_epi8(table32(kByte1High), hi_nibble32(prev1)),
                       _mm256_shuffle_epi8(table32(kByte1Low), _mm256_and_si256(prev1, lo))),
      _mm256_shuffle_epi8(table32(kByte2High), hi_nibble32(x)));
  __m256i must23 = _mm256_or_si256(_mm256_subs_epu8(back32<2>(x, prev), _mm256_set1_epi8(char(0xE0 - 0x80))),
                                   _mm256_subs_epu8(back32<3>(x, prev), _mm256_set1_epi8(char(0xF0 - 0x80))));
  return _mm256_xor_si256(_mm256_and_si256(must23, _mm256_set1_epi8(char(0x80))), sc);
}

LEVEE_AVX2 const uint8_t *text_avx2(const uint8_t *p, const uint8_t *e, bool *high_out) {
  const uint8_t *start = p;
  __m256i prev = _mm256_setzero_si256();
  bool prev_high = false;
  while (e - p >= 32) {
    __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    __m256i stop = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'))),
        ctl32(x));
    uint32_t stops = uint32_t(_mm256_movemask_epi8(stop)), high = uint32_t(_mm256_movemask_epi8(x));
    if (!high && !prev_high) {
      if (stops) return p + __builtin_ctz(stops);
    } else {
      uint32_t errs = ~uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(utf8_errors32(x, prev), _mm256_setzero_si256())));
      if (stops) {
        unsigned k = unsigned(__builtin_ctz(stops));
        uint32_t upto = k == 31 ? ~0u : (2u << k) - 1;
        if (errs & upto) return text_portable(boundary(start, p), e, high_out);
        if (high & ((1u << k) - 1)) *high_out = true;
        return p + k;
      }
      if (errs) return text_portable(boundary(start, p), e, high_out);
      if (high) *high_out = true;
    }
    prev = x;
    prev_high = high != 0;
    p += 32;
  }
  // The tail: 16 bytes at a time from a character boundary.
  return text_sse42(boundary(start, p), e, high_out);
}

// Scans 32 bytes at a time for the first byte M::stops marks.
template <class M>
LEVEE_AVX2 LEVEE_OVERREAD inline const uint8_t *find32(const uint8_t *p, const uint8_t *e, Find portable) {
  while (e - p >= 32) {
    uint32_t m = uint32_t(_mm256_movemask_epi8(M::stops(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)))));
    if (m) return p + __builtin_ctz(m);
    p += 32;
  }
  if (p == e) return p;
  if (!in_page(p, 32)) return portable(p, e);
  uint32_t m = uint32_t(_mm256_movemask_epi8(M::stops(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)))));
  return p + __builtin_ctz(m | (~0u << (e - p)));
}

struct Ws32 {
  LEVEE_AVX2 static __m256i stops(__m256i x) {
    return _mm256_xor_si256(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(table32(kWsByLow), x), x), _mm256_set1_epi8(-1));
  }
};
struct Plain32 {
  LEVEE_AVX2 static __m256i stops(__m256i x) {
    return _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'))),
        ctl32(x));
  }
};
struct Token32 {
  LEVEE_AVX2 static __m256i stops(__m256i x) {
    __m256i k = _mm256_and_si256(
        _mm256_shuffle_epi8(table32(kTokenNibbles.lo), _mm256_and_si256(x, _mm256_set1_epi8(0x0F))),
        _mm256_shuffle_epi8(table32(kTokenNibbles.hi), hi_nibble32(x)));
    return _mm256_cmpeq_epi8(k, _mm256_setzero_si256());
  }
};
struct Target32 {
  LEVEE_AVX2 static __m256i stops(__m256i x) {
    return _mm256_or_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x21), x), _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7F)));
  }
};
struct Value32 {
  LEVEE_AVX2 static __m256i stops(__m256i x) {
    return _mm256_or_si256(_mm256_andnot_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t')), ctl32(x)),
                           _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7F)));
  }
};

LEVEE_AVX2 LEVEE_OVERREAD const uint8_t *ws_avx2(const uint8_t *p, const uint8_t *e) { return find32<Ws32>(p, e, ws_portable); }
LEVEE_AVX2 LEVEE_OVERREAD const uint8_t *plain_avx2(const uint8_t *p, const uint8_t *e) {
  return find32<Plain32>(p, e, plain_portable);
}
LEVEE_AVX2 LEVEE_OVERREAD __attribute__((hot)) const uint8_t *token_avx2(const uint8_t *p, const uint8_t *e) { return find32<Token32>(p, e, token_portable); }
LEVEE_AVX2 LEVEE_OVERREAD __attribute__((hot)) const uint8_t *target_avx2(const uint8_t *p, const uint8_t *e) {
  return find32<Target32>(p, e, target_portable);
}
LEVEE_AVX2 LEVEE_OVERREAD __attribute__((hot)) const uint8_t *value_avx2(const uint8_t *p, const uint8_t *e) { return find32<Value32>(p, e, value_portable); }

#define LEVEE_AVX2_INDEX __attribute__((target("avx2,bmi,pclmul"), optimize("no-tree-slp-vectorize")))

LEVEE_AVX2 inline uint64_t bits32(__m256i a, __m256i b) {
  return uint64_t(uint32_t(_mm256_movemask_epi8(a))) | uint64_t(uint32_t(_mm256_movemask_epi8(b))) << 32;
}

LEVEE_AVX2 inline Masks classify32(__m256i x0, __m256i x1) {
  __m256i ws = table32(kWsByLow), op = table32(kOpByLow), q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
  __m256i up = _mm256_set1_epi8(0x20);
  // signed: bytes >= 0x80 are negative, so "< 0x20" takes them too (high removes them)
  uint64_t high = bits32(x0, x1);
  uint64_t low = bits32(_mm256_cmpgt_epi8(up, x0), _mm256_cmpgt_epi8(up, x1));
  return Masks{bits32(_mm256_cmpeq_epi8(x0, q), _mm256_cmpeq_epi8(x1, q)),
               bits32(_mm256_cmpeq_epi8(x0, bs), _mm256_cmpeq_epi8(x1, bs)),
               bits32(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(ws, x0), x0), _mm256_cmpeq_epi8(_mm256_shuffle_epi8(ws, x1), x1)),
               bits32(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(op, x0), _mm256_or_si256(x0, up)),
                      _mm256_cmpeq_epi8(_mm256_shuffle_epi8(op, x1), _mm256_or_si256(x1, up))),
               low & ~high, high};
}

// True when the 64 bytes x0, x1 (after the block whose last 32 bytes are
// prev) break UTF-8. Out of line: most blocks are ASCII, and the main loop
// keeps its registers.
__attribute__((target("avx2"), noinline)) bool utf8_bad64(__m256i x0, __m256i x1, __m256i prev) {
  __m256i err = _mm256_or_si256(utf8_errors32(x0, prev), utf8_errors32(x1, x0));
  return !_mm256_testz_si256(err, err);
}

// One 64-byte block of the AVX2 index: its entries in *bits, or false
// when it is bad. Its entries are written one block later (flatten), so the
// serial bit-by-bit flattening of a block and the classification of the
// next one lie side by side in the instruction stream and overlap.
LEVEE_AVX2_INDEX __attribute__((always_inline)) inline bool index_block_avx2(const uint8_t *b, Carry &cy, __m256i &prev,
                                                                             bool &check, BlockBits &bits) {
  __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b));
  __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 32));
  Masks m = classify32(x0, x1);
  if (__builtin_expect(m.high || check, 0)) {
    if (utf8_bad64(x0, x1, prev)) return false;
  }
  check = m.high != 0;
  prev = x1;
  uint64_t quotes = m.quote & ~find_escaped(m.bs, &cy.escaped);
  uint64_t S = uint64_t(_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_cvtsi64_si128(int64_t(quotes)), _mm_set1_epi8(-1), 0))) ^
               cy.in_string;
  if (m.ctl & S) return false;
  bits = block_bits(cy, m, quotes, S);
  return true;
}

LEVEE_AVX2_INDEX size_t json_index_avx2(JsonIndexCarry *c, const uint8_t *p, size_t n, uint32_t base, uint32_t *out,
                                        size_t *clean) {
  uint32_t *o = out;
  Carry cy(*c);
  __m256i prev = _mm256_inserti128_si256(_mm256_setzero_si256(), _mm_loadu_si128(reinterpret_cast<const __m128i *>(c->prev)), 1);
  bool check = may_continue(c->prev);
  BlockBits last{0, 0, 0}, bits;  // the block before k, not yet flattened
  size_t k = 0;
  for (; n - k >= 64; k += 64) {
    if (!index_block_avx2(p + k, cy, prev, check, bits)) goto bad;
    flatten(last, base + uint32_t(k - 64), o);
    last = bits;
  }
  if (k < n) {  // the last partial block, read as if spaces followed
    alignas(32) uint8_t tail[64];
    memset(tail, ' ', 64);
    memcpy(tail, p + k, n - k);
    if (!index_block_avx2(tail, cy, prev, check, bits)) goto bad;
    flatten(last, base + uint32_t(k - 64), o);
    last = bits;
    k += 64;
  }
  flatten(last, base + uint32_t(k - 64), o);
  cy.save(*c);
  _mm_storeu_si128(reinterpret_cast<__m128i *>(c->prev), _mm256_extracti128_si256(prev, 1));
  *clean = n;
  return size_t(o - out);
bad:
  flatten(last, base + uint32_t(k - 64), o);
  *clean = k;
  return size_t(o - out);
}

#endif  // LEVEE_SIMD_X86

}  // namespace

const Kernels kKernels[simd::kLevels] = {
    {text_portable, ws_portable, plain_portable, token_portable, target_portable, value_portable, nullptr},
#if LEVEE_SIMD_X86
    {text_sse42, ws_sse42, plain_sse42, token_sse42, target_sse42, value_sse42, json_index_sse42},
    {text_avx2, ws_avx2, plain_avx2, token_avx2, target_avx2, value_avx2, json_index_avx2},
#else
    {text_portable, ws_portable, plain_portable, token_portable, target_portable, value_portable, nullptr},
    {text_portable, ws_portable, plain_portable, token_portable, target_portable, value_portable, nullptr},
#endif
};

}  // namespace levee::scan
