// Black-box tests of the checksums and hashes behind levee._.hash (CRC-32,
// CRC-32C on both the CPU and the table paths, MetroHash64, case-folding
// SipHash), base64 with truncated input, levee_rand_bytes and
// levee_term_winsize.
#include <gtest/gtest.h>
#include <levee.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

namespace {

// Bitwise CRC over the reflected polynomial: the definition itself.
uint32_t crc_bitwise(uint32_t poly, uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ poly : crc >> 1;
  }
  return ~crc;
}

struct AccelGuard {
  ~AccelGuard() { levee_hash_accel(1); }
};

TEST(Crc, CheckValues) {
  const char *s = "123456789";
  for (int mode : {0, 1}) {
    AccelGuard g;
    levee_hash_accel(mode);
    EXPECT_EQ(0xCBF43926u, levee_crc32(0, s, 9)) << mode;
    EXPECT_EQ(0xE3069283u, levee_crc32c(0, s, 9)) << mode;
    EXPECT_EQ(0u, levee_crc32(0, nullptr, 0));
    EXPECT_EQ(7u, levee_crc32c(7, nullptr, 5));
  }
}

TEST(Crc, EveryLengthAndAlignmentMatchesTheDefinitionOnEveryPath) {
  std::mt19937 rng(3);
  std::vector<uint8_t> data(8192 + 16);
  for (auto &b : data) b = uint8_t(rng());
  int accel = levee_hash_accel(-1);
  AccelGuard g;
  for (int mode : {0, 1}) {
    levee_hash_accel(mode);
    for (size_t off = 0; off < 8; off++) {
      for (size_t n = 0; n <= 300; n++) {
        const uint8_t *p = data.data() + off;
        ASSERT_EQ(crc_bitwise(0xEDB88320u, 0, p, n), levee_crc32(0, p, n)) << mode << " " << n;
        ASSERT_EQ(crc_bitwise(0x82F63B78u, 0, p, n), levee_crc32c(0, p, n)) << mode << " " << n;
      }
    }
    for (size_t n : {767u, 768u, 769u, 1000u, 4095u, 4096u, 6143u, 6144u, 6152u, 7000u}) {
      ASSERT_EQ(crc_bitwise(0xEDB88320u, 0x1234, data.data(), n), levee_crc32(0x1234, data.data(), n));
      ASSERT_EQ(crc_bitwise(0x82F63B78u, 0x1234, data.data(), n), levee_crc32c(0x1234, data.data(), n));
    }
  }
  // The mode answers which paths are accelerated; 0 turns them all off.
  EXPECT_EQ(0, levee_hash_accel(0));
  EXPECT_EQ(accel, levee_hash_accel(1));
}

TEST(Crc, ChainingEqualsOneCall) {
  std::string a = "hello, ", b = std::string(200, 'x') + "world";
  std::string ab = a + b;
  EXPECT_EQ(levee_crc32(0, ab.data(), ab.size()),
            levee_crc32(levee_crc32(0, a.data(), a.size()), b.data(), b.size()));
  EXPECT_EQ(levee_crc32c(0, ab.data(), ab.size()),
            levee_crc32c(levee_crc32c(0, a.data(), a.size()), b.data(), b.size()));
}

TEST(Metro, ReferenceTestVectors) {
  const char *key = "012345678901234567890123456789012345678901234567890123456789012";
  uint64_t h0 = levee_metrohash64(key, 63, 0), h1 = levee_metrohash64(key, 63, 1);
  const uint8_t want0[8] = {0x6B, 0x75, 0x3D, 0xAE, 0x06, 0x70, 0x4B, 0xAD};
  const uint8_t want1[8] = {0x3B, 0x0D, 0x48, 0x1C, 0xF4, 0xB9, 0xB8, 0xDF};
  EXPECT_EQ(0, memcmp(&h0, want0, 8));
  EXPECT_EQ(0, memcmp(&h1, want1, 8));
}

TEST(Metro, EveryTailLengthDiffers) {
  std::string s(100, 'a');
  std::vector<uint64_t> seen;
  for (size_t n = 0; n <= s.size(); n++) {
    uint64_t h = levee_metrohash64(s.data(), n, 0);
    for (uint64_t o : seen) ASSERT_NE(o, h) << n;
    seen.push_back(h);
  }
  EXPECT_EQ(levee_metrohash64(nullptr, 0, 5), levee_metrohash64("", 0, 5));
}

