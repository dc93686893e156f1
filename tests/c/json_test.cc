// Black-box tests of the JSON tokenizer and encoder helpers (levee.h only).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "guard_page.h"
#include "levee.h"

namespace {

struct Json {
  levee_json *j = nullptr;
  Json() { EXPECT_EQ(0, levee_json_new(&j)); }
  ~Json() { levee_json_free(j); }
  int parse(const std::string &s) {
    return levee_json_parse(j, reinterpret_cast<const uint8_t *>(s.data()), s.size());
  }
  int64_t feed(const std::string &s, size_t n, bool eof = false) {
    return levee_json_feed(j, reinterpret_cast<const uint8_t *>(s.data()), n, eof ? 1 : 0);
  }
  const levee_json_token &at(size_t i) { return levee_json_tape(j)[i]; }
};


}  // namespace

TEST(Json, TapeHoldsOffsetsCountsAndFlags) {
  Json t;
  std::string s = " {\"a\": [1, -2.5, \"x\\n\"], \"b\": true, \"c\": null} ";
  ASSERT_EQ(0, t.parse(s));
  ASSERT_EQ(1, levee_json_done(t.j));
  ASSERT_EQ(10u, levee_json_count(t.j));
  EXPECT_EQ(uint32_t(LEVEE_JSON_OBJECT), t.at(0).type);
  EXPECT_EQ(1u, t.at(0).off);
  EXPECT_EQ(3u, t.at(0).len);  // members
  EXPECT_EQ(uint32_t(LEVEE_JSON_STRING), t.at(1).type);
  EXPECT_EQ("a", s.substr(t.at(1).off, t.at(1).len));
  EXPECT_EQ(uint32_t(LEVEE_JSON_ARRAY), t.at(2).type);
  EXPECT_EQ(3u, t.at(2).len);  // elements
  EXPECT_EQ(uint32_t(LEVEE_JSON_FINT), t.at(3).flags);
  EXPECT_EQ(1, t.at(3).integer);
  EXPECT_EQ(0u, t.at(4).flags);
  EXPECT_EQ(-2.5, t.at(4).number);
  EXPECT_EQ(uint32_t(LEVEE_JSON_FESCAPED), t.at(5).flags);
  EXPECT_EQ("x\\n", s.substr(t.at(5).off, t.at(5).len));  // raw, zero-copy
  EXPECT_EQ("x\n", std::string(reinterpret_cast<const char *>(levee_json_strings(t.j)) + t.at(5).aux,
                               size_t(t.at(5).integer)));
  EXPECT_EQ(uint32_t(LEVEE_JSON_TRUE), t.at(7).type);
  EXPECT_EQ(uint32_t(LEVEE_JSON_NULL), t.at(9).type);
}

TEST(Json, IntegersKeepTheirExactValue) {
  Json t;
  ASSERT_EQ(0, t.parse("[9223372036854775807, -9223372036854775808, 18446744073709551615, 18446744073709551616]"));
  EXPECT_EQ(uint32_t(LEVEE_JSON_FINT), t.at(1).flags);
  EXPECT_EQ(INT64_MAX, t.at(1).integer);
  EXPECT_EQ(INT64_MIN, t.at(2).integer);
  EXPECT_EQ(uint32_t(LEVEE_JSON_FUINT), t.at(3).flags);
  EXPECT_EQ(UINT64_MAX, uint64_t(t.at(3).integer));
  EXPECT_EQ(uint32_t(LEVEE_JSON_FBIG), t.at(4).flags);
  EXPECT_EQ(18446744073709551616.0, t.at(4).number);
}

