// libFuzzer target for the URI parser: whatever levee_uri_parse accepts
// must rebuild from its segments to exactly the input, every sub() range
// must lie inside it, a join of it against a base and against itself must
// parse again, and its query's params must decode inside their buffer.
// Everything else is LEVEE_URI_ESYNTAX, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "levee.h"

namespace {

bool has(const levee_uri &u, int seg) { return u.present & (1u << seg); }

std::string seg(const std::string &s, const levee_uri &u, int i) {
  return s.substr(u.off[i], u.len[i]);
}

void check_join(const std::string &base, const std::string &ref) {
  std::vector<char> out(base.size() + ref.size() + 4);
  int64_t n = levee_uri_join(out.data(), out.size(), base.data(), base.size(), ref.data(), ref.size());
  if (n == LEVEE_URI_ESYNTAX) return;
  if (n < 0 || size_t(n) > out.size()) abort();
  levee_uri t;
  if (levee_uri_parse(&t, out.data(), size_t(n)) != 0) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string s(reinterpret_cast<const char *>(data), size);
  levee_uri u;
  int rc = levee_uri_parse(&u, s.data(), s.size());
  if (rc != 0) {
    if (rc != LEVEE_URI_ESYNTAX) abort();
    return 0;
  }
  if (u.length != size) abort();
  for (int i = 0; i < 8; i++)
    if (has(u, i) && size_t(u.off[i]) + u.len[i] > size) abort();
  // The segments and their delimiters are the whole text, in order.
  std::string r;
  if (has(u, LEVEE_URI_SCHEME)) r += seg(s, u, LEVEE_URI_SCHEME) + ":";
  if (has(u, LEVEE_URI_HOST)) {
    r += "//";
    if (has(u, LEVEE_URI_USER)) {
      r += seg(s, u, LEVEE_URI_USER);
      if (has(u, LEVEE_URI_PASSWORD)) r += ":" + seg(s, u, LEVEE_URI_PASSWORD);
      r += "@";
    } else if (has(u, LEVEE_URI_PASSWORD)) {
      abort();
    }
    r += seg(s, u, LEVEE_URI_HOST);
    if (has(u, LEVEE_URI_PORT)) r += ":" + seg(s, u, LEVEE_URI_PORT);
  } else if (has(u, LEVEE_URI_USER) || has(u, LEVEE_URI_PORT)) {
    abort();
  }
  if (has(u, LEVEE_URI_PATH)) r += seg(s, u, LEVEE_URI_PATH);
  if (has(u, LEVEE_URI_QUERY)) r += "?" + seg(s, u, LEVEE_URI_QUERY);
  if (has(u, LEVEE_URI_FRAGMENT)) r += "#" + seg(s, u, LEVEE_URI_FRAGMENT);
  if (r != s) abort();
  for (int a = 0; a < 8; a++) {
    for (int b = a; b < 8; b++) {
      for (int valid = 0; valid < 2; valid++) {
        uint32_t range[2];
        int src = levee_uri_sub(&u, a, b, valid, range);
        if (src == LEVEE_URI_ESEGMENT) continue;
        if (src != 0 || size_t(range[0]) + range[1] > size) abort();
      }
    }
  }
  check_join("http://a/b/c/d;p?q", s);
  check_join(s, s);
  check_join(s, "../g?x#y");
  if (has(u, LEVEE_URI_QUERY)) {
    std::string q = seg(s, u, LEVEE_URI_QUERY);
    std::vector<uint8_t> dst(q.size() + 1);
    levee_uri_param p[16];
    int n = levee_uri_params(q.data(), q.size(), p, 16, dst.data());
    if (n >= 0) {
      for (int i = 0; i < n && i < 16; i++) {
        if (size_t(p[i].key_off) + p[i].key_len > q.size()) abort();
        if (size_t(p[i].value_off) + p[i].value_len > q.size()) abort();
        if (levee_utf8_validate(dst.data() + p[i].value_off, p[i].value_len) != 0) abort();
      }
    } else if (n != LEVEE_UTF8_EESCAPE && n != LEVEE_UTF8_ETOOSHORT && n != LEVEE_UTF8_EENCODING &&
               n != LEVEE_UTF8_ESURROGATE && n != LEVEE_UTF8_ECODEPOINT) {
      abort();
    }
  }
  return 0;
}
