// Black-box tests of the HTTP/1.1 connection engine (levee_h1_*, levee.h
// only): every prefix of every message, the smuggling vectors, refusals,
// keep-alive and close rules, 100-continue, head encoding and validation,
// pipelined response order, and the client side.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

std::string str(const uint8_t *p, size_t n) { return std::string(reinterpret_cast<const char *>(p), n); }

std::string buffered(levee_buffer *b) { return str(levee_buffer_value(b), levee_buffer_len(b)); }

std::string take(levee_buffer *b) {
  std::string s = buffered(b);
  levee_buffer_trim(b, SIZE_MAX);
  return s;
}

// The head without its Date line (its value changes every second).
std::string nodate(std::string s) {
  size_t at = s.find("Date: ");
  if (at == std::string::npos) return s;
  size_t end = s.find("\r\n", at);
  return s.substr(0, at) + "Date: *" + s.substr(end);
}

levee_h1_field F(const char *name, const char *value) {
  return levee_h1_field{name, value, uint32_t(strlen(name)), uint32_t(strlen(value))};
}

// A response description for levee_h1_respond.
struct Resp {
  levee_h1_out o{};
  std::vector<levee_h1_field> fields;
  std::string body;
  Resp(uint32_t status, std::vector<levee_h1_field> f = {}) : fields(std::move(f)) {
    o.status = status;
    sync();
  }
  Resp &with_body(const std::string &b) {
    body = b;
    o.body = LEVEE_H1_BODY_LENGTH;
    o.length = b.size();
    sync();
    return *this;
  }
  Resp &stream() {
    o.body = LEVEE_H1_BODY_CHUNKED;
    return *this;
  }
  Resp &length(uint64_t n) {
    o.body = LEVEE_H1_BODY_LENGTH;
    o.length = n;
    return *this;
  }
  void sync() {
    o.fields = fields.data();
    o.nfields = uint32_t(fields.size());
    o.data = reinterpret_cast<const uint8_t *>(body.data());
    o.data_len = body.size();
  }
  const levee_h1_out *operator&() {
    sync();
    return &o;
  }
};

// One engine with a description of everything its reading side reports.
struct Conn {
  levee_h1 *h = nullptr;
  levee_http_token toks[64];
  levee_h1_msg m;
  std::vector<uint32_t> ids;  // ids of the heads read so far
  int last = 0;

  explicit Conn(int32_t side) { EXPECT_EQ(0, levee_h1_new(&h, side)); }
  ~Conn() { levee_h1_free(h); }

  void feed(const std::string &s) {
    ASSERT_EQ(0, levee_buffer_write(levee_h1_rbuf(h), s.data(), s.size()));
  }

  std::string head_text() {
    std::string out;
    const levee_http_token &start = toks[0];
    if (start.type == LEVEE_HTTP_T_REQUEST)
      out += str(m.base + start.a_off, start.a_len) + " " + str(m.base + start.b_off, start.b_len);
    else
      out += std::to_string(m.status) + " " + str(m.base + start.a_off, start.a_len);
    out += " 1." + std::to_string(m.version);
    for (uint32_t i = 1; i + 1 < m.ntoks; i++)
      out += " " + str(m.base + toks[i].a_off, toks[i].a_len) + "=" + str(m.base + toks[i].b_off, toks[i].b_len);
    static const char *bodies[] = {"none", "len", "chunked", "close"};
    out += " [" + std::string(bodies[m.body]);
    if (m.body == LEVEE_H1_BODY_LENGTH) out += " " + std::to_string(m.length);
    if (m.flags & LEVEE_H1_F_CLOSE) out += " close";
    if (m.flags & LEVEE_H1_F_CONTINUE) out += " continue";
    if (m.flags & LEVEE_H1_F_HEAD) out += " head";
    out += "]";
    return out;
  }

  // Reads what the buffered bytes allow; body bytes are consumed as they
  // come and reported once per piece. Returns the trace, ending in "|NEED",
  // "|CLOSED" or "|E<code>".
  std::string pump() {
    std::string out;
    for (;;) {
      int rc = levee_h1_next(h, &m, toks, 64);
      last = rc;
      switch (rc) {
        case LEVEE_H1_NEED: return out + "|NEED";
        case LEVEE_H1_CLOSED: return out + "|CLOSED";
        case LEVEE_H1_HEAD:
          ids.push_back(m.id);
          out += "|" + head_text();
          break;
        case LEVEE_H1_DATA:
          out += "|<" + str(m.base, size_t(m.length)) + ">";
          EXPECT_EQ(0, levee_h1_consume(h, size_t(m.length)));
          break;
        case LEVEE_H1_CHUNK: out += "|chunk " + std::to_string(m.length); break;
        case LEVEE_H1_END: out += "|end"; break;
        default: return out + "|E" + std::to_string(rc);
      }
    }
  }

  int respond(uint32_t id, Resp &r) { return levee_h1_respond(h, id, &r); }
  std::string out() { return take(levee_h1_wbuf(h)); }
};

// Joins body pieces that arrived split ("|<ab>|<c>" reads "|<abc>") and
// drops NEED marks inside the trace, so traces of one message read whole
// and read in steps compare equal.
std::string normalize(const std::string &t) {
  std::string s = t, out;
  size_t at;
  while ((at = s.find("|NEED")) != std::string::npos && at + 5 < s.size()) s.erase(at, 5);
  while ((at = s.find(">|<")) != std::string::npos) s.erase(at, 3);
  // chunk headers split a body into pieces too; keep them
  return s;
}

// Reads s in steps of `step` bytes; returns the normalized trace.
std::string stepped(int32_t side, const std::string &s, size_t step, std::vector<std::string> requests = {}) {
  Conn c(side);
  for (auto &r : requests) {
    levee_h1_out o{};
    o.method = r.c_str();
    o.method_len = uint32_t(r.size());
    o.target = "/";
    o.target_len = 1;
    EXPECT_GE(levee_h1_request(c.h, &o), 0);
  }
  std::string trace;
  for (size_t pos = 0; pos < s.size(); pos += step) {
    c.feed(s.substr(pos, step));
    trace += c.pump();
  }
  levee_h1_eof(c.h);
  trace += c.pump();
  return normalize(trace);
}

const char *kServerMessages[] = {
    "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
    "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz",
    "\r\nGET /after-empty-line HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
};

const char *kClientMessages[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n",
    "HTTP/1.0 200 OK\r\nServer: s\r\n\r\nuntil the end",
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
};

}  // namespace

// ---------------------------------------------------------------- prefixes

