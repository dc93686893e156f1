// levee_utf8_*: UTF-8 validation with the utf8 domain's error kinds, and
// the two escaping codecs of p.utf8 (percent-encoding for URIs, backslash
// escapes for JSON strings).
#include "utf8.h"

#include <cstring>
#include <vector>

#include "internal.h"

namespace levee {
namespace {

// The fault of a character that starts with lead byte c and has the
// continuation bytes p[1, avail) available (avail counts the lead), or its
// length when it is whole and valid.
inline int sequence(const uint8_t *p, size_t avail) {
  uint8_t c = p[0];
  int n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c < 0xC2) return LEVEE_UTF8_EENCODING;  // stray continuation, overlong C0/C1
  if (c < 0xE0) {
    n = 2;
  } else if (c < 0xF0) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;       // overlong below U+0800
    else if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF follow
  } else if (c < 0xF5) {
    n = 4;
    if (c == 0xF0) lo = 0x90;       // overlong below U+10000
    else if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF follows
  } else if (c < 0xF8) {
    return LEVEE_UTF8_ECODEPOINT;   // would be U+140000 or more
  } else {
    return LEVEE_UTF8_EENCODING;
  }
  if (avail >= 2) {
    uint8_t c1 = p[1];
    if (c1 < lo || c1 > hi) {
      if ((c1 & 0xC0) == 0x80) {
        if (c == 0xED) return LEVEE_UTF8_ESURROGATE;
        if (c == 0xF4) return LEVEE_UTF8_ECODEPOINT;
      }
      return LEVEE_UTF8_EENCODING;
    }
  }
  for (int i = 2; i < n && size_t(i) < avail; i++)
    if ((p[i] & 0xC0) != 0x80) return LEVEE_UTF8_EENCODING;
  if (avail < size_t(n)) return LEVEE_UTF8_ETOOSHORT;
  return n;
}

inline bool ascii8(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return (v & 0x8080808080808080ULL) == 0;
}

constexpr char kHex[] = "0123456789ABCDEF";      // percent-encoding (RFC 3986 2.1)
constexpr char kHexLower[] = "0123456789abcdef";  // \u00XX, as levee_json_escape

inline int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Characters the URI modes write as they are. RFC 3986 unreserved:
// ALPHA DIGIT - . _ ~; reserved: gen-delims and sub-delims.
struct UriClasses {
  bool component[256] = {};  // unreserved
  bool uri[256] = {};        // unreserved + reserved
  constexpr UriClasses() {
    for (int c = 'A'; c <= 'Z'; c++) component[c] = component[c + 32] = true;
    for (int c = '0'; c <= '9'; c++) component[c] = true;
    for (char c : {'-', '.', '_', '~'}) component[uint8_t(c)] = true;
    for (int c = 0; c < 256; c++) uri[c] = component[c];
    for (char c : {':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+',
                   ',', ';', '='})
      uri[uint8_t(c)] = true;
  }
};
constexpr UriClasses kUri;

constexpr int kModes = LEVEE_UTF8_JSON | LEVEE_UTF8_URI | LEVEE_UTF8_URI_COMPONENT |
                       LEVEE_UTF8_SPACE_PLUS;

int64_t encode_json(uint8_t *dst, size_t cap, const uint8_t *src, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    uint8_t c = src[i];
    if (c >= 0x80) {
      int len = sequence(src + i, n - i);
      if (len < 0) return len;
      if (cap - o < size_t(len)) return LEVEE_UTF8_EBUFS;
      memcpy(dst + o, src + i, len);
      o += len;
      i += len;
      continue;
    }
    char esc = 0;
    switch (c) {
      case '"': esc = '"'; break;
      case '\\': esc = '\\'; break;
      case '\b': esc = 'b'; break;
      case '\f': esc = 'f'; break;
      case '\n': esc = 'n'; break;
      case '\r': esc = 'r'; break;
      case '\t': esc = 't'; break;
      default: break;
    }
    if (esc) {
      if (cap - o < 2) return LEVEE_UTF8_EBUFS;
      dst[o++] = '\\';
      dst[o++] = esc;
    } else if (c < 0x20) {
      if (cap - o < 6) return LEVEE_UTF8_EBUFS;
      memcpy(dst + o, "\\u00", 4);
      dst[o + 4] = kHexLower[c >> 4];
      dst[o + 5] = kHexLower[c & 15];
      o += 6;
    } else {
      if (o == cap) return LEVEE_UTF8_EBUFS;
      dst[o++] = c;
    }
    i++;
  }
  return int64_t(o);
}