TEST(Json, EveryDoubleEqualsStrtod) {
  std::mt19937_64 rng(12345);
  Json t;
  char text[64];
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = rng();
    double x;
    memcpy(&x, &bits, 8);
    if (!std::isfinite(x)) continue;
    // 17 digits round-trip; fewer digits exercise rounding of halfway-ish cases
    snprintf(text, sizeof text, "%.*e", int(1 + rng() % 17), x);
    ASSERT_EQ(0, t.parse(text)) << text;
    double want = strtod(text, nullptr);
    EXPECT_EQ(0, memcmp(&want, &t.at(0).number, 8)) << text;
  }
  for (const char *s : {"0.1", "2.2250738585072011e-308", "4.9406564584124654e-324", "1e-400",
                        "9007199254740993.0", "0.500000000000000166533453693773481063544750213623046875"}) {
    ASSERT_EQ(0, t.parse(s)) << s;
    double want = strtod(s, nullptr);
    EXPECT_EQ(0, memcmp(&want, &t.at(0).number, 8)) << s;
  }
}

TEST(Json, EveryPrefixNeedsMoreAndTheWholeCompletes) {
  std::string s = "{\"k\\u00e9y\": [1.5e3, \"\xe2\x82\xac\\ud83d\\ude00\", true, false, null, {}, []], \"n\": -0}";
  Json whole;
  ASSERT_EQ(0, whole.parse(s));
  for (size_t i = 0; i < s.size(); i++) {
    Json t;
    Guarded g(s.substr(0, i));
    EXPECT_EQ(0, levee_json_feed(t.j, g.data, i, 0)) << "prefix " << i;
    EXPECT_EQ(0, levee_json_done(t.j));
    Json e;
    EXPECT_EQ(LEVEE_JSON_ESYNTAX, levee_json_feed(e.j, g.data, i, 1)) << "prefix " << i;
    // resuming from the prefix gives the same tape as one pass
    Guarded all(s);
    EXPECT_EQ(int64_t(s.size()), levee_json_feed(t.j, all.data, s.size(), 0));
    ASSERT_EQ(levee_json_count(whole.j), levee_json_count(t.j));
    for (size_t k = 0; k < levee_json_count(t.j); k++) {
      EXPECT_EQ(whole.at(k).type, t.at(k).type);
      EXPECT_EQ(whole.at(k).off, t.at(k).off);
      EXPECT_EQ(whole.at(k).len, t.at(k).len);
      EXPECT_EQ(whole.at(k).flags, t.at(k).flags);
    }
  }
}

TEST(Json, ByteByByteFeedingResumes) {
  std::string s = "[\"" + std::string(5000, 'a') + "\\n\", 12345]";
  Json t;
  int64_t got = 0;
  for (size_t i = 1; i <= s.size() && got == 0; i++) got = t.feed(s, i);
  EXPECT_EQ(int64_t(s.size()), got);
  EXPECT_EQ(12345, t.at(2).integer);
}

TEST(Json, BareNumberCompletesOnlyAtEof) {
  Json t;
  EXPECT_EQ(0, t.feed("123", 3));
  EXPECT_EQ(3, t.feed("123", 3, true));
  EXPECT_EQ(123, t.at(0).integer);
  EXPECT_EQ(3, t.feed("123 ", 4));  // a delimiter ends it too (and is not used)
}

TEST(Json, FeedReturnsTheBytesOfOneValue) {
  Json t;
  std::string s = "  [1] [2]";
  EXPECT_EQ(5, t.feed(s, s.size()));
  EXPECT_EQ(1u, t.at(0).len);
}

