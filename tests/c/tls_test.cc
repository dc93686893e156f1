// Black-box tests of the tls section of levee.h: configurations from JSON
// options, handshakes, verification, SNI, ALPN, draining reads, partial
// writes, close_notify and hostile peers. Certificates are made at test
// time by tests/tls/mkcerts (the openssl CLI) in a temp dir; both ends of
// a session run in this thread over a socketpair or loopback TCP, driven
// step by step, so a "would block" answer is observed, never waited out.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <levee.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tcp_pair.h"

namespace {

std::string g_dir;  // the certificates

std::string path(const char *name) { return g_dir + "/" + name; }

std::string slurp(const std::string &p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A JSON string literal of s (PEM text has newlines).
std::string jstr(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out + "\"";
}

class Env : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/levee-tls-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    g_dir = tmpl;
    std::string cmd = "tests/tls/mkcerts '" + g_dir + "'";
    ASSERT_EQ(0, system(cmd.c_str())) << "run the tests from the repository root";
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + g_dir + "'";
    EXPECT_EQ(0, system(cmd.c_str()));
  }
};
const auto *g_env = ::testing::AddGlobalTestEnvironment(new Env);

levee_tls_config *config(const std::string &json) {
  levee_tls_config *c = nullptr;
  int rc = levee_tls_config_new(&c, json.data(), json.size());
  EXPECT_EQ(0, rc) << json << ": " << levee_last_message();
  return c;
}

// A config error and its message.
std::pair<int, std::string> config_error(const std::string &json) {
  levee_tls_config *c = nullptr;
  int rc = levee_tls_config_new(&c, json.data(), json.size());
  std::string msg = levee_last_message();
  EXPECT_EQ(nullptr, c);
  levee_tls_config_free(c);
  return {rc, msg};
}

std::string server_opts(const char *cert = "server", const std::string &more = "") {
  return "{\"cert_file\": " + jstr(path((std::string(cert) + ".pem").c_str())) +
         ", \"key_file\": " + jstr(path((std::string(cert) + ".key").c_str())) + more + "}";
}

std::string client_opts(const std::string &more = "") {
  return "{\"ca_file\": " + jstr(path("ca.pem")) + more + "}";
}

// Both ends of one session over a socketpair (or TCP), driven in turn:
// two levee_streams, the client upgraded with levee_stream_tls_client, the
// server with levee_stream_tls_accept.
struct Pair {
  levee_tls_config *ccfg = nullptr, *scfg = nullptr;
  levee_tls_server *srv = nullptr;
  levee_stream *c = nullptr, *s = nullptr;
  int crc = 1, src = 1;   // last handshake answers
  std::string cmsg, smsg; // levee_last_message() after a failed step

  Pair(const std::string &sopts, const std::string &copts, const char *name = "localhost", bool tcp = false) {
    int cfd = -1, sfd = -1;
    if (tcp) {
      tcp_pair("127.0.0.1", &cfd, &sfd);
    } else {
      int sv[2];
      EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
      cfd = sv[0];
      sfd = sv[1];
    }
    EXPECT_EQ(0, levee_stream_new(&c, cfd));
    EXPECT_EQ(0, levee_stream_new(&s, sfd));
    scfg = config(sopts);
    ccfg = config(copts);
    if (!scfg || !ccfg) return;
    EXPECT_EQ(0, levee_tls_server_new(&srv, scfg)) << levee_last_message();
    EXPECT_EQ(0, levee_stream_tls_client(c, ccfg, name)) << levee_last_message();
    if (srv) {
      EXPECT_EQ(0, levee_stream_tls_accept(s, srv)) << levee_last_message();
    }
  }
  ~Pair() {
    levee_stream_free(c);
    levee_stream_free(s);
    levee_tls_server_free(srv);
    levee_tls_config_free(ccfg);
    levee_tls_config_free(scfg);
  }

  int cfd() { return levee_stream_fd(c); }
  int sfd() { return levee_stream_fd(s); }

  static bool pending(int rc) { return rc == LEVEE_WANT_READ || rc == LEVEE_WANT_WRITE || rc == 1; }

  // Steps both handshakes until neither can move; true when both are done.
  bool handshake() {
    for (int i = 0; i < 100 && (pending(crc) || pending(src)); i++) {
      if (pending(crc) && (crc = levee_stream_handshake(c)) < 0 && !pending(crc)) cmsg = levee_last_message();
      if (pending(src) && (src = levee_stream_handshake(s)) < 0 && !pending(src)) smsg = levee_last_message();
    }
    return crc == 0 && src == 0;
  }

