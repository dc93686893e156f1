// levee_json_*: the incremental strict JSON tokenizer (see lib/json.h and the
// json section of levee.h). One pass over the input writes a tape of
// offset/length tokens; strings are validated (UTF-8, escapes, surrogate
// pairs) as they are scanned and only copied when they hold escapes.
#include "json.h"

#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"
#include "scan.h"

namespace {

inline bool is_ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

// Skips JSON white space from p; returns the first other byte (or e).
inline const uint8_t *skip_ws(const levee::scan::Kernels &k, const uint8_t *p, const uint8_t *e) {
  if (p < e && !is_ws(*p)) return p;  // the common case: no white space
  // The next most common: the one space after a ':' in indented text.
  if (p + 1 < e && *p == ' ' && !is_ws(p[1])) return p + 1;
  return k.json_ws(p, e);
}

// Accumulates the decimal digits from p into *acc (modulo 2^64) and
// returns the first other byte (or e).
inline const uint8_t *digit_run(const uint8_t *p, const uint8_t *e, uint64_t *acc) {
  uint64_t a = *acc;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // Eight digits at a time while there are eight (SWAR, as simdjson and
  // fast_float do), then a few more at once when there are four or more,
  // then one at a time.
  while (e - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t bad = ((x & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull) |
                   (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull);
    if (bad) {
      // The digits before the first other byte (a byte's test is only
      // disturbed by a carry out of an earlier non-digit byte).
      unsigned n = unsigned(__builtin_ctzll(bad)) >> 3;
      if (n < 4) break;
      x = (x << (8 * (8 - n)));
      x = (x & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
      x = (x & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
      static constexpr uint64_t kPow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
      *acc = a * kPow10[n] + uint32_t((x & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32);
      return p + n;
    }
    x = (x & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
    x = (x & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
    a = a * 100000000 + uint32_t((x & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32);
    p += 8;
  }
#endif
  while (p < e && uint8_t(*p - '0') < 10) a = a * 10 + uint64_t(*p++ - '0');
  *acc = a;
  return p;
}

// The integer part of a number: usually 1 to 3 digits, read one at a time
// (the first one is already known to be 1..9).
inline const uint8_t *int_run(const uint8_t *p, const uint8_t *e, uint64_t *acc) {
  uint64_t a = uint64_t(*p++ - '0');
  for (int k = 0; k < 3; k++) {
    if (p == e || uint8_t(*p - '0') >= 10) {
      *acc = a;
      return p;
    }
    a = a * 10 + uint64_t(*p++ - '0');
  }
  *acc = a;
  return digit_run(p, e, acc);
}

inline int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The 4 hex digits at p, or -1.
inline int hex4(const uint8_t *p) {
  int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

// Validates the UTF-8 sequence at p (lead byte >= 0x80). Returns its length,
// 0 when it is a valid prefix cut by e, or -1 when invalid.
inline int utf8_seq(const uint8_t *p, const uint8_t *e) {
  uint8_t c = p[0];
  int n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
  } else {
    return -1;
  }
  if (p + 1 < e) {
    if (p[1] < lo || p[1] > hi) return -1;
  } else {
    return 0;
  }
  for (int i = 2; i < n; i++) {
    if (p + i >= e) return 0;
    if ((p[i] & 0xC0) != 0x80) return -1;
  }
  return n;
}

inline size_t put_utf8(char *d, uint32_t cp) {
  if (cp < 0x80) {
    d[0] = char(cp);
    return 1;
  }
  if (cp < 0x800) {
    d[0] = char(0xC0 | (cp >> 6));
    d[1] = char(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = char(0xE0 | (cp >> 12));
    d[1] = char(0x80 | ((cp >> 6) & 0x3F));
    d[2] = char(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = char(0xF0 | (cp >> 18));
  d[1] = char(0x80 | ((cp >> 12) & 0x3F));
  d[2] = char(0x80 | ((cp >> 6) & 0x3F));
  d[3] = char(0x80 | (cp & 0x3F));
  return 4;
}

// Appends the unescaped text of the string body [p, e) to out and returns
// its length, or SIZE_MAX (out unchanged) when an escape is invalid (a
// lone or unpaired surrogate included). Sets utf8 when an escape writes
// non-ASCII text.
size_t unescape(const uint8_t *p, const uint8_t *e, std::string &out, bool &utf8) {
  size_t start = out.size();
  out.resize(start + size_t(e - p));  // unescaped text is never longer
  uint8_t *d = reinterpret_cast<uint8_t *>(out.data()) + start;
  for (;;) {
    // Copy up to the next backslash (16 bytes at a time: d never passes p,
    // so the copy stays inside the room made above).
#if defined(__SSE2__)
    while (e - p >= 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
      _mm_storeu_si128(reinterpret_cast<__m128i *>(d), x);
      unsigned m = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
      if (m) {
        unsigned k = unsigned(__builtin_ctz(m));
        p += k;
        d += k;
        goto escape;
      }
      p += 16;
      d += 16;
    }
#endif
    while (p < e && *p != '\\') *d++ = *p++;
    if (p == e) break;
  escape:
    if (e - p < 2) goto bad;
    switch (p[1]) {
      case '"': *d++ = '"'; break;
      case '\\': *d++ = '\\'; break;
      case '/': *d++ = '/'; break;
      case 'b': *d++ = '\b'; break;
      case 'f': *d++ = '\f'; break;
      case 'n': *d++ = '\n'; break;
      case 'r': *d++ = '\r'; break;
      case 't': *d++ = '\t'; break;
      case 'u': {
        if (e - p < 6) goto bad;
        int cp = hex4(p + 2);
        if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) goto bad;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (e - p < 12 || p[6] != '\\' || p[7] != 'u') goto bad;
          int lo = hex4(p + 8);
          if (lo < 0xDC00 || lo > 0xDFFF) goto bad;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        }
        if (cp >= 0x80) utf8 = true;
        d += put_utf8(reinterpret_cast<char *>(d), uint32_t(cp));
        p += 6;
        continue;
      }
      default: goto bad;
    }
    p += 2;
  }
  {
    size_t n = size_t(d - reinterpret_cast<uint8_t *>(out.data())) - start;
    out.resize(start + n);
    return n;
  }
bad:
  out.resize(start);
  return SIZE_MAX;
}

locale_t c_locale() {
  static locale_t loc = newlocale(LC_ALL_MASK, "C", nullptr);
  return loc;
}

}  // namespace

void levee_json::grow(size_t need) {
  size_t cap = tape_cap ? tape_cap * 2 : 1024;
  while (cap < need) cap *= 2;
  auto *p = static_cast<levee_json_token *>(realloc(tape, cap * sizeof(levee_json_token)));
  if (!p) throw std::bad_alloc();
  tape = p;
  tape_cap = cap;
}

void levee_json::Stack::grow() {
  size_t c = cap ? cap * 2 : 32;
  auto *p = static_cast<Frame *>(realloc(v, c * sizeof(Frame)));
  if (!p) throw std::bad_alloc();
  v = p;
  cap = c;
}

void levee_json::reset() {
  state = kValue;
  pos = 0;
  stack.clear();
  ntape = 0;
  strings.clear();
  error_offset = 0;
  done = false;
}

int64_t levee_json::error(int code, size_t at) {
  error_offset = at;
  const char *what = levee_strerror(code);
  levee::set_message("%s at byte %zu", what, at);
  return code;
}

inline void levee_json::value_done() {
  if (stack.empty()) {
    state = kDone;
    done = true;
    return;
  }
  stack.back().count++;
  state = kAfter;
}

int levee_json::scan_string(const uint8_t *in, size_t end, bool eof) {
  const uint8_t *p = in + pos, *e = in + end;
  bool at_quote = false;
#if defined(__SSE2__)
  // Most strings (keys, short values) end within 16 bytes: one baseline
  // SSE2 probe finds their closing quote without a kernel call (vector
  // levels only; the portable level stays plain C++).
  if (kern != &levee::scan::kKernels[levee::simd::kPortable] && e - p >= 16 && !str_escaped) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    // signed compare: bytes >= 0x80 are negative, so "< 0x20" takes them
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
    unsigned bits = unsigned(_mm_movemask_epi8(m));
    if (bits && p[__builtin_ctz(bits)] == '"') {
      p += __builtin_ctz(bits);
      at_quote = true;
    }
  }
#endif
  for (;;) {
    if (!at_quote) p = kern->json_text(p, e, &str_utf8);
    at_quote = false;
    if (p == e) break;
    uint8_t c = *p;
    if (c == '"') {
      levee_json_token &t = push();
      t.type = LEVEE_JSON_STRING;
      t.off = str_start;
      t.len = size_t(p - in) - str_start;
      if (str_escaped) {
        t.flags = LEVEE_JSON_FESCAPED;
        t.aux = strings.size();
        t.integer = int64_t(unescape(in + str_start, p, strings, str_utf8));
      }
      if (str_utf8) t.flags |= LEVEE_JSON_FUTF8;
      pos = size_t(p - in) + 1;
      if (str_key) state = kColon;
      else value_done();
      return 1;
    }
    if (c == '\\') {
      if (e - p < 2) break;
      switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          str_escaped = true;
          continue;
        case 'u': break;
        default: return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
      }
      if (e - p < 6) {
        for (const uint8_t *q = p + 2; q < e; q++)
          if (hexval(*q) < 0) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
        break;
      }
      int cp = hex4(p + 2);
      if (cp < 0) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
      if (cp >= 0xDC00 && cp <= 0xDFFF) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        // A high surrogate must be followed by an escaped low surrogate.
        size_t have = size_t(e - p);
        static const char pre[] = "\\u";
        for (size_t i = 6; i < 8 && i < have; i++)
          if (p[i] != uint8_t(pre[i - 6])) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
        if (have < 12) {
          for (size_t i = 8; i < have; i++)
            if (hexval(p[i]) < 0) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
          break;
        }
        int lo = hex4(p + 8);
        if (lo < 0xDC00 || lo > 0xDFFF) return int(error(LEVEE_JSON_EESCAPE, size_t(p - in)));
        p += 12;
      } else {
        p += 6;
      }
      str_escaped = true;
      continue;
    }
    if (c < 0x20) return int(error(LEVEE_JSON_EBYTE, size_t(p - in)));
    // Non-ASCII text tends to come in runs: validate the whole run here
    // rather than going back to the 16-byte scan for each character.
    int n;
    str_utf8 = true;
    do {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      // Three-byte sequences (CJK and most other scripts) first: a lead in
      // E1..EC or EE..EF and two continuation bytes need no range checks
      // (one masked compare of the bytes loaded little-endian).
      if (e - p >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        uint32_t lead = w & 0xFF;
        if ((w & 0xC0C0F0u) == 0x8080E0u && lead != 0xE0 && lead != 0xED) {
          p += 3;
          n = 3;
          continue;
        }
      }
#endif
      n = utf8_seq(p, e);
      if (n <= 0) break;
      p += n;
    } while (p < e && *p >= 0x80);
    if (n < 0) return int(error(LEVEE_JSON_EBYTE, size_t(p - in)));
    if (n == 0) break;
  }
  // Out of input at a safe point (never inside an escape or a sequence).
  pos = size_t(p - in);
  state = kInString;
  (void)eof;
  return 0;
}

namespace {

// Reads the number that starts at in[pos] (a '-' or a digit) without
// touching the tokenizer: returns 1 with the token in t and its end in *at,
// 0 when the number may go on past end (not eof), or an error code with its
// offset in *at. Both scanning paths call it, so numbers are read alike.
// The double of the number text in[pos, i) by std::from_chars (strtod
// beyond the range); sets t.number, or returns the error.
__attribute__((noinline)) int slow_double(const uint8_t *in, size_t pos, size_t i, levee_json_token &t, size_t *at) {
  const char *first = reinterpret_cast<const char *>(in + pos), *last = reinterpret_cast<const char *>(in + i);
  double d = 0;
  auto r = std::from_chars(first, last, d);
  if (r.ec == std::errc::result_out_of_range) {
    std::string text(first, last);
    d = strtod_l(text.c_str(), nullptr, c_locale());
  } else if (r.ec != std::errc() || r.ptr != last) {
    *at = pos;
    return LEVEE_JSON_ESYNTAX;
  }
  if (std::isinf(d)) {
    *at = pos;
    return LEVEE_JSON_ESIZE;
  }
  t.number = d;
  *at = i;
  return 1;
}

// The rest of a number whose integer part (acc, ndigits digits) ends at p,
// at a '.' or an exponent.
__attribute__((always_inline)) inline int parse_fraction(const uint8_t *in, size_t pos, size_t end, bool eof, levee_json_token &t, size_t *at,
                   const uint8_t *p, bool neg, uint64_t acc, size_t ndigits) {
  const uint8_t *e = in + end;
  // The significant digits as an integer w (exact while nsig <= 19) and
  // the power of ten q: value = w * 10^q.
  uint64_t w = acc;
  size_t nsig = acc ? ndigits : 0;
  int64_t q = 0;
  if (*p == '.') {
    if (++p == e) goto more;
    if (uint8_t(*p - '0') >= 10) goto syntax;
    const uint8_t *f = p;
    if (!nsig)
      while (p < e && *p == '0') p++;  // leading zeros are not significant
    const uint8_t *s = p;
    p = digit_run(p, e, &w);
    nsig += size_t(p - s);
    q = -int64_t(p - f);
  }
  if (p < e && (*p | 0x20) == 'e') {
    if (++p == e) goto more;
    bool eneg = false;
    if (*p == '+' || *p == '-') {
      eneg = *p == '-';
      if (++p == e) goto more;
    }
    if (uint8_t(*p - '0') >= 10) goto syntax;
    int64_t x = 0;
    while (p < e && uint8_t(*p - '0') < 10) {
      if (x < 100000000) x = x * 10 + (*p - '0');  // beyond: 0 or infinity anyway
      p++;
    }
    q += eneg ? -x : x;
  }
  if (p == e && !eof) return 0;  // the number may go on
  t.type = LEVEE_JSON_NUMBER;
  t.flags = 0;
  t.off = pos;
  t.len = size_t(p - in) - pos;
  t.aux = 0;
  t.integer = 0;
  if (nsig <= 19) {
    int r = levee::json_decimal_to_double(w, q, neg, &t.number);
    if (__builtin_expect(r > 0, 1)) {
      *at = size_t(p - in);
      return 1;
    }
    if (r < 0) {  // JSON has no infinity
      *at = pos;
      return LEVEE_JSON_ESIZE;
    }
  }
  return slow_double(in, pos, size_t(p - in), t, at);
more:
  if (!eof) return 0;
syntax:
  *at = size_t(p - in);
  return LEVEE_JSON_ESYNTAX;
}

__attribute__((always_inline)) inline int parse_number(const uint8_t *in, size_t pos, size_t end, bool eof,
                                                      levee_json_token &t, size_t *at) {
  const uint8_t *p = in + pos, *e = in + end;
  bool neg = *p == '-';
  const uint8_t *digits;
  uint64_t acc = 0;  // the integer part, exact while it has <= 19 digits
  size_t ndigits;
  p += neg;
  if (p == e) goto more;
  digits = p;
  if (*p == '0') {
    p++;
  } else if (uint8_t(*p - '1') < 9) {
    p = int_run(p, e, &acc);
  } else {
    *at = size_t(p - in);
    return LEVEE_JSON_ESYNTAX;
  }
  ndigits = size_t(p - digits);
  if (p == e) {
    if (!eof) return 0;  // the number may go on
  } else if (*p == '.' || (*p | 0x20) == 'e') {
    return parse_fraction(in, pos, end, eof, t, at, p, neg, acc, ndigits);
  }
  // An integer.
  t.type = LEVEE_JSON_NUMBER;
  t.off = pos;
  t.len = size_t(p - in) - pos;
  t.aux = 0;
  if (__builtin_expect(ndigits <= 19, 1) || ndigits == 20) {
    uint64_t v = acc;
    bool fits = true;
    if (ndigits == 20) {
      v = 0;
      for (const uint8_t *k = digits; k < p; k++) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, uint64_t(*k - '0'), &v)) {
          fits = false;
          break;
        }
      }
    }
    if (fits) {
      if (!neg && v <= uint64_t(INT64_MAX)) {
        t.flags = LEVEE_JSON_FINT;
        t.integer = int64_t(v);
        t.number = double(v);
      } else if (!neg) {
        t.flags = LEVEE_JSON_FUINT;
        t.integer = int64_t(v);
        t.number = double(v);
      } else if (v <= uint64_t(INT64_MAX) + 1) {
        t.flags = LEVEE_JSON_FINT;
        t.integer = v == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(v);
        t.number = -double(v);
      } else {
        fits = false;
      }
    }
    if (fits) {
      *at = size_t(p - in);
      return 1;
    }
  }
  t.flags = LEVEE_JSON_FBIG;
  t.integer = 0;
  return slow_double(in, pos, size_t(p - in), t, at);
more:
  if (!eof) return 0;
  *at = size_t(p - in);
  return LEVEE_JSON_ESYNTAX;
}
}  // namespace

int levee_json::number(const uint8_t *in, size_t end, bool eof) {
  levee_json_token t;
  size_t at;
  int r = parse_number(in, pos, end, eof, t, &at);
  if (r < 0) return int(error(r, at));
  if (r == 0) return 0;
  push() = t;
  pos = at;
  value_done();
  return 1;
}

// ---------------------------------------------------------------- stage 2

namespace {

constexpr size_t kFirstWindow = 512, kMaxWindow = 16384;
static_assert(kMaxWindow <= levee::scan::kJsonIndexMaxWindow);

}  // namespace

// An escaped string whose content is in[start, close) (close: its closing
// quote; UTF-8 and control bytes already checked by stage 1): pushes its
// token, or returns false when an escape is invalid.
__attribute__((noinline)) bool levee_json::escaped_string_token(const uint8_t *in, size_t start, size_t close,
                                                                bool high) {
  size_t aux = strings.size();
  size_t n = unescape(in + start, in + close, strings, high);
  if (n == SIZE_MAX) return false;
  levee_json_token &t = push();
  t.type = LEVEE_JSON_STRING;
  t.flags = LEVEE_JSON_FESCAPED | (high ? LEVEE_JSON_FUTF8 : 0);
  t.off = start;
  t.len = close - start;
  t.aux = aux;
  t.integer = int64_t(n);
  return true;
}

namespace {

// The windows of the structural index that stage 2 reads: indexed one
// after another, each from the end of the last (growing from kFirstWindow
// to kMaxWindow, so a small value followed by more bytes costs little).
struct IndexWindows {
  levee::scan::JsonIndex fn;
  uint32_t *buf;
  const uint8_t *in;
  size_t next, end, win, limit;
  bool dirty;
  levee::scan::JsonIndexCarry carry;
  struct Range {
    const uint32_t *ip, *ie;
  };
  // The entries of the next window that has any, or an empty range at the
  // end of the input, after a bad block, or at limit (below 2^30: entries
  // hold the byte's offset in 30 bits; the one-pass loop reads on from
  // there).
  __attribute__((noinline)) Range refill() {
    while (!dirty && next < end) {
      size_t n = end - next < win ? end - next : win, clean;
      if (next + n > limit) {
        if (next >= limit) break;
        n = limit - next;
      }
      size_t count = fn(&carry, in + next, n, uint32_t(next), buf, &clean);
      next += n;
      dirty = clean < n;
      if (win < kMaxWindow) win *= 4;
      if (count) return Range{buf, buf + count};
    }
    return Range{buf, buf};
  }
};

}  // namespace

int64_t levee_json::feed_indexed(const uint8_t *in, size_t end, bool eof) {
  using namespace levee::scan;
  if (!index) {
    index = static_cast<uint32_t *>(malloc(json_index_room(kMaxWindow) * sizeof(uint32_t)));
    if (!index) throw std::bad_alloc();
  }
  IndexWindows w{kern->json_index, index, in, pos, end, kFirstWindow, index_limit, false, {}};
  if (state == kInString) w.carry.in_string = ~uint64_t(0);
  const uint32_t *ip = index, *ie = index;
  size_t p = pos;  // the end of the last token read
  State hs;        // where `value` hands over: kValue or kArrayFirst
  size_t i, j;
  uint32_t e;
  uint8_t c;
  Frame *top = stack.empty() ? nullptr : &stack.back();  // the innermost container
  // The next free token. Every token takes at least one index entry of its
  // own, so the tape has room for one per entry of the window being read
  // (made when the window is read): tokens go in without a check.
  levee_json_token *tk = tape + ntape;

  // The next entry into idx; none: hand over at `fail`.
#define LEVEE_NEXT(idx, fail)                \
  do {                                       \
    if (__builtin_expect(ip == ie, 0)) {     \
      IndexWindows::Range r_ = w.refill();   \
      if (r_.ip == r_.ie) goto fail;         \
      ip = r_.ip;                            \
      ie = r_.ie;                            \
      tk = room(tk, size_t(ie - ip));        \
    }                                        \
    e = *ip++;                               \
    idx = e & kJsonEntryOffset;              \
  } while (0)
  // Closes the innermost container (in[i] closes it): its length, and the
  // container around it (or the end of the value) becomes the innermost.
#define LEVEE_CLOSE()                        \
  do {                                       \
    tape[top->token].len = top->count;       \
    stack.pop_back();                        \
    p = i + 1;                               \
    if (stack.empty()) {                     \
      top = nullptr;                         \
      goto root_done;                        \
    }                                        \
    top--;                                   \
  } while (0)
  // Pushes the string in[start, close) (entry e: its closing quote), or
  // hands over at fail when an escape in it is invalid.
#define LEVEE_STRING(start, close, esc, high, fail)                                                          \
  do {                                                                                                      \
    if (__builtin_expect((e & kJsonEntryEscaped) || (esc), 0)) {                                            \
      ntape = size_t(tk - tape);                                                                            \
      bool ok_ = escaped_string_token(in, start, close, (high) || (e & kJsonEntryHigh));                    \
      tk = tape + ntape;                                                                                    \
      if (!ok_) goto fail;                                                                                  \
    } else {                                                                                                \
      *tk++ = levee_json_token{LEVEE_JSON_STRING, ((high) || (e & kJsonEntryHigh)) ? uint32_t(LEVEE_JSON_FUTF8) : 0u, \
                               start, (close) - (start), 0, 0, 0};                                          \
    }                                                                                                       \
  } while (0)

  switch (state) {
    case kValue: hs = kValue; goto value;
    case kArrayFirst: goto array_first;
    case kObjectFirst: goto object_first;
    case kKey: goto key;
    case kColon: goto colon;
    case kAfter: goto after;
    case kInString: goto in_string;
    case kDone: return 0;
  }

in_string:  // resuming a string cut by the end of the last input
  LEVEE_NEXT(j, hand_in_string);
  LEVEE_STRING(str_start, j, str_escaped, str_utf8, hand_in_string);
  p = j + 1;
  if (str_key) goto colon;
  goto value_done;

array_first:
  LEVEE_NEXT(i, hand_array_first);
  c = in[i];
  if (c == ']') goto close;
  if (uint8_t(c - '0') < 10 || c == '-') goto numbers;
  hs = kArrayFirst;
  goto value_at;

numbers:
  // An array whose elements so far are numbers (canada.json's [x,y] pairs):
  // in[i] starts the next element of the innermost container. Number, then
  // ',' and the next number or ']', without the general states.
  {
    size_t at;
    if (parse_number(in, i, end, eof, *tk, &at) != 1) {
      hs = top->count ? kValue : kArrayFirst;
      goto handover;
    }
    tk++;
    top->count++;
    p = at;
  }
  LEVEE_NEXT(i, hand_after);
  if (__builtin_expect(i != p, 0) && !is_ws(in[p])) goto hand_after;
  c = in[i];
  if (c != ',') goto numbers_close;
  p = i + 1;
  LEVEE_NEXT(i, hand_numbers_value);
  c = in[i];
  if (uint8_t(c - '0') < 10 || c == '-') goto numbers;
  hs = kValue;
  goto value_at;

numbers_close:
  // c = in[i] follows a number in an array of numbers. Arrays of such arrays
  // (coordinates, matrices) go on here: ']', then ',' '[' and a number.
  if (c != ']') goto hand_after;
  LEVEE_CLOSE();
  top->count++;
  LEVEE_NEXT(i, hand_after);
  c = in[i];
  if (c != ',' || top->object) goto after_at;
  p = i + 1;
  LEVEE_NEXT(i, hand_numbers_value);
  c = in[i];
  if (c != '[' || stack.size() >= max_depth) {
    hs = kValue;
    goto value_at;
  }
  *tk++ = levee_json_token{uint32_t(LEVEE_JSON_ARRAY), 0, i, 0, 0, 0, 0};
  stack.push_back(Frame{size_t(tk - tape) - 1, 0, false});
  top = &stack.back();
  p = i + 1;
  LEVEE_NEXT(i, hand_array_first);
  c = in[i];
  if (uint8_t(c - '0') < 10 || c == '-') goto numbers;
  if (c == ']') goto close;
  hs = kArrayFirst;
  goto value_at;

value:  // hs is kValue or kArrayFirst
  LEVEE_NEXT(i, hand_value);
  c = in[i];
value_at:
  if (uint8_t(c - '0') < 10 || c == '-') {  // numbers first: canada.json is made of them
    size_t at;
    if (parse_number(in, i, end, eof, *tk, &at) != 1) goto hand_value;
    tk++;
    p = at;
    goto scalar_done;
  }
  switch (c) {
    case '"':
      LEVEE_NEXT(j, hand_value);
      LEVEE_STRING(i + 1, j, false, false, hand_value);
      p = j + 1;
      goto value_done;
    case '[':
    case '{':
      if (stack.size() >= max_depth) goto hand_value;
      *tk++ = levee_json_token{c == '[' ? uint32_t(LEVEE_JSON_ARRAY) : uint32_t(LEVEE_JSON_OBJECT), 0, i, 0, 0, 0, 0};
      stack.push_back(Frame{size_t(tk - tape) - 1, 0, c == '{'});
      top = &stack.back();
      p = i + 1;
      if (c == '[') goto array_first;
      goto object_first;
    case 't':
    case 'f':
    case 'n': {
      // The four bytes at the end of the word, compared at once.
      size_t n = c == 'f' ? 5 : 4;
      const char *word = c == 't' ? "true" : c == 'f' ? "alse" : "null";
      uint32_t have, want;
      if (end - i < n) goto hand_value;
      memcpy(&have, in + i + n - 4, 4);
      memcpy(&want, word, 4);
      if (have != want) goto hand_value;
      *tk++ = levee_json_token{c == 't' ? uint32_t(LEVEE_JSON_TRUE) : c == 'f' ? uint32_t(LEVEE_JSON_FALSE) : uint32_t(LEVEE_JSON_NULL),
                               0, i, n, 0, 0, 0};
      p = i + n;
      goto scalar_done;
    }
    default:
      goto hand_value;
  }

scalar_done:  // after a number or a literal (p: its end)
  if (!top) goto root_done;
  top->count++;
after:
  LEVEE_NEXT(i, hand_after);
  // Between a scalar and the next entry lies white space, or the rest of a
  // number or literal that went on (a scalar's bytes after its start are no
  // entries): the one-pass loop reports that.
  if (__builtin_expect(i != p, 0) && !is_ws(in[p])) goto hand_after;
  goto after_at;
value_done:  // after a string or a container: any byte after it but white
             // space has an entry of its own
  if (!top) goto root_done;
member_done:
  top->count++;
  LEVEE_NEXT(i, hand_after);
after_at:
  c = in[i];
  if (c == ',') {
    p = i + 1;
    if (top->object) goto key;
    hs = kValue;
    goto value;
  }
close:  // c = in[i] closes the innermost container (always, but after a value)
  if (c != (top->object ? '}' : ']')) goto hand_after;
  LEVEE_CLOSE();
  goto member_done;

root_done:
  ntape = size_t(tk - tape);
  state = kDone;
  done = true;
  pos = p;
  return int64_t(p);

object_first:
  LEVEE_NEXT(i, hand_object_first);
  c = in[i];
  if (c == '}') goto close;
  if (c != '"') goto hand_object_first;
  LEVEE_NEXT(j, hand_object_first);
  LEVEE_STRING(i + 1, j, false, false, hand_object_first);
  p = j + 1;
  goto colon;
key:
  LEVEE_NEXT(i, hand_key);
  if (in[i] != '"') goto hand_key;
  LEVEE_NEXT(j, hand_key);
  LEVEE_STRING(i + 1, j, false, false, hand_key);
  p = j + 1;
colon:
  LEVEE_NEXT(i, hand_colon);
  if (in[i] != ':') goto hand_colon;
  p = i + 1;
  hs = kValue;
  goto value;

hand_numbers_value:
  hs = kValue;
  goto handover;
hand_in_string:
  hs = kInString;
  goto handover;
hand_array_first:
  hs = kArrayFirst;
  goto handover;
hand_object_first:
  hs = kObjectFirst;
  goto handover;
hand_key:
  hs = kKey;
  goto handover;
hand_colon:
  hs = kColon;
  goto handover;
hand_after:
  hs = kAfter;
  goto handover;
hand_value:
handover:
  ntape = size_t(tk - tape);
  state = hs;
  pos = p;
  return 0;
#undef LEVEE_NEXT
#undef LEVEE_CLOSE
#undef LEVEE_STRING
}

int64_t levee_json::feed(const uint8_t *in, size_t len, bool eof) {
  if (done) reset();
  kern = &levee::scan::kernels();
  size_t end = len;
  bool clipped = false;
  if (len > max_size) {
    end = size_t(max_size);
    clipped = true;
    eof = false;
  }
  if (kern->json_index && pos < end) {
    int64_t r = feed_indexed(in, end, eof);
    if (r > 0) return r;
  }
  for (;;) {
    if (state == kInString) {
      int r = scan_string(in, end, eof);
      if (r < 0) return r;
      if (r == 0) break;
      if (state == kDone) return int64_t(pos);
      continue;
    }
    pos = size_t(skip_ws(*kern, in + pos, in + end) - in);
    if (pos == end) break;
    uint8_t c = in[pos];
    switch (state) {
      case kObjectFirst:
      case kKey:
        if (c == '}' && state == kObjectFirst) goto close;
        if (c != '"') return error(LEVEE_JSON_ESYNTAX, pos);
        str_key = true;
        goto string;
      case kColon:
        if (c != ':') return error(LEVEE_JSON_ESYNTAX, pos);
        pos++;
        state = kValue;
        // The member's value usually follows: go straight to it.
        pos = size_t(skip_ws(*kern, in + pos, in + end) - in);
        if (pos == end) goto more;
        c = in[pos];
        goto value;
      case kAfter:
        if (c == ',') {
          pos++;
          state = stack.back().object ? kKey : kValue;
          continue;
        }
        goto close;
      case kArrayFirst:
        if (c == ']') goto close;
        break;
      case kValue:
        break;
      case kDone:
      case kInString:
        return error(LEVEE_JSON_ESTATE, pos);
    }
  value:  // a value starts at pos (state kValue or kArrayFirst)
    switch (c) {
      case '"':
        str_key = false;
        goto string;
      case '[':
      case '{': {
        if (stack.size() >= max_depth) return error(LEVEE_JSON_ESTACK, pos);
        levee_json_token &t = push();
        t.type = c == '[' ? LEVEE_JSON_ARRAY : LEVEE_JSON_OBJECT;
        t.off = pos;
        stack.push_back(Frame{ntape - 1, 0, c == '{'});
        state = c == '[' ? kArrayFirst : kObjectFirst;
        pos++;
        continue;
      }
      case 't':
      case 'f':
      case 'n': {
        const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t n = strlen(word), have = end - pos;
        size_t k = have < n ? have : n;
        for (size_t q = 1; q < k; q++)
          if (in[pos + q] != uint8_t(word[q])) return error(LEVEE_JSON_ESYNTAX, pos);
        if (have < n) {
          if (eof) return error(LEVEE_JSON_ESYNTAX, end);
          goto more;
        }
        levee_json_token &t = push();
        t.type = c == 't' ? LEVEE_JSON_TRUE : c == 'f' ? LEVEE_JSON_FALSE : LEVEE_JSON_NULL;
        t.off = pos;
        t.len = n;
        pos += n;
        value_done();
        if (state == kDone) return int64_t(pos);
        continue;
      }
      default: {
        if (c != '-' && !is_digit(c)) return error(c >= 0x80 || c < 0x20 ? LEVEE_JSON_EBYTE : LEVEE_JSON_ESYNTAX, pos);
        int r = number(in, end, eof);
        if (r < 0) return r;
        if (r == 0) goto more;
        if (state == kDone) return int64_t(pos);
        continue;
      }
    }
  string: {
    str_start = pos + 1;
    str_escaped = false;
    str_utf8 = false;
    pos++;
    state = kInString;
    int r = scan_string(in, end, eof);
    if (r < 0) return r;
    if (r == 0) break;
    if (state == kDone) return int64_t(pos);
    continue;
  }
  close: {
    Frame &f = stack.back();
    if (c != (f.object ? '}' : ']')) return error(LEVEE_JSON_ESYNTAX, pos);
    tape[f.token].len = f.count;
    stack.pop_back();
    pos++;
    value_done();
    if (state == kDone) return int64_t(pos);
    continue;
  }
  }
more:
  if (clipped) return error(LEVEE_JSON_ESIZE, end);
  if (eof) return error(LEVEE_JSON_ESYNTAX, end);
  return 0;
}

// ---------------------------------------------------------------- pickle

namespace {

// Writes into memory sized beforehand for the worst case (no checks).
struct Out {
  uint8_t *w;
  void byte(uint8_t c) { *w++ = c; }
  void bytes(const void *p, size_t n) {
    memcpy(w, p, n);
    w += n;
  }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; i++) *w++ = uint8_t(v >> (8 * i));
  }
};

void pickle_string(Out &o, const uint8_t *p, size_t n) {
  if (n < 256) {
    o.byte(0x8c);  // SHORT_BINUNICODE
    o.byte(uint8_t(n));
  } else if (n <= 0xFFFFFFFFu) {
    o.byte('X');  // BINUNICODE
    o.le(n, 4);
  } else {
    o.byte(0x8d);  // BINUNICODE8
    o.le(n, 8);
  }
  o.bytes(p, n);
}

// Open-addressing table of the strings already emitted (pointer + length
// into the input or the arena) -> pickle memo index. Sized for the tape and
// never grown: once half full, further strings are simply not memoized.
struct Memo {
  struct Slot {
    const uint8_t *p;
    uint32_t n;
    uint32_t idx;  // memo index + 1; 0 = empty
  };
  std::vector<Slot> slots;
  size_t mask = 0, used = 0;