TEST(H1, EveryPrefixOfEveryRequestGivesTheSameEvents) {
  for (const char *msg : kServerMessages) {
    std::string s = msg;
    std::string whole = stepped(LEVEE_H1_SERVER, s, s.size());
    EXPECT_EQ(std::string::npos, whole.find("|E")) << whole;
    for (size_t step = 1; step < s.size(); step++)
      ASSERT_EQ(whole, stepped(LEVEE_H1_SERVER, s, step)) << msg << " step " << step;
    // every cut point: the prefix, then the rest
    for (size_t cut = 1; cut < s.size(); cut++) {
      Conn c(LEVEE_H1_SERVER);
      c.feed(s.substr(0, cut));
      std::string t = c.pump();
      c.feed(s.substr(cut));
      t += c.pump();
      levee_h1_eof(c.h);
      t += c.pump();
      ASSERT_EQ(whole, normalize(t)) << msg << " cut " << cut;
    }
  }
}

TEST(H1, EveryPrefixOfEveryResponseGivesTheSameEvents) {
  for (const char *msg : kClientMessages) {
    std::string s = msg;
    std::string whole = stepped(LEVEE_H1_CLIENT, s, s.size(), {"GET"});
    EXPECT_EQ(std::string::npos, whole.find("|E")) << whole;
    for (size_t step = 1; step < s.size(); step++)
      ASSERT_EQ(whole, stepped(LEVEE_H1_CLIENT, s, step, {"GET"})) << msg << " step " << step;
  }
}

TEST(H1, TraceOfTheRequestsIsExact) {
  EXPECT_EQ("|GET /a?b=c 1.1 Host=x Accept=*/* [none]|CLOSED",
            stepped(LEVEE_H1_SERVER, kServerMessages[0], 1000));
  EXPECT_EQ("|POST /p 1.1 Host=x Content-Length=5 [len 5]|<hello>|CLOSED",
            stepped(LEVEE_H1_SERVER, kServerMessages[1], 1000));
  EXPECT_EQ("|POST /c 1.1 Host=x Transfer-Encoding=chunked [chunked]|chunk 3|<abc>|chunk 2|<de>|end|CLOSED",
            stepped(LEVEE_H1_SERVER, kServerMessages[2], 1000));
  EXPECT_EQ("|GET /1 1.1 Host=x [none]|GET /2 1.1 Host=x [none]|POST /3 1.1 Host=x Content-Length=1 [len 1]|<z>|CLOSED",
            stepped(LEVEE_H1_SERVER, kServerMessages[3], 1000));
  EXPECT_EQ("|GET /after-empty-line 1.0 Connection=keep-alive [none]|CLOSED",
            stepped(LEVEE_H1_SERVER, kServerMessages[4], 1000));
  EXPECT_EQ("|GET / 1.0 [none close]|CLOSED|CLOSED", stepped(LEVEE_H1_SERVER, kServerMessages[5], 1000));
}

TEST(H1, TraceOfTheResponsesIsExact) {
  EXPECT_EQ("|200 OK 1.1 Content-Length=2 [len 2]|<hi>|CLOSED",
            stepped(LEVEE_H1_CLIENT, kClientMessages[0], 1000, {"GET"}));
  EXPECT_EQ("|201 Created 1.1 Transfer-Encoding=chunked [chunked]|chunk 4|<wxyz>|end|CLOSED",
            stepped(LEVEE_H1_CLIENT, kClientMessages[1], 1000, {"GET"}));
  EXPECT_EQ("|204 No Content 1.1 X=y [none]|CLOSED", stepped(LEVEE_H1_CLIENT, kClientMessages[2], 1000, {"GET"}));
  EXPECT_EQ("|200 OK 1.0 Server=s [close close]|<until the end>|end|CLOSED",
            stepped(LEVEE_H1_CLIENT, kClientMessages[3], 1000, {"GET"}));
  EXPECT_EQ("|200 OK 1.1 Connection=close Content-Length=3 [len 3 close]|<abc>|CLOSED|CLOSED",
            stepped(LEVEE_H1_CLIENT, kClientMessages[4], 1000, {"GET"}));
}

TEST(H1, HeadArrivingInPiecesKeepsItsTokensAcrossCalls) {
  // a head over several reads, with the caller's token array reused by
  // another connection in between
  Conn a(LEVEE_H1_SERVER), b(LEVEE_H1_SERVER);
  a.feed("GET /x HTTP/1.1\r\nHost: h\r\nX-One: 1\r\n");
  EXPECT_EQ("|NEED", a.pump());
  b.feed("GET /other HTTP/1.1\r\nHost: o\r\n\r\n");
  levee_h1_msg m;
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(b.h, &m, a.toks, 64));  // clobbers a's array
  a.feed("X-Two: 2\r\n\r\n");
  EXPECT_EQ("|GET /x 1.1 Host=h X-One=1 X-Two=2 [none]|NEED", a.pump());
  EXPECT_FALSE(levee_h1_state(a.h) & LEVEE_H1_S_IDLE) << "the request is in flight";
}

// ---------------------------------------------------------------- refusals

namespace {

// The status line and trace of a server fed s whole.
std::string refused(const std::string &s, levee_http_limits lim = {}, uint64_t max_body = UINT64_MAX) {
  Conn c(LEVEE_H1_SERVER);
  levee_h1_limits_set(c.h, &lim);
  levee_h1_max_body_set(c.h, max_body);
  c.feed(s);
  std::string t = c.pump();
  std::string out = c.out();
  std::string line = out.substr(0, out.find("\r\n"));
  bool closes = out.find("\r\nConnection: close\r\n") != std::string::npos;
  return line + (closes ? " (close)" : "") + " " + t +
         ((levee_h1_state(c.h) & LEVEE_H1_S_CLOSE) ? " S_CLOSE" : "");
}

}  // namespace

TEST(H1, SmugglingVectorsAreRefusedWith400AndNothingAfterIsRead) {
  const char *vectors[] = {
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\nHost: x\n\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",                        // no Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
  };
  for (const char *v : vectors) {
    std::string r = refused(v);
    EXPECT_EQ(0u, r.find("HTTP/1.1 400 Bad Request (close) |E-1010 S_CLOSE")) << v << " -> " << r;
    EXPECT_EQ(std::string::npos, r.find("smuggled")) << v;
  }
  // NUL inside a value (strlen would stop at it)
  const char raw[] = "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n";
  std::string nul(raw, sizeof raw - 1);
  EXPECT_EQ("HTTP/1.1 400 Bad Request (close) |E-1010 S_CLOSE", refused(nul));
  // after the refusal nothing more is read
  Conn c(LEVEE_H1_SERVER);
  c.feed(vectors[0]);
  EXPECT_EQ("|E-1010", c.pump());
  EXPECT_EQ("|CLOSED", c.pump());
}