  // Moves data from one end to the other, stepping both; returns what
  // arrived. The first `sent` bytes were written already.
  static std::string transfer(levee_stream *from, levee_stream *to, const std::string &data, size_t sent = 0) {
    std::string got;
    std::vector<char> buf(1 << 16);
    for (int i = 0; i < 100000 && got.size() < data.size(); i++) {
      if (sent < data.size()) {
        int64_t n = levee_stream_write(from, data.data() + sent, data.size() - sent);
        if (n > 0) sent += size_t(n);
        else EXPECT_TRUE(pending(int(n))) << n;
      }
      int64_t n = levee_stream_read(to, buf.data(), buf.size());
      if (n > 0) got.append(buf.data(), size_t(n));
      else EXPECT_TRUE(pending(int(n))) << n << " " << levee_last_message();
    }
    return got;
  }
};

std::string info_str(const char *s) { return s ? s : "(null)"; }

class Tls : public ::testing::Test {
 protected:
  void SetUp() override { before = levee_sys_fdcount(); }
  void TearDown() override { EXPECT_EQ(before, levee_sys_fdcount()) << "leaked fds"; }
  int before = 0;
};

// ---------------------------------------------------------------------------
// configurations

TEST_F(Tls, ConfigAcceptsEveryOptionOfTheTable) {
  std::string ca = slurp(path("ca.pem"));
  std::string json = "{\"ca\": " + jstr(ca) + ", \"ca_path\": " + jstr(path("capath")) +
                     ", \"ca_file\": " + jstr(path("ca.pem")) + ", \"cert\": " + jstr(slurp(path("server.pem"))) +
                     ", \"key\": " + jstr(slurp(path("server.key"))) +
                     ", \"certs\": [{\"cert_file\": " + jstr(path("other.pem")) + ", \"key_file\": " +
                     jstr(path("other.key")) +
                     "}], \"ciphers\": \"secure\", \"dheparams\": \"auto\", \"ecdhecurve\": \"X25519\","
                     " \"protocols\": [\"TLSv1.2\", \"tlsv1_3\"], \"verify_depth\": 4,"
                     " \"server\": {\"prefer_ciphers\": \"client\", \"verify_client\": \"optional\"},"
                     " \"insecure\": {\"verify_cert\": true, \"verify_name\": true, \"verify_time\": true},"
                     " \"alpn\": [\"h2\", \"http/1.1\"], \"server_name\": \"localhost\","
                     " \"handshake_timeout\": 1000}";
  levee_tls_config *c = config(json);
  ASSERT_NE(nullptr, c);
  levee_tls_server *s = nullptr;
  EXPECT_EQ(0, levee_tls_server_new(&s, c)) << levee_last_message();
  levee_tls_server_free(s);
  levee_tls_config_free(c);
}

TEST_F(Tls, ConfigErrorsNameTheOption) {
  struct Case {
    std::string json, needle;
  } cases[] = {
      {"{\"verify_depth\": \"x\"}", "verify_depth"},
      {"{\"verify_depth\": 1.5}", "verify_depth"},
      {"{\"protocols\": \"TLSv9\"}", "protocols"},
      {"{\"protocols\": [\"TLSv1.2\", 3]}", "protocols"},
      {"{\"server\": {\"prefer_ciphers\": \"both\"}}", "server.prefer_ciphers"},
      {"{\"server\": {\"verify_client\": \"sometimes\"}}", "server.verify_client"},
      {"{\"server\": {\"verify\": true}}", "server.verify"},
      {"{\"insecure\": {\"verify_cert\": \"no\"}}", "insecure.verify_cert"},
      {"{\"insecure\": {\"verify_everything\": false}}", "insecure.verify_everything"},
      {"{\"certs\": {\"cert\": \"x\"}}", "certs"},
      {"{\"certs\": [{\"cert\": \"x\"}]}", "certs[1]"},
      {"{\"cert\": \"x\", \"cert_file\": \"y\"}", "cert_file"},
      {"{\"ca_file\": \"/nonexistent/ca.pem\"}", "/nonexistent/ca.pem"},
      {"{\"ciphers\": \"NO-SUCH-CIPHER\"}", "ciphers"},
      {"{\"dheparams\": \"bogus\"}", "dheparams"},
      {"{\"ecdhecurve\": \"bogus\"}", "ecdhecurve"},
      {"{\"alpn\": [\"\"]}", "alpn"},
      {"{\"ca\": 5}", "ca"},
      {"[1, 2]", "options"},
      {"not json", "options"},
  };
  for (const auto &k : cases) {
    auto [rc, msg] = config_error(k.json);
    EXPECT_EQ(LEVEE_TLS_ECONFIG, rc) << k.json;
    EXPECT_NE(std::string::npos, msg.find(k.needle)) << k.json << " -> " << msg;
  }
  EXPECT_STREQ("tls.CONFIG", levee_errname(LEVEE_TLS_ECONFIG));
}

