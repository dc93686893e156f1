// Black-box tests of the uri section of levee.h: segments and offsets,
// sub() ranges, RFC 3986 section 5.4's reference resolution examples, query
// parameters, and malformed URIs (each rejected with uri.ESYNTAX, at every
// truncation and with every byte value in every position).
#include <gtest/gtest.h>
#include <levee.h>
#include <stdint.h>
#include <string.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Parsed {
  int rc;
  levee_uri u;
  std::string text;
  bool has(int seg) const { return u.present & (1u << seg); }
  std::string seg(int seg) const {
    if (!has(seg)) return "<absent>";
    return text.substr(u.off[seg], u.len[seg]);
  }
  std::string sub(int first, int last, int valid, int *rc_out = nullptr) const {
    uint32_t range[2];
    int rc = levee_uri_sub(&u, first, last, valid, range);
    if (rc_out) *rc_out = rc;
    if (rc < 0) return "<error>";
    return text.substr(range[0], range[1]);
  }
};

Parsed parse(const std::string &s) {
  Parsed p;
  p.text = s;
  p.rc = levee_uri_parse(&p.u, s.data(), s.size());
  return p;
}

std::string join(const std::string &base, const std::string &ref) {
  std::vector<char> out(base.size() + ref.size() + 4);
  int64_t n = levee_uri_join(out.data(), out.size(), base.data(), base.size(), ref.data(),
                             ref.size());
  if (n < 0) return "<" + std::string(levee_errname(int(n))) + ">";
  return std::string(out.data(), size_t(n));
}

TEST(Uri, EverySegmentOfAFullUri) {
  Parsed p = parse("https://user:pa:ss@example.com:8443/a/b.html?x=1&y=2#frag");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("https", p.seg(LEVEE_URI_SCHEME));
  EXPECT_EQ("user", p.seg(LEVEE_URI_USER));
  EXPECT_EQ("pa:ss", p.seg(LEVEE_URI_PASSWORD));
  EXPECT_EQ("example.com", p.seg(LEVEE_URI_HOST));
  EXPECT_EQ("8443", p.seg(LEVEE_URI_PORT));
  EXPECT_EQ("/a/b.html", p.seg(LEVEE_URI_PATH));
  EXPECT_EQ("x=1&y=2", p.seg(LEVEE_URI_QUERY));
  EXPECT_EQ("frag", p.seg(LEVEE_URI_FRAGMENT));
  EXPECT_EQ(p.text.size(), p.u.length);
}

TEST(Uri, AbsentSegmentsAreNotPresent) {
  Parsed p = parse("http://example.com");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("example.com", p.seg(LEVEE_URI_HOST));
  for (int s : {LEVEE_URI_USER, LEVEE_URI_PASSWORD, LEVEE_URI_PORT, LEVEE_URI_PATH, LEVEE_URI_QUERY,
                LEVEE_URI_FRAGMENT})
    EXPECT_FALSE(p.has(s)) << s;
}

TEST(Uri, EmptyQueryFragmentPortAndHostArePresent) {
  Parsed p = parse("file://:/x?#");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("", p.seg(LEVEE_URI_HOST));
  EXPECT_EQ("", p.seg(LEVEE_URI_PORT));
  EXPECT_EQ("/x", p.seg(LEVEE_URI_PATH));
  EXPECT_EQ("", p.seg(LEVEE_URI_QUERY));
  EXPECT_EQ("", p.seg(LEVEE_URI_FRAGMENT));
}

TEST(Uri, RelativeReferencesAndRequestTargets) {
  Parsed p = parse("/search?q=a|b&list[]=1");
  ASSERT_EQ(0, p.rc);
  EXPECT_FALSE(p.has(LEVEE_URI_SCHEME));
  EXPECT_FALSE(p.has(LEVEE_URI_HOST));
  EXPECT_EQ("/search", p.seg(LEVEE_URI_PATH));
  EXPECT_EQ("q=a|b&list[]=1", p.seg(LEVEE_URI_QUERY));
  p = parse("//cdn.example.com/lib.js");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("cdn.example.com", p.seg(LEVEE_URI_HOST));
  p = parse("mailto:joe@example.com");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("mailto", p.seg(LEVEE_URI_SCHEME));
  EXPECT_EQ("joe@example.com", p.seg(LEVEE_URI_PATH));
  p = parse("");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ(0u, p.u.present);
  p = parse("*");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("*", p.seg(LEVEE_URI_PATH));
}

TEST(Uri, IpLiteralsKeepTheirBrackets) {
  Parsed p = parse("http://[::1]:8080/");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("[::1]", p.seg(LEVEE_URI_HOST));
  EXPECT_EQ("8080", p.seg(LEVEE_URI_PORT));
  p = parse("http://[fe80::1%25eth0]/");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("[fe80::1%25eth0]", p.seg(LEVEE_URI_HOST));
  p = parse("http://192.168.0.1:80");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("192.168.0.1", p.seg(LEVEE_URI_HOST));
}

