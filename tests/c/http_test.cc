// Black-box tests of the HTTP/1.1 tokenizer (levee.h only).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "guard_page.h"
#include "levee.h"

namespace {

const uint8_t *u8(const std::string &s) { return reinterpret_cast<const uint8_t *>(s.data()); }

std::string slice(const uint8_t *b, uint32_t off, uint32_t len) {
  return std::string(reinterpret_cast<const char *>(b) + off, len);
}

// Describes one token read from b.
std::string describe(const uint8_t *b, const levee_http_token &t) {
  switch (t.type) {
    case LEVEE_HTTP_T_REQUEST:
      return "REQ " + slice(b, t.a_off, t.a_len) + " " + slice(b, t.b_off, t.b_len) + " " +
             std::to_string(t.version);
    case LEVEE_HTTP_T_RESPONSE:
      return "RES " + std::to_string(t.status) + " " + slice(b, t.a_off, t.a_len) + " " +
             std::to_string(t.version);
    case LEVEE_HTTP_T_FIELD:
      return "F " + slice(b, t.a_off, t.a_len) + "=" + slice(b, t.b_off, t.b_len);
    case LEVEE_HTTP_T_BODY_START:
      return "BS " + std::to_string(t.chunked) + " " +
             (t.length == UINT64_MAX ? std::string("close") : std::to_string(t.length));
    case LEVEE_HTTP_T_BODY_CHUNK:
      return "CH " + std::to_string(t.length);
    case LEVEE_HTTP_T_BODY_END:
      return "END";
  }
  return "?";
}

// Reads a whole message from s, making `step` more bytes visible each time
// the parser asks for more, and consuming body bytes itself. Returns the
// tokens and body pieces, "|MORE" when the input ran out, or "|E<code>".
std::string drive(int32_t mode, const std::string &s, size_t step, size_t *rest = nullptr) {
  levee_http *p = nullptr;
  EXPECT_EQ(0, levee_http_new(&p, mode));
  std::string out;
  size_t avail = std::min(step, s.size()), pos = 0;
  uint64_t body = 0;
  bool until_close = false, last_body = false;
  for (;;) {
    if (body || until_close) {
      if (pos == avail) {
        if (avail == s.size()) break;
        avail = std::min(avail + step, s.size());
        continue;
      }
      size_t n = until_close ? avail - pos : std::min<uint64_t>(body, avail - pos);
      if (last_body) out.pop_back();  // one piece per body, however it arrives
      else out += "|<";
      out += s.substr(pos, n) + ">";
      last_body = true;
      pos += n;
      if (!until_close) body -= n;
      continue;
    }
    if (levee_http_is_done(p)) break;
    levee_http_token t;
    int rc = levee_http_next(p, u8(s) + pos, avail - pos, &t);
    if (rc < 0) {
      out += "|E" + std::to_string(rc);
      break;
    }
    if (rc == 0) {
      if (avail == s.size()) {
        out += "|MORE";
        break;
      }
      avail = std::min(avail + step, s.size());
      continue;
    }
    EXPECT_EQ(uint32_t(rc), t.end);
    last_body = false;
    out += (out.empty() ? "" : "|") + describe(u8(s) + pos, t);
    pos += size_t(rc);
    if (t.type == LEVEE_HTTP_T_BODY_START && !t.chunked) {
      if (t.length == UINT64_MAX) until_close = true;
      else body = t.length;
    }
    if (t.type == LEVEE_HTTP_T_BODY_CHUNK) body = t.length;
  }
  if (rest) *rest = s.size() - pos;
  levee_http_free(p);
  return out;
}

struct Case {
  const char *name;
  int32_t mode;
  std::string input;
  std::string expect;
};

const int32_t RQ = LEVEE_HTTP_MODE_REQUEST, RS = LEVEE_HTTP_MODE_RESPONSE;
#define E(code) "|E" + std::to_string(code)

std::vector<Case> cases() {
  return {
      {"minimal get", RQ, "GET / HTTP/1.1\r\n\r\n", "REQ GET / 1|BS 0 0"},
      {"http 1.0", RQ, "GET /x HTTP/1.0\r\nHost: a\r\n\r\n", "REQ GET /x 0|F Host=a|BS 0 0"},
      {"headers trimmed", RQ, "GET / HTTP/1.1\r\nA:  b c \t\r\nEmpty:\r\n\r\n", "REQ GET / 1|F A=b c|F Empty=|BS 0 0"},
      {"leading empty lines skipped", RQ, "\r\n\r\nGET / HTTP/1.1\r\n\r\n", "REQ GET / 1|BS 0 0"},
      {"content length", RQ, "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "REQ POST /p 1|F Content-Length=5|BS 0 5|<hello>"},
      {"content length 0", RQ, "POST /p HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "REQ POST /p 1|F Content-Length=0|BS 0 0"},
      {"repeated equal content length", RQ, "POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok", "REQ POST / 1|F Content-Length=2|F content-length=2|BS 0 2|<ok>"},
      {"chunked with ext and trailers", RQ,
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n",
       "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0|CH 5|<hello>|CH 16|<0123456789abcdef>|END"},
      {"gzip, chunked", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n0\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=gzip, Chunked|BS 1 0|END"},
      {"response", RS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "RES 200 OK 1|F Content-Length=2|BS 0 2|<hi>"},
      {"response no reason", RS, "HTTP/1.1 204\r\n\r\n", "RES 204  1|BS 0 0"},
      {"response until close", RS, "HTTP/1.0 200 Fine day\r\n\r\nall of it", "RES 200 Fine day 0|BS 0 close|<all of it>"},
      {"response 304 has no body", RS, "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", "RES 304 Not Modified 1|F Content-Length=9|BS 0 0"},
      {"response chunked", RS, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", "RES 200 OK 1|F Transfer-Encoding=chunked|BS 1 0|CH 1|<x>|END"},
      {"response TE not chunked reads until close", RS, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", "RES 200 OK 1|F Transfer-Encoding=gzip|BS 0 close|<zz>"},
      // syntax
      {"bare LF in request line", RQ, "GET / HTTP/1.1\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"bare LF in header", RQ, "GET / HTTP/1.1\r\nA: b\n\r\n", "REQ GET / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"bare CR in header value", RQ, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "REQ GET / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"NUL in header value", RQ, std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 27), "REQ GET / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"obs-fold", RQ, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "REQ GET / 1|F A=b" E(LEVEE_HTTP_ESYNTAX)},
      {"space before colon", RQ, "GET / HTTP/1.1\r\nA : b\r\n\r\n", "REQ GET / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"bad method char", RQ, "G(T / HTTP/1.1\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"double space", RQ, "GET  / HTTP/1.1\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"bad version", RQ, "GET / HTTP/2.0\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"lowercase version", RQ, "GET / http/1.1\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"bad status", RS, "HTTP/1.1 20x OK\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      {"status 099", RS, "HTTP/1.1 099 OK\r\n\r\n", E(LEVEE_HTTP_ESYNTAX)},
      // smuggling
      {"CL and TE", RQ, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "REQ POST / 1|F Content-Length=3|F Transfer-Encoding=chunked" E(LEVEE_HTTP_ESYNTAX)},
      {"differing CL", RQ, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "REQ POST / 1|F Content-Length=3" E(LEVEE_HTTP_ESYNTAX)},
      {"CL list", RQ, "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", "REQ POST / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"CL sign", RQ, "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", "REQ POST / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"CL empty", RQ, "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", "REQ POST / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"CL overflow", RQ, "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "REQ POST / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"request TE not chunked", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=gzip" E(LEVEE_HTTP_ESYNTAX)},
      {"chunked twice", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "REQ POST / 1" E(LEVEE_HTTP_ESYNTAX)},
      {"coding after chunked header", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=chunked" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk size not hex", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk size negative", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk size overflow", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk size trailing space", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk size bare LF", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      {"chunk data not followed by CRLF", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0|CH 1|<x>" E(LEVEE_HTTP_ESYNTAX)},
      {"bad trailer", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0" E(LEVEE_HTTP_ESYNTAX)},
      // incomplete
      {"truncated head", RQ, "GET / HTTP/1.1\r\nHost: a\r\n", "REQ GET / 1|F Host=a|MORE"},
      {"truncated chunked", RQ, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", "REQ POST / 1|F Transfer-Encoding=chunked|BS 1 0|CH 3|<ab>"},
  };
}

TEST(HttpTokenizer, TableOfMessagesAtEveryFeedSize) {
  for (const Case &c : cases()) {
    for (size_t step : {size_t(1), size_t(2), size_t(3), size_t(7), size_t(64), c.input.size()}) {
      EXPECT_EQ(c.expect, drive(c.mode, c.input, step)) << c.name << " step " << step;
    }
  }
}

TEST(HttpTokenizer, EveryPrefixOfAFirstTokenNeedsMoreOnAFreshParser) {
  for (const Case &c : cases()) {
    levee_http *p = nullptr;
    ASSERT_EQ(0, levee_http_new(&p, c.mode));
    levee_http_token t;
    int full = levee_http_next(p, u8(c.input), c.input.size(), &t);
    if (full <= 0) {
      levee_http_free(p);
      continue;
    }
    for (int k = 0; k < full; k++) {
      levee_http_init(p, c.mode);
      EXPECT_EQ(0, levee_http_next(p, u8(c.input), size_t(k), &t)) << c.name << " prefix " << k;
    }
    levee_http_free(p);
  }
}


TEST(HttpTokenizer, NeverReadsPastTheInputAtAGuardPage) {
  for (const Case &c : cases()) {
    for (size_t k = 0; k <= c.input.size(); k++) {
      std::string prefix = c.input.substr(0, k);
      Guarded g(prefix);
      levee_http *p = nullptr;
      ASSERT_EQ(0, levee_http_new(&p, c.mode));
      levee_http_token toks[8];
      size_t pos = 0;
      for (int guard = 0; guard < 64; guard++) {
        int n = levee_http_parse(p, g.data + pos, k - pos, toks, 8);
        if (n <= 0) break;
        pos += toks[n - 1].end;
        if (toks[n - 1].type != LEVEE_HTTP_T_FIELD && toks[n - 1].type != LEVEE_HTTP_T_REQUEST &&
            toks[n - 1].type != LEVEE_HTTP_T_RESPONSE)
          break;
      }
      levee_http_free(p);
    }
  }
}

TEST(HttpTokenizer, BulkParseReturnsTheWholeHeadInOneCall) {
  std::string s = "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX: y\r\n\r\nNEXT";
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  levee_http_token toks[16];
  int n = levee_http_parse(p, u8(s), s.size(), toks, 16);
  ASSERT_EQ(5, n);
  std::vector<std::string> got;
  for (int i = 0; i < n; i++) got.push_back(describe(u8(s), toks[i]));
  EXPECT_EQ((std::vector<std::string>{"REQ GET /a?b=c 1", "F Host=example.com", "F Accept=*/*", "F X=y", "BS 0 0"}), got);
  EXPECT_EQ(s.size() - 4, toks[4].end);
  EXPECT_EQ(1, levee_http_is_done(p));
  EXPECT_EQ(LEVEE_HTTP_ESTATE, levee_http_parse(p, u8(s) + toks[4].end, 4, toks, 16));
  ASSERT_EQ(0, levee_http_reset(p));
  EXPECT_EQ(0, levee_http_is_done(p));
  levee_http_free(p);
}

TEST(HttpTokenizer, BulkParseStopsAtCapAndResumes) {
  std::string s = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  levee_http_token toks[2];
  ASSERT_EQ(2, levee_http_parse(p, u8(s), s.size(), toks, 2));
  size_t pos = toks[1].end;
  EXPECT_EQ("F A=1", describe(u8(s), toks[1]));
  ASSERT_EQ(2, levee_http_parse(p, u8(s) + pos, s.size() - pos, toks, 2));
  EXPECT_EQ("F B=2", describe(u8(s) + pos, toks[0]));
  EXPECT_EQ("BS 0 0", describe(u8(s) + pos, toks[1]));
  levee_http_free(p);
}

TEST(HttpTokenizer, BulkParseReportsTokensBeforeAnErrorThenTheError) {
  std::string s = "GET / HTTP/1.1\r\nA: 1\r\nB : 2\r\n\r\n";
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  levee_http_token toks[8];
  ASSERT_EQ(2, levee_http_parse(p, u8(s), s.size(), toks, 8));
  EXPECT_EQ(LEVEE_HTTP_ESYNTAX, levee_http_parse(p, u8(s) + toks[1].end, s.size() - toks[1].end, toks, 8));
  EXPECT_EQ(LEVEE_HTTP_ESYNTAX, levee_http_next(p, u8(s), s.size(), toks));  // sticky
  levee_http_free(p);
}

int first_error(int32_t mode, const std::string &s, const levee_http_limits &lim) {
  levee_http *p = nullptr;
  EXPECT_EQ(0, levee_http_new(&p, mode));
  EXPECT_EQ(0, levee_http_limits_set(p, &lim));
  levee_http_token toks[256];
  size_t pos = 0;
  int rc = 0;
  for (int i = 0; i < 100; i++) {
    rc = levee_http_parse(p, u8(s) + pos, s.size() - pos, toks, 256);
    if (rc <= 0) break;
    pos += toks[rc - 1].end;
    if (levee_http_is_done(p)) {
      rc = 1;
      break;
    }
  }
  levee_http_free(p);
  return rc;
}

TEST(HttpTokenizer, LimitsGiveESizeAtTheBoundary) {
  levee_http_limits lim{};
  lim.max_method = 3;
  EXPECT_EQ(1, first_error(RQ, "GET / HTTP/1.1\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "POST / HTTP/1.1\r\n\r\n", lim));
  lim = {};
  lim.max_uri = 4;
  EXPECT_EQ(1, first_error(RQ, "GET /abc HTTP/1.1\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "GET /abcd HTTP/1.1\r\n\r\n", lim));
  lim = {};
  lim.max_field = 2;
  EXPECT_EQ(1, first_error(RQ, "GET / HTTP/1.1\r\nAb: c\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "GET / HTTP/1.1\r\nAbc: c\r\n\r\n", lim));
  lim = {};
  lim.max_value = 3;
  EXPECT_EQ(1, first_error(RQ, "GET / HTTP/1.1\r\nA: abc  \r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "GET / HTTP/1.1\r\nA: abcd\r\n\r\n", lim));
  lim = {};
  lim.max_reason = 2;
  EXPECT_EQ(1, first_error(RS, "HTTP/1.1 200 OK\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RS, "HTTP/1.1 200 OKK\r\n\r\n", lim));
  lim = {};
  lim.max_headers = 2;
  EXPECT_EQ(1, first_error(RQ, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim));
  lim = {};
  lim.max_head = 24;
  EXPECT_EQ(1, first_error(RQ, "GET / HTTP/1.1\r\nA: 1\r\n\r\n", lim));
  EXPECT_EQ(LEVEE_HTTP_ESIZE, first_error(RQ, "GET / HTTP/1.1\r\nA: 12\r\n\r\n", lim));
}

TEST(HttpTokenizer, AnEndlessLineFailsWithoutItsEnd) {
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  std::string s = "GET /" + std::string(20000, 'a');  // no LF ever
  levee_http_token t;
  EXPECT_EQ(LEVEE_HTTP_ESIZE, levee_http_next(p, u8(s), s.size(), &t));
  levee_http_init(p, RQ);
  std::string h = "GET / HTTP/1.1\r\nX: " + std::string(5000, 'v');
  EXPECT_GT(levee_http_next(p, u8(h), h.size(), &t), 0);
  EXPECT_EQ(LEVEE_HTTP_ESIZE, levee_http_next(p, u8(h) + t.end, h.size() - t.end, &t));
  levee_http_free(p);
}

TEST(HttpTokenizer, LimitsRoundTripAndZeroKeeps) {
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  levee_http_limits l;
  ASSERT_EQ(0, levee_http_limits_get(p, &l));
  EXPECT_EQ(32u, l.max_method);
  EXPECT_EQ(8192u, l.max_uri);
  EXPECT_EQ(256u, l.max_reason);
  EXPECT_EQ(256u, l.max_field);
  EXPECT_EQ(1024u, l.max_value);
  levee_http_limits n{};
  n.max_uri = 10;
  ASSERT_EQ(0, levee_http_limits_set(p, &n));
  ASSERT_EQ(0, levee_http_reset(p));  // keeps limits
  ASSERT_EQ(0, levee_http_limits_get(p, &l));
  EXPECT_EQ(10u, l.max_uri);
  EXPECT_EQ(32u, l.max_method);
  levee_http_free(p);
}

TEST(HttpTokenizer, InitSwitchesBetweenRequestAndResponse) {
  levee_http *p = nullptr;
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  levee_http_token t;
  std::string r = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(LEVEE_HTTP_ESYNTAX, levee_http_next(p, u8(r), r.size(), &t));
  ASSERT_EQ(0, levee_http_init(p, RS));
  EXPECT_EQ(int(r.size()), levee_http_next(p, u8(r), r.size(), &t));
  EXPECT_EQ(200u, t.status);
  levee_http_free(p);
}

TEST(HttpTokenizer, BadArgumentsAreEinval) {
  levee_http *p = nullptr;
  EXPECT_EQ(LEVEE_EINVAL, levee_http_new(nullptr, RQ));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_new(&p, 7));
  levee_http_free(nullptr);
  levee_http_token t;
  levee_http_limits l{};
  EXPECT_EQ(LEVEE_EINVAL, levee_http_next(nullptr, u8("x"), 1, &t));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_parse(nullptr, u8("x"), 1, &t, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_init(nullptr, RQ));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_reset(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_limits_set(nullptr, &l));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_limits_get(nullptr, &l));
  EXPECT_EQ(0, levee_http_is_done(nullptr));
  ASSERT_EQ(0, levee_http_new(&p, RQ));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_init(p, -1));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_parse(p, u8("x"), 1, &t, 0));
  std::string s = "GET / HT";
  EXPECT_EQ(0, levee_http_next(p, u8(s), s.size(), &t));
  EXPECT_EQ(LEVEE_EINVAL, levee_http_next(p, u8(s), 3, &t));  // fewer bytes than scanned
  levee_http_free(p);
}

}  // namespace

TEST(HttpReason, StandardAndUnofficialCodesHaveTheirPhraseOthersNone) {
  EXPECT_STREQ("OK", levee_http_reason(200));
  EXPECT_STREQ("Not Found", levee_http_reason(404));
  EXPECT_STREQ("Request Header Fields Too Large", levee_http_reason(431));
  EXPECT_STREQ("Enhance Your Calm", levee_http_reason(420));
  EXPECT_STREQ("Network Connect Timeout Error", levee_http_reason(599));
  for (int32_t code : {-1, 0, 99, 299, 600, 999, 1000}) EXPECT_EQ(nullptr, levee_http_reason(code)) << code;
}