TEST(Json, StrictErrorsAndOffsets) {
  struct Case {
    const char *text;
    int code;
    uint64_t offset;
  } cases[] = {
      {"[1,]", LEVEE_JSON_ESYNTAX, 3},      {"{\"a\":1,}", LEVEE_JSON_ESYNTAX, 7},
      {"01", LEVEE_JSON_ESYNTAX, 1},        {"-01", LEVEE_JSON_ESYNTAX, 2},
      {"1.", LEVEE_JSON_ESYNTAX, 2},        {".5", LEVEE_JSON_ESYNTAX, 0},
      {"1e", LEVEE_JSON_ESYNTAX, 2},        {"+1", LEVEE_JSON_ESYNTAX, 0},
      {"// c\n1", LEVEE_JSON_ESYNTAX, 0},   {"NaN", LEVEE_JSON_ESYNTAX, 0},
      {"\"\\ud800\"", LEVEE_JSON_EESCAPE, 1}, {"\"\\ud800\\u0041\"", LEVEE_JSON_EESCAPE, 1},
      {"\"\\udfff\"", LEVEE_JSON_EESCAPE, 1}, {"\"\\u12g4\"", LEVEE_JSON_EESCAPE, 1},
      {"\"\xff\"", LEVEE_JSON_EBYTE, 1},    {"\"\xc1\xbf\"", LEVEE_JSON_EBYTE, 1},
      {"\"\xf4\x90\x80\x80\"", LEVEE_JSON_EBYTE, 1}, {"\"\x01\"", LEVEE_JSON_EBYTE, 1},
      {"[1] x", LEVEE_JSON_ESYNTAX, 4},     {"1e309", LEVEE_JSON_ESIZE, 0},
      {"{\"a\" 1}", LEVEE_JSON_ESYNTAX, 5}, {"{1: 2}", LEVEE_JSON_ESYNTAX, 1},
      {"[1 2]", LEVEE_JSON_ESYNTAX, 3},     {"nul", LEVEE_JSON_ESYNTAX, 3},
      {"\xef\xbb\xbf[]", LEVEE_JSON_EBYTE, 0},
  };
  for (const Case &c : cases) {
    Json t;
    EXPECT_EQ(c.code, t.parse(c.text)) << c.text;
    EXPECT_EQ(c.offset, levee_json_error_offset(t.j)) << c.text;
    EXPECT_EQ(0, levee_json_done(t.j));
    EXPECT_NE(nullptr, strstr(levee_last_message(), "at byte")) << c.text;
  }
}

TEST(Json, DepthAndSizeLimits) {
  Json t;
  EXPECT_EQ(LEVEE_JSON_ESTACK, t.parse(std::string(2000, '[')));
  EXPECT_EQ(uint64_t(LEVEE_JSON_MAX_DEPTH), levee_json_error_offset(t.j));
  EXPECT_EQ(0, t.parse(std::string(1024, '[') + std::string(1024, ']')));
  EXPECT_EQ(0, levee_json_limits(t.j, 2, 100));
  EXPECT_EQ(LEVEE_JSON_ESTACK, t.parse("[[[1]]]"));
  EXPECT_EQ(0, t.parse("[[1]]"));
  std::string big = "\"" + std::string(200, 'x');
  EXPECT_EQ(LEVEE_JSON_ESIZE, t.feed(big, big.size()));
  EXPECT_EQ(100u, levee_json_error_offset(t.j));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_limits(t.j, 0, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_limits(t.j, 1, 0));
}

TEST(Json, NullArgumentsAreInvalid) {
  levee_json_free(nullptr);
  levee_json_reset(nullptr);
  EXPECT_EQ(LEVEE_EINVAL, levee_json_new(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_parse(nullptr, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_feed(nullptr, nullptr, 0, 0));
  Json t;
  EXPECT_EQ(LEVEE_EINVAL, levee_json_feed(t.j, nullptr, 3, 0));
  EXPECT_EQ(LEVEE_JSON_ESYNTAX, levee_json_parse(t.j, nullptr, 0));
  EXPECT_EQ(nullptr, levee_json_tape(t.j));
  EXPECT_EQ(0u, levee_json_count(nullptr));
  EXPECT_EQ(LEVEE_JSON_ESTATE, levee_json_pickle(t.j, reinterpret_cast<const uint8_t *>("")));
}

TEST(Json, PickleBytes) {
  Json t;
  std::string s = "[1, \"a\", null, true]";
  int64_t n = levee_json_loads(t.j, reinterpret_cast<const uint8_t *>(s.data()), s.size());
  ASSERT_GT(n, 0);
  std::string want("\x80\x04](K\x01\x8c\x01" "aN\x88" "e.", 13);
  EXPECT_EQ(want, std::string(reinterpret_cast<const char *>(levee_json_output(t.j)), size_t(n)));
}

TEST(JsonEncode, EscapesAndValidates) {
  uint8_t out[64];
  const char *src = "a\"b\\c\n\x01\xc3\xa9";
  int64_t n = levee_json_escape(out, reinterpret_cast<const uint8_t *>(src), strlen(src));
  EXPECT_EQ("\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"", std::string(reinterpret_cast<char *>(out), size_t(n)));
  std::string longer(40, 'x');
  longer[33] = '"';
  n = levee_json_escape(out, reinterpret_cast<const uint8_t *>(longer.data()), longer.size());
  EXPECT_EQ(43, n);
  EXPECT_EQ(LEVEE_UTF8_EENCODING, levee_json_escape(out, reinterpret_cast<const uint8_t *>("\xff"), 1));
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, levee_json_escape(out, reinterpret_cast<const uint8_t *>("\xe2\x82"), 2));
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_json_escape(out, reinterpret_cast<const uint8_t *>("\xed\xa0\x80"), 3));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_escape(nullptr, nullptr, 0));
}