TEST(Uri, MalformedUrisAreSyntaxErrors) {
  const char *bad[] = {
      "http://exa mple.com/",    // space in host
      "http://host:80a/",        // port not digits
      "http://host:8:0/",        // two colons
      "http://a@b@c/",           // two '@'
      "http://[::1/",            // unclosed literal
      "http://[]/",              // empty literal
      "http://[::1]x/",          // junk after the literal
      "http://ho<st/",           // '<' in host
      "http://us er@host/",      // space in user
      "/path with space",        // space in path
      "/p?q=\x01",               // control character
      "/p#\x7f",                 // DEL
      "/caf\xc3\xa9",            // raw non-ASCII
      "/%zz",                    // bad escape
      "/%4",                     // truncated escape
      "/a%",                     // '%' at the end
      "http://h%4/",             // truncated escape in host
      "http://h%/",              // '%' in host
      "/p?x=%g0",
  };
  for (const char *s : bad) {
    Parsed p = parse(s);
    EXPECT_EQ(LEVEE_URI_ESYNTAX, p.rc) << s;
    EXPECT_NE(std::string(""), levee_last_message()) << s;
  }
}

TEST(Uri, EveryByteInEveryPositionParsesOrIsASyntaxError) {
  std::string base = "http://u:p@h:1/p?q#f";
  for (size_t pos = 0; pos <= base.size(); pos++) {
    for (int c = 0; c < 256; c++) {
      std::string s = base;
      s.insert(pos, 1, char(c));
      Parsed p = parse(s);
      ASSERT_TRUE(p.rc == 0 || p.rc == LEVEE_URI_ESYNTAX) << pos << " " << c;
      if (p.rc == 0) {
        for (int seg = 0; seg < 8; seg++) {
          if (!p.has(seg)) continue;
          ASSERT_LE(size_t(p.u.off[seg]) + p.u.len[seg], s.size());
        }
      }
    }
  }
}

TEST(Uri, EveryTruncationParsesOrIsASyntaxError) {
  std::string s = "https://user:pw@[2001:db8::7]:8443/a/b;c?x=%41&y#frag";
  for (size_t n = 0; n <= s.size(); n++) {
    Parsed p = parse(s.substr(0, n));
    EXPECT_TRUE(p.rc == 0 || p.rc == LEVEE_URI_ESYNTAX) << n;
  }
  EXPECT_EQ(LEVEE_EINVAL, levee_uri_parse(nullptr, "x", 1));
  levee_uri u;
  EXPECT_EQ(LEVEE_EINVAL, levee_uri_parse(&u, nullptr, 1));
  EXPECT_EQ(0, levee_uri_parse(&u, nullptr, 0));
}

TEST(Uri, SubRangesAndTheirValidForms) {
  Parsed p = parse("http://user:pw@host:80/p/q?a=b#f");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("user:pw", p.sub(LEVEE_URI_USER, LEVEE_URI_PASSWORD, 0));
  EXPECT_EQ("user:pw@host:80", p.sub(LEVEE_URI_USER, LEVEE_URI_PORT, 0));
  EXPECT_EQ("//user:pw@host:80", p.sub(LEVEE_URI_USER, LEVEE_URI_PORT, 1));
  EXPECT_EQ("/p/q?a=b", p.sub(LEVEE_URI_PATH, LEVEE_URI_QUERY, 0));
  EXPECT_EQ("?a=b", p.sub(LEVEE_URI_QUERY, LEVEE_URI_QUERY, 1));
  EXPECT_EQ("a=b", p.sub(LEVEE_URI_QUERY, LEVEE_URI_QUERY, 0));
  EXPECT_EQ("#f", p.sub(LEVEE_URI_FRAGMENT, LEVEE_URI_FRAGMENT, 1));
  EXPECT_EQ(":80", p.sub(LEVEE_URI_PORT, LEVEE_URI_PORT, 1));
  EXPECT_EQ("http:", p.sub(LEVEE_URI_SCHEME, LEVEE_URI_SCHEME, 1));
  EXPECT_EQ("//user:pw@", p.sub(LEVEE_URI_USER, LEVEE_URI_PASSWORD, 1));
  EXPECT_EQ(p.text, p.sub(LEVEE_URI_SCHEME, LEVEE_URI_FRAGMENT, 1));
}

