// Every SIMD level of the tokenizers against the portable path (levee.h
// only): the same tapes, tokens, error codes and offsets on random and
// adversarial input, at every prefix, with the input ending at a guard page
// and with the interesting bytes at the 16/32/64-byte block edges.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "guard_page.h"
#include "levee.h"

namespace {

// Restores the level in force when the test ends.
struct LevelGuard {
  int saved = levee_simd_level();
  ~LevelGuard() { levee_simd_set_level(saved); }
};

// The levels to compare with the portable one: every level this CPU has.
std::vector<int> vector_levels() {
  std::vector<int> v;
  for (int l = LEVEE_SIMD_PORTABLE + 1; l <= levee_simd_detected(); l++) v.push_back(l);
  return v;
}


std::string hex(const std::string &s) {
  std::string out;
  char b[4];
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      snprintf(b, sizeof b, "\\%02x", c);
      out += b;
    }
  }
  return out;
}

// ---------------------------------------------------------------- JSON

// Everything a JSON call observably produced: the return code, the error
// offset, and the whole tape with the unescaped strings.
std::string json_result(levee_json *j, int64_t rc, const uint8_t *base) {
  std::string out = "rc=" + std::to_string(rc) + " off=" + std::to_string(levee_json_error_offset(j));
  if (!levee_json_done(j)) return out;
  const levee_json_token *t = levee_json_tape(j);
  const uint8_t *arena = levee_json_strings(j);
  for (size_t i = 0; i < levee_json_count(j); i++) {
    char b[200];
    uint64_t bits;
    memcpy(&bits, &t[i].number, 8);
    snprintf(b, sizeof b, "|%u %u %llu %llu %llu %llx %lld", t[i].type, t[i].flags, (unsigned long long)t[i].off,
             (unsigned long long)t[i].len, (unsigned long long)t[i].aux, (unsigned long long)bits,
             (long long)t[i].integer);
    out += b;
    if (t[i].type == LEVEE_JSON_STRING) {
      out += ":" + std::string(reinterpret_cast<const char *>(base) + t[i].off, t[i].len);
      if (t[i].flags & LEVEE_JSON_FESCAPED)
        out += "=" + std::string(reinterpret_cast<const char *>(arena) + t[i].aux, size_t(t[i].integer));
    }
  }
  return out;
}

// Whole-document parse of s at the level in force, s ending at a guard page.
std::string json_parse_at(const std::string &s) {
  levee_json *j = nullptr;
  EXPECT_EQ(0, levee_json_new(&j));
  Guarded g(s);
  int rc = levee_json_parse(j, g.data, s.size());
  std::string out = json_result(j, rc, g.data);
  levee_json_free(j);
  return out;
}

// Feeds the prefix of n bytes, then the whole of s (eof at the end), at the
// level in force; both calls see s ending at a guard page.
std::string json_feed_at(const std::string &s, size_t n) {
  levee_json *j = nullptr;
  EXPECT_EQ(0, levee_json_new(&j));
  std::string out;
  {
    Guarded g(s.substr(0, n));
    int64_t rc = levee_json_feed(j, g.data, n, 0);
    out = "first " + json_result(j, rc, g.data) + " ";
    if (rc != 0) {
      levee_json_free(j);
      return out;
    }
  }
  Guarded g(s);
  int64_t rc = levee_json_feed(j, g.data, s.size(), 1);
  out += json_result(j, rc, g.data);
  levee_json_free(j);
  return out;
}

// Compares every vector level with the portable one on s: the whole parse,
// and (when `prefixes`) a feed of every prefix followed by the whole.
void json_compare(const std::string &s, bool prefixes) {
  LevelGuard keep;
  ASSERT_EQ(LEVEE_SIMD_PORTABLE, levee_simd_set_level(LEVEE_SIMD_PORTABLE));
  std::string want = json_parse_at(s);
  std::vector<std::string> want_feed;
  if (prefixes)
    for (size_t n = 0; n <= s.size(); n++) want_feed.push_back(json_feed_at(s, n));
  for (int level : vector_levels()) {
    ASSERT_EQ(level, levee_simd_set_level(level));
    ASSERT_EQ(want, json_parse_at(s)) << "level " << level << " input " << hex(s);
    if (prefixes) {
      for (size_t n = 0; n <= s.size(); n++)
        ASSERT_EQ(want_feed[n], json_feed_at(s, n)) << "level " << level << " prefix " << n << " of " << hex(s);
    }
  }
}