// fmt(x) of 10,000 random finite doubles reads back (strtod) as exactly x.
template <class F>
void ExpectRandomDoublesRoundTrip(F fmt, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 10000; i++) {
    uint64_t bits = rng();
    double x;
    memcpy(&x, &bits, 8);
    if (!std::isfinite(x)) continue;
    std::string s = fmt(x);
    ASSERT_LE(s.size(), 32u);
    double back = strtod(s.c_str(), nullptr);
    EXPECT_EQ(0, memcmp(&x, &back, 8)) << s;
  }
}

TEST(JsonEncode, ShortestRoundTripNumbers) {
  uint8_t out[32];
  auto fmt = [&](double x) {
    int n = levee_json_format_number(out, x);
    return std::string(reinterpret_cast<char *>(out), size_t(n));
  };
  EXPECT_EQ("0.1", fmt(0.1));
  EXPECT_EQ("100", fmt(100));
  EXPECT_EQ("-0", fmt(-0.0));
  EXPECT_EQ("1e+21", fmt(1e21));
  EXPECT_EQ("5e-324", fmt(5e-324));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_format_number(out, NAN));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_format_number(out, INFINITY));
  ExpectRandomDoublesRoundTrip(fmt, 7);
}

TEST(JsonEncode, PythonReprOfDoubles) {
  uint8_t out[32];
  auto fmt = [&](double x) {
    int n = levee_json_format_pyfloat(out, x);
    return n < 0 ? std::to_string(n) : std::string(reinterpret_cast<char *>(out), size_t(n));
  };
  // positional for decimal exponents -4..15, ".0" when integral, else e+XX
  EXPECT_EQ("0.0", fmt(0.0));
  EXPECT_EQ("-0.0", fmt(-0.0));
  EXPECT_EQ("100.0", fmt(100));
  EXPECT_EQ("0.1", fmt(0.1));
  EXPECT_EQ("0.0001", fmt(0.0001));
  EXPECT_EQ("1e-05", fmt(0.00001));
  EXPECT_EQ("1000000000000000.0", fmt(1e15));
  EXPECT_EQ("1e+16", fmt(1e16));
  EXPECT_EQ("1.2345678901234567e+19", fmt(12345678901234567890.0));
  EXPECT_EQ("5e-324", fmt(5e-324));
  EXPECT_EQ("1.7976931348623157e+308", fmt(1.7976931348623157e308));
  EXPECT_EQ("-2.5e-10", fmt(-2.5e-10));
  EXPECT_EQ("0.30000000000000004", fmt(0.1 + 0.2));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_format_pyfloat(out, NAN));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_format_pyfloat(out, -INFINITY));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_format_pyfloat(nullptr, 1.0));
  ExpectRandomDoublesRoundTrip(fmt, 11);
}

TEST(Json, Utf8FlagMarksNonAsciiText) {
  Json t;
  ASSERT_EQ(0, t.parse("[\"abc\", \"\xc3\xa9\", \"\\u00e9\", \"\\u0041\", \"\\n\"]"));
  EXPECT_EQ(0u, t.at(1).flags & LEVEE_JSON_FUTF8);
  EXPECT_NE(0u, t.at(2).flags & LEVEE_JSON_FUTF8);
  EXPECT_NE(0u, t.at(3).flags & LEVEE_JSON_FUTF8);
  EXPECT_EQ(0u, t.at(4).flags & LEVEE_JSON_FUTF8);
  EXPECT_EQ(0u, t.at(5).flags & LEVEE_JSON_FUTF8);
}