TEST(H1, HostIsRequiredOnceInHttp11ButNotInHttp10) {
  EXPECT_EQ("HTTP/1.1 400 Bad Request (close) |E-1010 S_CLOSE", refused("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ("HTTP/1.1 400 Bad Request (close) |E-1010 S_CLOSE",
            refused("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"));
  EXPECT_EQ(" |GET / 1.0 [none close]|CLOSED", refused("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(" |GET / 1.1 host=a [none]|NEED", refused("GET / HTTP/1.1\r\nhost: a\r\n\r\n"));
}

TEST(H1, SizeLimitsAnswer414And431And400And413) {
  levee_http_limits lim{};
  lim.max_uri = 16;
  lim.max_value = 20;
  lim.max_headers = 3;
  lim.max_head = 200;
  EXPECT_EQ("HTTP/1.1 414 URI Too Long (close) |E-1011 S_CLOSE",
            refused("GET /" + std::string(40, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n", lim));
  // the target is known to be too long before its line ends
  EXPECT_EQ("HTTP/1.1 414 URI Too Long (close) |E-1011 S_CLOSE", refused("GET /" + std::string(400, 'u'), lim));
  EXPECT_EQ("HTTP/1.1 431 Request Header Fields Too Large (close) |E-1011 S_CLOSE",
            refused("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(30, 'v') + "\r\n\r\n", lim));
  EXPECT_EQ("HTTP/1.1 431 Request Header Fields Too Large (close) |E-1011 S_CLOSE",
            refused("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim));
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2; i++) many += "X-Long-Name-" + std::to_string(i) + ": " + std::string(19, 'v') + "\r\n";
  many += std::string(200, 'Y');
  EXPECT_EQ("HTTP/1.1 431 Request Header Fields Too Large (close) |E-1011 S_CLOSE", refused(many, lim));
  EXPECT_EQ("HTTP/1.1 400 Bad Request (close) |E-1011 S_CLOSE",
            refused(std::string(40, 'M') + " / HTTP/1.1\r\nHost: x\r\n\r\n", lim));
  EXPECT_EQ("HTTP/1.1 413 Payload Too Large (close) |E-1011 S_CLOSE",
            refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", {}, 10));
  // a chunked body that grows past the limit: the head is delivered, the
  // body read fails, and the request is answered 413
  EXPECT_EQ("HTTP/1.1 413 Payload Too Large (close) |POST / 1.1 Host=x Transfer-Encoding=chunked [chunked]"
            "|chunk 6|<abcdef>|E-1011 S_CLOSE",
            refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n",
                    {}, 10));
}

TEST(H1, TooManyTokensForTheCallersArrayIs431) {
  Conn c(LEVEE_H1_SERVER);
  std::string s = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10; i++) s += "X" + std::to_string(i) + ": v\r\n";
  c.feed(s + "\r\n");
  levee_h1_msg m;
  EXPECT_EQ(LEVEE_HTTP_ESIZE, levee_h1_next(c.h, &m, c.toks, 8));
  EXPECT_EQ(431u, m.status);
  EXPECT_EQ(0u, c.out().find("HTTP/1.1 431 "));
}

TEST(H1, MalformedChunkedBodyAnswers400AfterTheHead) {
  std::string r = refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ("HTTP/1.1 400 Bad Request (close) |POST / 1.1 Host=x Transfer-Encoding=chunked [chunked]|E-1010 S_CLOSE",
            r);
}

TEST(H1, RefusalAfterPipelinedRequestsWaitsForTheirAnswers) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\n");
  EXPECT_EQ("|GET /1 1.1 Host=x [none]|E-1010", c.pump());
  EXPECT_EQ("", c.out()) << "the 400 waits for the answer to /1";
  EXPECT_FALSE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);
  Resp r(200);
  r.with_body("one");
  EXPECT_GE(c.respond(c.ids[0], r), 0);
  std::string out = c.out();
  EXPECT_EQ(0u, out.find("HTTP/1.1 200 OK\r\n"));
  size_t second = out.find("HTTP/1.1 400 Bad Request\r\n");
  ASSERT_NE(std::string::npos, second);
  EXPECT_LT(out.find("\r\n\r\none"), second);
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);
}

// ---------------------------------------------------------------- responses

TEST(H1, ResponseHeadHasStatusFieldsDateAndLength) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp r(200, {F("Content-Type", "text/plain"), F("X-Multi", "a"), F("X-Multi", "b")});
  r.with_body("hello");
  int flags = c.respond(c.ids[0], r);
  EXPECT_EQ(LEVEE_H1_R_DONE, flags);
  EXPECT_EQ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Multi: a\r\nX-Multi: b\r\nDate: *\r\n"
            "Content-Length: 5\r\n\r\nhello",
            nodate(c.out()));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_IDLE);
}

TEST(H1, DateIsAnHttpDateAndTheAppsOwnIsKept) {
  char d[40];
  ASSERT_EQ(29, levee_h1_date(d, sizeof d));
  std::string s(d, 29);
  EXPECT_EQ(" GMT", s.substr(25));
  EXPECT_EQ(", ", s.substr(3, 2));
  EXPECT_EQ(LEVEE_ERANGE, levee_h1_date(d, 28));
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp r(200, {F("date", "Thu, 01 Jan 1970 00:00:00 GMT")});
  c.respond(c.ids[0], r);
  std::string out = c.out();
  EXPECT_NE(std::string::npos, out.find("date: Thu, 01 Jan 1970"));
  EXPECT_EQ(std::string::npos, out.find("Date:"));
}

TEST(H1, AppFramingFieldsAreReplacedNeverDoubled) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp ok(200, {F("Content-Length", "99"), F("transfer-encoding", "chunked"), F("X", "y")});
  ok.with_body("ab");
  c.respond(c.ids[0], ok);
  EXPECT_EQ("HTTP/1.1 200 OK\r\nX: y\r\nDate: *\r\nContent-Length: 2\r\n\r\nab", nodate(c.out()));
  // a streamed body: the app's Content-Length is dropped, unless asked for
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp len(200, {F("Content-Length", "3")});
  len.stream();
  Resp dropped = len;
  EXPECT_EQ(LEVEE_EAGAIN, c.respond(c.ids[2], dropped));
  len.o.flags = LEVEE_H1_O_USE_LENGTH;
  int flags = c.respond(c.ids[1], len);
  EXPECT_EQ(0, flags & (LEVEE_H1_R_CHUNKED | LEVEE_H1_R_DONE));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 3\r\n\r\n", nodate(c.out()));
  EXPECT_EQ(0, levee_h1_send(c.h, c.ids[1], reinterpret_cast<const uint8_t *>("abc"), 3));
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_send(c.h, c.ids[1], reinterpret_cast<const uint8_t *>("d"), 1));
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_finish(c.h, c.ids[1]));
  EXPECT_EQ("abc", c.out());
  EXPECT_EQ(LEVEE_H1_R_CHUNKED, c.respond(c.ids[2], dropped));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nTransfer-Encoding: chunked\r\n\r\n", nodate(c.out()));
}

