// levee_tls_*: TLS over libtls (libretls on Debian). Configurations built
// from an options object, server contexts, and a TLS session as the
// transport of a levee_stream (lib/stream.h), so a TLS stream serves every
// io call of a plain one.
//
// Options arrive as one JSON object (both bindings encode their options
// table or dict), so option names, defaults, precedence and validation live
// here once: lua-api.md §5's table plus alpn, SNI certificates (certs) and
// the insecure switches. Verification is on unless insecure turns a check
// off with a literal false.
//
// Sessions do their socket I/O through libtls callbacks (tls_*_cbs): EINTR
// is retried, EAGAIN becomes TLS_WANT_POLLIN / TLS_WANT_POLLOUT, writes use
// MSG_NOSIGNAL, and the callbacks record whether the socket really said
// EAGAIN. libretls has no tls_pending() and leaves SSL_MODE_AUTO_RETRY off,
// so a tls_read that only consumed a TLS 1.3 session ticket answers
// WANT_POLLIN with application data still queued; a session believes a
// WANT answer only when its callback met EAGAIN, and a read calls tls_read
// until the caller's room is full or the socket is really empty. A caller
// waiting on an edge-triggered fd after a WANT answer can then never miss
// bytes (the original levee hung there).
#include <sys/socket.h>
#include <tls.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "internal.h"
#include "stream.h"

struct levee_tls_config {
  struct tls_config *cfg = nullptr;
  std::string server_name;  // the options' server_name ("" when absent)
  bool verify_name = true;  // insecure.verify_name was not turned off
  ~levee_tls_config() {
    if (cfg) tls_config_free(cfg);
  }
};

struct levee_tls_server {
  struct tls *ctx = nullptr;
  ~levee_tls_server() {
    if (ctx) tls_free(ctx);
  }
};

using namespace levee;

namespace {

void init_libtls() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (tls_init() != 0) panic("tls_init failed");
  });
}

[[noreturn]] void config_error(const std::string &what) {
  set_message("%s", what.c_str());
  fail(LEVEE_TLS_ECONFIG);
}

// ---------------------------------------------------------------------------
// Walking the options object (a levee_json tape)

struct Tape {
  const levee_json_token *tok = nullptr;
  size_t n = 0;
  const uint8_t *input = nullptr;
  const uint8_t *strings = nullptr;

  // The index just past the value that starts at i.
  size_t skip(size_t i) const {
    const levee_json_token &t = tok[i];
    size_t j = i + 1;
    if (t.type == LEVEE_JSON_ARRAY) {
      for (uint64_t k = 0; k < t.len; k++) j = skip(j);
    } else if (t.type == LEVEE_JSON_OBJECT) {
      for (uint64_t k = 0; k < t.len; k++) j = skip(j + 1);
    }
    return j;
  }

  std::string_view str(size_t i) const {
    const levee_json_token &t = tok[i];
    if (t.flags & LEVEE_JSON_FESCAPED) {
      return {reinterpret_cast<const char *>(strings) + t.aux, size_t(t.integer)};
    }
    return {reinterpret_cast<const char *>(input) + t.off, size_t(t.len)};
  }

  uint32_t type(size_t i) const { return tok[i].type; }

  // Calls f(key, value index) for each member of the object at i.
  template <class F>
  void members(size_t i, F &&f) const {
    size_t j = i + 1;
    for (uint64_t k = 0; k < tok[i].len; k++) {
      f(str(j), j + 1);
      j = skip(j + 1);
    }
  }

  // Calls f(value index) for each element of the array at i.
  template <class F>
  void elements(size_t i, F &&f) const {
    size_t j = i + 1;
    for (uint64_t k = 0; k < tok[i].len; k++) {
      f(j);
      j = skip(j);
    }
  }
};

std::string name_of(std::string_view prefix, std::string_view key) {
  std::string s(prefix);
  if (!s.empty()) s += '.';
  s += key;
  return s;
}

std::string want_string(const Tape &t, size_t i, const std::string &name) {
  if (t.type(i) != LEVEE_JSON_STRING) config_error("tls option " + name + ": a string is expected");
  std::string_view v = t.str(i);
  if (v.find('\0') != std::string_view::npos) config_error("tls option " + name + ": NUL byte in the value");
  return std::string(v);
}