int64_t encode_uri(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int mode) {
  const bool *keep = (mode & LEVEE_UTF8_URI_COMPONENT) ? kUri.component : kUri.uri;
  const bool plus = mode & LEVEE_UTF8_SPACE_PLUS;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    uint8_t c = src[i];
    int len = 1;
    if (c >= 0x80) {
      len = sequence(src + i, n - i);
      if (len < 0) return len;
    }
    for (int k = 0; k < len; k++, i++) {
      c = src[i];
      if (keep[c] && !(plus && c == '+')) {
        if (o == cap) return LEVEE_UTF8_EBUFS;
        dst[o++] = c;
      } else if (c == ' ' && plus) {
        if (o == cap) return LEVEE_UTF8_EBUFS;
        dst[o++] = '+';
      } else {
        if (cap - o < 3) return LEVEE_UTF8_EBUFS;
        dst[o] = '%';
        dst[o + 1] = kHex[c >> 4];
        dst[o + 2] = kHex[c & 15];
        o += 3;
      }
    }
  }
  return int64_t(o);
}

// Four hex digits at p (which holds them) as a number, or -1.
inline int32_t hex4(const uint8_t *p) {
  int32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0) return -1;
    v = v << 4 | h;
  }
  return v;
}

inline size_t put_utf8(uint8_t *d, uint32_t cp) {
  if (cp < 0x80) {
    d[0] = uint8_t(cp);
    return 1;
  }
  if (cp < 0x800) {
    d[0] = uint8_t(0xC0 | cp >> 6);
    d[1] = uint8_t(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = uint8_t(0xE0 | cp >> 12);
    d[1] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
    d[2] = uint8_t(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = uint8_t(0xF0 | cp >> 18);
  d[1] = uint8_t(0x80 | ((cp >> 12) & 0x3F));
  d[2] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
  d[3] = uint8_t(0x80 | (cp & 0x3F));
  return 4;
}

// JSON unescaping of src[0, n) into dst, which holds n bytes (the output
// of an escape is never longer than the escape; dst may equal src).
int64_t decode_json(uint8_t *dst, const uint8_t *src, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    uint8_t c = src[i];
    if (c != '\\') {
      dst[o++] = c;
      i++;
      continue;
    }
    if (n - i < 2) return LEVEE_UTF8_ETOOSHORT;
    uint8_t e = src[i + 1];
    uint8_t out = 0;
    switch (e) {
      case '"': out = '"'; break;
      case '\\': out = '\\'; break;
      case '/': out = '/'; break;
      case 'b': out = '\b'; break;
      case 'f': out = '\f'; break;
      case 'n': out = '\n'; break;
      case 'r': out = '\r'; break;
      case 't': out = '\t'; break;
      case 'u': break;
      default: return LEVEE_UTF8_EESCAPE;
    }
    if (e != 'u') {
      dst[o++] = out;
      i += 2;
      continue;
    }
    if (n - i < 6) {
      for (size_t k = i + 2; k < n; k++)
        if (hexval(src[k]) < 0) return LEVEE_UTF8_EESCAPE;
      return LEVEE_UTF8_ETOOSHORT;
    }
    int32_t cp = hex4(src + i + 2);
    if (cp < 0) return LEVEE_UTF8_EESCAPE;
    i += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return LEVEE_UTF8_ESURROGATE;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (n - i < 6) {
        if (n - i >= 2 && (src[i] != '\\' || src[i + 1] != 'u')) return LEVEE_UTF8_ESURROGATE;
        if (n - i == 1 && src[i] != '\\') return LEVEE_UTF8_ESURROGATE;
        return n == i ? LEVEE_UTF8_ESURROGATE : LEVEE_UTF8_ETOOSHORT;
      }
      if (src[i] != '\\' || src[i + 1] != 'u') return LEVEE_UTF8_ESURROGATE;
      int32_t lo = hex4(src + i + 2);
      if (lo < 0) return LEVEE_UTF8_EESCAPE;
      if (lo < 0xDC00 || lo > 0xDFFF) return LEVEE_UTF8_ESURROGATE;
      i += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    o += put_utf8(dst + o, uint32_t(cp));
  }
  int rc = utf8_check(dst, o, nullptr);
  return rc < 0 ? rc : int64_t(o);
}

}  // namespace

int utf8_check(const uint8_t *p, size_t n, size_t *at) {
  size_t i = 0;
  while (i < n) {
    while (n - i >= 8 && ascii8(p + i)) i += 8;
    if (i == n) break;
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    int len = sequence(p + i, n - i);
    if (len < 0) {
      if (at) *at = i;
      return len;
    }
    i += len;
  }
  if (at) *at = n;
  return 0;
}

int utf8_charlen(const uint8_t *p, size_t n) {
  if (n == 0) return LEVEE_UTF8_ETOOSHORT;
  return sequence(p, n);
}

int64_t utf8_percent_decode(uint8_t *dst, const uint8_t *src, size_t n, bool plus) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    uint8_t c = src[i];
    if (c == '%') {
      if (n - i < 3) {
        for (size_t k = i + 1; k < n; k++)
          if (hexval(src[k]) < 0) return LEVEE_UTF8_EESCAPE;
        return LEVEE_UTF8_ETOOSHORT;
      }
      int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
      if (hi < 0 || lo < 0) return LEVEE_UTF8_EESCAPE;
      dst[o++] = uint8_t(hi << 4 | lo);
      i += 3;
    } else {
      dst[o++] = (plus && c == '+') ? ' ' : c;
      i++;
    }
  }
  int rc = utf8_check(dst, o, nullptr);
  if (rc < 0) return rc;
  return int64_t(o);
}