TEST(H1, HeaderInjectionIsRefusedAndNothingIsWritten) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  std::vector<std::vector<levee_h1_field>> bad = {
      {F("X", "a\r\nInjected: yes")}, {F("X", "a\nb")}, {F("X", "a\rb")}, {F("Bad Name", "v")},
      {F("Bad:Name", "v")}, {F("", "v")}, {F("X\r\nY", "v")},
  };
  for (auto &f : bad) {
    Resp r(200, f);
    r.with_body("x");
    EXPECT_EQ(LEVEE_EINVAL, c.respond(c.ids[0], r));
    EXPECT_EQ("", c.out());
  }
  levee_h1_field nul{"X", "a\0b", 1, 3};
  Resp r(200, {nul});
  EXPECT_EQ(LEVEE_EINVAL, c.respond(c.ids[0], r));
  Resp reason(200);
  reason.o.target = "OK\r\nX: y";
  reason.o.target_len = 8;
  EXPECT_EQ(LEVEE_EINVAL, c.respond(c.ids[0], reason));
  Resp status(1000);
  EXPECT_EQ(LEVEE_EINVAL, c.respond(c.ids[0], status));
  EXPECT_EQ("", c.out());
  // the request is still waiting for a good answer
  Resp good(200);
  EXPECT_EQ(LEVEE_H1_R_DONE, c.respond(c.ids[0], good));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 0\r\n\r\n", nodate(c.out()));
}

TEST(H1, EncoderReadsNoByteBeyondTheFieldsGivenAGuardPage) {
  long page = sysconf(_SC_PAGESIZE);
  auto *mem = static_cast<char *>(mmap(nullptr, size_t(page) * 2, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(MAP_FAILED, mem);
  ASSERT_EQ(0, mprotect(mem + page, size_t(page), PROT_NONE));
  // name, value and body each end exactly at the guard page
  char *end = mem + page;
  memcpy(end - 6, "X-Name", 6);
  levee_h1_field f{end - 6, end - 6, 6, 6};
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  levee_h1_out o{};
  o.status = 200;
  o.fields = &f;
  o.nfields = 1;
  o.body = LEVEE_H1_BODY_LENGTH;
  o.length = 6;
  o.data = reinterpret_cast<const uint8_t *>(end - 6);
  o.data_len = 6;
  o.target = end - 2;
  memcpy(end - 2, "Me", 2);
  o.target_len = 2;
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_encode(b, &o));
  std::string s = nodate(buffered(b));
  EXPECT_EQ(0u, s.find("HTTP/1.1 200 Me\r\nX-Na"));
  levee_buffer_free(b);
  munmap(mem, size_t(page) * 2);
}

TEST(H1, HeadRequestGetsTheLengthButNoBody) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ("|HEAD / 1.1 Host=x [none head]|NEED", c.pump());
  Resp r(200);
  r.with_body("hello");
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_SKIP, c.respond(c.ids[0], r));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 5\r\n\r\n", nodate(c.out()));
  // a streamed answer to HEAD: chunked head, no chunks
  c.feed("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp s(200);
  s.stream();
  EXPECT_EQ(LEVEE_H1_R_SKIP | LEVEE_H1_R_CHUNKED | LEVEE_H1_R_DONE, c.respond(c.ids[1], s));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nTransfer-Encoding: chunked\r\n\r\n", nodate(c.out()));
}

TEST(H1, Status204And304CarryNoBodyOrLength) {
  for (uint32_t st : {204u, 304u}) {
    Conn c(LEVEE_H1_SERVER);
    c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    c.pump();
    Resp r(st);
    r.with_body("ignored");
    EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_SKIP, c.respond(c.ids[0], r));
    std::string out = c.out();
    EXPECT_EQ(std::string::npos, out.find("Content-Length")) << out;
    EXPECT_EQ(std::string::npos, out.find("ignored"));
    EXPECT_EQ(out.size(), out.find("\r\n\r\n") + 4);
  }
}

TEST(H1, InterimResponsesGoOutBeforeTheFinalOne) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp hint(103, {F("Link", "</a.css>")});
  EXPECT_EQ(LEVEE_H1_R_SKIP, c.respond(c.ids[0], hint));
  Resp fin(200);
  fin.with_body("x");
  EXPECT_EQ(LEVEE_H1_R_DONE, c.respond(c.ids[0], fin));
  EXPECT_EQ("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nDate: *\r\n"
            "Content-Length: 1\r\n\r\nx",
            nodate(c.out()));
}

TEST(H1, StreamedChunkedResponseWithCallerWrittenData) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp r(200);
  r.stream();
  EXPECT_EQ(LEVEE_H1_R_CHUNKED, c.respond(c.ids[0], r));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nTransfer-Encoding: chunked\r\n\r\n", nodate(c.out()));
  EXPECT_EQ(0, levee_h1_send(c.h, c.ids[0], reinterpret_cast<const uint8_t *>("hello"), 5));
  EXPECT_EQ(0, levee_h1_send(c.h, c.ids[0], reinterpret_cast<const uint8_t *>(""), 0));
  EXPECT_EQ(0, levee_h1_send(c.h, c.ids[0], nullptr, 26));
  EXPECT_EQ("5\r\nhello\r\n1a\r\n", c.out());
  EXPECT_EQ(0, levee_h1_send(c.h, c.ids[0], reinterpret_cast<const uint8_t *>("!"), 1));
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_finish(c.h, c.ids[0]));
  EXPECT_EQ("\r\n1\r\n!\r\n0\r\n\r\n", c.out());
  EXPECT_EQ(LEVEE_HTTP_ESTATE, levee_h1_finish(c.h, c.ids[0]));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_IDLE);
}

TEST(H1, ShortContentLengthBodyClosesTheConnection) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  Resp r(200);
  r.length(10);
  EXPECT_EQ(0, c.respond(c.ids[0], r));
  levee_h1_send(c.h, c.ids[0], reinterpret_cast<const uint8_t *>("abc"), 3);
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, levee_h1_finish(c.h, c.ids[0]));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);
}

// ---------------------------------------------------------------- keep-alive

TEST(H1, Http10ClosesUnlessKeepAliveAndNeverGetsChunked) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ("|GET / 1.0 [none close]|CLOSED", c.pump());
  Resp r(200);
  r.stream();
  int flags = c.respond(c.ids[0], r);
  EXPECT_EQ(LEVEE_H1_R_CLOSE | LEVEE_H1_R_UNTIL_CLOSE, flags);
  std::string head = nodate(c.out());
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nConnection: close\r\n\r\n", head);
  levee_h1_send(c.h, c.ids[0], reinterpret_cast<const uint8_t *>("raw bytes"), 9);
  EXPECT_EQ("raw bytes", c.out());
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, levee_h1_finish(c.h, c.ids[0]));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);

  Conn k(LEVEE_H1_SERVER);
  k.feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_EQ("|GET / 1.0 Connection=Keep-Alive [none]|NEED", k.pump());
  Resp ok(200);
  ok.with_body("x");
  EXPECT_EQ(LEVEE_H1_R_DONE, k.respond(k.ids[0], ok));
  EXPECT_NE(std::string::npos, k.out().find("\r\nConnection: keep-alive\r\n"));
  EXPECT_FALSE(levee_h1_state(k.h) & LEVEE_H1_S_CLOSE);
}