  void init(size_t expect) {
    size_t cap = 64;
    while (cap < expect * 2 && cap < (size_t(1) << 20)) cap <<= 1;
    slots.assign(cap, Slot{nullptr, 0, 0});
    mask = cap - 1;
    used = 0;
  }
  static uint64_t hash(const uint8_t *p, size_t n) {
    uint64_t a = 0, b = 0;
    if (n >= 8) {
      memcpy(&a, p, 8);
      memcpy(&b, p + n - 8, 8);
    } else {
      for (size_t i = 0; i < n; i++) a |= uint64_t(p[i]) << (8 * i);
    }
    uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (n * 0x165667B19E3779F9ull);
    return h ^ (h >> 31);
  }
  // The memo index of (p, n) if known (>= 0); otherwise records it under
  // next and returns -1, or returns -2 when the table is full.
  int64_t find_or_add(const uint8_t *p, size_t n, uint32_t next) {
    size_t i = size_t(hash(p, n)) & mask;
    for (;;) {
      Slot &s = slots[i];
      if (s.idx == 0) {
        if (used * 2 >= slots.size()) return -2;
        s = Slot{p, uint32_t(n), next + 1};
        used++;
        return -1;
      }
      if (s.n == n && memcmp(s.p, p, n) == 0) return int64_t(s.idx - 1);
      i = (i + 1) & mask;
    }
  }
};

}  // namespace

