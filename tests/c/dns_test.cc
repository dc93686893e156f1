// Black-box tests of the dns section of levee.h: the query builder, the
// answer parser (well-formed answers of every type, RCODEs, datagrams that
// are not answers, hostile messages), the resolv.conf reader and the
// getaddrinfo worker (names from /etc/hosts and literals only: nothing here
// leaves the machine).
#include <gtest/gtest.h>
#include <levee.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

struct Msg {
  Bytes b;
  Msg &u8(unsigned v) {
    b.push_back(uint8_t(v));
    return *this;
  }
  Msg &u16(unsigned v) { return u8(v >> 8).u8(v); }
  Msg &u32(uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Msg &raw(const std::string &s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  // An uncompressed name ("a.b" -> 1a1b0).
  Msg &name(const std::string &n) {
    size_t i = 0;
    while (i < n.size()) {
      size_t dot = n.find('.', i);
      if (dot == std::string::npos) dot = n.size();
      u8(unsigned(dot - i)).raw(n.substr(i, dot - i));
      i = dot + 1;
    }
    return u8(0);
  }
  Msg &ptr(unsigned off) { return u16(0xC000 | off); }
  // Type, class IN, ttl and rdlength of a record whose owner was written.
  Msg &rr(unsigned type, uint32_t ttl, unsigned rdlen) { return u16(type).u16(1).u32(ttl).u16(rdlen); }
};

Bytes query(const char *name, int type, uint16_t *id = nullptr) {
  uint8_t buf[512];
  uint16_t qid = 0;
  int n = levee_dns_query(buf, sizeof buf, name, type, &qid);
  EXPECT_GT(n, 0);
  if (id) *id = qid;
  return Bytes(buf, buf + (n > 0 ? n : 0));
}

// The response header and question for q, with ancount answers to follow.
Msg answer(const Bytes &q, unsigned ancount, unsigned rcode = 0, unsigned nscount = 0,
           unsigned arcount = 0) {
  Msg m;
  m.b.assign(q.begin(), q.end());
  m.b[2] = 0x81;  // QR, RD
  m.b[3] = uint8_t(0x80 | rcode);  // RA
  m.b[6] = uint8_t(ancount >> 8), m.b[7] = uint8_t(ancount);
  m.b[8] = uint8_t(nscount >> 8), m.b[9] = uint8_t(nscount);
  m.b[10] = uint8_t(arcount >> 8), m.b[11] = uint8_t(arcount);
  return m;
}

struct Answer {
  levee_dns_answer *a = nullptr;
  Answer() { EXPECT_EQ(0, levee_dns_answer_new(&a)); }
  ~Answer() { levee_dns_answer_free(a); }
  int parse(const Bytes &q, const Bytes &m) {
    // An exact-size heap copy so the sanitizers see any read past the end.
    uint8_t *copy = static_cast<uint8_t *>(malloc(m.size() ? m.size() : 1));
    if (!m.empty()) memcpy(copy, m.data(), m.size());
    int rc = levee_dns_answer_parse(a, q.data(), q.size(), copy, m.size());
    free(copy);
    return rc;
  }
  std::string rec(size_t i) {
    levee_dns_record r;
    if (levee_dns_answer_record(a, i, &r) != 0) return "none";
    return std::string(r.name) + " " + std::to_string(r.ttl) + " " +
           levee_dns_type_name(r.type) + " " + r.data;
  }
};

const uint16_t kQname = 12;  // offset of the question name (for pointers)

TEST(DnsType, NamesAndNumbers) {
  EXPECT_EQ(LEVEE_DNS_TYPE_A, levee_dns_type("A"));
  EXPECT_EQ(LEVEE_DNS_TYPE_AAAA, levee_dns_type("aaaa"));
  EXPECT_EQ(LEVEE_DNS_TYPE_SSHFP, levee_dns_type("SSHFP"));
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_type("ANY"));
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_type(nullptr));
  EXPECT_STREQ("MX", levee_dns_type_name(15));
  EXPECT_EQ(nullptr, levee_dns_type_name(255));
}