TEST_F(Tls, CertWithoutKeyAndMissingFilesAreConfigErrors) {
  auto [rc, msg] = config_error("{\"cert_file\": " + jstr(path("server.pem")) + "}");
  EXPECT_EQ(LEVEE_TLS_ECONFIG, rc);
  EXPECT_NE(std::string::npos, msg.find("key")) << msg;
  auto [rc2, msg2] = config_error("{\"cert_file\": \"/nonexistent.pem\", \"key_file\": \"/nonexistent.key\"}");
  EXPECT_EQ(LEVEE_TLS_ECONFIG, rc2);
  EXPECT_NE(std::string::npos, msg2.find("/nonexistent.pem")) << msg2;
}

TEST_F(Tls, ServerNeedsAMatchingKeypair) {
  levee_tls_config *c = config("{}");
  levee_tls_server *s = nullptr;
  EXPECT_EQ(LEVEE_TLS_ECONFIG, levee_tls_server_new(&s, c));
  EXPECT_EQ(nullptr, s);
  EXPECT_NE(std::string::npos, std::string(levee_last_message()).find("certificate")) << levee_last_message();
  levee_tls_config_free(c);
  c = config("{\"cert_file\": " + jstr(path("server.pem")) + ", \"key_file\": " + jstr(path("other.key")) + "}");
  EXPECT_EQ(LEVEE_TLS_ECONFIG, levee_tls_server_new(&s, c));
  EXPECT_NE(std::string::npos, std::string(levee_last_message()).find("key")) << levee_last_message();
  levee_tls_config_free(c);
}

// A stream over one end of a fresh socketpair (the other end closed).
levee_stream *lone_stream() {
  int sv[2];
  EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  close(sv[1]);
  levee_stream *s = nullptr;
  EXPECT_EQ(0, levee_stream_new(&s, sv[0]));
  return s;
}

TEST_F(Tls, ClientWithoutServerNameIsRefusedWhileTheNameIsVerified) {
  levee_tls_config *c = config(client_opts());
  levee_stream *s = lone_stream();
  EXPECT_EQ(LEVEE_TLS_ECONFIG, levee_stream_tls_client(s, c, nullptr));
  EXPECT_NE(std::string::npos, std::string(levee_last_message()).find("server_name"));
  levee_tls_info i;
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_tls_info(s, &i));  // still plain
  levee_tls_config_free(c);
  c = config(client_opts(", \"insecure\": {\"verify_name\": false}"));
  EXPECT_EQ(0, levee_stream_tls_client(s, c, nullptr));
  EXPECT_EQ(LEVEE_EALREADY, levee_stream_tls_client(s, c, "x"));
  levee_stream_free(s);
  levee_tls_config_free(c);
}

TEST_F(Tls, ServerNameComesFromTheConfigWhenNotGiven) {
  Pair p(server_opts(), client_opts(", \"server_name\": \"localhost\""), nullptr);
  ASSERT_TRUE(p.handshake()) << p.cmsg;
  levee_tls_info si;
  ASSERT_EQ(0, levee_stream_tls_info(p.s, &si));
  EXPECT_EQ("localhost", info_str(si.server_name));
}

TEST_F(Tls, ClosedStreamsCannotBeUpgraded) {
  levee_tls_config *c = config(client_opts());
  levee_stream *s = lone_stream();
  ASSERT_EQ(0, levee_stream_close(s));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_tls_client(s, c, "localhost"));
  levee_tls_info i;
  EXPECT_EQ(LEVEE_EBADF, levee_stream_tls_info(s, &i));
  levee_stream_free(s);
  levee_tls_config_free(c);
}