uint8_t *levee_json::output_room(size_t bound) {
  if (bound > output_cap) {
    auto *p = static_cast<uint8_t *>(realloc(output, bound));
    if (!p) throw std::bad_alloc();
    output = p;
    output_cap = bound;
  }
  return output;
}

namespace {

// marshal TYPE_LONG of a magnitude and sign: 15-bit digits, least first.
void marshal_long(Out &o, uint64_t mag, bool neg) {
  uint16_t digits[5];
  int n = 0;
  while (mag) {
    digits[n++] = uint16_t(mag & 0x7FFF);
    mag >>= 15;
  }
  o.byte('l');
  o.le(uint64_t(uint32_t(neg ? -n : n)), 4);
  for (int i = 0; i < n; i++) o.le(digits[i], 2);
}

}  // namespace

int64_t levee_json::marshal(const uint8_t *in) {
  if (!done) return error(LEVEE_JSON_ESTATE, 0);
  if (max_depth > 1900) return LEVEE_ENOTSUP;
  // Per token at most 15 bytes beside its text ('l' with five digits).
  Out o{output_room(ntape * 15 + pos + 16)};
  struct Open {
    uint64_t left;
    bool dict;
  };
  std::vector<Open> open;
  Memo memo;
  memo.init(ntape / 2);
  uint32_t memo_next = 0;
  constexpr uint8_t kRef = 0x80;  // FLAG_REF: remember this object
  for (size_t ti = 0; ti < ntape; ti++) {
    const levee_json_token &t = tape[ti];
    switch (t.type) {
      case LEVEE_JSON_NULL: o.byte('N'); break;
      case LEVEE_JSON_TRUE: o.byte('T'); break;
      case LEVEE_JSON_FALSE: o.byte('F'); break;
      case LEVEE_JSON_STRING: {
        const uint8_t *p = in + t.off;
        size_t n = t.len;
        if (t.flags & LEVEE_JSON_FESCAPED) {
          p = reinterpret_cast<const uint8_t *>(strings.data()) + t.aux;
          n = size_t(t.integer);
        }
        if (n > 0x7FFFFFFF) return LEVEE_ENOTSUP;
        bool is_key = !open.empty() && open.back().dict && (open.back().left & 1) == 0;
        uint8_t flag = 0;
        if ((is_key && n <= 64) || (n <= 16 && n > 1)) {
          int64_t idx = memo.find_or_add(p, n, memo_next);
          if (idx >= 0) {
            o.byte('r');  // TYPE_REF
            o.le(uint64_t(idx), 4);
            break;
          }
          if (idx == -1) {
            flag = kRef;
            memo_next++;
          }
        }
        if (t.flags & LEVEE_JSON_FUTF8) {
          o.byte('u' | flag);  // TYPE_UNICODE (UTF-8)
          o.le(n, 4);
        } else if (n < 256) {
          o.byte('z' | flag);  // TYPE_SHORT_ASCII
          o.byte(uint8_t(n));
        } else {
          o.byte('a' | flag);  // TYPE_ASCII
          o.le(n, 4);
        }
        o.bytes(p, n);
        break;
      }
      case LEVEE_JSON_NUMBER:
        if (t.flags & LEVEE_JSON_FINT) {
          int64_t v = t.integer;
          if (v >= INT32_MIN && v <= INT32_MAX) {
            o.byte('i');  // TYPE_INT
            o.le(uint64_t(v), 4);
          } else {
            marshal_long(o, v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v), v < 0);
          }
        } else if (t.flags & LEVEE_JSON_FUINT) {
          marshal_long(o, uint64_t(t.integer), false);
        } else if (t.flags & LEVEE_JSON_FBIG) {
          return LEVEE_ENOTSUP;
        } else {
          uint64_t bits;
          memcpy(&bits, &t.number, 8);
          o.byte('g');  // TYPE_BINARY_FLOAT, little-endian
          o.le(bits, 8);
        }
        break;
      case LEVEE_JSON_ARRAY:
        if (t.len > 0x7FFFFFFF) return LEVEE_ENOTSUP;
        o.byte('[');  // TYPE_LIST with its length
        o.le(t.len, 4);
        if (t.len) {
          open.push_back(Open{t.len, false});
          continue;
        }
        break;
      case LEVEE_JSON_OBJECT:
        o.byte('{');  // TYPE_DICT: key, value, ... then TYPE_NULL
        if (t.len) {
          open.push_back(Open{t.len * 2, true});
          continue;
        }
        o.byte('0');
        break;
    }
    while (!open.empty() && --open.back().left == 0) {
      if (open.back().dict) o.byte('0');
      open.pop_back();
    }
  }
  output_len = size_t(o.w - output);
  return int64_t(output_len);
}