// A string or a list of strings, joined with sep.
std::string want_list(const Tape &t, size_t i, const std::string &name, char sep) {
  if (t.type(i) == LEVEE_JSON_STRING) return want_string(t, i, name);
  if (t.type(i) != LEVEE_JSON_ARRAY) config_error("tls option " + name + ": a string or a list of strings is expected");
  std::string out;
  t.elements(i, [&](size_t j) {
    std::string item = want_string(t, j, name);
    if (item.empty()) config_error("tls option " + name + ": empty name in the list");
    if (!out.empty()) out += sep;
    out += item;
  });
  return out;
}

// The check an insecure.* value asks for: only a literal false disables it.
bool insecure_off(const Tape &t, size_t i, const std::string &name) {
  if (t.type(i) == LEVEE_JSON_FALSE) return true;
  if (t.type(i) == LEVEE_JSON_TRUE || t.type(i) == LEVEE_JSON_NULL) return false;
  config_error("tls option " + name + ": false (to turn the check off) or true is expected");
}

struct Keypair {
  std::string cert, key;            // PEM text or a path
  bool cert_file = false, key_file = false;
  bool has_cert = false, has_key = false;
};

// Reads a PEM file into memory; the caller frees with tls_unload_file.
struct Loaded {
  uint8_t *p = nullptr;
  size_t len = 0;
  ~Loaded() {
    if (p) tls_unload_file(p, len);
  }
};

void load(Loaded &out, const std::string &path, const std::string &name) {
  errno = 0;
  out.p = tls_load_file(path.c_str(), &out.len, nullptr);
  if (!out.p) {
    config_error("tls option " + name + ": cannot read " + path + ": " +
                 (errno ? std::strerror(errno) : "not a PEM file"));
  }
}

void add_keypair(tls_config *cfg, const Keypair &kp, bool first, const std::string &name) {
  if (!kp.has_cert) config_error("tls option " + name + ": key without cert or cert_file");
  if (!kp.has_key) config_error("tls option " + name + ": cert without key or key_file");
  Loaded cf, kf;
  const uint8_t *cert = reinterpret_cast<const uint8_t *>(kp.cert.data());
  size_t cert_len = kp.cert.size();
  const uint8_t *key = reinterpret_cast<const uint8_t *>(kp.key.data());
  size_t key_len = kp.key.size();
  if (kp.cert_file) {
    load(cf, kp.cert, name + ".cert_file");
    cert = cf.p;
    cert_len = cf.len;
  }
  if (kp.key_file) {
    load(kf, kp.key, name + ".key_file");
    key = kf.p;
    key_len = kf.len;
  }
  int rc = first ? tls_config_set_keypair_mem(cfg, cert, cert_len, key, key_len)
                 : tls_config_add_keypair_mem(cfg, cert, cert_len, key, key_len);
  if (rc != 0) config_error("tls option " + name + ": " + tls_config_error(cfg));
}

// Reads cert/cert_file/key/key_file of the object at i into kp.
void keypair_member(const Tape &t, std::string_view key, size_t v, Keypair &kp, const std::string &prefix) {
  std::string name = name_of(prefix, key);
  if (key == "cert" || key == "cert_file") {
    if (kp.has_cert) config_error("tls option " + name + ": give cert or cert_file, not both");
    kp.cert = want_string(t, v, name);
    kp.cert_file = key == "cert_file";
    kp.has_cert = true;
  } else if (key == "key" || key == "key_file") {
    if (kp.has_key) config_error("tls option " + name + ": give key or key_file, not both");
    kp.key = want_string(t, v, name);
    kp.key_file = key == "key_file";
    kp.has_key = true;
  }
}

// libtls's cipher keywords (tls_config_set_ciphers), spelled out so that
// "@SECLEVEL=0" can follow them when TLS 1.0/1.1 are enabled: OpenSSL 3
// refuses those protocols' SHA-1 signatures at its default level.
std::string expand_ciphers(const std::string &c) {
  std::string l = c;
  for (char &ch : l) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (l.empty() || l == "secure" || l == "default" || l == "compat") return "HIGH:!aNULL";
  if (l == "legacy") return "HIGH:MEDIUM:!aNULL";
  if (l == "insecure" || l == "all") return "ALL:!aNULL:!eNULL";
  return c;
}