TEST(DnsQuery, BuildsOneRecursiveQuestion) {
  uint16_t id1 = 0, id2 = 0;
  Bytes q = query("www.Example.com", LEVEE_DNS_TYPE_MX, &id1);
  Msg want;
  want.u16(id1).u16(0x0100).u16(1).u16(0).u16(0).u16(0).name("www.Example.com").u16(15).u16(1);
  EXPECT_EQ(want.b, q);
  EXPECT_EQ(q, (query("www.Example.com.", LEVEE_DNS_TYPE_MX, &id1), q));
  // Ids are random: a handful of queries do not all share one.
  bool differ = false;
  for (int i = 0; i < 8 && !differ; ++i) {
    query("a", 1, &id2);
    differ = id2 != id1;
  }
  EXPECT_TRUE(differ);
  Bytes esc = query("a\\.b.c\\099", 1);
  Msg want2;
  want2.u8(3).raw("a.b").u8(2).raw("cc").u8(0);
  EXPECT_EQ(want2.b, Bytes(esc.begin() + 12, esc.end() - 4));
  Bytes root = query(".", 2);
  EXPECT_EQ(0, root[12]);
}

TEST(DnsQuery, RefusesBadNamesAndShortBuffers) {
  uint8_t buf[512];
  uint16_t id;
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, "", 1, &id));
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, "a..b", 1, &id));
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, ".a", 1, &id));
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, "a\\", 1, &id));
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, "a\\25", 1, &id));
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, "a\\256", 1, &id));
  std::string label63(63, 'x'), label64(64, 'x');
  EXPECT_GT(levee_dns_query(buf, sizeof buf, label63.c_str(), 1, &id), 0);
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, label64.c_str(), 1, &id));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += label63 + ".";
  EXPECT_EQ(LEVEE_DNS_EILLEGAL, levee_dns_query(buf, sizeof buf, long_name.c_str(), 1, &id));
  EXPECT_EQ(LEVEE_DNS_ENOBUFS, levee_dns_query(buf, 20, "example.com", 1, &id));
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_query(buf, sizeof buf, nullptr, 1, &id));
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_query(buf, sizeof buf, "a", 70000, &id));
}

TEST(DnsAnswer, AddressRecords) {
  Answer a;
  Bytes q = query("imgx.com", LEVEE_DNS_TYPE_A);
  Msg m = answer(q, 2);
  m.ptr(kQname).rr(1, 300, 4).u8(162).u8(255).u8(119).u8(249);
  m.ptr(kQname).rr(1, 7, 4).u8(10).u8(0).u8(0).u8(1);
  ASSERT_EQ(2, a.parse(q, m.b));
  EXPECT_EQ(2, levee_dns_answer_count(a.a));
  EXPECT_EQ("imgx.com. 300 A 162.255.119.249", a.rec(0));
  EXPECT_EQ("imgx.com. 7 A 10.0.0.1", a.rec(1));
  levee_dns_record r;
  EXPECT_EQ(LEVEE_ERANGE, levee_dns_answer_record(a.a, 2, &r));

  Bytes q6 = query("v6.example", LEVEE_DNS_TYPE_AAAA);
  Msg m6 = answer(q6, 1);
  m6.ptr(kQname).rr(28, 60, 16).u16(0x2001).u16(0xdb8).u32(0).u32(0).u32(1);
  ASSERT_EQ(1, a.parse(q6, m6.b));
  EXPECT_EQ("v6.example. 60 AAAA 2001:db8::1", a.rec(0));
}

TEST(DnsAnswer, CnameChainKeepsTheFinalOwner) {
  Answer a;
  Bytes q = query("www.opendns.com", LEVEE_DNS_TYPE_A);
  Msg m = answer(q, 2);
  size_t target = m.b.size() + 12;  // where the CNAME rdata name starts
  m.ptr(kQname).rr(5, 100, 17).name("www.opendns.org");
  m.ptr(unsigned(target)).rr(1, 50, 4).u8(1).u8(2).u8(3).u8(4);
  ASSERT_EQ(1, a.parse(q, m.b));
  EXPECT_EQ("www.opendns.org. 50 A 1.2.3.4", a.rec(0));
  // Asking for the CNAME itself reports it.
  Bytes qc = query("www.opendns.com", LEVEE_DNS_TYPE_CNAME);
  Msg mc = answer(qc, 1);
  mc.ptr(kQname).rr(5, 100, 17).name("www.opendns.org");
  ASSERT_EQ(1, a.parse(qc, mc.b));
  EXPECT_EQ("www.opendns.com. 100 CNAME www.opendns.org.", a.rec(0));
}