// Runs of three-byte sequences (CJK text) are validated a sequence at a
// time: the leads E0 (overlong below A0) and ED (UTF-16 surrogates from A0)
// and cut or bad continuation bytes must still be caught inside a run.
TEST(Json, ThreeByteRunsAreValidated) {
  struct Case {
    const char *text;
    int code;
    uint64_t offset;
  } cases[] = {
      {"\"\xe5\x90\x8d\xe5\x89\x8d:\xe5\x89\x8d\xe7\x94\xb0\"", 0, 0},
      {"\"\xe0\xa0\x80\xed\x9f\xbf\xef\xbf\xbf\xee\x80\x80\"", 0, 0},
      {"\"\xe5\x90\x8d\xe0\x80\x80xyz\"", LEVEE_JSON_EBYTE, 4},
      {"\"\xe5\x90\x8d\xed\xa0\x80xyz\"", LEVEE_JSON_EBYTE, 4},
      {"\"\xe5\x90\x8d\xe5\x28\x8dxyz\"", LEVEE_JSON_EBYTE, 4},
      {"\"\xe5\x90\x8d\xe5\x90\x28xyz\"", LEVEE_JSON_EBYTE, 4},
      {"\"\xe5\x90\x8d\xe5\x90\"", LEVEE_JSON_EBYTE, 4},
  };
  for (const Case &c : cases) {
    Json t;
    EXPECT_EQ(c.code, t.parse(c.text)) << c.text;
    if (c.code == 0) {
      EXPECT_NE(0u, t.at(0).flags & LEVEE_JSON_FUTF8);
      EXPECT_EQ(strlen(c.text) - 2, t.at(0).len);
    } else {
      EXPECT_EQ(c.offset, levee_json_error_offset(t.j)) << c.text;
    }
  }
}

TEST(Json, MarshalBytes) {
  Json t;
  std::string s = "{\"k\": [1, \"k\", 1.0, false]}";
  ASSERT_EQ(0, t.parse(s));
  int64_t n = levee_json_marshal(t.j, reinterpret_cast<const uint8_t *>(s.data()));
  ASSERT_GT(n, 0);
  // dict, key "k" remembered (FLAG_REF), list of 4, int 1, short ASCII "k"
  // (one-byte values are not memoized), float 1.0, False, end of dict
  std::string want("{\xfa\x01k[\x04\x00\x00\x00i\x01\x00\x00\x00z\x01kg\x00\x00\x00\x00\x00\x00\xf0?F0", 28);
  EXPECT_EQ(want, std::string(reinterpret_cast<const char *>(levee_json_output(t.j)), size_t(n)));
  std::string big = "[123456789012345678901234567890]";
  ASSERT_EQ(0, t.parse(big));
  EXPECT_EQ(LEVEE_ENOTSUP, levee_json_marshal(t.j, reinterpret_cast<const uint8_t *>(big.data())));
  EXPECT_GT(levee_json_pickle(t.j, reinterpret_cast<const uint8_t *>(big.data())), 0);
}