// Random valid UTF-8 text of about n bytes: ASCII, escapes, and two-,
// three- and four-byte characters in runs.
std::string random_text(std::mt19937 &rng, size_t n) {
  static const char *pieces[] = {"a", "Z", " ", "0", "~", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00",
                                 "\xc3\xa9", "\xdf\xbf", "\xe2\x82\xac", "\xe4\xb8\xad", "\xef\xbf\xbd",
                                 "\xe0\xa0\x80", "\xed\x9f\xbf", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
  std::string s;
  while (s.size() < n) {
    size_t k = rng() % (sizeof pieces / sizeof *pieces);
    size_t run = 1 + rng() % 12;
    for (size_t r = 0; r < run; r++) s += pieces[k < 5 ? rng() % 5 : k];
  }
  return s;
}

std::string random_ws(std::mt19937 &rng) {
  static const char ws[] = " \t\n\r";
  std::string s;
  size_t n = rng() % 4 == 0 ? rng() % 70 : rng() % 3;
  for (size_t i = 0; i < n; i++) s += ws[rng() % 4];
  return s;
}

std::string random_value(std::mt19937 &rng, int depth) {
  switch (depth > 3 ? rng() % 4 : rng() % 6) {
    case 0: {
      static const char *nums[] = {"0", "-0", "1", "-17", "3.25", "1e10", "-2.5E-3", "12345678901234567890",
                                   "0.1", "6.02214076e23", "-65.613616999999977", "1.7976931348623157e308"};
      return nums[rng() % (sizeof nums / sizeof *nums)];
    }
    case 1: return rng() % 3 == 0 ? "true" : rng() % 2 ? "false" : "null";
    case 2:
    case 3: return "\"" + random_text(rng, rng() % 3 == 0 ? rng() % 200 : rng() % 20) + "\"";
    case 4: {
      std::string s = "[" + random_ws(rng);
      size_t n = rng() % 5;
      for (size_t i = 0; i < n; i++) s += (i ? "," + random_ws(rng) : "") + random_value(rng, depth + 1) + random_ws(rng);
      return s + "]";
    }
    default: {
      std::string s = "{" + random_ws(rng);
      size_t n = rng() % 5;
      for (size_t i = 0; i < n; i++)
        s += (i ? "," + random_ws(rng) : "") + "\"" + random_text(rng, rng() % 10) + "\"" + random_ws(rng) + ":" +
             random_ws(rng) + random_value(rng, depth + 1) + random_ws(rng);
      return s + "}";
    }
  }
}

// Bytes that break or probe UTF-8 and JSON strings.
const std::vector<std::string> kHostile = {
    std::string(1, '\0'), "\x1f", "\x7f", "\"", "\\", "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xe0\x80\x80",
    "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xef\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
    "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\xe4\xb8", "\xf0\x9f\x98",
    "\\u", "\\ud800", "\\udc00", "\\x", "\n", "\t"};

}  // namespace

TEST(SimdJson, LevelsAreReportedAndSettable) {
  LevelGuard keep;
  int best = levee_simd_detected();
  EXPECT_GE(best, LEVEE_SIMD_PORTABLE);
  EXPECT_LT(best, LEVEE_SIMD_AVX512);  // no AVX-512 path exists yet
  EXPECT_EQ(LEVEE_SIMD_PORTABLE, levee_simd_set_level(LEVEE_SIMD_PORTABLE));
  EXPECT_EQ(LEVEE_SIMD_PORTABLE, levee_simd_level());
  EXPECT_EQ(best, levee_simd_set_level(best));
  EXPECT_EQ(LEVEE_EINVAL, levee_simd_set_level(-1));
  EXPECT_EQ(LEVEE_EINVAL, levee_simd_set_level(LEVEE_SIMD_AVX512 + 1));
  EXPECT_EQ(LEVEE_ENOTSUP, levee_simd_set_level(LEVEE_SIMD_AVX512));
  EXPECT_EQ(best, levee_simd_level());  // a refused level changes nothing
}

TEST(SimdJson, RandomDocumentsGiveThePortableTapeAtEveryLevel) {
  std::mt19937 rng(1);
  for (int i = 0; i < 400; i++) json_compare(random_ws(rng) + random_value(rng, 0) + random_ws(rng), false);
}