TEST_F(Tls, BadArgumentsAreEinval) {
  levee_tls_config *c = nullptr;
  EXPECT_EQ(LEVEE_EINVAL, levee_tls_config_new(nullptr, "{}", 2));
  EXPECT_EQ(LEVEE_EINVAL, levee_tls_config_new(&c, nullptr, 0));
  levee_stream *s = lone_stream();
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_tls_client(s, nullptr, "x"));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_tls_client(nullptr, c, "x"));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_tls_accept(s, nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_tls_info(s, nullptr));
  levee_stream_free(s);
  levee_tls_server_free(nullptr);
  levee_tls_config_free(nullptr);
}

// ---------------------------------------------------------------------------
// handshakes and verification

TEST_F(Tls, HandshakeThenDataBothWaysAndInfo) {
  Pair p(server_opts("server", ", \"alpn\": [\"h2\", \"http/1.1\"]"), client_opts(", \"alpn\": \"http/1.1\""));
  ASSERT_TRUE(p.handshake()) << p.crc << " " << p.src << " " << levee_last_message();
  EXPECT_EQ("hello server", p.transfer(p.c, p.s, "hello server"));
  EXPECT_EQ("hello client", p.transfer(p.s, p.c, "hello client"));
  levee_tls_info ci, si;
  ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
  ASSERT_EQ(0, levee_stream_tls_info(p.s, &si));
  EXPECT_EQ("TLSv1.3", info_str(ci.version));
  EXPECT_EQ(info_str(ci.cipher), info_str(si.cipher));
  EXPECT_FALSE(std::string(ci.cipher).empty());
  EXPECT_EQ("http/1.1", info_str(ci.alpn));
  EXPECT_EQ("http/1.1", info_str(si.alpn));
  EXPECT_EQ("localhost", info_str(si.server_name));
  EXPECT_EQ(1, ci.peer_cert);
  EXPECT_NE(std::string::npos, std::string(ci.subject).find("CN=localhost")) << ci.subject;
  EXPECT_NE(std::string::npos, std::string(ci.issuer).find("levee test CA")) << ci.issuer;
  EXPECT_EQ(0u, std::string(ci.hash).find("SHA256:")) << ci.hash;
  time_t now = time(nullptr);
  EXPECT_LE(ci.not_before, now);
  EXPECT_GT(ci.not_after, now);
  EXPECT_GT(ci.cipher_strength, 0);
  EXPECT_EQ(0, si.peer_cert);  // no client certificate asked for
  EXPECT_EQ("", info_str(si.subject));
}

TEST_F(Tls, InfoBeforeTheHandshakeIsEagain) {
  Pair p(server_opts(), client_opts());
  levee_tls_info i;
  EXPECT_EQ(LEVEE_EAGAIN, levee_stream_tls_info(p.c, &i));
}

TEST_F(Tls, HandshakeAnswersWouldBlockOnRead) {
  Pair p(server_opts(), client_opts());
  // The server has nothing to read yet; the client can send its hello.
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_handshake(p.s));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_handshake(p.c));
  ASSERT_TRUE(p.handshake());
}

TEST_F(Tls, VerificationIsOnByDefault) {
  // No CA given: the system bundle does not know the test CA.
  Pair p(server_opts(), "{}");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(LEVEE_TLS_EVERIFY, p.crc) << p.cmsg;
  EXPECT_NE("", std::string(p.cmsg));
  EXPECT_STREQ("tls.VERIFY", levee_errname(p.crc));
}

TEST_F(Tls, WrongNameExpiredAndUnknownCaAreRefused) {
  struct Case {
    const char *cert, *name;
  } cases[] = {{"wrongname", "localhost"}, {"server", "example.com"}, {"expired", "localhost"}, {"rogue", "localhost"}};
  for (const auto &k : cases) {
    Pair p(server_opts(k.cert), client_opts(), k.name);
    EXPECT_FALSE(p.handshake()) << k.cert;
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.crc) << k.cert << ": " << p.cmsg;
  }
}