TEST(DnsAnswer, EveryNamedTypeAsText) {
  Answer a;
  {
    Bytes q = query("example.com", LEVEE_DNS_TYPE_MX);
    Msg m = answer(q, 2);
    m.ptr(kQname).rr(15, 3600, 4).u16(10).ptr(kQname);
    m.ptr(kQname).rr(15, 3600, 9).u16(20).u8(4).raw("mail").ptr(kQname);
    ASSERT_EQ(2, a.parse(q, m.b));
    EXPECT_EQ("example.com. 3600 MX 10 example.com.", a.rec(0));
    EXPECT_EQ("example.com. 3600 MX 20 mail.example.com.", a.rec(1));
  }
  {
    Bytes q = query("example.com", LEVEE_DNS_TYPE_TXT);
    Msg m = answer(q, 3);
    m.ptr(kQname).rr(16, 1, 12).u8(11).raw("v=spf1 -all");
    m.ptr(kQname).rr(16, 1, 8).u8(3).raw("a\"b").u8(3).raw("c\\\n");
    m.ptr(kQname).rr(16, 1, 1).u8(0);
    ASSERT_EQ(3, a.parse(q, m.b));
    EXPECT_EQ("example.com. 1 TXT \"v=spf1 -all\"", a.rec(0));
    EXPECT_EQ("example.com. 1 TXT \"a\\034bc\\092\\010\"", a.rec(1));
    EXPECT_EQ("example.com. 1 TXT \"\"", a.rec(2));
  }
  {
    Bytes q = query("_sip._tcp.example.com", LEVEE_DNS_TYPE_SRV);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(33, 86400, 6 + 13).u16(10).u16(60).u16(5060).name("sip.example");
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("_sip._tcp.example.com. 86400 SRV 10 60 5060 sip.example.", a.rec(0));
  }
  {
    Bytes q = query("example.com", LEVEE_DNS_TYPE_SOA);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(6, 900, 6 + 8 + 20).u8(3).raw("ns1").ptr(kQname).u8(5).raw("admin").ptr(kQname);
    m.u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300);
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("example.com. 900 SOA ns1.example.com. admin.example.com. 2024010101 7200 3600 1209600 300",
              a.rec(0));
  }
  {
    Bytes q = query("example.com", LEVEE_DNS_TYPE_NS);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(2, 5, 5).u8(1).raw("a").u8(1).raw("b").u8(0);
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("example.com. 5 NS a.b.", a.rec(0));
  }
  {
    Bytes q = query("1.0.0.127.in-addr.arpa", LEVEE_DNS_TYPE_PTR);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(12, 5, 11).name("localhost");
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("1.0.0.127.in-addr.arpa. 5 PTR localhost.", a.rec(0));
  }
  {
    Bytes q = query("host.example", LEVEE_DNS_TYPE_SSHFP);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(44, 5, 6).u8(1).u8(2).u32(0xdeadBEEF);
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("host.example. 5 SSHFP 1 2 deadbeef", a.rec(0));
  }
  {
    Bytes q = query("odd\\.label.example", LEVEE_DNS_TYPE_A);
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(1, 5, 4).u32(0x7f000001);
    ASSERT_EQ(1, a.parse(q, m.b));
    EXPECT_EQ("odd\\.label.example. 5 A 127.0.0.1", a.rec(0));
  }
}

TEST(DnsAnswer, RcodesAreErrors) {
  Answer a;
  Bytes q = query("nowhere.example", LEVEE_DNS_TYPE_A);
  EXPECT_EQ(LEVEE_DNS_NXDOMAIN, a.parse(q, answer(q, 0, 3).b));
  EXPECT_EQ(0, levee_dns_answer_count(a.a));
  EXPECT_EQ(LEVEE_DNS_SERVFAIL, a.parse(q, answer(q, 0, 2).b));
  EXPECT_EQ(LEVEE_DNS_NOTIMP, a.parse(q, answer(q, 0, 4).b));
  EXPECT_EQ(LEVEE_DNS_REFUSED, a.parse(q, answer(q, 0, 5).b));
  EXPECT_STREQ("dns.NXDOMAIN", levee_errname(LEVEE_DNS_NXDOMAIN));
  // A FORMERR answer without the question is still the server's verdict.
  Msg bare;
  bare.b.assign(q.begin(), q.begin() + 12);
  bare.b[2] = 0x81, bare.b[3] = 0x01, bare.b[5] = 0;
  EXPECT_EQ(LEVEE_DNS_FORMERR, a.parse(q, bare.b));
  // Extended RCODE 16 (BADVERS) = header 0 + OPT high bits 1.
  Msg ext = answer(q, 0, 0, 0, 1);
  ext.u8(0).u16(41).u16(1232).u32(0x01000000).u16(0);
  EXPECT_EQ(LEVEE_DNS_BADVERS, a.parse(q, ext.b));
  // An unregistered RCODE is dns.EUNKNOWN, described.
  EXPECT_EQ(LEVEE_DNS_EUNKNOWN, a.parse(q, answer(q, 0, 12).b));
  EXPECT_NE(nullptr, strstr(levee_last_message(), "RCODE 12"));
  // An empty NOERROR answer is no records.
  EXPECT_EQ(0, a.parse(q, answer(q, 0).b));
}