void build(levee_tls_config *c, const char *json, size_t len) {
  std::unique_ptr<levee_json, void (*)(levee_json *)> j(nullptr, levee_json_free);
  levee_json *jp = nullptr;
  int rc = levee_json_new(&jp);
  if (rc < 0) fail(rc);
  j.reset(jp);
  levee_json_limits(jp, 8, 64 << 20);
  rc = levee_json_parse(jp, reinterpret_cast<const uint8_t *>(json), len);
  if (rc < 0) config_error(std::string("tls options: not a JSON object: ") + levee_last_message());
  Tape t{levee_json_tape(jp), levee_json_count(jp), reinterpret_cast<const uint8_t *>(json),
         levee_json_strings(jp)};
  if (t.n == 0 || t.type(0) != LEVEE_JSON_OBJECT) config_error("tls options: an options table is expected");

  tls_config *cfg = c->cfg;
  Keypair top;
  std::vector<Keypair> certs;
  std::string ca, ca_path, ca_file, ciphers, alpn;
  bool has_ca = false, has_ca_path = false, has_ca_file = false, has_ciphers = false;
  bool has_protocols = false;
  uint32_t protocols = 0;

  auto apply = [&](int r, const std::string &name) {
    if (r != 0) config_error("tls option " + name + ": " + tls_config_error(cfg));
  };

  t.members(0, [&](std::string_view key, size_t v) {
    std::string name(key);
    if (key == "cert" || key == "cert_file" || key == "key" || key == "key_file") {
      keypair_member(t, key, v, top, "");
    } else if (key == "ca") {
      ca = want_string(t, v, name), has_ca = true;
    } else if (key == "ca_path") {
      ca_path = want_string(t, v, name), has_ca_path = true;
    } else if (key == "ca_file") {
      ca_file = want_string(t, v, name), has_ca_file = true;
    } else if (key == "certs") {
      if (t.type(v) != LEVEE_JSON_ARRAY) config_error("tls option certs: a list of {cert=, key=} tables is expected");
      size_t k = 0;
      t.elements(v, [&](size_t e) {
        std::string pre = "certs[" + std::to_string(++k) + "]";
        if (t.type(e) != LEVEE_JSON_OBJECT) config_error("tls option " + pre + ": a {cert=, key=} table is expected");
        Keypair kp;
        t.members(e, [&](std::string_view k2, size_t v2) {
          if (k2 != "cert" && k2 != "cert_file" && k2 != "key" && k2 != "key_file") {
            config_error("tls option " + name_of(pre, k2) + ": unknown option");
          }
          keypair_member(t, k2, v2, kp, pre);
        });
        if (!kp.has_cert || !kp.has_key) config_error("tls option " + pre + ": cert and key are both needed");
        certs.push_back(std::move(kp));
      });
    } else if (key == "ciphers") {
      ciphers = want_string(t, v, name), has_ciphers = true;
    } else if (key == "dheparams") {
      apply(tls_config_set_dheparams(cfg, want_string(t, v, name).c_str()), name);
    } else if (key == "ecdhecurve" || key == "ecdhecurves") {
      apply(tls_config_set_ecdhecurves(cfg, want_list(t, v, name, ',').c_str()), name);
    } else if (key == "protocols") {
      std::string p = want_list(t, v, name, ',');
      for (char &ch : p) {
        ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (ch == '_') ch = '.';
        if (ch == ' ') ch = ',';
      }
      if (tls_config_parse_protocols(&protocols, p.c_str()) != 0 || protocols == 0) {
        config_error("tls option protocols: unknown protocol in \"" + p + "\" (TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3 TLSv1 ALL DEFAULT)");
      }
      has_protocols = true;
    } else if (key == "verify_depth") {
      if (t.type(v) != LEVEE_JSON_NUMBER || !(t.tok[v].flags & LEVEE_JSON_FINT) || t.tok[v].integer < 0 ||
          t.tok[v].integer > 100) {
        config_error("tls option verify_depth: an integer from 0 to 100 is expected");
      }
      apply(tls_config_set_verify_depth(cfg, int(t.tok[v].integer)), name);
    } else if (key == "alpn") {
      alpn = want_list(t, v, name, ',');
      apply(tls_config_set_alpn(cfg, alpn.c_str()), name);
    } else if (key == "server_name") {
      c->server_name = want_string(t, v, name);
    } else if (key == "server") {
      if (t.type(v) != LEVEE_JSON_OBJECT) config_error("tls option server: a table is expected");
      t.members(v, [&](std::string_view k2, size_t v2) {
        std::string n2 = name_of("server", k2);
        if (k2 == "prefer_ciphers") {
          std::string s = want_string(t, v2, n2);
          if (s == "server") tls_config_prefer_ciphers_server(cfg);
          else if (s == "client") tls_config_prefer_ciphers_client(cfg);
          else config_error("tls option " + n2 + ": \"server\" or \"client\" is expected");
        } else if (k2 == "verify_client") {
          if (t.type(v2) == LEVEE_JSON_TRUE) tls_config_verify_client(cfg);
          else if (t.type(v2) == LEVEE_JSON_STRING && t.str(v2) == "optional") tls_config_verify_client_optional(cfg);
          else if (t.type(v2) != LEVEE_JSON_FALSE && t.type(v2) != LEVEE_JSON_NULL) {
            config_error("tls option " + n2 + ": true or \"optional\" is expected");
          }
        } else {
          config_error("tls option " + n2 + ": unknown option");
        }
      });
    } else if (key == "insecure") {
      if (t.type(v) != LEVEE_JSON_OBJECT) config_error("tls option insecure: a table is expected");
      t.members(v, [&](std::string_view k2, size_t v2) {
        std::string n2 = name_of("insecure", k2);
        if (k2 == "verify_cert") {
          if (insecure_off(t, v2, n2)) tls_config_insecure_noverifycert(cfg);
        } else if (k2 == "verify_name") {
          if (insecure_off(t, v2, n2)) {
            tls_config_insecure_noverifyname(cfg);
            c->verify_name = false;
          }
        } else if (k2 == "verify_time") {
          if (insecure_off(t, v2, n2)) tls_config_insecure_noverifytime(cfg);
        } else {
          config_error("tls option " + n2 + ": unknown option");
        }
      });
    }
    // Other keys (handshake_timeout, ...) belong to the caller: ignored.
  });

  // CA: the first present of ca, ca_path, ca_file wins.
  if (has_ca) {
    apply(tls_config_set_ca_mem(cfg, reinterpret_cast<const uint8_t *>(ca.data()), ca.size()), "ca");
  } else if (has_ca_path) {
    apply(tls_config_set_ca_path(cfg, ca_path.c_str()), "ca_path");
  } else if (has_ca_file) {
    apply(tls_config_set_ca_file(cfg, ca_file.c_str()), "ca_file");
  }

  if (top.has_cert || top.has_key) add_keypair(cfg, top, true, top.cert_file ? "cert_file" : "cert");
  bool first = !(top.has_cert || top.has_key);
  for (size_t i = 0; i < certs.size(); i++) {
    add_keypair(cfg, certs[i], first, "certs[" + std::to_string(i + 1) + "]");
    first = false;
  }

  if (has_protocols) apply(tls_config_set_protocols(cfg, protocols), "protocols");
  if (has_protocols && (protocols & (TLS_PROTOCOL_TLSv1_0 | TLS_PROTOCOL_TLSv1_1))) {
    apply(tls_config_set_ciphers(cfg, (expand_ciphers(ciphers) + ":@SECLEVEL=0").c_str()), "ciphers");
  } else if (has_ciphers) {
    apply(tls_config_set_ciphers(cfg, ciphers.c_str()), "ciphers");
  }
}


