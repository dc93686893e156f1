// levee_base64_*: RFC 4648 base64 (standard alphabet, padded output). The
// decoder is lenient as the original's Lua one was (bytes outside the
// alphabet are skipped) but reports input cut inside a group.
#include <cstring>

#include "internal.h"

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct Decode {
  int8_t v[256];
  constexpr Decode() : v() {
    for (int i = 0; i < 256; i++) v[i] = -1;
    for (int i = 0; i < 64; i++) v[uint8_t(kAlphabet[i])] = int8_t(i);
    v[uint8_t('=')] = -2;
  }
};
constexpr Decode kDecode;

}  // namespace

extern "C" {

int64_t levee_base64_encode(char *dst, const uint8_t *src, size_t n) {
  if (n && (!dst || !src)) return LEVEE_EINVAL;
  char *d = dst;
  size_t i = 0;
  for (; n - i >= 3; i += 3) {
    uint32_t v = uint32_t(src[i]) << 16 | uint32_t(src[i + 1]) << 8 | src[i + 2];
    d[0] = kAlphabet[v >> 18];
    d[1] = kAlphabet[(v >> 12) & 63];
    d[2] = kAlphabet[(v >> 6) & 63];
    d[3] = kAlphabet[v & 63];
    d += 4;
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(src[i]) << 16;
    d[0] = kAlphabet[v >> 18];
    d[1] = kAlphabet[(v >> 12) & 63];
    d[2] = d[3] = '=';
    d += 4;
  } else if (n - i == 2) {
    uint32_t v = uint32_t(src[i]) << 16 | uint32_t(src[i + 1]) << 8;
    d[0] = kAlphabet[v >> 18];
    d[1] = kAlphabet[(v >> 12) & 63];
    d[2] = kAlphabet[(v >> 6) & 63];
    d[3] = '=';
    d += 4;
  }
  return int64_t(d - dst);
}

int64_t levee_base64_decode(uint8_t *dst, const char *src, size_t n) {
  if (n && (!dst || !src)) return LEVEE_EINVAL;
  const uint8_t *s = reinterpret_cast<const uint8_t *>(src);
  uint8_t *d = dst;
  uint32_t acc = 0;
  int k = 0;  // sextets in acc
  for (size_t i = 0; i < n; i++) {
    int v = kDecode.v[s[i]];
    if (v >= 0) {
      acc = acc << 6 | uint32_t(v);
      if (++k == 4) {
        d[0] = uint8_t(acc >> 16);
        d[1] = uint8_t(acc >> 8);
        d[2] = uint8_t(acc);
        d += 3;
        acc = 0;
        k = 0;
      }
    } else if (v == -2 && k) {  // '=' ends a group early
      if (k == 1) return LEVEE_BASE64_ETOOSHORT;
      if (k == 2) *d++ = uint8_t(acc >> 4);
      else {
        d[0] = uint8_t(acc >> 10);
        d[1] = uint8_t(acc >> 2);
        d += 2;
      }
      acc = 0;
      k = 0;
    }
  }
  if (k == 1) return LEVEE_BASE64_ETOOSHORT;
  if (k == 2) *d++ = uint8_t(acc >> 4);
  else if (k == 3) {
    d[0] = uint8_t(acc >> 10);
    d[1] = uint8_t(acc >> 2);
    d += 2;
  }
  return int64_t(d - dst);
}

}  // extern "C"