TEST(DnsAnswer, DatagramsThatAreNotTheAnswer) {
  Answer a;
  Bytes q = query("example.com", LEVEE_DNS_TYPE_A);
  Msg ok = answer(q, 1);
  ok.ptr(kQname).rr(1, 5, 4).u32(0x01020304);
  Bytes other_id = ok.b;
  other_id[1] ^= 1;
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, other_id));
  Bytes not_response = ok.b;
  not_response[2] &= 0x7f;
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, not_response));
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, Bytes(ok.b.begin(), ok.b.begin() + 11)));
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, Bytes()));
  Bytes q2 = query("example.org", LEVEE_DNS_TYPE_A);
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, answer(q2, 0).b));  // another question
  Bytes q3 = query("example.com", LEVEE_DNS_TYPE_MX);
  Bytes m3 = answer(q3, 0).b;
  m3[0] = q[0], m3[1] = q[1];
  EXPECT_EQ(LEVEE_DNS_ENOANSWER, a.parse(q, m3));  // another type
  Bytes upper = ok.b;
  upper[13] = 'E';  // names compare case-insensitively
  EXPECT_EQ(1, a.parse(q, upper));
  EXPECT_EQ(1, a.parse(q, ok.b));
}

TEST(DnsAnswer, HostileMessagesAreClearErrors) {
  Answer a;
  Bytes q = query("example.com", LEVEE_DNS_TYPE_A);
  auto illegal = [&](const Bytes &m, const char *what) {
    EXPECT_EQ(LEVEE_DNS_EILLEGAL, a.parse(q, m)) << what;
    EXPECT_NE(nullptr, strstr(levee_last_message(), what)) << levee_last_message();
    EXPECT_EQ(0, levee_dns_answer_count(a.a));
  };
  {  // an owner name that points at itself
    Msg m = answer(q, 1);
    unsigned here = unsigned(m.b.size());
    m.ptr(here).rr(1, 5, 4).u32(1);
    illegal(m.b, "compression pointer does not point backwards");
  }
  {  // a pointer past the end
    Msg m = answer(q, 1);
    m.ptr(0x3fff).rr(1, 5, 4).u32(1);
    illegal(m.b, "compression pointer does not point backwards");
  }
  {  // a loop through backwards pointers: label, then a pointer to it
    Msg m = answer(q, 1);
    unsigned start = unsigned(m.b.size());
    m.u8(1).raw("a").ptr(start).rr(1, 5, 4).u32(1);
    illegal(m.b, "name longer than 255 bytes");
  }
  {  // a label running past the end
    Msg m = answer(q, 1);
    m.u8(40).raw("abc");
    illegal(m.b, "label runs past the end");
  }
  {  // rdata longer than the message
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(1, 5, 200).u32(1);
    illegal(m.b, "record data runs past the end");
  }
  {  // an A record of the wrong size
    Msg m = answer(q, 1);
    m.ptr(kQname).rr(1, 5, 3).u8(1).u8(2).u8(3);
    illegal(m.b, "wrong length");
  }
  {  // a reserved label type
    Msg m = answer(q, 1);
    m.u8(0x80).rr(1, 5, 4).u32(1);
    illegal(m.b, "reserved label type");
  }
  {  // more answers announced than present
    Msg m = answer(q, 2);
    m.ptr(kQname).rr(1, 5, 4).u32(1);
    illegal(m.b, "message ends");
  }
  {  // a CNAME whose name runs past its rdata
    Bytes qc = query("example.com", LEVEE_DNS_TYPE_CNAME);
    Msg m = answer(qc, 1);
    m.ptr(kQname).rr(5, 5, 2).u8(1).raw("a").u8(0);
    EXPECT_EQ(LEVEE_DNS_EILLEGAL, a.parse(qc, m.b));
  }
  {  // a TXT string longer than its rdata
    Bytes qt = query("example.com", LEVEE_DNS_TYPE_TXT);
    Msg m = answer(qt, 1);
    m.ptr(kQname).rr(16, 5, 3).u8(9).raw("ab");
    EXPECT_EQ(LEVEE_DNS_EILLEGAL, a.parse(qt, m.b));
  }
}