TEST(JsonUtf, Utf16AndUtf32ToUtf8) {
  // "aé漢😀" plus enough ASCII to take the 8-unit fast path
  const std::u16string s16 = u"abcdefghij\u00e9\u6f22\U0001F600xyz";
  const std::u32string s32 = U"abcdefghij\u00e9\u6f22\U0001F600xyz";
  const std::string want = "abcdefghij\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x98\x80xyz";
  std::vector<uint8_t> out(4 * s32.size() + 16);
  int64_t n = levee_utf16_to_utf8(out.data(), reinterpret_cast<const uint16_t *>(s16.data()), s16.size());
  ASSERT_EQ(int64_t(want.size()), n);
  EXPECT_EQ(want, std::string(reinterpret_cast<char *>(out.data()), size_t(n)));
  n = levee_utf32_to_utf8(out.data(), reinterpret_cast<const uint32_t *>(s32.data()), s32.size());
  ASSERT_EQ(int64_t(want.size()), n);
  EXPECT_EQ(want, std::string(reinterpret_cast<char *>(out.data()), size_t(n)));
  // lone surrogates, in either order or cut off, and code points past U+10FFFF
  const uint16_t lone_hi[] = {'a', 0xD800, 'b'}, lone_lo[] = {0xDC00}, cut[] = {'a', 0xD83D};
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_utf16_to_utf8(out.data(), lone_hi, 3));
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_utf16_to_utf8(out.data(), lone_lo, 1));
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_utf16_to_utf8(out.data(), cut, 2));
  const uint32_t sur[] = {0xDFFF}, big[] = {0x110000};
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_utf32_to_utf8(out.data(), sur, 1));
  EXPECT_EQ(LEVEE_UTF8_ECODEPOINT, levee_utf32_to_utf8(out.data(), big, 1));
  EXPECT_EQ(0, levee_utf16_to_utf8(nullptr, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_utf32_to_utf8(nullptr, big, 1));
}

// Numbers of up to 19 significant digits take the Clinger / Eisel-Lemire
// path, longer ones std::from_chars: every exponent of the double range and
// beyond, halfway cases and subnormals must read as strtod reads them.
TEST(Json, DecimalsAtEveryExponentEqualStrtod) {
  std::mt19937_64 rng(99);
  Json t;
  char text[96];
  for (int e = -360; e <= 320; e++) {
    for (int k = 0; k < 40; k++) {
      int digits = 1 + int(rng() % 22);
      std::string m;
      for (int d = 0; d < digits; d++) m += char('0' + (d == 0 ? 1 + rng() % 9 : rng() % 10));
      if (k % 5 == 0) m = m.substr(0, 1) + "." + m.substr(1) + "0";
      if (k % 7 == 0 && m.size() > 2) m[m.size() - 1] = '5';  // halfway-looking tails
      snprintf(text, sizeof text, "%s%se%d", k % 2 ? "-" : "", m.c_str(), e);
      double want = strtod(text, nullptr);
      int rc = t.parse(text);
      if (std::isinf(want)) {
        EXPECT_EQ(LEVEE_JSON_ESIZE, rc) << text;
        continue;
      }
      ASSERT_EQ(0, rc) << text;
      EXPECT_EQ(0, memcmp(&want, &t.at(0).number, 8)) << text << " got " << t.at(0).number;
    }
  }
  for (const char *s : {"9007199254740993", "9007199254740993.0", "9007199254740992.5", "2.2250738585072012e-308",
                        "2.2250738585072011e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
                        "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
                        "0.000000000000000000000000000000000000000001", "123456789012345678.9", "1e22", "1e23",
                        "8.98846567431158e307", "7.2057594037927933e16", "4.35e-322"}) {
    ASSERT_EQ(0, t.parse(s)) << s;
    double want = strtod(s, nullptr);
    EXPECT_EQ(0, memcmp(&want, &t.at(0).number, 8)) << s;
  }
}