// levee_utf8_decode into dst holding n bytes.
static int64_t decode(uint8_t *dst, const uint8_t *src, size_t n, int mode) {
  if (mode & LEVEE_UTF8_JSON) return decode_json(dst, src, n);
  return utf8_percent_decode(dst, src, n, mode & LEVEE_UTF8_SPACE_PLUS);
}

}  // namespace levee

extern "C" {

int levee_utf8_validate(const uint8_t *p, size_t n) {
  if (!p) return n ? LEVEE_EINVAL : 0;
  return levee::utf8_check(p, n, nullptr);
}

size_t levee_utf8_valid_prefix(const uint8_t *p, size_t n) {
  if (!p) return 0;
  size_t at;
  levee::utf8_check(p, n, &at);
  return at;
}

int levee_utf8_charlen(const uint8_t *p, size_t n) {
  if (!p) n = 0;
  return levee::utf8_charlen(p, n);
}

int64_t levee_utf8_encode(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int mode) {
  if ((n && !src) || (cap && !dst) || (mode & ~levee::kModes)) return LEVEE_EINVAL;
  if (mode & LEVEE_UTF8_JSON) return levee::encode_json(dst, cap, src, n);
  return levee::encode_uri(dst, cap, src, n, mode);
}

int64_t levee_utf8_decode(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int mode) {
  if ((n && !src) || (cap && !dst) || (mode & ~levee::kModes)) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t {
    // Decoding never grows the text: with cap >= n it runs straight into
    // dst, otherwise through a scratch copy and EBUFS when it outgrows cap.
    if (cap >= n) return levee::decode(dst, src, n, mode);
    std::vector<uint8_t> tmp(n);
    int64_t r = levee::decode(tmp.data(), src, n, mode);
    if (r < 0) return r;
    if (size_t(r) > cap) return LEVEE_UTF8_EBUFS;
    memcpy(dst, tmp.data(), size_t(r));
    return r;
  });
}

}  // extern "C"