TEST_F(Tls, InsecureSwitchesTurnEachCheckOff) {
  {
    Pair p(server_opts("wrongname"), client_opts(", \"insecure\": {\"verify_name\": false}"));
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
  {
    Pair p(server_opts("expired"), client_opts(", \"insecure\": {\"verify_time\": false}"));
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
  {
    Pair p(server_opts("rogue"), client_opts(", \"insecure\": {\"verify_cert\": false}"));
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
  {
    // verify_time off does not excuse a wrong name.
    Pair p(server_opts("wrongname"), client_opts(", \"insecure\": {\"verify_time\": false}"));
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.crc);
  }
}

TEST_F(Tls, IpAddressServerNameMatchesTheIpSan) {
  Pair p(server_opts(), client_opts(), "127.0.0.1");
  EXPECT_TRUE(p.handshake()) << p.cmsg;
}

TEST_F(Tls, CaPrecedenceIsCaThenCaPathThenCaFile) {
  std::string rogue = slurp(path("rogue_ca.pem"));
  {
    Pair p(server_opts(), "{\"ca\": " + jstr(rogue) + ", \"ca_file\": " + jstr(path("ca.pem")) + "}");
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.crc);
  }
  {
    Pair p(server_opts(), "{\"ca_path\": " + jstr(path("capath")) + ", \"ca_file\": " + jstr(path("rogue_ca.pem")) + "}");
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
  {
    Pair p(server_opts(), "{\"ca\": " + jstr(slurp(path("ca.pem"))) + "}");
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
}

TEST_F(Tls, VerifyDepthLimitsTheChain) {
  // chain.pem: leaf, intermediate, then the trusted root.
  {
    Pair p(server_opts("chain"), client_opts());
    EXPECT_TRUE(p.handshake()) << p.cmsg;
  }
  {
    Pair p(server_opts("chain"), client_opts(", \"verify_depth\": 0"));
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.crc) << p.cmsg;
  }
}

TEST_F(Tls, RequiredClientCertificate) {
  std::string req = ", \"ca_file\": " + jstr(path("ca.pem")) + ", \"server\": {\"verify_client\": true}";
  {
    Pair p(server_opts("server", req), client_opts());
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.src) << p.smsg;
  }
  {
    Pair p(server_opts("server", req), client_opts(", \"cert_file\": " + jstr(path("client.pem")) +
                                                   ", \"key_file\": " + jstr(path("client.key"))));
    ASSERT_TRUE(p.handshake()) << p.smsg;
    levee_tls_info si;
    ASSERT_EQ(0, levee_stream_tls_info(p.s, &si));
    EXPECT_EQ(1, si.peer_cert);
    EXPECT_NE(std::string::npos, std::string(si.subject).find("levee client")) << si.subject;
  }
  {
    // A client certificate from a CA the server does not trust.
    Pair p(server_opts("server", req), client_opts(", \"cert_file\": " + jstr(path("rogue.pem")) +
                                                   ", \"key_file\": " + jstr(path("rogue.key"))));
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EVERIFY, p.src) << p.smsg;
  }
}

TEST_F(Tls, OptionalClientCertificate) {
  std::string opt = ", \"ca_file\": " + jstr(path("ca.pem")) + ", \"server\": {\"verify_client\": \"optional\"}";
  Pair p(server_opts("server", opt), client_opts());
  ASSERT_TRUE(p.handshake()) << p.smsg;
  levee_tls_info si;
  ASSERT_EQ(0, levee_stream_tls_info(p.s, &si));
  EXPECT_EQ(0, si.peer_cert);
}

TEST_F(Tls, SniChoosesAmongCertificates) {
  std::string sopts = server_opts("server", ", \"certs\": [{\"cert_file\": " + jstr(path("other.pem")) +
                                                ", \"key_file\": " + jstr(path("other.key")) + "}]");
  for (const char *name : {"other.test", "localhost"}) {
    Pair p(sopts, client_opts(), name);
    ASSERT_TRUE(p.handshake()) << name << ": " << p.cmsg;
    levee_tls_info ci;
    ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
    EXPECT_NE(std::string::npos, std::string(ci.subject).find(std::string("CN=") + name)) << ci.subject;
  }
  // certs alone: the first is the default.
  std::string only = "{\"certs\": [{\"cert_file\": " + jstr(path("server.pem")) + ", \"key_file\": " +
                     jstr(path("server.key")) + "}, {\"cert\": " + jstr(slurp(path("other.pem"))) +
                     ", \"key\": " + jstr(slurp(path("other.key"))) + "}]}";
  Pair p(only, client_opts(), "other.test");
  EXPECT_TRUE(p.handshake()) << p.cmsg;
}