// Significands of at most 2^53 with |q| <= 22 (the range of Clinger's exact
// fast path, which levee no longer takes) go through Eisel-Lemire like every
// other number: random ones, quotients that are exact doubles, and products
// that lie exactly halfway between two doubles (ties to even) read as strtod
// reads them.
TEST(Json, SmallSignificandsWithSmallExponentsEqualStrtod) {
  std::mt19937_64 rng(7);
  Json t;
  char text[96];
  uint64_t p5[23] = {1};
  for (int q = 1; q <= 22; q++) p5[q] = p5[q - 1] * 5;
  auto check = [&](const char *s) {
    ASSERT_EQ(0, t.parse(s)) << s;
    double want = strtod(s, nullptr);
    EXPECT_EQ(0, memcmp(&want, &t.at(0).number, 8)) << s << " got " << t.at(0).number;
  };
  for (int i = 0; i < 20000; i++) {
    uint64_t w = 1 + rng() % (uint64_t(1) << (1 + rng() % 53));
    int q = int(rng() % 45) - 22;
    snprintf(text, sizeof text, "%s%llue%d", i % 2 ? "-" : "", (unsigned long long)w, q);
    check(text);
    // the same value written with a fraction, as canada.json writes them
    std::string digits = std::to_string(w);
    if (q < 0 && size_t(-q) < digits.size()) {
      digits.insert(digits.size() - size_t(-q), ".");
      check(digits.c_str());
    }
  }
  for (int q = 1; q <= 22; q++) {
    for (int k = 0; k < 200; k++) {
      // t odd with 54 bits and a multiple of 5^q: t * 2^s is halfway between
      // two doubles; written as w * 10^q with w = t / 5^q * 2^(s - q).
      uint64_t lo = ((uint64_t(1) << 53) + p5[q] - 1) / p5[q], hi = ((uint64_t(1) << 54) - 1) / p5[q];
      if (lo > hi) break;
      uint64_t m = lo + rng() % (hi - lo + 1);
      if (m % 2 == 0) m = m + 1 <= hi ? m + 1 : m - 1;
      if (m < lo) continue;
      int s = q + int(rng() % 3);
      uint64_t w = m << (s - q);
      if (w > (uint64_t(1) << 53)) w = m;
      snprintf(text, sizeof text, "%llue%d", (unsigned long long)w, q);
      check(text);
      // and a quotient that is an exact double: (r * 5^q) * 10^-q = r / 2^q
      uint64_t r = 1 + rng() % ((uint64_t(1) << 53) / p5[q]);
      snprintf(text, sizeof text, "%llue-%d", (unsigned long long)(r * p5[q]), q);
      check(text);
    }
  }
}

namespace {

struct Lexer {
  levee_json_lexer *lx = nullptr;
  levee_json_token tok{};
  Lexer() { EXPECT_EQ(0, levee_json_lexer_new(&lx)); }
  ~Lexer() { levee_json_lexer_free(lx); }
  int64_t next(const uint8_t *p, size_t n, bool eof = false) {
    return levee_json_lexer_next(lx, p, n, eof ? 1 : 0, &tok);
  }
};

}  // namespace

// Walks a document token by token, trying every cut of each token first:
// a cut before a token's end answers 0 and changes nothing, and the whole
// token then reads as it would have read at once.
TEST(JsonLexer, EveryCutOfATokenNeedsMoreThenTheTokenReads) {
  const std::string doc = R"( {"a": [1, -2.5e3, "x\ny\u00e9", true, false, null], "b": {}} )";
  const uint32_t want[] = {LEVEE_JSON_OBJECT, LEVEE_JSON_STRING, LEVEE_JSON_ARRAY,
                           LEVEE_JSON_NUMBER, LEVEE_JSON_NUMBER, LEVEE_JSON_STRING,
                           LEVEE_JSON_TRUE,   LEVEE_JSON_FALSE,  LEVEE_JSON_NULL,
                           LEVEE_JSON_ARRAY_END, LEVEE_JSON_STRING, LEVEE_JSON_OBJECT,
                           LEVEE_JSON_OBJECT_END, LEVEE_JSON_OBJECT_END};
  Lexer lx;
  size_t pos = 0, k = 0;
  while (!levee_json_lexer_done(lx.lx)) {
    ASSERT_LT(k, sizeof want / sizeof want[0]);
    Guarded whole(doc.substr(pos));
    Lexer probe;  // what one call with everything reads
    // (the probe must be in the same state: replay the tokens so far)
    size_t q = 0;
    while (q < pos) q += size_t(probe.next(reinterpret_cast<const uint8_t *>(doc.data()) + q,
                                           doc.size() - q));
    int64_t n = probe.next(whole.data, doc.size() - pos);
    ASSERT_GT(n, 0) << "at " << pos;
    for (size_t cut = 0; cut < size_t(n); cut++) {
      Guarded part(doc.substr(pos, cut));
      ASSERT_EQ(0, lx.next(part.data, cut)) << "at " << pos << " cut " << cut;
    }
    ASSERT_EQ(n, lx.next(whole.data, doc.size() - pos));
    EXPECT_EQ(want[k], lx.tok.type) << "token " << k;
    pos += size_t(n);
    k++;
  }
  EXPECT_EQ(sizeof want / sizeof want[0], k);
  EXPECT_EQ(0, levee_json_lexer_depth(lx.lx));
}