TEST(SimdJson, EveryPrefixOfRandomDocumentsResumesLikeThePortablePath) {
  std::mt19937 rng(2);
  for (int i = 0; i < 30; i++) json_compare(random_value(rng, 1), true);
}

TEST(SimdJson, HostileBytesInStringsGiveThePortableErrorAndOffset) {
  std::mt19937 rng(3);
  for (int i = 0; i < 1500; i++) {
    std::string text = random_text(rng, rng() % 120);
    size_t at = rng() % (text.size() + 1);
    // keep the insertion at a character boundary of the valid text
    while (at < text.size() && (uint8_t(text[at]) & 0xC0) == 0x80) at++;
    text.insert(at, kHostile[rng() % kHostile.size()]);
    json_compare("[\"" + text + "\", 1]", false);
  }
}

TEST(SimdJson, SpecialBytesAtEveryBlockEdge) {
  // A string whose content puts each probe at offsets 0..70 from the start
  // of the input, so it lands before, on and after the 16, 32 and 64-byte
  // block edges (and at a guard page when the input ends there).
  std::vector<std::string> probes = kHostile;
  for (const char *ok : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\n", "\\u00e9"}) probes.push_back(ok);
  for (const std::string &probe : probes) {
    for (size_t at = 0; at <= 70; at++) {
      for (const std::string &fill : {std::string("a"), std::string("\xe4\xb8\xad")}) {
        std::string body;
        while (body.size() + fill.size() <= at) body += fill;
        while (body.size() < at) body += "b";
        std::string doc = "\"" + body + probe + std::string(70 - at, 'c') + "\"";
        json_compare(doc, false);
        json_compare("\"" + body + probe, false);  // cut inside the string at the guard page
      }
    }
  }
}

TEST(SimdJson, StringFlagsCarriedThroughPlainBlocksReachOnlyTheirOwnString) {
  // Stage 1 skips its flag carries on blocks without a backslash or a byte
  // >= 0x80 inside a string; a flagged string whose closing quote lies one
  // or more plain 64-byte blocks (and index windows) later must still get
  // its flags, and the plain strings after it none.
  for (const char *mark : {"\\n", "\\u00e9", "\xc3\xa9", "\xe4\xb8\xad"}) {
    for (size_t lead : {0, 1, 30, 62, 63, 64, 65}) {
      for (size_t plain : {0, 1, 63, 64, 65, 127, 128, 200, 520, 1100}) {
        std::string doc = "[\"" + std::string(lead, 'a') + mark + std::string(plain, 'b') + "\"";
        for (int k = 0; k < 3; k++) doc += ",\"" + std::string(plain / 2 + size_t(k), 'c') + "\"";
        doc += ",\"" + std::string(plain, 'd') + mark + "\"]";
        json_compare(doc, false);
      }
    }
  }
}

TEST(SimdJson, WhiteSpaceRunsOfEveryLengthAroundBlockEdges) {
  for (size_t n = 0; n <= 100; n++) {
    for (const char *ws : {" ", "\n", "\t", "\r", " \n"}) {
      std::string run;
      while (run.size() < n) run += ws;
      run.resize(n);
      json_compare("[" + run + "1" + run + "," + run + "\"x\"" + run + "]" + run, false);
      json_compare(run + "[" + run + "\x0b" + run + "]", false);  // vertical tab is not white space
      json_compare(run + "{" + run + "\"k\"" + run + ":" + run + std::string(1, '\0'), false);
    }
  }
}

TEST(SimdJson, ScalarsRunningIntoOtherBytesGiveThePortableErrorAtEveryBlockEdge) {
  // Stage 2 indexes only the first byte of a run of non-structural bytes:
  // whatever follows a number or a literal must still be reported where the
  // portable path reports it, with the scalar's end on every block edge.
  const char *scalars[] = {"0", "-1", "12", "1.5", "2e5", "true", "false", "null"};
  const char *after[] = {"x", "-", "+", ".", "e", "0", "\"", "\x0c", "\x1a", "\x80", "/", "t", " x", "\t-", "\n\"k\""};
  for (const char *scalar : scalars) {
    for (const char *next : after) {
      for (size_t pad = 0; pad <= 66; pad++) {
        std::string fill(pad, ' ');
        json_compare("[" + fill + scalar + next + "]", false);
        json_compare("[" + fill + scalar + next + ", 1]", false);
        json_compare("{\"k\":" + fill + scalar + next + "}", false);
        json_compare("[" + fill + scalar + " " + next + "]", false);
      }
    }
  }
}

TEST(SimdJson, NumbersGiveThePortableValues) {
  std::mt19937_64 rng(4);
  char text[64];
  for (int i = 0; i < 3000; i++) {
    uint64_t bits = rng();
    double x;
    memcpy(&x, &bits, 8);
    if (x != x) continue;
    snprintf(text, sizeof text, "[%.*g, %.17g]", int(1 + rng() % 19), x, x);
    json_compare(text, false);
  }
}

TEST(SimdJson, ArraysOfNumbersGiveThePortableTapeWithAnyByteReplacedAtEveryOffset) {
  // Stage 2 reads an array that starts with a number in a loop of its own
  // (number, ',' or ']', number...) and leaves it for anything else: every
  // byte of such arrays replaced by each probe, at several alignments,
  // every prefix of the plain document, and arrays left at each element.
  // Arrays of such arrays go on in the loop too (']', ',', '[' and a
  // number), also as members of objects and at the end of the document.
  const char probes[] = {',', ']', '[', '}', '{', ' ', '\n', 'x', '-', '+', '.', 'e', '"', ':', '0', '9', '\0', '\x80'};
  for (const std::string &doc :
       {std::string("[[-65.613616999999977,43.420273000000009],[-65.625,43.421379000000059], [ 1 , -2 ,3e2] ,[0.5,[7]],"
                    "[8,\"s\"],[9,{\"k\":1}],[10,true,null],[],[-0],[4]]"),
        std::string("{\"c\":[[1,2],[3,4]],\"d\":[5],\"e\":{\"f\":[6,[7,8]]},\"g\":[[9],[[1]],[2,[3]]]}")}) {
    for (size_t pad : {0, 1, 7, 30}) {
      std::string padded = std::string(pad, ' ') + doc;
      json_compare(padded, pad == 0);
      for (size_t k = pad; k < padded.size(); k++) {
        for (char probe : probes) {
          std::string bad = padded;
          bad[k] = probe;
          json_compare(bad, false);
        }
        json_compare(padded.substr(0, k) + padded.substr(k + 1), false);  // the byte left out
      }
    }
  }
}

TEST(SimdJson, ArraysOfNumbersAtTheDepthLimitGiveThePortableResult) {
  // The depth is checked when the array opens, before its numbers are read
  // by stage 2's loop: [[...[1,2]...]] at, just under and just over the
  // default limit.
  const int max = int(LEVEE_JSON_MAX_DEPTH);
  for (int depth : {1, 2, max - 1, max, max + 1}) {
    std::string s = std::string(size_t(depth), '[') + "1,-2.5" + std::string(size_t(depth), ']');
    json_compare(s, false);
    json_compare(std::string(size_t(depth), '[') + "-3.25]" + std::string(size_t(depth - 1), ']'), false);
    json_compare(std::string(size_t(depth), '[') + "1," + std::string(size_t(depth), ']'), false);
    // a second array of numbers opened from the loop, at the same depth
    json_compare(std::string(size_t(depth - 1), '[') + "[1,2],[3],[4,5]" + std::string(size_t(depth - 1), ']'), false);
  }
}

// ---------------------------------------------------------------- HTTP

namespace {

std::string http_token(const uint8_t *b, const levee_http_token &t) {
  char x[160];
  snprintf(x, sizeof x, "%d %u %u %u %u %u %u %u %llu %u|", t.type, t.end, t.a_off, t.a_len, t.b_off, t.b_len, t.status,
           t.version, (unsigned long long)t.length, t.chunked);
  std::string out = x;
  if (t.type >= LEVEE_HTTP_T_REQUEST && t.type <= LEVEE_HTTP_T_FIELD)
    out += std::string(reinterpret_cast<const char *>(b) + t.a_off, t.a_len) + "|" +
           std::string(reinterpret_cast<const char *>(b) + t.b_off, t.b_len) + "|";
  return out;
}

// The head of s (ending at a guard page) read by one bulk levee_http_parse
// call (the whole-head path), and read by levee_http_next one token at a
// time (the line path), at the level in force: each as its tokens (offsets
// from the first byte) and how it ended ("end" after a body token, else the
// code of the call that stopped). Both must be equal; returns the bulk one.
// With `lim`, both read under those limits.
std::string http_read(int32_t mode, const std::string &s, const levee_http_limits *lim = nullptr) {
  Guarded g(s);
  levee_http *p = nullptr;
  EXPECT_EQ(0, levee_http_new(&p, mode));
  if (lim) {
    EXPECT_EQ(0, levee_http_limits_set(p, lim));
  }
  std::vector<levee_http_token> toks(256);
  int n = levee_http_parse(p, g.data, s.size(), toks.data(), uint32_t(toks.size()));
  std::string bulk;
  for (int i = 0; i < n; i++) bulk += http_token(g.data, toks[i]);
  if (n > 0 && toks[n - 1].type >= LEVEE_HTTP_T_BODY_START) {
    bulk += "end";
  } else {
    levee_http_token t;
    size_t used = n > 0 ? toks[n - 1].end : 0;
    bulk += n < 0 ? std::to_string(n) : std::to_string(levee_http_next(p, g.data + used, s.size() - used, &t));
  }
  levee_http_init(p, mode);
  std::string line;
  size_t pos = 0;
  for (;;) {
    levee_http_token t;
    int rc = levee_http_next(p, g.data + pos, s.size() - pos, &t);
    if (rc <= 0) {
      line += std::to_string(rc);
      break;
    }
    t.end += uint32_t(pos);
    if (t.type <= LEVEE_HTTP_T_FIELD) {
      t.a_off += uint32_t(pos);
      t.b_off += uint32_t(pos);
    }
    line += http_token(g.data, t);
    pos += size_t(rc);
    if (t.type >= LEVEE_HTTP_T_BODY_START) {
      line += "end";
      break;
    }
  }
  levee_http_free(p);
  EXPECT_EQ(line, bulk) << "bulk and token-by-token reads differ on " << hex(s);
  return bulk;
}

// Every vector level gives what the portable level gives (and within each
// level the bulk and token reads agree); with `prefixes`, for every prefix
// of s too. Returns the portable level's reading of the whole of s.
std::string http_compare(int32_t mode, const std::string &s, bool prefixes, const levee_http_limits *lim = nullptr) {
  LevelGuard keep;
  size_t from = prefixes ? 0 : s.size();
  std::string want;
  for (size_t n = from; n <= s.size(); n++) {
    std::string cut = s.substr(0, n);
    EXPECT_EQ(LEVEE_SIMD_PORTABLE, levee_simd_set_level(LEVEE_SIMD_PORTABLE));
    want = http_read(mode, cut, lim);
    for (int level : vector_levels()) {
      EXPECT_EQ(level, levee_simd_set_level(level));
      EXPECT_EQ(want, http_read(mode, cut, lim)) << "level " << level << " input " << hex(cut);
    }
  }
  return want;
}

std::string random_bytes_of(std::mt19937 &rng, size_t n, const std::string &alphabet) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += alphabet[rng() % alphabet.size()];
  return s;
}

const std::string kTchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const std::string kHttpHostile = std::string("\0\x01\x08\x0a\x0d\x1f\x7f\x80\xff \t:;\"(),/<=>?@[\\]{}", 27);

std::string vchars() {
  std::string s;
  for (int c = 0x21; c < 0x7f; c++) s += char(c);
  return s;
}

// A random request head: mostly valid, sometimes with a hostile byte in a
// random place, with elements around the 8/16/32/64-byte edges.
std::string random_request(std::mt19937 &rng) {
  static const std::string targets = vchars();
  static const std::string values = vchars() + " \t\x80\xc3\xa9\xff";
  static const size_t lens[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
  std::string method = random_bytes_of(rng, 1 + rng() % 8, kTchars);
  std::string s = method + " /" + random_bytes_of(rng, lens[rng() % 16], targets) + " HTTP/1." + char('0' + rng() % 2) + "\r\n";
  size_t nf = rng() % 8;
  for (size_t i = 0; i < nf; i++) {
    switch (rng() % 8) {
      case 0: s += "Content-Length: " + std::to_string(rng() % 1000) + "\r\n"; break;
      case 1: s += "Transfer-Encoding: chunked\r\n"; break;
      default:
        s += random_bytes_of(rng, 1 + lens[rng() % 16], kTchars) + ":" + std::string(rng() % 3, ' ') +
             random_bytes_of(rng, lens[rng() % 16], values) + std::string(rng() % 2, '\t') + "\r\n";
    }
  }
  s += "\r\n";
  if (rng() % 3 == 0) {
    size_t at = rng() % s.size();
    s.insert(at, 1, kHttpHostile[rng() % kHttpHostile.size()]);
  }
  return s;
}

}  // namespace

TEST(SimdHttp, RandomRequestHeadsGiveThePortableTokensAtEveryLevel) {
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; i++) http_compare(LEVEE_HTTP_MODE_REQUEST, random_request(rng), false);
}