TEST_F(Tls, AlpnWithoutOverlapSelectsNothing) {
  Pair p(server_opts("server", ", \"alpn\": \"h2\""), client_opts(", \"alpn\": [\"http/1.1\"]"));
  ASSERT_TRUE(p.handshake());
  levee_tls_info ci;
  ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
  EXPECT_EQ("", info_str(ci.alpn));
}

TEST_F(Tls, ProtocolsRestrictTheVersion) {
  {
    Pair p(server_opts("server", ", \"protocols\": \"TLSv1.2\""), client_opts());
    ASSERT_TRUE(p.handshake());
    levee_tls_info ci;
    ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
    EXPECT_EQ("TLSv1.2", info_str(ci.version));
  }
  {
    Pair p(server_opts("server", ", \"protocols\": \"TLSv1.2\""), client_opts(", \"protocols\": [\"TLSv1_3\"]"));
    EXPECT_FALSE(p.handshake());
    EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, p.crc) << p.cmsg;
  }
}

TEST_F(Tls, LegacyProtocolsWorkWhenAskedFor) {
  // TLS 1.0 needs @SECLEVEL=0 under OpenSSL 3; levee adds it.
  Pair p(server_opts("server", ", \"protocols\": \"TLSv1.0\""), client_opts(", \"protocols\": \"tlsv1.0\""));
  ASSERT_TRUE(p.handshake()) << p.cmsg << " / " << p.smsg;
  levee_tls_info ci;
  ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
  EXPECT_EQ("TLSv1", info_str(ci.version));
}

TEST_F(Tls, CiphersChooseTheCipher) {
  Pair p(server_opts("server", ", \"protocols\": \"TLSv1.2\", \"ciphers\": \"ECDHE-ECDSA-CHACHA20-POLY1305\""),
         client_opts());
  ASSERT_TRUE(p.handshake()) << p.cmsg;
  levee_tls_info ci;
  ASSERT_EQ(0, levee_stream_tls_info(p.c, &ci));
  EXPECT_EQ("ECDHE-ECDSA-CHACHA20-POLY1305", info_str(ci.cipher));
}

// ---------------------------------------------------------------------------
// reading, writing, closing

TEST_F(Tls, ReadDrainsEveryRecordLibtlsHolds) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  std::string rec(1000, 'r');
  for (int i = 0; i < 5; i++) ASSERT_EQ(1000, levee_stream_write(p.s, rec.data(), rec.size()));
  std::vector<char> buf(100000);
  // One read returns all five records, and leaves the socket empty: the
  // caller may wait for readability without losing bytes.
  int64_t n = levee_stream_read(p.c, buf.data(), buf.size());
  EXPECT_EQ(5000, n);
  char peek;
  EXPECT_EQ(-1, recv(p.cfd(), &peek, 1, MSG_PEEK | MSG_DONTWAIT));
  EXPECT_EQ(EAGAIN, errno);
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(p.c, buf.data(), buf.size()));
}

TEST_F(Tls, ATlsStreamNeverSaysDrained) {
  // libtls may hold decrypted records after a short read: the caller must
  // read until it says WANT_READ, never wait first on its word.
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  EXPECT_EQ(0, levee_stream_drained(p.c)) << "the handshake read the socket";
  ASSERT_EQ(3, levee_stream_write(p.s, "abc", 3));
  char buf[64];
  int64_t n = 0;
  for (int i = 0; i < 2000 && (n = levee_stream_read(p.c, buf, sizeof buf)) == LEVEE_WANT_READ; ++i)
    usleep(1000);
  ASSERT_EQ(3, n);
  EXPECT_EQ(0, levee_stream_drained(p.c));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_drained(p.c));
}

TEST_F(Tls, ReadIntoASmallBufferLeavesTheRestForTheNextCall) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  ASSERT_EQ(10, levee_stream_write(p.s, "0123456789", 10));
  char buf[4];
  ASSERT_EQ(4, levee_stream_read(p.c, buf, 4));
  ASSERT_EQ(4, levee_stream_read(p.c, buf, 4));
  ASSERT_EQ(2, levee_stream_read(p.c, buf, 4));
  EXPECT_EQ(0, memcmp(buf, "89", 2));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(p.c, buf, 4));
  EXPECT_EQ(0, levee_stream_read(p.c, buf, 0));
}