TEST(SipCase, FoldsAsciiCaseOnly) {
  std::string mixed = "Content-TYPE: Text/HTML; \xc3\x89t\xc3\xa9 [@`{]";
  std::string lower = "content-type: text/html; \xc3\x89t\xc3\xa9 [@`{]";
  for (size_t n = 0; n <= mixed.size(); n++) {
    ASSERT_EQ(levee_siphash_keyed(lower.data(), n, nullptr),
              levee_siphash_case(mixed.data(), n, nullptr))
        << n;
  }
  // Characters next to the letters ('@' '[' '`' '{') are not folded.
  EXPECT_NE(levee_siphash_case("@", 1, nullptr), levee_siphash_case("`", 1, nullptr));
  EXPECT_NE(levee_siphash_case("[", 1, nullptr), levee_siphash_case("{", 1, nullptr));
  uint8_t key[16] = {9};
  EXPECT_EQ(levee_siphash_keyed("abc", 3, key), levee_siphash_case("ABC", 3, key));
  EXPECT_EQ(levee_siphash("abc", 3), levee_siphash_case("aBc", 3, nullptr));
}

std::string b64(const std::string &s) {
  std::vector<char> out(4 * ((s.size() + 2) / 3) + 1);
  int64_t n = levee_base64_encode(out.data(), reinterpret_cast<const uint8_t *>(s.data()), s.size());
  return std::string(out.data(), size_t(n));
}

std::string unb64(const std::string &s, int64_t *rc = nullptr) {
  std::vector<uint8_t> out(3 * (s.size() / 4) + 3);
  int64_t n = levee_base64_decode(out.data(), s.data(), s.size());
  if (rc) *rc = n;
  if (n < 0) return "<error>";
  return std::string(reinterpret_cast<char *>(out.data()), size_t(n));
}

TEST(Base64, Rfc4648Vectors) {
  const char *pairs[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                            {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto &p : pairs) {
    EXPECT_EQ(p[1], b64(p[0]));
    EXPECT_EQ(p[0], unb64(p[1]));
  }
  EXPECT_EQ("+/+/", b64("\xfb\xff\xbf"));
  EXPECT_EQ("\xfb\xff", unb64("+/8="));
}

TEST(Base64, DecodingSkipsBytesOutsideTheAlphabet) {
  EXPECT_EQ("foobar", unb64("Zm9v\r\nYmFy\n"));
  EXPECT_EQ("foobar", unb64(" Z m 9 v Y m F y "));
  EXPECT_EQ("fo", unb64("Zm8"));           // unpadded
  EXPECT_EQ("ffo", unb64("Zg==Zm8="));     // padded pieces one after another
  EXPECT_EQ("f", unb64("Zg==="));
}

TEST(Base64, TruncatedInputIsReported) {
  int64_t rc;
  unb64("Zm9vY", &rc);
  EXPECT_EQ(LEVEE_BASE64_ETOOSHORT, rc);
  unb64("Z===", &rc);
  EXPECT_EQ(LEVEE_BASE64_ETOOSHORT, rc);
  unb64("Z", &rc);
  EXPECT_EQ(LEVEE_BASE64_ETOOSHORT, rc);
  EXPECT_STREQ("base64.ETOOSHORT", levee_errname(LEVEE_BASE64_ETOOSHORT));
}

TEST(Base64, RoundTripOfRandomBytes) {
  std::mt19937 rng(5);
  for (int round = 0; round < 2000; round++) {
    std::string s(rng() % 100, '\0');
    for (auto &c : s) c = char(rng());
    ASSERT_EQ(s, unb64(b64(s)));
  }
}

TEST(Rand, BytesAreFilledAndDiffer) {
  uint8_t a[64] = {0}, b[64] = {0};
  ASSERT_EQ(0, levee_rand_bytes(a, sizeof a));
  ASSERT_EQ(0, levee_rand_bytes(b, sizeof b));
  EXPECT_NE(0, memcmp(a, b, sizeof a));
  EXPECT_EQ(0, levee_rand_bytes(nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_rand_bytes(nullptr, 1));
}

TEST(Term, WinsizeOfAPipeIsEnotty) {
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  levee_winsize ws;
  EXPECT_EQ(LEVEE_ENOTTY, levee_term_winsize(fds[0], &ws));
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(LEVEE_EBADF, levee_term_winsize(fds[0], &ws));
  EXPECT_EQ(LEVEE_EINVAL, levee_term_winsize(0, nullptr));
}

}  // namespace
