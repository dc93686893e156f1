// libFuzzer target for the JSON tokenizer: whole-document parse, the same
// bytes fed in two pieces (must agree with the whole parse), pickle output,
// and the escaper over the raw bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "levee.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static levee_json *whole = [] {
    levee_json *j = nullptr;
    if (levee_json_new(&j) != 0) abort();
    levee_json_limits(j, 64, 1 << 20);
    return j;
  }();
  static levee_json *split = [] {
    levee_json *j = nullptr;
    if (levee_json_new(&j) != 0) abort();
    levee_json_limits(j, 64, 1 << 20);
    return j;
  }();
  // Exact-size copy so ASan sees any read past the end.
  std::vector<uint8_t> in(data, data + size);
  const uint8_t *p = in.data();
  int rc = levee_json_parse(whole, p, size);
  if (rc == 0) {
    if (levee_json_pickle(whole, p) <= 0) abort();
    int64_t m = levee_json_marshal(whole, p);
    if (m <= 0 && m != LEVEE_ENOTSUP) abort();
    size_t n = levee_json_count(whole);
    const levee_json_token *t = levee_json_tape(whole);
    for (size_t i = 0; i < n; i++) {
      if (t[i].type == LEVEE_JSON_STRING && t[i].off + t[i].len > size) abort();
    }
  }
  // Feed a prefix, then everything (as a stream would): when the whole
  // parse succeeded, the split feed must complete the same value.
  levee_json_reset(split);
  size_t cut = size ? data[0] % (size + 1) : 0;
  int64_t a = levee_json_feed(split, p, cut, 0);
  int64_t b = a == 0 ? levee_json_feed(split, p, size, 1) : a;
  if (rc == 0) {
    if (b <= 0) abort();
    if (levee_json_count(split) != levee_json_count(whole)) abort();
  }
  std::vector<uint8_t> out(size * 6 + 2);
  levee_json_escape(out.data(), p, size);
  return 0;
}