// ---------------------------------------------------------------------------
// A TLS session as a stream transport

bool contains(const std::string &s, const char *what) { return s.find(what) != std::string::npos; }

// Whether a handshake failure is about the peer's certificate or name
// (libtls's own texts, OpenSSL's verify errors, and the alerts a peer
// sends when it refuses ours).
bool verification_failure(const std::string &m) {
  return contains(m, "verif") || contains(m, "not present in") || contains(m, "no server certificate") ||
         contains(m, "did not return a certificate") || contains(m, "certificate required") ||
         contains(m, "unknown ca") || contains(m, "bad certificate") || contains(m, "certificate expired") ||
         contains(m, "certificate unknown") || contains(m, "certificate revoked");
}

int want(int64_t rc) { return rc == TLS_WANT_POLLIN ? LEVEE_WANT_READ : LEVEE_WANT_WRITE; }

class Tls final : public Transport {
 public:
  explicit Tls(int fd) : fd_(fd) {}
  ~Tls() override {
    if (ctx_) tls_free(ctx_);
  }

  // Starts the client or server side (throws levee::Error).
  void connect(levee_tls_config *c, const char *server_name);
  void accept(levee_tls_server *s);

  int handshake(int) override {
    if (handshaken_) return 0;
    if (sticky_) return sticky_;
    int64_t rc = call([&] { return tls_handshake(ctx_); });
    if (rc == 0) {
      handshaken_ = true;
      return 0;
    }
    if (rc == TLS_WANT_POLLIN || rc == TLS_WANT_POLLOUT) return want(rc);
    return sticky_ = fail("handshake");
  }

