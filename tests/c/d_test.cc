// Black-box tests of the buffer, iovec and hash ABI (levee.h sections
// buffer, iovec, hash).
#include <gtest/gtest.h>
#include <levee.h>
#include <stdint.h>
#include <string.h>

#include <string>

namespace {

std::string str(levee_buffer *b) {
  return std::string(reinterpret_cast<char *>(levee_buffer_value(b)), levee_buffer_len(b));
}

TEST(Buffer, NewWithoutHintAllocatesNothing) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  EXPECT_EQ(0u, levee_buffer_cap(b));
  EXPECT_EQ(0u, levee_buffer_len(b));
  levee_buffer_free(b);
}

TEST(Buffer, CapacityPolicy) {
  const size_t cases[][2] = {{1, 8192}, {8193, 16384}, {131072, 131072}, {131073, 262144}};
  for (auto &c : cases) {
    levee_buffer *b;
    ASSERT_EQ(0, levee_buffer_new(&b, c[0]));
    EXPECT_EQ(c[1], levee_buffer_cap(b)) << c[0];
    levee_buffer_free(b);
  }
}

TEST(Buffer, WriteTrimEnsureKeepData) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  ASSERT_EQ(0, levee_buffer_write(b, "hello world", 11));
  EXPECT_EQ(6u, levee_buffer_trim(b, 6));
  ASSERT_EQ(0, levee_buffer_ensure(b, 100000));
  EXPECT_GE(levee_buffer_available(b), 100000u);
  EXPECT_EQ("world", str(b));
  EXPECT_EQ(5u, levee_buffer_trim(b, SIZE_MAX));
  levee_buffer_free(b);
}

TEST(Buffer, TailBumpAndBumpPastEndIsEinval) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 16));
  memcpy(levee_buffer_tail(b), "abc", 3);
  EXPECT_EQ(0, levee_buffer_bump(b, 3));
  EXPECT_EQ("abc", str(b));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_bump(b, levee_buffer_available(b) + 1));
  EXPECT_EQ("abc", str(b));
  levee_buffer_free(b);
}

TEST(Buffer, WriteFromItselfSurvivesGrowth) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 8192));
  std::string big(8190, 'x');
  ASSERT_EQ(0, levee_buffer_write(b, big.data(), big.size()));
  ASSERT_EQ(0, levee_buffer_write(b, levee_buffer_value(b), 8190));
  EXPECT_EQ(std::string(16380, 'x'), str(b));
  levee_buffer_free(b);
}

TEST(Buffer, CopyMoveRemove) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  levee_buffer_write(b, "abcdefgh", 8);
  char dst[8];
  EXPECT_EQ(3u, levee_buffer_copy(b, dst, 3));
  EXPECT_EQ(0, memcmp(dst, "abc", 3));
  EXPECT_EQ(2u, levee_buffer_move(b, dst, 2));
  EXPECT_EQ("cdefgh", str(b));
  EXPECT_EQ(2u, levee_buffer_remove(b, 1, 2));
  EXPECT_EQ("cfgh", str(b));
  EXPECT_EQ(0u, levee_buffer_remove(b, 10, 2));
  EXPECT_EQ(2u, levee_buffer_remove(b, 2, 100));
  EXPECT_EQ("cf", str(b));
  levee_buffer_free(b);
}

TEST(Buffer, FreezeSurvivesTrimAndGrowth) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  levee_buffer_write(b, "HEADbody", 8);
  ASSERT_EQ(0, levee_buffer_freeze(b, 4));
  EXPECT_EQ(4u, levee_buffer_frozen(b));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_freeze(b, 100));
  levee_buffer_trim(b, SIZE_MAX);
  std::string z(50000, 'z');
  levee_buffer_write(b, z.data(), z.size());
  ASSERT_EQ(0, levee_buffer_thaw(b));
  EXPECT_EQ("HEAD" + z, str(b));
  levee_buffer_reset(b);
  EXPECT_EQ(0u, levee_buffer_len(b));
  levee_buffer_free(b);
}

