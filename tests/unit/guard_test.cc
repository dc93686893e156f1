// White-box tests of the exception guard every exported function uses.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "internal.h"

TEST(Guard, MapsLeveeErrorsToTheirCode) {
  EXPECT_EQ(levee::guard([]() -> int { levee::fail(LEVEE_EINVAL); }), LEVEE_EINVAL);
}

TEST(Guard, MapsBadAllocToENOMEM) {
  EXPECT_EQ(levee::guard([]() -> int { throw std::bad_alloc(); }), LEVEE_ENOMEM);
}

TEST(Guard, MapsAnythingElseToEINTERNAL) {
  EXPECT_EQ(levee::guard([]() -> int { throw std::runtime_error("x"); }), LEVEE_EINTERNAL);
  EXPECT_EQ(levee::guard([]() -> int { throw 42; }), LEVEE_EINTERNAL);
}

TEST(Guard, ReturnsZeroValuesForPointersAndSizes) {
  EXPECT_EQ(levee::guard([]() -> const char * { throw std::bad_alloc(); }), nullptr);
  EXPECT_EQ(levee::guard([]() -> size_t { levee::fail(LEVEE_EINVAL); }), 0u);
  EXPECT_EQ(levee::guard([]() -> int { return 7; }), 7);
}

TEST(Message, DescribesWithoutSignalling) {
  levee::set_message("bad byte at %d", 12);
  EXPECT_STREQ(levee_last_message(), "bad byte at 12");
  levee::clear_message();
  EXPECT_STREQ(levee_last_message(), "");
}