TEST(SimdHttp, EveryPrefixOfRandomRequestHeadsAgrees) {
  std::mt19937 rng(6);
  for (int i = 0; i < 40; i++) http_compare(LEVEE_HTTP_MODE_REQUEST, random_request(rng), true);
}

TEST(SimdHttp, HostileBytesAtEveryBlockEdgeOfTargetNameAndValue) {
  for (char bad : kHttpHostile) {
    for (size_t at = 0; at <= 70; at++) {
      std::string run(at, 'x');
      std::string b(1, bad);
      http_compare(LEVEE_HTTP_MODE_REQUEST, "GET /" + run + b + "y HTTP/1.1\r\nHost: a\r\n\r\n", false);
      http_compare(LEVEE_HTTP_MODE_REQUEST, "GET / HTTP/1.1\r\n" + run + b + "Name: v\r\n\r\n", false);
      http_compare(LEVEE_HTTP_MODE_REQUEST, "GET / HTTP/1.1\r\nName: " + run + b + "z\r\n\r\n", false);
      http_compare(LEVEE_HTTP_MODE_RESPONSE, "HTTP/1.1 200 " + run + b + "\r\nName: " + run + b + "\r\n\r\n", false);
    }
  }
}

TEST(SimdHttp, GetHeadsWithAndWithoutFramingFieldsReadAsTokenByToken) {
  // The whole-head path takes "GET " with one compare and ends a head
  // without Content-Length / Transfer-Encoding itself: every prefix of these
  // must read as the token loop reads it.
  for (const char *start : {"GET / ", "GET /x ", "GETS / ", "GET\t/ ", "GET  / ", "GE / ", "GET/ ", "GEt / "}) {
    for (const char *fields : {"", "Host: a\r\n", "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n",
                               "Transfer-Encoding: gzip\r\n", "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n",
                               "Host: a\r\nContent-Length: 0\r\n"}) {
      http_compare(LEVEE_HTTP_MODE_REQUEST, std::string(start) + "HTTP/1.1\r\n" + fields + "\r\nabc", true);
    }
  }
}