int64_t levee_json::pickle(const uint8_t *in) {
  if (!done) return error(LEVEE_JSON_ESTATE, 0);
  // Each token costs at most 13 bytes beside its text (string header and
  // MEMOIZE, or a number, or a container's opener and closer), and the
  // texts add up to at most the value's pos bytes.
  Out o{output_room(ntape * 13 + pos + 16)};
  o.byte(0x80);  // PROTO 4
  o.byte(4);
  struct Open {
    uint64_t left;
    char closer;
  };
  std::vector<Open> open;
  // Object keys repeat: each distinct key is built once and memoized
  // (MEMOIZE), later occurrences fetch it (BINGET / LONG_BINGET), as
  // json.loads shares its key strings.
  Memo memo;
  memo.init(ntape / 2);
  uint32_t memo_next = 0;
  for (size_t ti = 0; ti < ntape; ti++) {
    const levee_json_token &t = tape[ti];
    switch (t.type) {
      case LEVEE_JSON_NULL: o.byte('N'); break;
      case LEVEE_JSON_TRUE: o.byte(0x88); break;
      case LEVEE_JSON_FALSE: o.byte(0x89); break;
      case LEVEE_JSON_STRING: {
        const uint8_t *p = in + t.off;
        size_t n = t.len;
        if (t.flags & LEVEE_JSON_FESCAPED) {
          p = reinterpret_cast<const uint8_t *>(strings.data()) + t.aux;
          n = size_t(t.integer);
        }
        bool is_key = !open.empty() && open.back().closer == 'u' && (open.back().left & 1) == 0;
        if ((is_key && n <= 64) || (n <= 16 && n > 1)) {
          int64_t idx = memo.find_or_add(p, n, memo_next);
          if (idx >= 0) {
            if (idx < 256) {
              o.byte('h');  // BINGET
              o.byte(uint8_t(idx));
            } else {
              o.byte('j');  // LONG_BINGET
              o.le(uint64_t(idx), 4);
            }
            break;
          }
          if (idx == -1) {
            pickle_string(o, p, n);
            o.byte(0x94);  // MEMOIZE
            memo_next++;
            break;
          }
        }
        pickle_string(o, p, n);
        break;
      }
      case LEVEE_JSON_NUMBER:
        if (t.flags & LEVEE_JSON_FINT) {
          int64_t v = t.integer;
          if (v >= 0 && v < 256) {
            o.byte('K');  // BININT1
            o.byte(uint8_t(v));
          } else if (v >= INT32_MIN && v <= INT32_MAX) {
            o.byte('J');  // BININT
            o.le(uint64_t(v), 4);
          } else {
            o.byte(0x8a);  // LONG1, 8 bytes two's complement
            o.byte(8);
            o.le(uint64_t(v), 8);
          }
        } else if (t.flags & LEVEE_JSON_FUINT) {
          o.byte(0x8a);
          o.byte(9);
          o.le(uint64_t(t.integer), 8);
          o.byte(0);
        } else if (t.flags & LEVEE_JSON_FBIG) {
          o.byte('I');  // INT: decimal text, any size
          o.bytes(in + t.off, t.len);
          o.byte('\n');
        } else {
          uint64_t bits;
          memcpy(&bits, &t.number, 8);
          o.byte('G');  // BINFLOAT, big-endian
          char b[8];
          for (int i = 0; i < 8; i++) b[i] = char(bits >> (56 - 8 * i));
          o.bytes(b, 8);
        }
        break;
      case LEVEE_JSON_ARRAY:
      case LEVEE_JSON_OBJECT: {
        bool obj = t.type == LEVEE_JSON_OBJECT;
        o.byte(obj ? '}' : ']');  // EMPTY_DICT / EMPTY_LIST
        if (t.len) {
          o.byte('(');  // MARK
          open.push_back(Open{obj ? t.len * 2 : t.len, obj ? 'u' : 'e'});  // SETITEMS / APPENDS
          continue;
        }
        break;
      }
    }
    // One child of the innermost open container is complete.
    while (!open.empty() && --open.back().left == 0) {
      o.byte(uint8_t(open.back().closer));
      open.pop_back();
    }
  }
  o.byte('.');  // STOP
  output_len = size_t(o.w - output);
  return int64_t(output_len);
}