  // Fills dst as far as libtls and the socket allow: several records per
  // call, and never a WANT answer while bytes are at hand.
  int64_t read(int, void *dst, size_t n) override {
    if (ended_ && !sticky_) return LEVEE_CLOSED;
    auto *p = static_cast<uint8_t *>(dst);
    int64_t r = move(n, true, [&](size_t done) { return tls_read(ctx_, p + done, n - done); });
    return r == 0 ? int64_t(LEVEE_CLOSED) : r;
  }

  // Writes as far as the socket takes it.
  int64_t write(int, const void *src, size_t n) override {
    if (wclosed_ && !sticky_) return LEVEE_EPIPE;
    auto *p = static_cast<const uint8_t *>(src);
    return move(n, false, [&](size_t done) { return tls_write(ctx_, p + done, n - done); });
  }

  // Gathers up to 64 KiB and writes that: a few full TLS records instead of
  // one record per entry. A retry after a WANT answer starts at the same
  // byte with at least as many bytes, as OpenSSL's write retry requires.
  int64_t writev(int fd, const iovec *iov, int cnt) override {
    constexpr size_t kGather = 64 * 1024;
    int first = 0;
    while (first < cnt && !iov[first].iov_len) ++first;
    if (first == cnt) return 0;
    if (first + 1 == cnt || iov[first].iov_len >= kGather) {
      return write(fd, iov[first].iov_base, iov[first].iov_len);
    }
    try {
      scratch_.clear();
      for (int i = first; i < cnt && scratch_.size() < kGather; i++) {
        size_t take = std::min(iov[i].iov_len, kGather - scratch_.size());
        auto *b = static_cast<const uint8_t *>(iov[i].iov_base);
        scratch_.insert(scratch_.end(), b, b + take);
      }
    } catch (const std::bad_alloc &) {
      return write(fd, iov[first].iov_base, iov[first].iov_len);
    }
    return write(fd, scratch_.data(), scratch_.size());
  }

  // close_notify, once, without waiting; reading goes on.
  void end_write(int) override {
    if (wclosed_ || !handshaken_ || sticky_) return;
    wclosed_ = true;
    call([&] { return tls_close(ctx_); });
  }

  void end(int fd) override { end_write(fd); }

  bool raw() const override { return false; }

  int info(levee_tls_info *out) {
    std::memset(out, 0, sizeof *out);
    if (!handshaken_) return LEVEE_EAGAIN;
    auto s = [](const char *p) { return p ? p : ""; };
    out->version = s(tls_conn_version(ctx_));
    out->cipher = s(tls_conn_cipher(ctx_));
    out->alpn = s(tls_conn_alpn_selected(ctx_));
    out->server_name = s(tls_conn_servername(ctx_));
    out->cipher_strength = tls_conn_cipher_strength(ctx_);
    out->peer_cert = tls_peer_cert_provided(ctx_);
    out->session_resumed = tls_conn_session_resumed(ctx_);
    out->subject = out->issuer = out->hash = "";
    if (out->peer_cert) {
      out->subject = s(tls_peer_cert_subject(ctx_));
      out->issuer = s(tls_peer_cert_issuer(ctx_));
      out->hash = s(tls_peer_cert_hash(ctx_));
      out->not_before = int64_t(tls_peer_cert_notbefore(ctx_));
      out->not_after = int64_t(tls_peer_cert_notafter(ctx_));
    }
    return 0;
  }