TEST(Uri, SubSkipsAbsentSegmentsAndReportsBadOnes) {
  Parsed p = parse("http://host/p");
  ASSERT_EQ(0, p.rc);
  EXPECT_EQ("//host", p.sub(LEVEE_URI_USER, LEVEE_URI_PORT, 1));
  EXPECT_EQ("host/p", p.sub(LEVEE_URI_USER, LEVEE_URI_FRAGMENT, 0));
  int rc;
  p.sub(LEVEE_URI_QUERY, LEVEE_URI_FRAGMENT, 0, &rc);
  EXPECT_EQ(LEVEE_URI_ESEGMENT, rc);
  p.sub(LEVEE_URI_PATH, LEVEE_URI_HOST, 0, &rc);
  EXPECT_EQ(LEVEE_URI_ERANGE, rc);
  p.sub(-1, 3, 0, &rc);
  EXPECT_EQ(LEVEE_URI_ESEGMENT, rc);
  p.sub(0, 8, 0, &rc);
  EXPECT_EQ(LEVEE_URI_ESEGMENT, rc);
}

// RFC 3986 section 5.4: every normal and abnormal example.
TEST(Uri, JoinResolvesTheRfcExamples) {
  const std::string base = "http://a/b/c/d;p?q";
  std::pair<const char *, const char *> cases[] = {
      {"g:h", "g:h"}, {"g", "http://a/b/c/g"}, {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"}, {"/g", "http://a/g"}, {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"}, {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"}, {"g?y#s", "http://a/b/c/g?y#s"}, {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"}, {"g;x?y#s", "http://a/b/c/g;x?y#s"}, {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"}, {"./", "http://a/b/c/"}, {"..", "http://a/b/"},
      {"../", "http://a/b/"}, {"../g", "http://a/b/g"}, {"../..", "http://a/"},
      {"../../", "http://a/"}, {"../../g", "http://a/g"},
      // abnormal
      {"../../../g", "http://a/g"}, {"../../../../g", "http://a/g"}, {"/./g", "http://a/g"},
      {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."}, {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."}, {"..g", "http://a/b/c/..g"}, {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"}, {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"}, {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"}, {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g#s/./x"}, {"g#s/../x", "http://a/b/c/g#s/../x"},
      {"http:g", "http:g"},
  };
  for (auto &c : cases) EXPECT_EQ(c.second, join(base, c.first)) << c.first;
}

TEST(Uri, JoinEdgeCases) {
  EXPECT_EQ("http://h/x", join("http://h", "x"));  // base with authority and no path
  // A relative target whose first segment holds ':' keeps a "./" so it does
  // not read as a scheme (found by the fuzzer).
  EXPECT_EQ("./c:d", join("b", "./c:d"));
  EXPECT_EQ("./p.htp://[/p.htp://[/UaU", join("./p.htp://[/UaU", "./p.htp://[/UaU"));
  EXPECT_EQ("<uri.ESYNTAX>", join("http://h", "a b"));
  EXPECT_EQ("<uri.ESYNTAX>", join("http://h h", "x"));
  char small[4];
  EXPECT_EQ(LEVEE_URI_EBUFS, levee_uri_join(small, sizeof small, "http://h/", 9, "abc", 3));
}

std::vector<std::pair<std::string, std::string>> params(const std::string &q, int *rc = nullptr) {
  std::vector<levee_uri_param> out(2);
  std::vector<uint8_t> dst(q.size() + 1);
  int n = levee_uri_params(q.data(), q.size(), out.data(), out.size(), dst.data());
  if (n > int(out.size())) {
    out.resize(n);
    n = levee_uri_params(q.data(), q.size(), out.data(), out.size(), dst.data());
  }
  if (rc) *rc = n;
  std::vector<std::pair<std::string, std::string>> r;
  for (int i = 0; i < n; i++) {
    const char *d = reinterpret_cast<const char *>(dst.data());
    r.emplace_back(std::string(d + out[i].key_off, out[i].key_len),
                   std::string(d + out[i].value_off, out[i].value_len));
  }
  return r;
}

TEST(Uri, ParamsDecodePlusAndPercent) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ((P{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"a", "caf\xc3\xa9"}, {"k=", "=v"}}),
            params("a=1&b=x+y&&c&a=caf%C3%A9&k%3D==v"));
  EXPECT_EQ(P{}, params(""));
  EXPECT_EQ((P{{"", "v"}}), params("=v&"));
}

TEST(Uri, ParamsWithBadEscapesOrInvalidUtf8AreErrors) {
  int rc;
  params("a=%zz", &rc);
  EXPECT_EQ(LEVEE_UTF8_EESCAPE, rc);
  params("a=%f", &rc);
  EXPECT_EQ(LEVEE_UTF8_ETOOSHORT, rc);
  params("a=%ff", &rc);
  EXPECT_EQ(LEVEE_UTF8_EENCODING, rc);
  params("%ed%a0%80=1", &rc);
  EXPECT_EQ(LEVEE_UTF8_ESURROGATE, rc);
}

}  // namespace