// ---------------------------------------------------------------- C ABI

extern "C" {

int levee_json_new(levee_json **out) {
  if (!out) return LEVEE_EINVAL;
  *out = nullptr;
  return levee::guard([&] {
    *out = new levee_json();
    return 0;
  });
}

void levee_json_free(levee_json *j) { delete j; }

int levee_json_limits(levee_json *j, uint32_t max_depth, uint64_t max_size) {
  if (!j || max_depth < 1 || max_depth > 100000 || max_size < 1) return LEVEE_EINVAL;
  j->max_depth = max_depth;
  j->max_size = max_size;
  return 0;
}

void levee_json_reset(levee_json *j) {
  if (j) j->reset();
}

int64_t levee_json_feed(levee_json *j, const uint8_t *input, size_t len, int eof) {
  if (!j || (!input && len)) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t {
    static const uint8_t empty = 0;
    return j->feed(input ? input : &empty, len, eof != 0);
  });
}

int levee_json_parse(levee_json *j, const uint8_t *input, size_t len) {
  if (!j || (!input && len)) return LEVEE_EINVAL;
  return levee::guard([&]() -> int {
    static const uint8_t empty = 0;
    const uint8_t *in = input ? input : &empty;
    j->reset();
    int64_t n = j->feed(in, len, true);
    if (n < 0) return int(n);
    if (n == 0) {
      j->done = false;
      j->error_offset = len;
      levee::set_message("%s at byte %zu", levee_strerror(LEVEE_JSON_ESYNTAX), len);
      return LEVEE_JSON_ESYNTAX;
    }
    for (size_t i = size_t(n); i < len; i++) {
      if (!is_ws(in[i])) {
        j->done = false;
        j->error_offset = i;
        levee::set_message("%s at byte %zu", levee_strerror(LEVEE_JSON_ESYNTAX), i);
        return LEVEE_JSON_ESYNTAX;
      }
    }
    return 0;
  });
}

int levee_json_done(const levee_json *j) { return j && j->done ? 1 : 0; }

const levee_json_token *levee_json_tape(const levee_json *j) {
  return j && j->done ? j->tape : nullptr;
}

size_t levee_json_count(const levee_json *j) { return j && j->done ? j->ntape : 0; }

const uint8_t *levee_json_strings(const levee_json *j) {
  return j ? reinterpret_cast<const uint8_t *>(j->strings.data()) : nullptr;
}

uint64_t levee_json_error_offset(const levee_json *j) { return j ? j->error_offset : 0; }

int64_t levee_json_pickle(levee_json *j, const uint8_t *input) {
  if (!j || !input) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t { return j->pickle(input); });
}

int64_t levee_json_loads(levee_json *j, const uint8_t *input, size_t len) {
  int rc = levee_json_parse(j, input, len);
  if (rc < 0) return rc;
  static const uint8_t empty = 0;
  return levee_json_pickle(j, input ? input : &empty);
}

int64_t levee_json_marshal(levee_json *j, const uint8_t *input) {
  if (!j || !input) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t { return j->marshal(input); });
}

const uint8_t *levee_json_output(const levee_json *j) {
  return j ? j->output : nullptr;
}

}  // extern "C"
