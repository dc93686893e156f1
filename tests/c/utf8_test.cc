// Black-box tests of the utf8 section of levee.h: validation with the utf8
// domain's error kinds, charlen, and the percent / JSON codecs, fed hostile
// input of every kind (overlongs, surrogates, beyond U+10FFFF, stray and
// missing continuation bytes, truncation at every prefix, bad escapes).
#include <gtest/gtest.h>
#include <levee.h>
#include <stdint.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

namespace {

const uint8_t *u8(const std::string &s) { return reinterpret_cast<const uint8_t *>(s.data()); }

int validate(const std::string &s) { return levee_utf8_validate(u8(s), s.size()); }

std::string encode(const std::string &s, int mode, int64_t *rc = nullptr) {
  std::vector<uint8_t> out(6 * s.size() + 1);
  int64_t n = levee_utf8_encode(out.data(), out.size(), u8(s), s.size(), mode);
  if (rc) *rc = n;
  if (n < 0) return "";
  return std::string(reinterpret_cast<char *>(out.data()), size_t(n));
}

std::string decode(const std::string &s, int mode, int64_t *rc = nullptr) {
  std::vector<uint8_t> out(s.size() + 1);
  int64_t n = levee_utf8_decode(out.data(), out.size(), u8(s), s.size(), mode);
  if (rc) *rc = n;
  if (n < 0) return "";
  return std::string(reinterpret_cast<char *>(out.data()), size_t(n));
}

// The reference: is s valid UTF-8 by the definition (decode each sequence
// and check the code point's range and shortest form)?
bool reference_valid(const std::string &s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    int n;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    else return false;
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; k++) {
      uint8_t d = uint8_t(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

TEST(Utf8, ValidTextOfEveryLength) {
  EXPECT_EQ(0, validate(""));
  EXPECT_EQ(0, validate("plain ascii text, long enough for the 8-byte path"));
  EXPECT_EQ(0, validate("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\xac"));
  EXPECT_EQ(0, validate("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_EQ(0, validate("\xed\x9f\xbf"));      // U+D7FF
  EXPECT_EQ(0, validate("\xee\x80\x80"));      // U+E000
  EXPECT_EQ(0, validate(std::string("a\0b", 3)));
}

TEST(Utf8, EveryKindOfFaultHasItsError) {
  struct { const char *text; int code; } cases[] = {
      {"\x80", LEVEE_UTF8_EENCODING},              // stray continuation
      {"a\xbf", LEVEE_UTF8_EENCODING},
      {"\xc0\xaf", LEVEE_UTF8_EENCODING},          // overlong '/'
      {"\xc1\xbf", LEVEE_UTF8_EENCODING},
      {"\xe0\x80\xaf", LEVEE_UTF8_EENCODING},      // overlong 3-byte
      {"\xf0\x80\x80\xaf", LEVEE_UTF8_EENCODING},  // overlong 4-byte
      {"\xed\xa0\x80", LEVEE_UTF8_ESURROGATE},     // U+D800
      {"\xed\xbf\xbf", LEVEE_UTF8_ESURROGATE},     // U+DFFF
      {"\xf4\x90\x80\x80", LEVEE_UTF8_ECODEPOINT}, // U+110000
      {"\xf5\x80\x80\x80", LEVEE_UTF8_ECODEPOINT},
      {"\xf8\x88\x80\x80\x80", LEVEE_UTF8_EENCODING},
      {"\xff", LEVEE_UTF8_EENCODING},
      {"\xc3", LEVEE_UTF8_ETOOSHORT},              // truncated at the end
      {"\xe2\x82", LEVEE_UTF8_ETOOSHORT},
      {"\xf0\x9f\x98", LEVEE_UTF8_ETOOSHORT},
      {"\xc3\x41", LEVEE_UTF8_EENCODING},          // missing continuation
      {"\xe2\x82\x41", LEVEE_UTF8_EENCODING},
      {"\xf0\x9f\x41\x80", LEVEE_UTF8_EENCODING},
      {"\xe2\x41", LEVEE_UTF8_EENCODING},          // bad before the end: not ETOOSHORT
  };
  for (auto &c : cases) EXPECT_EQ(c.code, validate(c.text)) << c.text;
}

TEST(Utf8, ValidPrefixStopsAtTheFaultyCharacter) {
  std::string s = "12345678caf\xc3\xa9\xed\xa0\x80rest";
  EXPECT_EQ(13u, levee_utf8_valid_prefix(u8(s), s.size()));
  EXPECT_EQ(s.size() - 7, levee_utf8_valid_prefix(u8(s), s.size() - 7));
  EXPECT_EQ(0u, levee_utf8_valid_prefix(nullptr, 5));
}

TEST(Utf8, EveryPrefixOfValidTextIsValidOrTooShort) {
  std::string s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\xac";
  for (size_t n = 0; n <= s.size(); n++) {
    int rc = levee_utf8_validate(u8(s), n);
    EXPECT_TRUE(rc == 0 || rc == LEVEE_UTF8_ETOOSHORT) << n;
    EXPECT_EQ(rc == 0, reference_valid(s.substr(0, n))) << n;
  }
}

TEST(Utf8, AgreesWithTheDefinitionOnRandomBytes) {
  std::mt19937 rng(11);
  const uint8_t interesting[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  for (int round = 0; round < 200000; round++) {
    std::string s;
    size_t n = rng() % 12;
    for (size_t i = 0; i < n; i++) s.push_back(char(interesting[rng() % sizeof interesting]));
    bool ok = validate(s) == 0;
    ASSERT_EQ(reference_valid(s), ok) << round;
    size_t prefix = levee_utf8_valid_prefix(u8(s), s.size());
    ASSERT_TRUE(reference_valid(s.substr(0, prefix)));
    ASSERT_EQ(ok, prefix == s.size());
  }
}

TEST(Utf8, CharlenGivesTheLengthOrTheFault) {
  EXPECT_EQ(1, levee_utf8_charlen(u8("a"), 1));
  EXPECT_EQ(2, levee_utf8_charlen(u8("\xc3\xa9x"), 3));
  EXPECT_EQ(3, levee_utf8_charlen(u8("\xe2\x82\xac"), 3));
  EXPECT_EQ(4, levee_utf8_charlen(u8("\xf0\x9f\x98\xac"), 4));
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, levee_utf8_charlen(u8("\xf0\x9f"), 2));
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, levee_utf8_charlen(u8(""), 0));
  EXPECT_EQ(LEVEE_UTF8_EENCODING, levee_utf8_charlen(u8("\x80"), 1));
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, levee_utf8_charlen(u8("\xed\xa0\x80"), 3));
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, levee_utf8_charlen(nullptr, 3));
}

TEST(Utf8, UriEncodingKeepsReservedCharactersLikeEncodeURI) {
  EXPECT_EQ("hi:%20%F0%9F%98%AC%F0%9F%91%BB", encode("hi: \xf0\x9f\x98\xac\xf0\x9f\x91\xbb",
                                                     LEVEE_UTF8_NONE));
  EXPECT_EQ("/a/b?c=d&e#f", encode("/a/b?c=d&e#f", LEVEE_UTF8_URI));
  EXPECT_EQ("100%25%0A%22", encode("100%\n\"", LEVEE_UTF8_NONE));
}

TEST(Utf8, UriComponentEncodingKeepsOnlyUnreserved) {
  EXPECT_EQ("a%2Fb%3Fc%3Dd%26e-._~", encode("a/b?c=d&e-._~", LEVEE_UTF8_URI_COMPONENT));
  EXPECT_EQ("a+b%2Bc", encode("a b+c", LEVEE_UTF8_URI_COMPONENT | LEVEE_UTF8_SPACE_PLUS));
  EXPECT_EQ("a%20b%2Bc", encode("a b+c", LEVEE_UTF8_URI_COMPONENT));
}

TEST(Utf8, JsonEncodingEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ("say \\\"hi\\\"\\n\\t\\\\ \\u0001\\u001f \xc3\xa9",
            encode("say \"hi\"\n\t\\ \x01\x1f \xc3\xa9", LEVEE_UTF8_JSON));
}

TEST(Utf8, EncodingRefusesInvalidInput) {
  int64_t rc;
  encode("ok \xc3", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  encode("\xed\xa0\x80", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  encode("\xc0\xaf", LEVEE_UTF8_URI_COMPONENT, &rc);
  EXPECT_EQ(LEVEE_UTF8_EENCODING, rc);
  uint8_t out[8];
  EXPECT_EQ(LEVEE_EINVAL, levee_utf8_encode(out, 8, u8("a"), 1, 64));
  EXPECT_EQ(LEVEE_EINVAL, levee_utf8_encode(out, 8, nullptr, 1, 0));
}

TEST(Utf8, EncodingIntoASmallBufferIsEbufs) {
  uint8_t out[5];
  EXPECT_EQ(LEVEE_UTF8_EBUFS, levee_utf8_encode(out, 5, u8("a b c"), 5, LEVEE_UTF8_NONE));
  EXPECT_EQ(5, levee_utf8_encode(out, 5, u8("abcde"), 5, LEVEE_UTF8_NONE));
  EXPECT_EQ(LEVEE_UTF8_EBUFS, levee_utf8_encode(out, 5, u8("\x01"), 1, LEVEE_UTF8_JSON));
  EXPECT_EQ(LEVEE_UTF8_EBUFS, levee_utf8_encode(out, 1, u8("\xc3\xa9"), 2, LEVEE_UTF8_JSON));
}

TEST(Utf8, DecodingUndoesEncodingInEveryMode) {
  std::mt19937 rng(7);
  const char *alphabet[] = {"a", "Z", " ", "+", "%", "/", "?", "&", "=", "\"", "\\", "\n", "\x01",
                            "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\xac", "~", "#"};
  int modes[] = {LEVEE_UTF8_NONE, LEVEE_UTF8_URI_COMPONENT,
                 LEVEE_UTF8_URI_COMPONENT | LEVEE_UTF8_SPACE_PLUS, LEVEE_UTF8_JSON};
  for (int round = 0; round < 5000; round++) {
    std::string s;
    for (int i = rng() % 20; i > 0; i--) s += alphabet[rng() % (sizeof alphabet / sizeof *alphabet)];
    for (int mode : modes) {
      int64_t rc;
      std::string e = encode(s, mode, &rc);
      ASSERT_GE(rc, 0);
      ASSERT_EQ(s, decode(e, mode, &rc)) << mode << " " << e;
    }
  }
}

TEST(Utf8, PercentDecodingFaults) {
  int64_t rc;
  EXPECT_EQ("a b+c", decode("a%20b+c", LEVEE_UTF8_NONE));
  EXPECT_EQ("a b c", decode("a%20b+c", LEVEE_UTF8_SPACE_PLUS));
  EXPECT_EQ("\xc3\xa9", decode("%c3%A9", LEVEE_UTF8_NONE));
  decode("%zz", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, rc);
  decode("%4", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  decode("%", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  decode("%4g", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, rc);
  decode("%ff", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_EENCODING, rc);
  decode("%ed%a0%80", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  decode("%c3", LEVEE_UTF8_NONE, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
}

TEST(Utf8, JsonDecodingFaults) {
  int64_t rc;
  EXPECT_EQ("\xf0\x9f\x98\xac", decode("\\ud83d\\ude2c", LEVEE_UTF8_JSON));
  EXPECT_EQ(std::string("a\0b/\"", 5), decode("a\\u0000b\\/\\\"", LEVEE_UTF8_JSON));
  decode("\\x41", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, rc);
  decode("\\u12g4", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, rc);
  decode("\\u12", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  decode("\\", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  decode("\\ude2c", LEVEE_UTF8_JSON, &rc);  // low surrogate first
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  decode("\\ud83d", LEVEE_UTF8_JSON, &rc);  // lone high surrogate at the end
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  decode("\\ud83dxx", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  decode("\\ud83d\\u0041", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
  decode("\\ud83d\\ud", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  decode("raw \xff", LEVEE_UTF8_JSON, &rc);
  EXPECT_EQ(LEVEE_UTF8_EENCODING, rc);
}

TEST(Utf8, DecodingIntoASmallBuffer) {
  uint8_t out[4];
  EXPECT_EQ(3, levee_utf8_decode(out, 3, u8("%41%42c"), 7, LEVEE_UTF8_NONE));
  EXPECT_EQ(0, memcmp(out, "ABc", 3));
  EXPECT_EQ(LEVEE_UTF8_EBUFS, levee_utf8_decode(out, 2, u8("%41%42c"), 7, LEVEE_UTF8_NONE));
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, levee_utf8_decode(out, 2, u8("%4x%42c"), 7, LEVEE_UTF8_NONE));
}

}  // namespace