TEST(H1, ConnectionCloseFromThePeerOrTheAppEndsTheConnection) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ("|GET / 1.1 Host=x Connection=keep-alive, close [none close]|CLOSED", c.pump());
  Resp r(200);
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, c.respond(c.ids[0], r));
  EXPECT_NE(std::string::npos, c.out().find("\r\nConnection: close\r\n"));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);

  Conn a(LEVEE_H1_SERVER);
  a.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  a.pump();
  Resp bye(200, {F("Connection", "close")});
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, a.respond(a.ids[0], bye));
  std::string out = a.out();
  size_t connections = 0;
  for (size_t at = 0; (at = out.find("Connection", at)) != std::string::npos; at++) connections++;
  EXPECT_EQ(1u, connections) << out;
  EXPECT_TRUE(levee_h1_state(a.h) & LEVEE_H1_S_CLOSE);
  Resp late(200);
  EXPECT_EQ(LEVEE_CLOSED, a.respond(a.ids[1], late)) << "the connection ends before /2";
  EXPECT_EQ(LEVEE_H1_CLOSED, levee_h1_next(a.h, &a.m, a.toks, 64));
}

TEST(H1, PeerEofBetweenRequestsAndInsideOne) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  levee_h1_eof(c.h);
  EXPECT_EQ("|CLOSED", c.pump());
  EXPECT_FALSE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE) << "the request in flight is still answered";
  Resp r(200);
  c.respond(c.ids[0], r);
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);

  Conn mid(LEVEE_H1_SERVER);
  mid.feed("GET / HTTP/1.1\r\nHo");
  mid.pump();
  levee_h1_eof(mid.h);
  EXPECT_EQ("|E-1013", mid.pump());
  EXPECT_EQ("", mid.out());
  EXPECT_TRUE(levee_h1_state(mid.h) & LEVEE_H1_S_CLOSE);

  Conn body(LEVEE_H1_SERVER);
  body.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  body.pump();
  levee_h1_eof(body.h);
  EXPECT_EQ("|E-1013", body.pump());
}

// ---------------------------------------------------------------- bodies

TEST(H1, UnreadBodiesAreDiscardedBeforeTheNextRequest) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
  levee_h1_msg m;
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(c.h, &m, c.toks, 64));
  EXPECT_EQ(0, levee_h1_discard(c.h));
  c.feed("cdPOST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  EXPECT_EQ(1, levee_h1_discard(c.h));
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(c.h, &m, c.toks, 64));
  EXPECT_EQ(0, levee_h1_discard(c.h));
  c.feed("0\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(1, levee_h1_discard(c.h));
  EXPECT_EQ("|GET /3 1.1 Host=x [none]|NEED", c.pump());
  EXPECT_EQ(1, levee_h1_discard(c.h));
}

TEST(H1, ConsumeCannotPassTheBody) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nabGET");
  levee_h1_msg m;
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(c.h, &m, c.toks, 64));
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_consume(c.h, 3));
  EXPECT_EQ(0, levee_h1_consume(c.h, 2));
  EXPECT_EQ(LEVEE_HTTP_ESTATE, levee_h1_consume(c.h, 1));
  EXPECT_EQ(0, levee_h1_consume(c.h, 0));
}

TEST(H1, ExpectContinueIsAnsweredWhenTheBodyIsAwaited) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ("|PUT / 1.1 Host=x Expect=100-continue Content-Length=2 [len 2 continue]|NEED", c.pump());
  EXPECT_EQ("HTTP/1.1 100 Continue\r\n\r\n", c.out());
  EXPECT_EQ("|NEED", c.pump());
  EXPECT_EQ("", c.out()) << "only once";
  c.feed("ok");
  EXPECT_EQ("|<ok>|NEED", c.pump());
  Resp r(200);
  EXPECT_EQ(LEVEE_H1_R_DONE, c.respond(c.ids[0], r)) << "the body was read: keep-alive";

  // answered before the body was awaited: no 100, and the connection closes
  Conn d(LEVEE_H1_SERVER);
  d.feed("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  levee_h1_msg m;
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(d.h, &m, d.toks, 64));
  Resp no(417);
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, levee_h1_respond(d.h, m.id, &no));
  std::string out = d.out();
  EXPECT_EQ(0u, out.find("HTTP/1.1 417 Expectation Failed\r\n"));
  EXPECT_EQ(1, levee_h1_discard(d.h)) << "the body is not waited for";
  EXPECT_TRUE(levee_h1_state(d.h) & LEVEE_H1_S_CLOSE);

  // HTTP/1.0 and bodiless requests never get 100 Continue
  Conn e(LEVEE_H1_SERVER);
  e.feed("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ("|GET / 1.1 Host=x Expect=100-continue [none]|NEED", e.pump());
  EXPECT_EQ("", e.out());
}

// ---------------------------------------------------------------- order

TEST(H1, PipelinedResponsesGoOutInRequestOrder) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  ASSERT_EQ(3u, c.ids.size());
  EXPECT_EQ(int64_t(c.ids[0]), levee_h1_due(c.h));
  EXPECT_EQ(3, levee_h1_inflight(c.h));
  Resp two(200);
  two.with_body("two");
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_QUEUED, c.respond(c.ids[1], two));
  EXPECT_EQ("", c.out());
  Resp three(200);
  three.stream();
  EXPECT_EQ(LEVEE_EAGAIN, c.respond(c.ids[2], three)) << "a stream waits for its turn";
  EXPECT_EQ(LEVEE_HTTP_ESTATE, c.respond(c.ids[1], two)) << "answered already";
  Resp one(200);
  one.with_body("one");
  EXPECT_EQ(LEVEE_H1_R_DONE, c.respond(c.ids[0], one));
  std::string out = c.out();
  EXPECT_LT(out.find("one"), out.find("two"));
  EXPECT_EQ(int64_t(c.ids[2]), levee_h1_due(c.h));
  EXPECT_EQ(LEVEE_H1_R_CHUNKED, c.respond(c.ids[2], three));
  levee_h1_send(c.h, c.ids[2], reinterpret_cast<const uint8_t *>("3"), 1);
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_finish(c.h, c.ids[2]));
  EXPECT_EQ(-1, levee_h1_due(c.h));
  EXPECT_EQ(0, levee_h1_inflight(c.h));
  EXPECT_EQ(LEVEE_HTTP_ESTATE, c.respond(12345, one));
}

// ---------------------------------------------------------------- client