TEST(DnsAnswer, EveryPrefixOfAnAnswerIsHandled) {
  Answer a;
  Bytes q = query("example.com", LEVEE_DNS_TYPE_MX);
  Msg m = answer(q, 2);
  m.ptr(kQname).rr(15, 3600, 4).u16(10).ptr(kQname);
  m.ptr(kQname).rr(15, 3600, 9).u16(20).u8(4).raw("mail").ptr(kQname);
  for (size_t n = 0; n < m.b.size(); ++n) {
    Bytes cut(m.b.begin(), m.b.begin() + n);
    int rc = a.parse(q, cut);
    EXPECT_TRUE(rc == LEVEE_DNS_ENOANSWER || rc == LEVEE_DNS_EILLEGAL) << n << " " << rc;
  }
  EXPECT_EQ(2, a.parse(q, m.b));
  // With TC set, the records that arrived whole are kept.
  Bytes tc(m.b.begin(), m.b.end() - 3);
  tc[2] |= 0x02;
  ASSERT_EQ(1, a.parse(q, tc));
  EXPECT_EQ("example.com. 3600 MX 10 example.com.", a.rec(0));
}

class DnsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/levee-dns-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }
  std::string write(const std::string &text) {
    std::string path = dir + "/resolv.conf";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir;
};

std::string fmt(const levee_endpoint &ep) {
  char buf[128];
  int n = levee_endpoint_format(&ep, buf, sizeof buf);
  return n < 0 ? std::string("error") : std::string(buf, n);
}

TEST_F(DnsFiles, ResconfReadsNameservers) {
  std::string path = write(
      "# comment\n; another\nsearch example.com\nnameserver 10.0.0.1\n"
      "nameserver 0.0.0.0\nnameserver ::1\nnameserver [127.0.0.1]:5353\n"
      "nameserver not-an-address\noptions timeout:1\nnameserver\n");
  levee_endpoint eps[8];
  ASSERT_EQ(3, levee_dns_resconf(path.c_str(), eps, 8));
  EXPECT_EQ("10.0.0.1:53", fmt(eps[0]));
  EXPECT_EQ("[::1]:53", fmt(eps[1]));
  EXPECT_EQ("127.0.0.1:5353", fmt(eps[2]));
  EXPECT_EQ(2, levee_dns_resconf(path.c_str(), eps, 2));
  path = write("search example.com\n");
  ASSERT_EQ(1, levee_dns_resconf(path.c_str(), eps, 8));
  EXPECT_EQ("127.0.0.1:53", fmt(eps[0]));
  path = write("nameserver 0.0.0.0\n");
  EXPECT_EQ(0, levee_dns_resconf(path.c_str(), eps, 8));
  EXPECT_EQ(LEVEE_ENOENT, levee_dns_resconf((dir + "/missing").c_str(), eps, 8));
  EXPECT_GE(levee_dns_resconf(nullptr, eps, 8), 1);  // the system's, or glibc's default
}

// The fd count once the workers closed what they still held (a worker
// closes its end of a request just after signalling it).
int settled_fdcount(int want) {
  for (int i = 0; i < 10000 && levee_sys_fdcount() != want; ++i) usleep(1000);
  return levee_sys_fdcount();
}

// Waits for the lookup's fd (poll(2), no hub) and returns the result.
int wait_lookup(levee_dns_lookup *req, int fd, levee_endpoint *eps, size_t cap) {
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(1, poll(&p, 1, -1));
  return levee_dns_lookup_result(req, eps, cap);
}