TEST(SimdHttp, LimitsGiveThePortableErrorsAtEveryLevel) {
  LevelGuard keep;
  for (size_t n : {size_t(31), size_t(32), size_t(33), size_t(255), size_t(256), size_t(257), size_t(1023),
                   size_t(1024), size_t(1025)}) {
    for (const std::string &s : {"GET / HTTP/1.1\r\n" + std::string(n, 'N') + ": v\r\n\r\n",
                                 "GET / HTTP/1.1\r\nN: " + std::string(n, 'v') + "\r\n\r\n",
                                 std::string(n > 40 ? 40 : n, 'M') + " / HTTP/1.1\r\n\r\n"}) {
      http_compare(LEVEE_HTTP_MODE_REQUEST, s, false);
    }
  }
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; i++) many += "H" + std::to_string(i) + ": v\r\n";
  http_compare(LEVEE_HTTP_MODE_REQUEST, many + "\r\n", false);
}

namespace {

// A short request head (mostly under 64 bytes): the shapes the quiet path
// (a head that cannot exceed any limit, read without the size checks) takes.
std::string tiny_request(std::mt19937 &rng) {
  static const std::string targets = vchars();
  static const std::string values = vchars() + " \t\x80\xff";
  std::string s = rng() % 2 ? "GET" : random_bytes_of(rng, 1 + rng() % 6, kTchars);
  s += " " + random_bytes_of(rng, 1 + rng() % 10, targets) + " HTTP/1." + char('0' + rng() % 2) + "\r\n";
  size_t nf = rng() % 4;
  for (size_t i = 0; i < nf; i++) {
    switch (rng() % 6) {
      case 0: s += "Content-Length: " + std::to_string(rng() % 100) + "\r\n"; break;
      case 1: s += "Transfer-Encoding: chunked\r\n"; break;
      default:
        s += random_bytes_of(rng, 1 + rng() % 6, kTchars) + ":" + std::string(rng() % 3, ' ') +
             random_bytes_of(rng, rng() % 8, values) + std::string(rng() % 2, ' ') + "\r\n";
    }
  }
  s += "\r\n";
  if (rng() % 3 == 0) s.insert(rng() % s.size(), 1, kHttpHostile[rng() % kHttpHostile.size()]);
  if (rng() % 4 == 0) s += "x";  // a byte of body or of the next request
  return s;
}

// Limits that every element of a head of n bytes fits (so a read of those n
// bytes may skip the size checks), with member `which` (in the order of
// levee_http_limits) set to `value`.
levee_http_limits limits_around(size_t n, size_t which, uint32_t value) {
  uint32_t all = uint32_t(n ? n : 1);
  levee_http_limits l = {all, all, all, all, all, (all + 3) / 4, all};
  (&l.max_method)[which] = value;
  return l;
}

}  // namespace