namespace {

int request(levee_h1 *h, const char *method, const char *target, std::vector<levee_h1_field> fields = {},
            std::vector<levee_h1_field> defaults = {}, int32_t body = LEVEE_H1_BODY_NONE,
            const std::string &data = "") {
  levee_h1_out o{};
  o.method = method;
  o.method_len = uint32_t(strlen(method));
  o.target = target;
  o.target_len = uint32_t(strlen(target));
  o.fields = fields.data();
  o.nfields = uint32_t(fields.size());
  o.defaults = defaults.data();
  o.ndefaults = uint32_t(defaults.size());
  o.body = body;
  o.length = data.size();
  o.data = reinterpret_cast<const uint8_t *>(data.data());
  o.data_len = data.size();
  return levee_h1_request(h, &o);
}

}  // namespace

TEST(H1, EnginesReleasedInTurnKeepTheirOwnLimitsAndModes) {
  // tokenizers go back to a per-thread cache when an engine is released or
  // freed: each engine still reads with its own limits and its own side
  levee_http_limits lim{};
  lim.max_uri = 16;
  std::string long_get = "GET /" + std::string(40, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int round = 0; round < 3; round++) {
    {
      Conn plain(LEVEE_H1_SERVER);
      plain.feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_EQ("|GET /a 1.1 Host=x [none]|NEED", plain.pump());
      levee_h1_release(plain.h);
    }
    EXPECT_EQ("HTTP/1.1 414 URI Too Long (close) |E-1011 S_CLOSE", refused(long_get, lim)) << round;
    {
      Conn plain(LEVEE_H1_SERVER);  // after a limited engine: default limits
      plain.feed(long_get);
      EXPECT_EQ("|GET /" + std::string(40, 'u') + " 1.1 Host=x [none]|NEED", plain.pump()) << round;
    }
    {
      Conn client(LEVEE_H1_CLIENT);  // after server engines: reads responses
      ASSERT_EQ(0, request(client.h, "GET", "/", {}, {}, LEVEE_H1_BODY_NONE, ""));
      levee_buffer_trim(levee_h1_wbuf(client.h), levee_buffer_len(levee_h1_wbuf(client.h)));
      client.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      std::string got = client.pump();
      EXPECT_EQ(0u, got.find("|200 OK 1.1 Content-Length=2 [len 2]")) << got;
    }
  }
}

TEST(H1, ClientRequestHasDefaultsUnlessTheAppGaveThem) {
  Conn c(LEVEE_H1_CLIENT);
  std::vector<levee_h1_field> defaults = {F("Host", "example:80"), F("User-Agent", "levee/x"),
                                          F("Accept", "*/*")};
  EXPECT_EQ(0, request(c.h, "GET", "/a?b", {F("accept", "text/plain")}, defaults));
  EXPECT_EQ("GET /a?b HTTP/1.1\r\naccept: text/plain\r\nHost: example:80\r\nUser-Agent: levee/x\r\n\r\n", c.out());
  EXPECT_EQ(1, request(c.h, "POST", "/p", {}, {}, LEVEE_H1_BODY_LENGTH, "data"));
  EXPECT_EQ("POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\ndata", c.out());
  EXPECT_EQ(LEVEE_EINVAL, request(c.h, "GET", "/a b"));
  EXPECT_EQ(LEVEE_EINVAL, request(c.h, "GE T", "/"));
  EXPECT_EQ(LEVEE_EINVAL, request(c.h, "GET", "/", {F("X", "a\r\nb")}));
  EXPECT_EQ("", c.out());
  EXPECT_EQ(2, levee_h1_inflight(c.h));
}

TEST(H1, ClientStreamsAChunkedRequestBody) {
  Conn c(LEVEE_H1_CLIENT);
  int id = request(c.h, "POST", "/up", {}, {}, LEVEE_H1_BODY_CHUNKED);
  ASSERT_GE(id, 0);
  EXPECT_EQ(LEVEE_EBUSY, request(c.h, "GET", "/"));
  levee_h1_send(c.h, uint32_t(id), reinterpret_cast<const uint8_t *>("abc"), 3);
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_finish(c.h, uint32_t(id)));
  EXPECT_EQ("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", c.out());
  EXPECT_GE(request(c.h, "GET", "/"), 0);
}

TEST(H1, ClientReadsResponsesInRequestOrderWithTheirFraming) {
  Conn c(LEVEE_H1_CLIENT);
  int a = request(c.h, "HEAD", "/");
  int b = request(c.h, "GET", "/");
  c.out();
  c.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ("|200 OK 1.1 Content-Length=100 [none head]|200 OK 1.1 Content-Length=1 [len 1]|<x>|NEED", c.pump());
  EXPECT_EQ(std::vector<uint32_t>({uint32_t(a), uint32_t(b)}), c.ids);
  c.feed("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ("|E-1012", c.pump()) << "a response nobody asked for";
}

TEST(H1, ClientConnectionCloseEndsTheConnection) {
  Conn c(LEVEE_H1_CLIENT);
  request(c.h, "GET", "/");
  request(c.h, "GET", "/");
  c.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ("|200 OK 1.1 Connection=close Content-Length=0 [none close]|CLOSED", c.pump());
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);
  EXPECT_EQ(LEVEE_CLOSED, request(c.h, "GET", "/"));
  // a request that says close is the last one
  Conn d(LEVEE_H1_CLIENT);
  EXPECT_EQ(0, request(d.h, "GET", "/", {F("Connection", "close")}));
  EXPECT_EQ(LEVEE_CLOSED, request(d.h, "GET", "/"));
  d.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ("|200 OK 1.1 Content-Length=0 [none close]|CLOSED", d.pump());
}

TEST(H1, ClientMalformedAndTruncatedResponses) {
  Conn c(LEVEE_H1_CLIENT);
  request(c.h, "GET", "/");
  c.out();
  c.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ("|E-1010", c.pump());
  EXPECT_EQ("", c.out()) << "a client never answers";
  Conn t(LEVEE_H1_CLIENT);
  request(t.h, "GET", "/");
  t.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
  t.pump();
  levee_h1_eof(t.h);
  EXPECT_EQ("|E-1013", t.pump());
  Conn e(LEVEE_H1_CLIENT);
  request(e.h, "GET", "/");
  levee_h1_eof(e.h);
  EXPECT_EQ("|CLOSED", e.pump());
}

// ---------------------------------------------------------------- encode

TEST(H1, EncodeWithoutAConnection) {
  levee_buffer *b;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  levee_h1_out o{};
  o.status = 200;
  o.body = LEVEE_H1_BODY_CHUNKED;
  o.flags = LEVEE_H1_O_OPEN;
  EXPECT_EQ(LEVEE_H1_R_CHUNKED, levee_h1_encode(b, &o));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nTransfer-Encoding: chunked\r\n", nodate(take(b)));
  o.flags = LEVEE_H1_O_CLOSE | LEVEE_H1_O_HTTP10;
  EXPECT_EQ(LEVEE_H1_R_CLOSE | LEVEE_H1_R_UNTIL_CLOSE, levee_h1_encode(b, &o));
  EXPECT_EQ("HTTP/1.1 200 OK\r\nDate: *\r\nConnection: close\r\n\r\n", nodate(take(b)));
  o.flags = LEVEE_H1_O_KEEP_ALIVE;
  o.body = LEVEE_H1_BODY_NONE;
  o.status = 404;
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_encode(b, &o));
  EXPECT_EQ("HTTP/1.1 404 Not Found\r\nDate: *\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
            nodate(take(b)));
  o.status = 299;
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_encode(b, &o));
  EXPECT_EQ(0u, take(b).find("HTTP/1.1 299 Unknown\r\n"));
  o.status = 420;  // an unofficial code of the one reason table (levee_http_reason)
  EXPECT_EQ(LEVEE_H1_R_DONE, levee_h1_encode(b, &o));
  EXPECT_EQ(0u, take(b).find("HTTP/1.1 420 Enhance Your Calm\r\n"));
  levee_buffer_free(b);
}