 private:
  static ssize_t read_cb(struct tls *, void *buf, size_t len, void *arg) {
    auto *t = static_cast<Tls *>(arg);
    for (;;) {
      ssize_t n = ::read(t->fd_, buf, len);
      if (n > 0) return n;
      if (n == 0) {
        t->eof_ = true;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        t->rd_blocked_ = true;
        return TLS_WANT_POLLIN;
      }
      if (!t->sys_errno_) t->sys_errno_ = errno;  // the first failure is the cause
      return -1;
    }
  }

  static ssize_t write_cb(struct tls *, const void *buf, size_t len, void *arg) {
    auto *t = static_cast<Tls *>(arg);
    for (;;) {
      ssize_t n = t->socket_ ? ::send(t->fd_, buf, len, MSG_NOSIGNAL) : ::write(t->fd_, buf, len);
      if (n >= 0) return n;
      if (errno == ENOTSOCK && t->socket_) {
        t->socket_ = false;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        t->wr_blocked_ = true;
        return TLS_WANT_POLLOUT;
      }
      if (!t->sys_errno_) t->sys_errno_ = errno;
      return -1;
    }
  }

  // The loop of read and write: step(done) is one tls_read/tls_write of
  // the bytes after `done`, repeated until n bytes moved, libtls would
  // really block, the TLS stream ended (reading: ended_ is set), or it
  // failed. Returns the bytes moved (0 only at the end of the stream),
  // else the WANT answer or the failure. A failure after some bytes moved
  // is kept and returned by the next call.
  template <class Step>
  int64_t move(size_t n, bool reading, Step step) {
    if (sticky_) return sticky_;
    size_t total = 0;
    while (total < n) {
      int64_t r = call([&] { return step(total); });
      if (r > 0) {
        total += size_t(r);
        handshaken_ = true;
        continue;
      }
      if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
        if (total) break;
        return want(r);
      }
      if (reading && (r == 0 || (eof_ && handshaken_))) {
        // close_notify, or the peer's TCP EOF without one (OpenSSL calls
        // that an error and may have failed to send an alert on it).
        ended_ = true;
        break;
      }
      int code = fail(reading ? "read" : "write");
      if (!total) return sticky_ = code;
      sticky_ = code;
      break;
    }
    return int64_t(total);
  }

  // Calls op (one libtls call) again while it answers WANT_POLLIN /
  // WANT_POLLOUT although the socket never said EAGAIN: libtls leaves
  // OpenSSL's SSL_MODE_AUTO_RETRY off, so a call that only processed a
  // non-data record (a TLS 1.3 session ticket, a key update) says "want
  // read" with the socket still holding bytes.
  template <class Op>
  int64_t call(Op op) {
    for (int spins = 0;; spins++) {
      rd_blocked_ = wr_blocked_ = false;
      sys_errno_ = 0;
      int64_t n = op();
      if (spins < 64 && ((n == TLS_WANT_POLLIN && !rd_blocked_) || (n == TLS_WANT_POLLOUT && !wr_blocked_))) {
        continue;
      }
      return n;
    }
  }

  // The code of a failed libtls call; its text goes to levee_last_message.
  int fail(const char *op) noexcept {
    const char *m = tls_error(ctx_);
    char text[256];
    if (m) {
      snprintf(text, sizeof text, "%s", m);
    } else if (sys_errno_) {
      snprintf(text, sizeof text, "%s failed: %s", op, std::strerror(sys_errno_));
    } else if (eof_) {
      snprintf(text, sizeof text, "%s failed: connection closed by the peer", op);
    } else {
      snprintf(text, sizeof text, "%s failed", op);
    }
    int code;
    if (!handshaken_) {
      // Whatever broke a handshake (an alert, not TLS at all, the peer
      // gone midway) is a handshake failure; the text says which.
      code = verification_failure(text) ? LEVEE_TLS_EVERIFY : LEVEE_TLS_EHANDSHAKE;
    } else if (sys_errno_) {
      code = errno_code(sys_errno_);
    } else {
      code = LEVEE_TLS_EGENERIC;
    }
    set_message("%s", text);
    return code;
  }

  int fd_;
  struct tls *ctx_ = nullptr;
  bool socket_ = true;       // until a send says ENOTSOCK
  bool handshaken_ = false;
  bool eof_ = false;         // a socket read met the peer's TCP EOF
  bool ended_ = false;       // read reached the end of the TLS stream
  bool wclosed_ = false;     // close_notify sent (or tried)
  bool rd_blocked_ = false;  // the read callback met EAGAIN in this call
  bool wr_blocked_ = false;  // the write callback met EAGAIN in this call
  int sys_errno_ = 0;        // errno of the first failed socket call in this call
  int sticky_ = 0;           // a failure; every later call returns it
  std::vector<uint8_t> scratch_;  // writev's gather buffer
};