TEST(DnsLookup, WorkerResolvesHostsNamesAndLiterals) {
  int before = levee_sys_fdcount();
  levee_dns_lookup *req = nullptr;
  int32_t fd = -1;
  ASSERT_EQ(0, levee_dns_lookup_start(&req, "localhost", "80", AF_INET, SOCK_STREAM, &fd));
  ASSERT_GE(fd, 0);
  levee_endpoint eps[8];
  int n = wait_lookup(req, fd, eps, 8);
  ASSERT_GE(n, 1);
  EXPECT_EQ("127.0.0.1:80", fmt(eps[0]));
  EXPECT_EQ(1, levee_dns_lookup_result(req, eps, 1));  // cap is honoured
  levee_dns_lookup_free(req);
  close(fd);

  ASSERT_EQ(0, levee_dns_lookup_start(&req, "::1", "http", 0, 0, &fd));
  ASSERT_EQ(1, wait_lookup(req, fd, eps, 8));
  EXPECT_EQ("[::1]:80", fmt(eps[0]));
  levee_dns_lookup_free(req);
  close(fd);

  ASSERT_EQ(0, levee_dns_lookup_start(&req, "127.0.0.1", "no-such-service-x", 0, 0, &fd));
  n = wait_lookup(req, fd, eps, 8);
  EXPECT_TRUE(n == LEVEE_EAI_SERVICE || n == LEVEE_EAI_NONAME) << n;
  levee_dns_lookup_free(req);
  close(fd);
  EXPECT_EQ(before, levee_sys_fdcount());  // a finished request closes at once
}

TEST(DnsLookup, CompletesThroughTheHub) {
  levee_hub *hub = nullptr;
  ASSERT_EQ(0, levee_hub_new(&hub));
  levee_dns_lookup *reqs[4];
  int32_t fds[4];
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(0, levee_dns_lookup_start(&reqs[i], "localhost", nullptr, AF_INET, 0, &fds[i]));
    ASSERT_EQ(0, levee_hub_register(hub, fds[i], LEVEE_HUB_R, 100 + i, 0));
  }
  int seen = 0;
  while (seen != 0xf) {
    levee_event ev[8];
    int n = levee_hub_poll(hub, -1, ev, 8);
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(LEVEE_HUB_READ, ev[i].kind);
      seen |= 1 << (ev[i].token - 100);
    }
  }
  for (int i = 0; i < 4; ++i) {
    levee_endpoint ep;
    EXPECT_EQ(1, levee_dns_lookup_result(reqs[i], &ep, 1));
    EXPECT_EQ("127.0.0.1:0", fmt(ep));
    levee_hub_unregister(hub, fds[i]);
    close(fds[i]);
    levee_dns_lookup_free(reqs[i]);
  }
  levee_hub_free(hub);
}

TEST(DnsLookup, AbandonedRequestsReleaseTheirDescriptors) {
  int before = levee_sys_fdcount();
  for (int i = 0; i < 32; ++i) {
    levee_dns_lookup *req = nullptr;
    int32_t fd = -1;
    ASSERT_EQ(0, levee_dns_lookup_start(&req, "localhost", nullptr, 0, 0, &fd));
    levee_dns_lookup_free(req);  // before, during or after the worker ran
    close(fd);
  }
  // A last request completes after the abandoned ones were taken by workers;
  // the workers close what they still hold once they are done.
  levee_dns_lookup *req = nullptr;
  int32_t fd = -1;
  ASSERT_EQ(0, levee_dns_lookup_start(&req, "localhost", nullptr, 0, 0, &fd));
  levee_endpoint ep;
  EXPECT_GE(wait_lookup(req, fd, &ep, 1), 1);
  levee_dns_lookup_free(req);
  close(fd);
  EXPECT_EQ(before, settled_fdcount(before));
}

TEST(DnsLookup, BadArguments) {
  levee_dns_lookup *req = nullptr;
  int32_t fd = -1;
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_lookup_start(nullptr, "a", nullptr, 0, 0, &fd));
  EXPECT_EQ(LEVEE_EAI_NONAME, levee_dns_lookup_start(&req, nullptr, nullptr, 0, 0, &fd));
  EXPECT_EQ(LEVEE_EAFNOSUPPORT, levee_dns_lookup_start(&req, "a", nullptr, AF_UNIX, 0, &fd));
  EXPECT_EQ(nullptr, req);
  EXPECT_EQ(-1, fd);
  levee_dns_lookup_free(nullptr);
  levee_dns_answer_free(nullptr);
  EXPECT_EQ(LEVEE_EINVAL, levee_dns_lookup_result(nullptr, nullptr, 0));
}

}  // namespace
