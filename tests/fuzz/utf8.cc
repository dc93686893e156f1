// libFuzzer target for UTF-8 validation and the escaping codecs (and the
// base64 decoder): the validator must agree with a decoding of the
// definition; valid text must survive encode then decode in every mode;
// decoding anything must give valid UTF-8 no longer than its input or a
// utf8 error; base64 decoding anything must re-encode and decode alike.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "levee.h"

namespace {

bool reference_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    int len;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool utf8_error(int64_t rc) { return rc <= LEVEE_UTF8_ESIZE && rc >= LEVEE_UTF8_EBUFS; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int rc = levee_utf8_validate(data, size);
  bool ok = rc == 0;
  if (ok != reference_valid(data, size)) abort();
  if (!ok && !utf8_error(rc)) abort();
  size_t prefix = levee_utf8_valid_prefix(data, size);
  if (prefix > size || levee_utf8_validate(data, prefix) != 0) abort();
  if ((prefix == size) != ok) abort();
  if (size) {
    int cl = levee_utf8_charlen(data, size);
    if (cl > 0 && (size_t(cl) > size || !reference_valid(data, size_t(cl)))) abort();
  }
  const int modes[] = {LEVEE_UTF8_NONE, LEVEE_UTF8_JSON, LEVEE_UTF8_URI_COMPONENT,
                       LEVEE_UTF8_URI_COMPONENT | LEVEE_UTF8_SPACE_PLUS};
  std::vector<uint8_t> enc(6 * size + 1), dec(6 * size + 1);
  for (int mode : modes) {
    int64_t n = levee_utf8_encode(enc.data(), enc.size(), data, size, mode);
    if (ok) {
      if (n < 0) abort();
      int64_t m = levee_utf8_decode(dec.data(), dec.size(), enc.data(), size_t(n), mode);
      if (m != int64_t(size) || memcmp(dec.data(), data, size) != 0) abort();
    } else if (n != rc) {
      abort();
    }
    int64_t d = levee_utf8_decode(dec.data(), size, data, size, mode);
    if (d >= 0) {
      if (size_t(d) > size || levee_utf8_validate(dec.data(), size_t(d)) != 0) abort();
    } else if (!utf8_error(d)) {
      abort();
    }
  }
  std::vector<uint8_t> raw(3 * (size / 4) + 3);
  int64_t b = levee_base64_decode(raw.data(), reinterpret_cast<const char *>(data), size);
  if (b >= 0) {
    std::vector<char> text(4 * ((size_t(b) + 2) / 3) + 1);
    int64_t t = levee_base64_encode(text.data(), raw.data(), size_t(b));
    std::vector<uint8_t> again(3 * (size_t(t) / 4) + 3);
    if (levee_base64_decode(again.data(), text.data(), size_t(t)) != b) abort();
    if (memcmp(again.data(), raw.data(), size_t(b)) != 0) abort();
  } else if (b != LEVEE_BASE64_ETOOSHORT) {
    abort();
  }
  return 0;
}