// ---------------------------------------------------------------- fd helpers

namespace {

// A connected pair: a core stream (the engine's side) and a raw fd.
struct StreamPair {
  levee_stream *s = nullptr;
  int peer = -1;
  StreamPair() {
    int sv[2];
    EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    EXPECT_EQ(0, levee_stream_new(&s, sv[0]));
    peer = sv[1];
  }
  ~StreamPair() {
    levee_stream_free(s);
    if (peer >= 0) close(peer);
  }
};

}  // namespace

TEST(H1, ReadAndFlushMoveBytesThroughTheCoreStream) {
  StreamPair p;
  Conn c(LEVEE_H1_SERVER);
  EXPECT_EQ(LEVEE_WANT_READ, levee_h1_read(c.h, p.s));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_DRAINED);
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(ssize_t(strlen(req)), write(p.peer, req, strlen(req)));
  EXPECT_EQ(int64_t(strlen(req)), levee_h1_read(c.h, p.s));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_DRAINED) << "a short read drained the socket";
  EXPECT_EQ("|GET / 1.1 Host=x [none]|NEED", c.pump());
  Resp r(200);
  r.with_body("hi");
  c.respond(c.ids[0], r);
  EXPECT_EQ(0, levee_h1_flush(c.h, p.s));
  char got[512];
  ssize_t n = read(p.peer, got, sizeof got);
  ASSERT_GT(n, 0);
  EXPECT_EQ("hi", std::string(got, size_t(n)).substr(size_t(n) - 2));
  // idle: the buffers give their memory back
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_IDLE);
  levee_h1_release(c.h);
  EXPECT_EQ(0u, levee_buffer_cap(levee_h1_rbuf(c.h)));
  EXPECT_EQ(0u, levee_buffer_cap(levee_h1_wbuf(c.h)));
  close(p.peer);
  p.peer = -1;
  EXPECT_EQ(0, levee_h1_read(c.h, p.s));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_EOF);
  EXPECT_EQ("|CLOSED", c.pump());
  // a write to a vanished peer is EPIPE, not a signal
  levee_buffer_write(levee_h1_wbuf(c.h), "x", 1);
  EXPECT_EQ(LEVEE_EPIPE, levee_h1_flush(c.h, p.s));
}

TEST(H1, EnginesAfterAnIdleReleaseServeFromReusedBuffersWithoutStaleBytes) {
  // sequential engines on one thread, each released while idle, as a
  // keep-alive server does after every request: the memory one gives back
  // serves the next (the per-thread cache), which reads and writes only its
  // own bytes
  const char *reqs[] = {"GET /first-and-longer HTTP/1.1\r\nHost: xyz\r\n\r\n",
                        "GET /b HTTP/1.1\r\nHost: y\r\n\r\n",
                        "GET /c HTTP/1.1\r\nHost: z\r\n\r\n"};
  const char *bodies[] = {"a long first body", "b", "c"};
  const char *events[] = {"|GET /first-and-longer 1.1 Host=xyz [none]|NEED",
                          "|GET /b 1.1 Host=y [none]|NEED", "|GET /c 1.1 Host=z [none]|NEED"};
  for (int round = 0; round < 3; round++) {
    StreamPair p;
    Conn c(LEVEE_H1_SERVER);
    const char *req = reqs[round];
    ASSERT_EQ(ssize_t(strlen(req)), write(p.peer, req, strlen(req)));
    EXPECT_EQ(int64_t(strlen(req)), levee_h1_read(c.h, p.s));
    EXPECT_EQ(events[round], c.pump());
    Resp r(200);
    r.with_body(bodies[round]);
    c.respond(c.ids[0], r);
    EXPECT_EQ(0, levee_h1_flush(c.h, p.s));
    char got[512];
    ssize_t n = read(p.peer, got, sizeof got);
    ASSERT_GT(n, 0);
    std::string text(got, size_t(n));
    EXPECT_EQ(0u, text.find("HTTP/1.1 200 OK\r\n")) << text;
    std::string body = bodies[round];
    EXPECT_EQ(body, text.substr(text.size() - body.size()));
    EXPECT_NE(std::string::npos, text.find("Content-Length: " + std::to_string(body.size()) + "\r\n"));
    levee_h1_release(c.h);
    EXPECT_EQ(0u, levee_buffer_cap(levee_h1_rbuf(c.h)));
    EXPECT_EQ(0u, levee_buffer_cap(levee_h1_wbuf(c.h)));
  }
}

TEST(H1, FlushStopsWhenTheStreamIsFull) {
  StreamPair p;
  Conn c(LEVEE_H1_CLIENT);
  std::string big(4 << 20, 'b');
  ASSERT_EQ(0, request(c.h, "POST", "/", {}, {}, LEVEE_H1_BODY_LENGTH, big));
  int64_t left = levee_h1_flush(c.h, p.s);
  EXPECT_GT(left, 0);
  EXPECT_LT(left, int64_t(big.size()));
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(p.s));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_WANT_WRITE);
}

TEST(H1, StepWritesReadsAndPacksInOneCall) {
  StreamPair p;
  Conn c(LEVEE_H1_SERVER);
  uint8_t pack[256];
  const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\nX: 1\r\n\r\n";
  ASSERT_EQ(ssize_t(strlen(two)), write(p.peer, two, strlen(two)));
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_step(c.h, p.s, 0, &c.m, c.toks, 64, pack, sizeof pack));
  EXPECT_EQ(std::string("GET\0/a\0Host\0x\0", 14), std::string(reinterpret_cast<char *>(pack), c.m.packed));
  Resp r(200);
  r.with_body("a");
  int rc = levee_h1_respond(c.h, c.m.id, &r);
  EXPECT_TRUE(rc & LEVEE_H1_R_INPUT) << "the second request is buffered";
  // the next step writes the first answer and reads the second head
  // without a read(2)
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_step(c.h, p.s, 0, &c.m, c.toks, 64, pack, sizeof pack));
  EXPECT_EQ(std::string("GET\0/b\0Host\0y\0X\0" "1\0", 18),
            std::string(reinterpret_cast<char *>(pack), c.m.packed));
  char got[512];
  ssize_t n = read(p.peer, got, sizeof got);
  ASSERT_GT(n, 0);
  EXPECT_EQ(0u, std::string(got, size_t(n)).find("HTTP/1.1 200 OK\r\n"));
  Resp r2(200);
  EXPECT_TRUE(levee_h1_respond(c.h, c.m.id, &r2) & LEVEE_H1_R_DONE);
  EXPECT_EQ(LEVEE_H1_NEED, levee_h1_step(c.h, p.s, 0, &c.m, c.toks, 64, pack, sizeof pack));
  EXPECT_TRUE(c.m.flags & LEVEE_H1_S_IDLE) << "NEED carries the state";
  EXPECT_TRUE(c.m.flags & LEVEE_H1_S_DRAINED);
}

