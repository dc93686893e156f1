// The C++ half of the JSON encoders: string escaping with UTF-8 validation
// and shortest round-trip number formatting. The bindings walk their own
// data structures (Lua tables cannot be read from C without linking Lua)
// and call these for the parts that need care and speed.
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"
#include "json.h"

namespace levee {

size_t json_format_double(char *dst, double x) {
  auto r = std::to_chars(dst, dst + 32, x);
  return size_t(r.ptr - dst);
}

}  // namespace levee

extern "C" {

int64_t levee_json_escape(uint8_t *dst, const uint8_t *src, size_t len) {
  if (!dst || (!src && len)) return LEVEE_EINVAL;
  static const char hex[] = "0123456789abcdef";
  uint8_t *d = dst;
  const uint8_t *p = src, *e = src + len;
  *d++ = '"';
  while (p < e) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (e - p >= 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                               _mm_cmplt_epi8(x, space));
      int bits = _mm_movemask_epi8(m);
      if (bits) {
        int n = __builtin_ctz(bits);
        memcpy(d, p, n);
        d += n;
        p += n;
        goto special;
      }
      _mm_storeu_si128(reinterpret_cast<__m128i *>(d), x);
      d += 16;
      p += 16;
    }
#endif
    while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') *d++ = *p++;
    if (p == e) break;
#if defined(__SSE2__)
  special:
#endif
    {
      uint8_t c = *p;
      if (c >= 0x80) {
        int n;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
          n = 3;
          if (c == 0xE0) lo = 0xA0;
          else if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
          n = 4;
          if (c == 0xF0) lo = 0x90;
          else if (c == 0xF4) hi = 0x8F;
        } else {
          return LEVEE_UTF8_EENCODING;
        }
        if (e - p < n) return LEVEE_UTF8_ETOOSHORT;
        if (p[1] < lo || p[1] > hi) {
          if (c == 0xED && p[1] >= 0xA0 && p[1] <= 0xBF) return LEVEE_UTF8_ESURROGATE;
          return LEVEE_UTF8_EENCODING;
        }
        for (int i = 2; i < n; i++)
          if ((p[i] & 0xC0) != 0x80) return LEVEE_UTF8_EENCODING;
        memcpy(d, p, n);
        d += n;
        p += n;
        continue;
      }
      p++;
      *d++ = '\\';
      switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
          *d++ = 'u';
          *d++ = '0';
          *d++ = '0';
          *d++ = hex[c >> 4];
          *d++ = hex[c & 15];
      }
    }
  }
  *d++ = '"';
  return int64_t(d - dst);
}

int levee_json_format_number(uint8_t *dst, double x) {
  if (!dst || !std::isfinite(x)) return LEVEE_EINVAL;
  return int(levee::json_format_double(reinterpret_cast<char *>(dst), x));
}

}  // extern "C"
