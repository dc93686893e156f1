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
      d = levee::json_put_escape(d, c);
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

extern "C" int64_t levee_utf16_to_utf8(uint8_t *dst, const uint16_t *src, size_t n) {
  if (n && (!dst || !src)) return LEVEE_EINVAL;
  uint8_t *d = dst;
  size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    // Runs of ASCII, 8 code units at a time.
    const __m128i high = _mm_set1_epi16(static_cast<short>(0xFF80));
    while (n - i >= 8) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
      __m128i h = _mm_and_si128(x, high);
      if (_mm_movemask_epi8(_mm_cmpeq_epi16(h, _mm_setzero_si128())) != 0xFFFF) break;
      _mm_storel_epi64(reinterpret_cast<__m128i *>(d), _mm_packus_epi16(x, x));
      d += 8;
      i += 8;
    }
    if (i >= n) break;
#endif
    uint16_t u;
    std::memcpy(&u, src + i, 2);
    uint32_t c = u;
    i++;
    if (c < 0x80) {
      *d++ = uint8_t(c);
    } else if (c < 0x800) {
      *d++ = uint8_t(0xC0 | (c >> 6));
      *d++ = uint8_t(0x80 | (c & 0x3F));
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      if (c >= 0xDC00 || i >= n) return LEVEE_UTF8_ESURROGATE;
      uint16_t lo;
      std::memcpy(&lo, src + i, 2);
      if (lo < 0xDC00 || lo > 0xDFFF) return LEVEE_UTF8_ESURROGATE;
      i++;
      uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00u);
      *d++ = uint8_t(0xF0 | (cp >> 18));
      *d++ = uint8_t(0x80 | ((cp >> 12) & 0x3F));
      *d++ = uint8_t(0x80 | ((cp >> 6) & 0x3F));
      *d++ = uint8_t(0x80 | (cp & 0x3F));
    } else {
      *d++ = uint8_t(0xE0 | (c >> 12));
      *d++ = uint8_t(0x80 | ((c >> 6) & 0x3F));
      *d++ = uint8_t(0x80 | (c & 0x3F));
    }
  }
  return d - dst;
}

extern "C" int64_t levee_utf32_to_utf8(uint8_t *dst, const uint32_t *src, size_t n) {
  if (n && (!dst || !src)) return LEVEE_EINVAL;
  uint8_t *d = dst;
  size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    // Runs of ASCII, 8 code points at a time.
    const __m128i high = _mm_set1_epi32(static_cast<int>(0xFFFFFF80u));
    while (n - i >= 8) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i + 4));
      __m128i h = _mm_and_si128(_mm_or_si128(a, b), high);
      if (_mm_movemask_epi8(_mm_cmpeq_epi32(h, _mm_setzero_si128())) != 0xFFFF) break;
      __m128i w = _mm_packs_epi32(a, b);  // values < 0x80: no saturation
      _mm_storel_epi64(reinterpret_cast<__m128i *>(d), _mm_packus_epi16(w, w));
      d += 8;
      i += 8;
    }
    if (i >= n) break;
#endif
    uint32_t c;
    std::memcpy(&c, src + i, 4);
    i++;
    if (c < 0x80) {
      *d++ = uint8_t(c);
    } else if (c < 0x800) {
      *d++ = uint8_t(0xC0 | (c >> 6));
      *d++ = uint8_t(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      if (c >= 0xD800 && c <= 0xDFFF) return LEVEE_UTF8_ESURROGATE;
      *d++ = uint8_t(0xE0 | (c >> 12));
      *d++ = uint8_t(0x80 | ((c >> 6) & 0x3F));
      *d++ = uint8_t(0x80 | (c & 0x3F));
    } else if (c <= 0x10FFFF) {
      *d++ = uint8_t(0xF0 | (c >> 18));
      *d++ = uint8_t(0x80 | ((c >> 12) & 0x3F));
      *d++ = uint8_t(0x80 | ((c >> 6) & 0x3F));
      *d++ = uint8_t(0x80 | (c & 0x3F));
    } else {
      return LEVEE_UTF8_ECODEPOINT;
    }
  }
  return d - dst;
}