TEST(H1, PackRefusesAShortBuffer) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET /long/target HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(c.h, &c.m, c.toks, 64));
  uint8_t small[8];
  EXPECT_EQ(LEVEE_ERANGE, levee_h1_pack(&c.m, c.toks, small, sizeof small));
  uint8_t enough[64];
  EXPECT_EQ(24, levee_h1_pack(&c.m, c.toks, enough, sizeof enough));
}

TEST(H1, BadArguments) {
  levee_h1 *h = nullptr;
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_new(&h, 2));
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_new(nullptr, 0));
  levee_h1_free(nullptr);
  EXPECT_EQ(0, levee_h1_state(nullptr));
  EXPECT_EQ(-1, levee_h1_due(nullptr));
  Conn c(LEVEE_H1_SERVER);
  levee_h1_msg m;
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_next(c.h, &m, c.toks, 2));
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_next(c.h, nullptr, c.toks, 64));
  EXPECT_EQ(LEVEE_EINVAL, request(c.h, "GET", "/")) << "a server sends no requests";
  Conn cl(LEVEE_H1_CLIENT);
  Resp r(200);
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_respond(cl.h, 0, &r));
}

TEST(H1, DrainAnswersWhatIsInFlightAndTheLastAnswerSaysClose) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHo");
  c.pump();
  ASSERT_EQ(2u, c.ids.size());
  int st = levee_h1_drain(c.h);
  EXPECT_FALSE(st & LEVEE_H1_S_CLOSE) << "two requests are still to be answered";
  EXPECT_EQ(LEVEE_H1_CLOSED, levee_h1_next(c.h, &c.m, c.toks, 64)) << "the partial /3 is dropped";
  Resp one(200);
  EXPECT_EQ(LEVEE_H1_R_DONE, c.respond(c.ids[0], one));
  EXPECT_EQ(std::string::npos, c.out().find("Connection: close"));
  Resp two(200);
  EXPECT_EQ(LEVEE_H1_R_DONE | LEVEE_H1_R_CLOSE | LEVEE_H1_R_END, c.respond(c.ids[1], two));
  EXPECT_NE(std::string::npos, c.out().find("\r\nConnection: close\r\n"));
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_CLOSE);
  // an idle connection is done at once
  Conn idle(LEVEE_H1_SERVER);
  EXPECT_TRUE(levee_h1_drain(idle.h) & LEVEE_H1_S_CLOSE);
}

TEST(H1, CountLeftAndReleaseBetweenMessages) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(c.h, &c.m, c.toks, 64));
  uint32_t id = c.m.id;
  EXPECT_EQ(1, levee_h1_count(c.h));
  EXPECT_EQ(5, levee_h1_left(c.h, id));
  EXPECT_EQ(0, levee_h1_left(c.h, id + 1)) << "not the body being read";
  EXPECT_EQ(0, levee_h1_consume(c.h, 2));
  EXPECT_EQ(3, levee_h1_left(c.h, id));
  c.feed("cde");
  EXPECT_EQ(0, levee_h1_consume(c.h, 3));
  EXPECT_EQ(0, levee_h1_left(c.h, id));
  Resp r(200);
  c.respond(id, r);
  c.out();
  EXPECT_TRUE(levee_h1_state(c.h) & LEVEE_H1_S_IDLE);
  levee_h1_release(c.h);
  // the tokenizer comes back on demand, with the limits given before
  levee_http_limits lim{};
  lim.max_uri = 8;
  levee_h1_limits_set(c.h, &lim);
  levee_h1_release(c.h);
  c.feed("GET /0123456789 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(LEVEE_HTTP_ESIZE, levee_h1_next(c.h, &c.m, c.toks, 64));
  EXPECT_EQ(414u, c.m.status);
  // until close: -1
  Conn cl(LEVEE_H1_CLIENT);
  EXPECT_EQ(0, request(cl.h, "GET", "/"));
  cl.feed("HTTP/1.0 200 OK\r\n\r\nbody");
  ASSERT_EQ(LEVEE_H1_HEAD, levee_h1_next(cl.h, &cl.m, cl.toks, 64));
  EXPECT_EQ(-1, levee_h1_left(cl.h, cl.m.id));
}

TEST(H1, ReplyAndAskTakePackedFields) {
  Conn c(LEVEE_H1_SERVER);
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  std::string f("Content-Type\0text/plain\0X-Two\0a\0X-Two\0b\0", 40);
  std::string body = "packed";
  int rc = levee_h1_reply(c.h, c.ids[0], 201, nullptr, 0, f.data(), f.size(),
                          reinterpret_cast<const uint8_t *>(body.data()), body.size(), LEVEE_H1_BODY_LENGTH,
                          body.size(), 0);
  EXPECT_EQ(LEVEE_H1_R_DONE, rc);
  EXPECT_EQ("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Two: a\r\nX-Two: b\r\nDate: *\r\n"
            "Content-Length: 6\r\n\r\npacked",
            nodate(c.out()));
  c.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  c.pump();
  std::string odd("X\0a\0Y", 5);  // a value holding NUL would leave a name alone
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_reply(c.h, c.ids[1], 200, nullptr, 0, odd.data(), odd.size(), nullptr, 0,
                                         LEVEE_H1_BODY_NONE, 0, 0));
  std::string inject("X\0a\r\nY: b\0", 10);
  EXPECT_EQ(LEVEE_EINVAL, levee_h1_reply(c.h, c.ids[1], 200, nullptr, 0, inject.data(), inject.size(),
                                         nullptr, 0, LEVEE_H1_BODY_NONE, 0, 0));
  EXPECT_EQ("", c.out());
  Conn cl(LEVEE_H1_CLIENT);
  std::string defaults("Host\0h\0Accept\0*/*\0", 18);
  std::string mine("accept\0text/html\0", 17);
  EXPECT_EQ(0, levee_h1_ask(cl.h, "GET", 3, "/q", 2, mine.data(), mine.size(), defaults.data(), defaults.size(),
                            nullptr, 0, LEVEE_H1_BODY_NONE, 0, 0));
  EXPECT_EQ("GET /q HTTP/1.1\r\naccept: text/html\r\nHost: h\r\n\r\n", cl.out());
}