TEST_F(Tls, LargeTransferWithPartialWrites) {
  Pair p(server_opts(), client_opts(), "localhost", true);
  ASSERT_TRUE(p.handshake());
  std::string data(4 << 20, '\0');
  for (size_t i = 0; i < data.size(); i++) data[i] = char(i * 7 + i / 251);
  // The first write fills the socket buffers and stops short.
  int64_t first = levee_stream_write(p.c, data.data(), data.size());
  EXPECT_GT(first, 0);
  EXPECT_LT(first, int64_t(data.size()));
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_write(p.c, data.data() + first, data.size() - first));
  std::string got = p.transfer(p.c, p.s, data, size_t(first));
  EXPECT_EQ(data.size(), got.size());
  EXPECT_TRUE(got == data) << "bytes differ";
}

TEST_F(Tls, WritevGathersEntriesInOrder) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  std::vector<std::string> parts;
  std::vector<levee_iovec_entry> iov;
  std::string want;
  for (int i = 0; i < 100; i++) parts.push_back("part" + std::to_string(i) + ";");
  for (auto &s : parts) {
    iov.push_back(levee_iovec_entry{s.data(), s.size()});
    want += s;
  }
  EXPECT_EQ(int64_t(want.size()), levee_stream_writev(p.c, iov.data(), int32_t(iov.size())));
  std::vector<char> buf(4096);
  int64_t n = levee_stream_read(p.s, buf.data(), buf.size());
  ASSERT_EQ(int64_t(want.size()), n);
  EXPECT_EQ(want, std::string(buf.data(), size_t(n)));
  EXPECT_EQ(0, levee_stream_writev(p.c, iov.data(), 0));
}

TEST_F(Tls, ShutdownSendsCloseNotifyAndReadingGoesOn) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  ASSERT_EQ(3, levee_stream_write(p.s, "bye", 3));
  EXPECT_EQ(0, levee_stream_shutdown(p.s, 1));
  char buf[64];
  // The data and the end arrive together: one read gives the data, the
  // next the end, without waiting on the fd in between.
  EXPECT_EQ(3, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_EPIPE, levee_stream_write(p.s, "x", 1));
  // Half-closed: the other way still carries data.
  ASSERT_EQ(4, levee_stream_write(p.c, "more", 4));
  EXPECT_EQ(4, levee_stream_read(p.s, buf, sizeof buf));
  EXPECT_EQ(0, memcmp(buf, "more", 4));
}

TEST_F(Tls, CloseSendsCloseNotify) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  ASSERT_EQ(2, levee_stream_write(p.s, "ok", 2));
  EXPECT_EQ(0, levee_stream_close(p.s));
  char buf[64];
  EXPECT_EQ(2, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_read(p.s, buf, sizeof buf));
}

TEST_F(Tls, SendfileAndSpliceAreRefused) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_sendfile(p.c, fd, 0, 10));
  close(fd);
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_splice(p.c, p.s, 10));
}

TEST_F(Tls, TcpEofWithoutCloseNotifyEndsTheStream) {
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  ASSERT_EQ(2, levee_stream_write(p.s, "hi", 2));
  shutdown(p.sfd(), SHUT_WR);
  char buf[64];
  EXPECT_EQ(2, levee_stream_read(p.c, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(p.c, buf, sizeof buf));
}

TEST_F(Tls, WriteToAGonePeerIsEpipeNotSigpipe) {
  // SIGPIPE at its default would kill this process.
  struct sigaction old, dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old);
  Pair p(server_opts(), client_opts());
  ASSERT_TRUE(p.handshake());
  levee_stream_free(p.s);
  p.s = nullptr;
  std::string data(1 << 16, 'x');
  int64_t rc = 0;
  for (int i = 0; i < 10 && rc >= 0; i++) rc = levee_stream_write(p.c, data.data(), data.size());
  EXPECT_TRUE(rc == LEVEE_EPIPE || rc == LEVEE_ECONNRESET) << rc;
  // The error stays.
  EXPECT_EQ(rc, levee_stream_write(p.c, "x", 1));
  sigaction(SIGPIPE, &old, nullptr);
}

// ---------------------------------------------------------------------------
// hostile peers

TEST_F(Tls, GarbageInsteadOfAClientHello) {
  Pair p(server_opts(), client_opts());
  const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(ssize_t(sizeof junk - 1), write(p.cfd(), junk, sizeof junk - 1));
  EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, levee_stream_handshake(p.s)) << p.smsg;
  EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, levee_stream_handshake(p.s));  // sticky
  char buf[8];
  EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, levee_stream_read(p.s, buf, sizeof buf));
}