TEST(Buffer, ReleaseFreesOnlyAnEmptyBuffer) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 100));
  levee_buffer_write(b, "abc", 3);
  EXPECT_EQ(LEVEE_EBUSY, levee_buffer_release(b));
  EXPECT_EQ("abc", str(b));
  levee_buffer_freeze(b, 3);
  EXPECT_EQ(LEVEE_EBUSY, levee_buffer_release(b));  // frozen bytes count
  levee_buffer_thaw(b);
  levee_buffer_trim(b, SIZE_MAX);
  ASSERT_EQ(0, levee_buffer_release(b));
  EXPECT_EQ(0u, levee_buffer_cap(b));
  EXPECT_EQ(0, levee_buffer_release(b));  // twice is fine
  levee_buffer_write(b, "again", 5);  // allocates anew
  EXPECT_EQ("again", str(b));
  EXPECT_EQ(8192u, levee_buffer_cap(b));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_release(nullptr));
  levee_buffer_free(b);
}

TEST(Buffer, BadInputIsEinvalOrEnomemNeverACrash) {
  levee_buffer *b;
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_new(nullptr, 0));
  EXPECT_EQ(LEVEE_ENOMEM, levee_buffer_new(&b, SIZE_MAX));
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  EXPECT_EQ(LEVEE_ENOMEM, levee_buffer_ensure(b, SIZE_MAX / 2));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_write(b, nullptr, 3));
  EXPECT_EQ(0, levee_buffer_write(b, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_ensure(nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_buffer_write(nullptr, "x", 1));
  EXPECT_EQ(0u, levee_buffer_len(nullptr));
  levee_buffer_free(nullptr);
  levee_buffer_free(b);
}

TEST(Iovec, AppendCountsAndGathers) {
  levee_iovec *v;
  ASSERT_EQ(0, levee_iovec_new(&v, 0));
  ASSERT_EQ(0, levee_iovec_append(v, "foo", 3));
  ASSERT_EQ(0, levee_iovec_append(v, "", 0));
  ASSERT_EQ(0, levee_iovec_append(v, "barbaz", 6));
  EXPECT_EQ(2u, levee_iovec_count(v));
  EXPECT_EQ(9u, levee_iovec_bytes(v));
  char out[16] = {0};
  EXPECT_EQ(9u, levee_iovec_copy(v, out, sizeof out));
  EXPECT_STREQ("foobarbaz", out);
  EXPECT_EQ(4u, levee_iovec_copy(v, out, 4));
  levee_iovec_free(v);
}

TEST(Iovec, GrowsPastItsFirstAllocation) {
  levee_iovec *v;
  ASSERT_EQ(0, levee_iovec_new(&v, 2));
  for (int i = 0; i < 1000; i++) ASSERT_EQ(0, levee_iovec_append(v, "ab", 2));
  EXPECT_EQ(1000u, levee_iovec_count(v));
  EXPECT_EQ(2000u, levee_iovec_bytes(v));
  EXPECT_GE(levee_iovec_size(v), 1000u);
  levee_iovec_free(v);
}

TEST(Iovec, ConsumeAdvancesAcrossEntries) {
  levee_iovec *v;
  ASSERT_EQ(0, levee_iovec_new(&v, 0));
  levee_iovec_append(v, "abc", 3);
  levee_iovec_append(v, "defg", 4);
  EXPECT_EQ(5u, levee_iovec_consume(v, 5));
  EXPECT_EQ(1u, levee_iovec_count(v));
  EXPECT_EQ(2u, levee_iovec_bytes(v));
  EXPECT_EQ(0, memcmp(levee_iovec_entries(v)[0].base, "fg", 2));
  EXPECT_EQ(2u, levee_iovec_consume(v, 100));
  EXPECT_EQ(0u, levee_iovec_count(v));
  levee_iovec_free(v);
}

TEST(Iovec, BumpCommitsEntriesWrittenInPlace) {
  levee_iovec *v;
  ASSERT_EQ(0, levee_iovec_new(&v, 0));
  ASSERT_EQ(0, levee_iovec_ensure(v, 2));
  levee_iovec_entry *e = levee_iovec_entries(v);
  e[0] = levee_iovec_entry{"ab", 2};
  e[1] = levee_iovec_entry{"cde", 3};
  ASSERT_EQ(0, levee_iovec_bump(v, 2, SIZE_MAX));
  EXPECT_EQ(5u, levee_iovec_bytes(v));
  EXPECT_EQ(LEVEE_EINVAL, levee_iovec_bump(v, levee_iovec_size(v), 0));
  levee_iovec_reset(v);
  EXPECT_EQ(0u, levee_iovec_count(v));
  levee_iovec_free(v);
}

TEST(Iovec, BadInput) {
  levee_iovec *v;
  EXPECT_EQ(LEVEE_EINVAL, levee_iovec_new(nullptr, 0));
  EXPECT_EQ(LEVEE_ENOMEM, levee_iovec_new(&v, SIZE_MAX));
  ASSERT_EQ(0, levee_iovec_new(&v, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_iovec_append(v, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_iovec_append(nullptr, "a", 1));
  EXPECT_EQ(LEVEE_ENOMEM, levee_iovec_ensure(v, SIZE_MAX));
  levee_iovec_free(v);
  levee_iovec_free(nullptr);
}

TEST(Hash, SipHashMatchesTheReferenceVectors) {
  // From the SipHash paper's reference implementation (vectors.h): key
  // 00..0f, message 00..(n-1).
  uint8_t msg[64];
  for (int i = 0; i < 64; i++) msg[i] = uint8_t(i);
  EXPECT_EQ(0x726fdb47dd0e0e31ULL, levee_siphash(msg, 0));
  EXPECT_EQ(0x74f839c593dc67fdULL, levee_siphash(msg, 1));
  EXPECT_EQ(0x93f5f5799a932462ULL, levee_siphash(msg, 8));
  EXPECT_EQ(0xa129ca6149be45e5ULL, levee_siphash(msg, 15));
  uint8_t key[16] = {0};
  EXPECT_NE(levee_siphash(msg, 8), levee_siphash_keyed(msg, 8, key));
}

TEST(Hash, BloomHasNoFalseNegatives) {
  levee_bloom *b;
  ASSERT_EQ(0, levee_bloom_new(&b, 1000, 0.01));
  for (uint64_t i = 0; i < 1000; i++) levee_bloom_put_hash(b, levee_siphash(&i, sizeof i));
  for (uint64_t i = 0; i < 1000; i++) EXPECT_EQ(1, levee_bloom_maybe_hash(b, levee_siphash(&i, sizeof i)));
  int fp = 0;
  for (uint64_t i = 1000; i < 21000; i++) fp += levee_bloom_maybe_hash(b, levee_siphash(&i, sizeof i));
  EXPECT_LT(fp, 600);
  levee_bloom *c;
  ASSERT_EQ(0, levee_bloom_copy(&c, b));
  levee_bloom_clear(b);
  uint64_t zero = 0;
  EXPECT_EQ(0, levee_bloom_maybe_hash(b, levee_siphash(&zero, 8)));
  EXPECT_EQ(1, levee_bloom_maybe_hash(c, levee_siphash(&zero, 8)));
  EXPECT_EQ(1, levee_bloom_is_capable(c, 500, 0.01));
  EXPECT_EQ(0, levee_bloom_is_capable(c, 100000, 0.01));
  levee_bloom_free(b);
  levee_bloom_free(c);
}

TEST(Hash, BloomBadInput) {
  levee_bloom *b;
  EXPECT_EQ(LEVEE_EINVAL, levee_bloom_new(&b, 10, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_bloom_new(&b, 10, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_bloom_new(nullptr, 10, 0.1));
  EXPECT_EQ(LEVEE_ENOMEM, levee_bloom_new(&b, UINT64_MAX, 1e-9));
  EXPECT_EQ(0, levee_bloom_maybe_hash(nullptr, 1));
  levee_bloom_put_hash(nullptr, 1);
  levee_bloom_free(nullptr);
}

}  // namespace