TEST(JsonLexer, TokensCarryValuesAndOffsets) {
  Lexer lx;
  const std::string s = R"(["a\tb", 18446744073709551615, 3])";
  auto p = reinterpret_cast<const uint8_t *>(s.data());
  ASSERT_EQ(1, lx.next(p, s.size()));
  EXPECT_EQ(1, levee_json_lexer_depth(lx.lx));
  ASSERT_EQ(6, lx.next(p + 1, s.size() - 1));
  EXPECT_EQ(uint32_t(LEVEE_JSON_STRING), lx.tok.type);
  ASSERT_TRUE(lx.tok.flags & LEVEE_JSON_FESCAPED);
  EXPECT_EQ("a\tb", std::string(reinterpret_cast<const char *>(levee_json_lexer_strings(lx.lx)) +
                                    lx.tok.aux, size_t(lx.tok.integer)));
  ASSERT_EQ(22, lx.next(p + 7, s.size() - 7));
  EXPECT_TRUE(lx.tok.flags & LEVEE_JSON_FUINT);
  EXPECT_EQ(UINT64_MAX, uint64_t(lx.tok.integer));
  EXPECT_EQ(2u, lx.tok.off);  // after ", "
  ASSERT_EQ(3, lx.next(p + 29, s.size() - 29));
  EXPECT_EQ(3.0, lx.tok.number);
  EXPECT_EQ(0, levee_json_lexer_done(lx.lx));
  ASSERT_EQ(1, lx.next(p + 32, s.size() - 32));
  EXPECT_EQ(uint32_t(LEVEE_JSON_ARRAY_END), lx.tok.type);
  EXPECT_EQ(1, levee_json_lexer_done(lx.lx));
}

TEST(JsonLexer, RefusesWhatMayNotComeNextAndHostileInput) {
  struct {
    const char *doc;
    int code;
    uint64_t off;
  } cases[] = {
      {"[1 2]", LEVEE_JSON_ESYNTAX, 1},  // offsets are relative to the call's input
      {"{1:2}", LEVEE_JSON_ESYNTAX, 0},
      {"]", LEVEE_JSON_ESYNTAX, 0},
      {"[\x01]", LEVEE_JSON_EBYTE, 0},
      {"[\"\\x\"]", LEVEE_JSON_EESCAPE, 1},
  };
  for (auto &c : cases) {
    Lexer lx;
    std::string s = c.doc;
    size_t pos = 0;
    int64_t rc;
    while ((rc = lx.next(reinterpret_cast<const uint8_t *>(s.data()) + pos, s.size() - pos, true)) > 0)
      pos += size_t(rc);
    EXPECT_EQ(c.code, rc) << c.doc;
    EXPECT_EQ(c.off, levee_json_lexer_error_offset(lx.lx)) << c.doc;
  }
  Lexer deep;
  ASSERT_EQ(0, levee_json_lexer_limits(deep.lx, 2));
  const uint8_t b = '[';
  EXPECT_EQ(1, deep.next(&b, 1));
  EXPECT_EQ(1, deep.next(&b, 1));
  EXPECT_EQ(LEVEE_JSON_ESTACK, deep.next(&b, 1));
  levee_json_token t;
  EXPECT_EQ(LEVEE_EINVAL, levee_json_lexer_next(nullptr, &b, 1, 0, &t));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_lexer_next(deep.lx, nullptr, 1, 0, &t));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_lexer_next(deep.lx, &b, 1, 0, nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_json_lexer_limits(deep.lx, 0));
  Lexer empty;
  EXPECT_EQ(0, empty.next(&b, 0));
  EXPECT_EQ(LEVEE_JSON_ESYNTAX, empty.next(&b, 0, true));
}