void Tls::connect(levee_tls_config *c, const char *server_name) {
  const char *name = server_name && *server_name ? server_name
                     : c->server_name.empty()   ? nullptr
                                                : c->server_name.c_str();
  if (!name && c->verify_name) {
    set_message("a TLS client needs a server_name to verify (or insecure = {verify_name = false})");
    levee::fail(LEVEE_TLS_ECONFIG);
  }
  ctx_ = tls_client();
  if (!ctx_) levee::fail(LEVEE_ENOMEM);
  if (tls_configure(ctx_, c->cfg) != 0) {
    set_message("%s", tls_error(ctx_));
    levee::fail(LEVEE_TLS_ECONFIG);
  }
  if (tls_connect_cbs(ctx_, read_cb, write_cb, this, name) != 0) {
    set_message("%s", tls_error(ctx_));
    levee::fail(LEVEE_TLS_ECLIENT);
  }
}

void Tls::accept(levee_tls_server *s) {
  if (tls_accept_cbs(s->ctx, &ctx_, read_cb, write_cb, this) != 0) {
    set_message("%s", tls_error(s->ctx));
    levee::fail(LEVEE_TLS_ESERVER);
  }
}

// The stream's TLS transport, or nullptr.
Tls *tls_of(levee_stream *s) { return dynamic_cast<Tls *>(stream_transport(s)); }

// Puts a TLS transport made by start() under the connected stream s.
template <class Start>
int upgrade(levee_stream *s, Start start) {
  int fd = levee_stream_fd(s);
  if (fd < 0) return LEVEE_EBADF;
  if (tls_of(s)) return LEVEE_EALREADY;
  init_libtls();
  auto t = std::make_unique<Tls>(fd);
  start(*t);
  stream_set_transport(s, std::move(t));
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------
// The C ABI

extern "C" int levee_tls_config_new(levee_tls_config **out, const char *json, size_t len) {
  if (!out) return LEVEE_EINVAL;
  *out = nullptr;
  if (!json) return LEVEE_EINVAL;
  return guard([&] {
    init_libtls();
    auto c = std::make_unique<levee_tls_config>();
    c->cfg = tls_config_new();
    if (!c->cfg) fail(LEVEE_ENOMEM);
    build(c.get(), json, len);
    *out = c.release();
    return 0;
  });
}

extern "C" void levee_tls_config_free(levee_tls_config *c) { delete c; }

extern "C" int levee_tls_server_new(levee_tls_server **out, levee_tls_config *c) {
  if (!out) return LEVEE_EINVAL;
  *out = nullptr;
  if (!c) return LEVEE_EINVAL;
  return guard([&] {
    init_libtls();
    auto s = std::make_unique<levee_tls_server>();
    s->ctx = tls_server();
    if (!s->ctx) fail(LEVEE_ENOMEM);
    if (tls_configure(s->ctx, c->cfg) != 0) {
      set_message("%s", tls_error(s->ctx));
      fail(LEVEE_TLS_ECONFIG);
    }
    *out = s.release();
    return 0;
  });
}

extern "C" void levee_tls_server_free(levee_tls_server *s) { delete s; }

extern "C" int levee_stream_tls_client(struct levee_stream *s, levee_tls_config *c, const char *server_name) {
  if (!s || !c) return LEVEE_EINVAL;
  return guard([&] { return upgrade(s, [&](Tls &t) { t.connect(c, server_name); }); });
}

extern "C" int levee_stream_tls_accept(struct levee_stream *s, levee_tls_server *srv) {
  if (!s || !srv) return LEVEE_EINVAL;
  return guard([&] { return upgrade(s, [&](Tls &t) { t.accept(srv); }); });
}

extern "C" int levee_stream_tls_info(struct levee_stream *s, levee_tls_info *out) {
  if (!s || !out) return LEVEE_EINVAL;
  return guard([&]() -> int {
    if (levee_stream_fd(s) < 0) return LEVEE_EBADF;
    Tls *t = tls_of(s);
    if (!t) return LEVEE_ENOTSUP;
    return t->info(out);
  });
}
