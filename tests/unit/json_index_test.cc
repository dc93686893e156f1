// White-box tests of stage 2's limit on how far it reads the structural
// index: index entries hold a byte's offset in 30 bits, so stage 2 hands an
// input over to the one-pass loop at 2^30 bytes. The limit is lowered here
// (levee_json::index_limit) so that the hand-over can be tested at every
// kind of place, without a 1 GiB input: the tape must be the portable
// level's, whatever the limit.
#include <gtest/gtest.h>

#include <string>

#include "json.h"

namespace {

// A document with every kind of value, white space of several lengths and
// arrays of arrays of numbers, so that a limit falls at every kind of byte.
std::string document() {
  std::string s = "[";
  for (int i = 0; i < 60; i++) {
    if (i) s += i % 3 ? "," : " ,\n ";
    s += "{\"id\":" + std::to_string(i * 7919) + ",\"xy\":[[" + std::to_string(i) + ".25,-" + std::to_string(i) +
         "e-3],[1,2] , [" + std::to_string(-i) + "]],\"name\":\"n\\u00e9 \xe4\xb8\xad " + std::to_string(i) +
         "\\n\",\"on\":" + (i % 2 ? "true" : "false") + ",\"none\":null,\"deep\":{\"a\":[\"x\",{\"b\":[]}]}}";
  }
  return s + "]";
}

std::string tape(levee_json *j, int64_t rc) {
  std::string out = "rc=" + std::to_string(rc);
  for (size_t i = 0; i < j->ntape; i++) {
    const levee_json_token &t = j->tape[i];
    out += "|" + std::to_string(t.type) + " " + std::to_string(t.flags) + " " + std::to_string(t.off) + " " +
           std::to_string(t.len) + " " + std::to_string(t.aux) + " " + std::to_string(t.integer);
  }
  return out;
}

// The tape of s read at the SIMD level in force, stage 2 stopping at limit;
// with split, the first half is fed first.
std::string parse(const std::string &s, size_t limit, bool split) {
  levee_json j;
  j.index_limit = limit;
  const auto *p = reinterpret_cast<const uint8_t *>(s.data());
  if (split && j.feed(p, s.size() / 2, false) != 0) return "first half ended";
  int64_t rc = j.feed(p, s.size(), true);
  return tape(&j, rc);
}

}  // namespace

TEST(JsonIndexLimit, AnyLimitGivesThePortableTape) {
  std::string doc = document();
  int best = levee_simd_detected();
  ASSERT_EQ(LEVEE_SIMD_PORTABLE, levee_simd_set_level(LEVEE_SIMD_PORTABLE));
  std::string want = parse(doc, levee::scan::kJsonEntryOffset, false);
  ASSERT_EQ(want, parse(doc, levee::scan::kJsonEntryOffset, true));
  ASSERT_NE(std::string::npos, want.find("rc=" + std::to_string(doc.size())));
  for (int level = LEVEE_SIMD_PORTABLE + 1; level <= best; level++) {
    ASSERT_EQ(level, levee_simd_set_level(level));
    std::vector<size_t> limits = {0, 1, 2, 63, 64, 65, 511, 512, 513, 2047, 2048, 2049, doc.size() - 1, doc.size()};
    for (size_t k = 3; k < doc.size(); k += 37) limits.push_back(k);
    for (size_t limit : limits) {
      ASSERT_EQ(want, parse(doc, limit, false)) << "level " << level << " limit " << limit;
      ASSERT_EQ(want, parse(doc, limit, true)) << "level " << level << " limit " << limit << " fed in two";
    }
  }
  levee_simd_set_level(best);
}