TEST(SimdHttp, TinyHeadsReadAsTheTokenLoopWithEveryLimitAtEveryValue) {
  // Each limit from 1 to past the head's length: at the length and above
  // the whole-head path reads without size checks, below it with them;
  // both must give the token loop's tokens and verdict.
  std::mt19937 rng(7);
  for (int i = 0; i < 150; i++) {
    std::string s = tiny_request(rng);
    std::string plain = http_compare(LEVEE_HTTP_MODE_REQUEST, s, false);
    for (size_t which = 0; which < sizeof(levee_http_limits) / sizeof(uint32_t); which++) {
      uint32_t top = which == 5 ? uint32_t(s.size() / 4 + 2) : uint32_t(s.size() + 1);
      for (uint32_t v = 1; v <= top; v++) {
        levee_http_limits l = limits_around(s.size(), which, v);
        std::string got = http_compare(LEVEE_HTTP_MODE_REQUEST, s, false, &l);
        if (v >= top - 1) {
          EXPECT_EQ(plain, got) << "limit " << which << " = " << v << " on " << hex(s);
        }
      }
    }
  }
}

TEST(SimdHttp, EveryPrefixOfTinyHeadsAgreesUnderLimitsAtTheirLength) {
  std::mt19937 rng(8);
  for (int i = 0; i < 200; i++) {
    std::string s = tiny_request(rng);
    levee_http_limits l = limits_around(s.size(), 0, uint32_t(s.size()));
    http_compare(LEVEE_HTTP_MODE_REQUEST, s, true, &l);
  }
}