TEST_F(Tls, PeerClosesMidHandshake) {
  Pair p(server_opts(), client_opts());
  ASSERT_EQ(LEVEE_WANT_READ, levee_stream_handshake(p.c));  // ClientHello sent
  char hello[64];
  ASSERT_GT(read(p.sfd(), hello, 20), 0);                   // part of it
  levee_stream_free(p.c);
  p.c = nullptr;
  // What is left is a truncated hello, then EOF.
  int rc = levee_stream_handshake(p.s);
  EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, rc) << levee_last_message();
}

// Copies what is readable on fd `from` to fd `to` (at most max bytes).
size_t relay(int from, int to, size_t max = SIZE_MAX) {
  char buf[65536];
  size_t moved = 0;
  while (moved < max) {
    ssize_t n = read(from, buf, std::min(sizeof buf, max - moved));
    if (n <= 0) break;
    EXPECT_EQ(n, write(to, buf, size_t(n)));
    moved += size_t(n);
  }
  return moved;
}

TEST_F(Tls, ResetMidRecord) {
  // The client's bytes pass through this test: a socketpair to the client,
  // loopback TCP to the server. After the handshake, half a record goes
  // through, then the TCP side is reset.
  int sv[2], tc = -1, ts = -1;
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  tcp_pair("127.0.0.1", &tc, &ts);
  levee_tls_config *scfg = config(server_opts()), *ccfg = config(client_opts());
  levee_tls_server *srv = nullptr;
  ASSERT_EQ(0, levee_tls_server_new(&srv, scfg));
  levee_stream *c = nullptr, *s = nullptr;
  ASSERT_EQ(0, levee_stream_new(&c, sv[0]));
  ASSERT_EQ(0, levee_stream_new(&s, ts));
  ASSERT_EQ(0, levee_stream_tls_client(c, ccfg, "localhost"));
  ASSERT_EQ(0, levee_stream_tls_accept(s, srv));
  int crc = 1, src = 1;
  for (int i = 0; i < 200 && (crc != 0 || src != 0); i++) {
    if (crc != 0) crc = levee_stream_handshake(c);
    relay(sv[1], tc);
    if (src != 0) src = levee_stream_handshake(s);
    relay(tc, sv[1]);
    ASSERT_TRUE(crc == 0 || Pair::pending(crc)) << crc;
    ASSERT_TRUE(src == 0 || Pair::pending(src)) << src;
    usleep(100);
  }
  ASSERT_EQ(0, crc);
  ASSERT_EQ(0, src);
  std::string data(20000, 'z');
  ASSERT_EQ(20000, levee_stream_write(c, data.data(), data.size()));
  ASSERT_EQ(5000u, relay(sv[1], tc, 5000));  // part of the first record
  struct linger lg = {1, 0};
  ASSERT_EQ(0, setsockopt(tc, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  close(tc);  // RST
  std::vector<char> buf(1 << 16);
  int64_t n = LEVEE_WANT_READ;
  for (int i = 0; i < 1000 && n == LEVEE_WANT_READ; i++) {
    n = levee_stream_read(s, buf.data(), buf.size());
    if (n == LEVEE_WANT_READ) usleep(1000);
  }
  // No byte of the cut record is delivered; the reset is reported.
  EXPECT_EQ(LEVEE_ECONNRESET, n) << levee_last_message();
  levee_stream_free(c);
  levee_stream_free(s);
  close(sv[1]);
  levee_tls_server_free(srv);
  levee_tls_config_free(scfg);
  levee_tls_config_free(ccfg);
}

TEST_F(Tls, ManyFailedHandshakesLeakNothing) {
  levee_tls_config *scfg = config(server_opts());
  levee_tls_server *srv = nullptr;
  ASSERT_EQ(0, levee_tls_server_new(&srv, scfg));
  for (int i = 0; i < 200; i++) {
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    levee_stream *s = nullptr;
    ASSERT_EQ(0, levee_stream_new(&s, sv[1]));
    ASSERT_EQ(0, levee_stream_tls_accept(s, srv));
    ASSERT_EQ(5, write(sv[0], "\x16\x03\x01\xff\xff", 5));
    close(sv[0]);
    EXPECT_EQ(LEVEE_TLS_EHANDSHAKE, levee_stream_handshake(s));
    levee_stream_free(s);
  }
  levee_tls_server_free(srv);
  levee_tls_config_free(scfg);
}

}  // namespace
