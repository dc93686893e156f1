// Black-box tests of the error space (levee.h only).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "levee.h"

TEST(Errors, SystemCodesAreNegativeLinuxErrno) {
  EXPECT_EQ(LEVEE_ENOENT, -ENOENT);
  EXPECT_EQ(LEVEE_EPIPE, -EPIPE);
  EXPECT_EQ(LEVEE_EAGAIN, -EAGAIN);
  EXPECT_EQ(levee_errno_code(ECONNREFUSED), LEVEE_ECONNREFUSED);
  EXPECT_EQ(levee_errno_code(0), LEVEE_EUNKNOWN);
  EXPECT_EQ(levee_errno_code(100000), LEVEE_EUNKNOWN);
}

TEST(Errors, EveryLinuxErrnoIsRegistered) {
  // Linux errno values run 1..133 with gaps at 41 and 58.
  for (int e = 1; e <= 133; e++) {
    if (e == 41 || e == 58) continue;
    const levee_error *err = levee_error_get(-e);
    ASSERT_NE(err, nullptr) << e;
    EXPECT_STREQ(levee_error_domain(err), "system");
    EXPECT_EQ(levee_error_code(err), -e);
  }
}

TEST(Errors, LookupIsSignInsensitiveAndStable) {
  EXPECT_EQ(levee_error_get(2), levee_error_get(-2));
  EXPECT_EQ(levee_error_get(0), nullptr);
  EXPECT_EQ(levee_error_get(-99999), nullptr);
  EXPECT_STREQ(levee_error_name(levee_error_get(1)), "EPERM");
}

TEST(Errors, TextOfKnownAndUnknownCodes) {
  EXPECT_STREQ(levee_strerror(LEVEE_ENOENT), "no such file or directory");
  EXPECT_STREQ(levee_strerror(LEVEE_TIMEOUT), "operation timed out");
  EXPECT_STREQ(levee_strerror(LEVEE_CLOSED), "channel is closed");
  EXPECT_STREQ(levee_errname(LEVEE_TIMEOUT), "levee.TIMEOUT");
  EXPECT_STREQ(levee_errname(LEVEE_JSON_ESYNTAX), "json.ESYNTAX");
  EXPECT_STREQ(levee_errname(LEVEE_EAI_NONAME), "addr.ENONAME");
  EXPECT_STREQ(levee_errname(-77777), "levee.EUNKNOWN");
  EXPECT_STREQ(levee_strerror(-77777), "unknown error");
}

TEST(Errors, DomainsAndCountsOfTheOriginalRegistry) {
  int addr = 0, utf8 = 0, http = 0, json = 0, msgpack = 0, path = 0, uri = 0, levee = 0, dns = 0;
  for (size_t i = 0; i < levee_error_count(); i++) {
    std::string d = levee_error_domain(levee_error_at(i));
    addr += d == "addr";
    utf8 += d == "utf8";
    http += d == "http";
    json += d == "json";
    msgpack += d == "msgpack";
    path += d == "path";
    uri += d == "uri";
    levee += d == "levee";
    dns += d == "dns";
  }
  EXPECT_EQ(addr, 14);
  EXPECT_EQ(utf8, 7);
  EXPECT_EQ(http, 4);
  EXPECT_EQ(json, 6);
  EXPECT_EQ(msgpack, 2);
  EXPECT_EQ(path, 3);
  EXPECT_EQ(uri, 4);
  EXPECT_EQ(levee, 5);  // the original two, EINTERNAL, EUNKNOWN, EFORKED
  EXPECT_EQ(dns, 30);
  EXPECT_EQ(levee_error_at(levee_error_count()), nullptr);
}

TEST(Errors, AddRegistersUserCodesOnce) {
  const levee_error *e = nullptr;
  ASSERT_EQ(levee_error_add(4242, "app", "EFOO", "foo failed", &e), 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(levee_error_code(e), -4242);
  EXPECT_EQ(levee_error_get(4242), e);
  EXPECT_STREQ(levee_errname(-4242), "app.EFOO");

  const levee_error *again = nullptr;
  EXPECT_EQ(levee_error_add(-4242, "app", "EBAR", "bar", &again), LEVEE_EEXIST);
  EXPECT_EQ(again, e);
}

TEST(Errors, AddRefusesReservedCodesAndBadArguments) {
  const levee_error *e = reinterpret_cast<const levee_error *>(1);
  EXPECT_EQ(levee_error_add(100, "app", "X", "x", &e), LEVEE_EINVAL);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(levee_error_add(1999, "app", "X", "x", &e), LEVEE_EINVAL);
  EXPECT_EQ(levee_error_add(5000, nullptr, "X", "x", &e), LEVEE_EINVAL);
  EXPECT_EQ(levee_error_add(5000, "app", nullptr, "x", &e), LEVEE_EINVAL);
  EXPECT_EQ(levee_error_add(5000, "app", "X", "x", nullptr), LEVEE_EINVAL);
  EXPECT_EQ(levee_error_add(5000, "a-domain-name-that-is-far-too-long", "X", "x", &e),
            LEVEE_EINVAL);
  EXPECT_EQ(levee_error_get(5000), nullptr);
}

TEST(Errors, NullEntriesAreSafe) {
  EXPECT_EQ(levee_error_code(nullptr), LEVEE_EINVAL);
  EXPECT_STREQ(levee_error_name(nullptr), "");
  EXPECT_STREQ(levee_error_domain(nullptr), "");
  EXPECT_STREQ(levee_error_msg(nullptr), "");
}

TEST(Version, MatchesTheHeader) {
  EXPECT_EQ(levee_version(),
            LEVEE_VERSION_MAJOR * 10000 + LEVEE_VERSION_MINOR * 100 + LEVEE_VERSION_PATCH);
  EXPECT_STREQ(levee_version_string(), "0.1.0");
}