TEST(SimdHttp, HostileBytesAtEveryOffsetOfTheMinimalRequest) {
  // Every byte of the 27-byte request replaced by each hostile byte, and
  // inserted before it: each head reads as the token loop reads it, with
  // the default limits (the quiet path) and with limits of its length.
  const std::string base = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t at = 0; at < base.size(); at++) {
    for (char bad : kHttpHostile) {
      for (std::string s : {base.substr(0, at) + bad + base.substr(at + 1), base.substr(0, at) + bad + base.substr(at)}) {
        http_compare(LEVEE_HTTP_MODE_REQUEST, s, false);
        levee_http_limits l = limits_around(s.size(), 0, uint32_t(s.size()));
        http_compare(LEVEE_HTTP_MODE_REQUEST, s, false, &l);
      }
    }
  }
}

TEST(SimdHttp, ManyMinimalFieldsCountAgainstMaxHeadersAtEveryValue) {
  // "a:\r\n" is the shortest field line (4 bytes), what the quiet path's
  // bound on the header count rests on.
  for (size_t k : {1, 2, 5, 16, 40}) {
    std::string s = "G / HTTP/1.1\r\n";
    for (size_t i = 0; i < k; i++) s += "a:\r\n";
    s += "\r\n";
    for (uint32_t v = 1; v <= uint32_t(k + 1); v++) {
      levee_http_limits l = limits_around(s.size(), 5, v);
      std::string got = http_compare(LEVEE_HTTP_MODE_REQUEST, s, false, &l);
      EXPECT_EQ(v >= k, got.size() >= 3 && got.compare(got.size() - 3, 3, "end") == 0) << k << " fields, max " << v;
    }
  }
}
