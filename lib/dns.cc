// levee_dns_*: name resolution that never blocks the hub.
//
// 1. A DNS message codec (RFC 1035): a query builder and an answer parser
//    that turns the ANSWER records of the asked type into presentation text.
//    Answers are hostile input: every read is bounds-checked, compression
//    pointers must point backwards, names stop at 255 bytes, and anything
//    malformed is LEVEE_DNS_EILLEGAL with levee_last_message saying where.
// 2. A resolv.conf reader (nameserver lines).
// 3. getaddrinfo on a worker thread: a request owns an eventfd that the
//    worker signals when the answer is ready; the binding waits on a dup of
//    it like on any other fd, so the hub itself knows nothing about DNS.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"

using namespace levee;

// ---------------------------------------------------------------------------
// record types

namespace {

struct TypeName {
  int type;
  const char *name;
};

const TypeName kTypes[] = {
    {LEVEE_DNS_TYPE_A, "A"},     {LEVEE_DNS_TYPE_NS, "NS"},   {LEVEE_DNS_TYPE_CNAME, "CNAME"},
    {LEVEE_DNS_TYPE_SOA, "SOA"}, {LEVEE_DNS_TYPE_PTR, "PTR"}, {LEVEE_DNS_TYPE_MX, "MX"},
    {LEVEE_DNS_TYPE_TXT, "TXT"}, {LEVEE_DNS_TYPE_AAAA, "AAAA"}, {LEVEE_DNS_TYPE_SRV, "SRV"},
    {LEVEE_DNS_TYPE_OPT, "OPT"}, {LEVEE_DNS_TYPE_SSHFP, "SSHFP"},
};

bool iequal(const char *a, const char *b) {
  for (; *a && *b; ++a, ++b) {
    if (std::tolower(static_cast<unsigned char>(*a)) != std::tolower(static_cast<unsigned char>(*b))) {
      return false;
    }
  }
  return *a == *b;
}

}  // namespace

extern "C" int levee_dns_type(const char *name) {
  if (!name) return LEVEE_EINVAL;
  for (const auto &t : kTypes) {
    if (iequal(name, t.name)) return t.type;
  }
  return LEVEE_EINVAL;
}

extern "C" const char *levee_dns_type_name(int32_t type) {
  for (const auto &t : kTypes) {
    if (t.type == type) return t.name;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// queries

namespace {

// Appends the wire form of the presentation name text ("www.example.com",
// trailing dot optional, "\." and "\DDD" escapes) to out.
int encode_name(const char *text, std::vector<uint8_t> &out) {
  size_t n = std::strlen(text);
  if (n == 0) return LEVEE_DNS_EILLEGAL;
  if (n == 1 && text[0] == '.') {
    out.push_back(0);
    return 0;
  }
  size_t start = out.size();
  std::string label;
  auto flush = [&]() -> int {
    if (label.empty() || label.size() > 63) return LEVEE_DNS_EILLEGAL;
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    label.clear();
    return 0;
  };
  for (size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 >= n) return LEVEE_DNS_EILLEGAL;
      if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        if (i + 3 >= n) return LEVEE_DNS_EILLEGAL;
        int v = 0;
        for (size_t k = 1; k <= 3; ++k) {
          if (!std::isdigit(static_cast<unsigned char>(text[i + k]))) return LEVEE_DNS_EILLEGAL;
          v = v * 10 + (text[i + k] - '0');
        }
        if (v > 255) return LEVEE_DNS_EILLEGAL;
        label.push_back(static_cast<char>(v));
        i += 3;
      } else {
        label.push_back(text[++i]);
      }
    } else if (c == '.') {
      if (int rc = flush(); rc < 0) return rc;
    } else {
      label.push_back(c);
    }
  }
  if (!label.empty()) {
    if (int rc = flush(); rc < 0) return rc;
  }
  out.push_back(0);
  if (out.size() - start > 255) return LEVEE_DNS_EILLEGAL;
  return 0;
}

void put16(std::vector<uint8_t> &out, unsigned v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

uint16_t random_id() {
  uint16_t id = 0;
  if (getrandom(&id, sizeof id, GRND_NONBLOCK) != ssize_t(sizeof id)) {
    static std::atomic<uint32_t> fallback{0x9e3779b9u};
    uint32_t x = fallback.fetch_add(0x6d2b79f5u) ^ uint32_t(getpid()) ^ uint32_t(clock());
    id = static_cast<uint16_t>(x ^ (x >> 16));
  }
  return id;
}

}  // namespace

extern "C" int levee_dns_query(uint8_t *dst, size_t cap, const char *qname, int32_t qtype,
                               uint16_t *id) {
  if (!dst || !qname || !id || qtype < 0 || qtype > 65535) return LEVEE_EINVAL;
  return guard([&]() -> int {
    std::vector<uint8_t> m;
    uint16_t qid = random_id();
    put16(m, qid);
    put16(m, 0x0100);  // standard query, recursion desired
    put16(m, 1);       // QDCOUNT
    put16(m, 0);
    put16(m, 0);
    put16(m, 0);
    if (int rc = encode_name(qname, m); rc < 0) {
      set_message("DNS query: \"%s\" is not a valid domain name", qname);
      return rc;
    }
    put16(m, static_cast<unsigned>(qtype));
    put16(m, 1);  // class IN
    if (m.size() > cap) return LEVEE_DNS_ENOBUFS;
    std::memcpy(dst, m.data(), m.size());
    *id = qid;
    return static_cast<int>(m.size());
  });
}

// ---------------------------------------------------------------------------
// answers

struct levee_dns_answer {
  struct Rec {
    std::string name, data;
    uint32_t ttl;
    int32_t type;
  };
  std::vector<Rec> recs;
};

namespace {

// A malformed message: where and what.
struct Malformed {
  size_t at;
  const char *what;
};

[[noreturn]] void bad(size_t at, const char *what) { throw Malformed{at, what}; }

struct Reader {
  const uint8_t *m;
  size_t len;

  unsigned u8(size_t at) const {
    if (at >= len) bad(at, "message ends inside a field");
    return m[at];
  }
  unsigned u16(size_t at) const {
    if (at + 2 > len) bad(at, "message ends inside a field");
    return unsigned(m[at]) << 8 | m[at + 1];
  }
  uint32_t u32(size_t at) const {
    if (at + 4 > len) bad(at, "message ends inside a field");
    return uint32_t(m[at]) << 24 | uint32_t(m[at + 1]) << 16 | uint32_t(m[at + 2]) << 8 | m[at + 3];
  }

  // Appends the presentation form of the name at off (FQDN with a trailing
  // dot, "." for the root) to out; returns the offset just past the name
  // where it starts (after the first pointer when compressed).
  size_t name(size_t off, std::string &out) const {
    size_t end = 0, wire = 0;
    bool jumped = false;
    size_t first = out.size();
    for (int hops = 0;;) {
      unsigned c = u8(off);
      if ((c & 0xC0) == 0xC0) {
        size_t ptr = (c & 0x3F) << 8 | u8(off + 1);
        if (ptr >= off) bad(off, "compression pointer does not point backwards");
        if (++hops > 127) bad(off, "compression loop");
        if (!jumped) end = off + 2;
        jumped = true;
        off = ptr;
        continue;
      }
      if (c & 0xC0) bad(off, "reserved label type");
      if (c == 0) {
        if (!jumped) end = off + 1;
        break;
      }
      if (off + 1 + c > len) bad(off, "label runs past the end of the message");
      wire += c + 1;
      if (wire + 1 > 255) bad(off, "name longer than 255 bytes");
      for (size_t i = off + 1; i <= off + c; ++i) {
        unsigned char ch = m[i];
        if (ch == '.' || ch == '\\') {
          out.push_back('\\');
          out.push_back(static_cast<char>(ch));
        } else if (ch < 33 || ch > 126) {
          char esc[5];
          std::snprintf(esc, sizeof esc, "\\%03u", ch);
          out += esc;
        } else {
          out.push_back(static_cast<char>(ch));
        }
      }
      out.push_back('.');
      off += 1 + c;
    }
    if (out.size() == first) out.push_back('.');
    return end;
  }
};

// Bytes as \DDD-escaped text inside quotes, like dns.c prints TXT data.
void quoted(std::string &out, const uint8_t *p, size_t n) {
  out.push_back('"');
  for (size_t i = 0; i < n; ++i) {
    unsigned char ch = p[i];
    if (ch < 32 || ch > 126 || ch == '"' || ch == '\\') {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\%03u", ch);
      out += esc;
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  out.push_back('"');
}

void hex(std::string &out, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
}

void append_u(std::string &out, unsigned long v) { out += std::to_string(v); }

// The presentation form of the rdata of type at [at, at + n).
std::string rdata(const Reader &r, int type, size_t at, size_t n) {
  std::string out;
  size_t end = at + n;
  auto fixed = [&](size_t want) {
    if (n != want) bad(at, "record data has the wrong length for its type");
  };
  auto name_to_end = [&](size_t off) {
    size_t next = r.name(off, out);
    if (next != end) bad(off, "name does not fill the record data");
  };
  auto name_within = [&](size_t off) {
    size_t next = r.name(off, out);
    if (next > end) bad(off, "name runs past the record data");
    return next;
  };
  switch (type) {
    case LEVEE_DNS_TYPE_A: {
      fixed(4);
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, r.m + at, text, sizeof text);
      out = text;
      break;
    }
    case LEVEE_DNS_TYPE_AAAA: {
      fixed(16);
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, r.m + at, text, sizeof text);
      out = text;
      break;
    }
    case LEVEE_DNS_TYPE_NS:
    case LEVEE_DNS_TYPE_CNAME:
    case LEVEE_DNS_TYPE_PTR:
      name_to_end(at);
      break;
    case LEVEE_DNS_TYPE_MX:
      if (n < 3) bad(at, "MX record too short");
      append_u(out, r.u16(at));
      out.push_back(' ');
      name_to_end(at + 2);
      break;
    case LEVEE_DNS_TYPE_SRV:
      if (n < 7) bad(at, "SRV record too short");
      append_u(out, r.u16(at));
      out.push_back(' ');
      append_u(out, r.u16(at + 2));
      out.push_back(' ');
      append_u(out, r.u16(at + 4));
      out.push_back(' ');
      name_to_end(at + 6);
      break;
    case LEVEE_DNS_TYPE_SOA: {
      size_t off = name_within(at);
      out.push_back(' ');
      off = name_within(off);
      if (end - off != 20) bad(off, "SOA record has the wrong length");
      for (int i = 0; i < 5; ++i) {
        out.push_back(' ');
        append_u(out, r.u32(off + 4 * i));
      }
      break;
    }
    case LEVEE_DNS_TYPE_TXT: {
      // The character-strings, joined and printed in 256-byte quoted
      // chunks as dns.c did ("v=spf1 -all" keeps its quotes).
      std::vector<uint8_t> text;
      for (size_t off = at; off < end;) {
        size_t k = r.m[off];
        if (off + 1 + k > end) bad(off, "TXT string runs past the record data");
        text.insert(text.end(), r.m + off + 1, r.m + off + 1 + k);
        off += 1 + k;
      }
      if (n == 0) bad(at, "TXT record without a string");
      if (text.empty()) {
        out = "\"\"";
      }
      for (size_t off = 0; off < text.size(); off += 256) {
        if (off) out.push_back(' ');
        quoted(out, text.data() + off, std::min<size_t>(256, text.size() - off));
      }
      break;
    }
    case LEVEE_DNS_TYPE_SSHFP:
      if (n < 2) bad(at, "SSHFP record too short");
      append_u(out, r.m[at]);
      out.push_back(' ');
      append_u(out, r.m[at + 1]);
      out.push_back(' ');
      hex(out, r.m + at + 2, n - 2);
      break;
    case LEVEE_DNS_TYPE_OPT:
      quoted(out, r.m + at, n);
      break;
    default:  // RFC 3597 generic form
      out = "\\# ";
      append_u(out, n);
      if (n) {
        out.push_back(' ');
        hex(out, r.m + at, n);
      }
      break;
  }
  return out;
}

int rcode_error(unsigned rcode) {
  if (rcode <= 10 || (rcode >= 16 && rcode <= 21)) return LEVEE_DNS_NOERROR - int(rcode);
  set_message("DNS answer: RCODE %u", rcode);
  return LEVEE_DNS_EUNKNOWN;
}

bool same_name(const std::string &a, const std::string &b) { return iequal(a.c_str(), b.c_str()); }

int parse(levee_dns_answer *a, const uint8_t *query, size_t qlen, const uint8_t *msg, size_t len) {
  a->recs.clear();
  Reader q{query, qlen}, r{msg, len};
  // The question we asked: a malformed query is the caller's bug.
  std::string qname;
  unsigned qid, qtype, qclass;
  try {
    qid = q.u16(0);
    if (q.u16(4) != 1) return LEVEE_EINVAL;
    size_t off = q.name(12, qname);
    qtype = q.u16(off);
    qclass = q.u16(off + 2);
  } catch (const Malformed &) {
    return LEVEE_EINVAL;
  }
  // Not an answer to that question: another id, not a response, a
  // datagram too short to tell. A resolver keeps waiting.
  if (len < 12 || r.u16(0) != qid || !(msg[2] & 0x80) || (msg[2] & 0x78) != 0) {
    return LEVEE_DNS_ENOANSWER;
  }
  bool tc = msg[2] & 0x02;
  unsigned rcode = msg[3] & 0x0F;
  unsigned qd = r.u16(4), an = r.u16(6), ns = r.u16(8), ar = r.u16(10);
  size_t off = 12;
  try {
    if (qd > 1) bad(4, "more than one question");
    if (qd == 1) {
      std::string name;
      off = r.name(off, name);
      if (!same_name(name, qname) || r.u16(off) != qtype || r.u16(off + 2) != qclass) {
        return LEVEE_DNS_ENOANSWER;
      }
      off += 4;
    } else if (rcode == 0) {
      bad(4, "answer without its question");
    }
  } catch (const Malformed &e) {
    if (rcode) return rcode_error(rcode);
    set_message("DNS answer: %s at byte %zu", e.what, e.at);
    return LEVEE_DNS_EILLEGAL;
  }
  size_t total = size_t(an) + ns + ar;
  for (size_t i = 0; i < total; ++i) {
    try {
      levee_dns_answer::Rec rec;
      off = r.name(off, rec.name);
      unsigned type = r.u16(off), klass = r.u16(off + 2);
      uint32_t ttl = r.u32(off + 4);
      size_t n = r.u16(off + 8);
      off += 10;
      if (off + n > len) bad(off, "record data runs past the end of the message");
      if (type == LEVEE_DNS_TYPE_OPT && i >= size_t(an) + ns) {
        rcode |= (ttl >> 24) << 4;  // the extended RCODE
      }
      if (i < an && type == qtype && (klass == qclass || type == LEVEE_DNS_TYPE_OPT)) {
        rec.data = rdata(r, int(type), off, n);
        rec.ttl = ttl;
        rec.type = int32_t(type);
        a->recs.push_back(std::move(rec));
      }
      off += n;
    } catch (const Malformed &e) {
      if (rcode) return rcode_error(rcode);
      if (tc) break;  // truncated (TC): keep the records that arrived whole
      a->recs.clear();
      set_message("DNS answer: %s at byte %zu", e.what, e.at);
      return LEVEE_DNS_EILLEGAL;
    }
  }
  if (rcode) {
    a->recs.clear();
    return rcode_error(rcode);
  }
  return static_cast<int>(a->recs.size());
}

}  // namespace

extern "C" int levee_dns_answer_new(levee_dns_answer **out) {
  if (!out) return LEVEE_EINVAL;
  return guard([&]() -> int {
    *out = new levee_dns_answer;
    return 0;
  });
}

extern "C" void levee_dns_answer_free(levee_dns_answer *a) { delete a; }

extern "C" int levee_dns_answer_parse(levee_dns_answer *a, const uint8_t *query, size_t qlen,
                                      const uint8_t *msg, size_t len) {
  if (!a || !query || (!msg && len)) return LEVEE_EINVAL;
  clear_message();
  int rc = guard([&]() -> int { return parse(a, query, qlen, msg, len); });
  if (rc < 0) a->recs.clear();
  return rc;
}

extern "C" int levee_dns_answer_count(const levee_dns_answer *a) {
  return a ? static_cast<int>(a->recs.size()) : 0;
}

extern "C" int levee_dns_answer_record(const levee_dns_answer *a, size_t i, levee_dns_record *out) {
  if (!a || !out) return LEVEE_EINVAL;
  if (i >= a->recs.size()) return LEVEE_ERANGE;
  const auto &rec = a->recs[i];
  out->name = rec.name.c_str();
  out->data = rec.data.c_str();
  out->ttl = rec.ttl;
  out->type = rec.type;
  return 0;
}

// ---------------------------------------------------------------------------
// resolv.conf

extern "C" int levee_dns_resconf(const char *path, levee_endpoint *out, size_t cap) {
  if (!out && cap) return LEVEE_EINVAL;
  return guard([&]() -> int {
    FILE *f = std::fopen(path ? path : "/etc/resolv.conf", "re");
    if (!f) {
      // glibc's default when there is no resolv.conf: a local server.
      if (!path && errno == ENOENT) {
        if (cap == 0) return 0;
        return levee_endpoint_in(out, "127.0.0.1", 53) < 0 ? LEVEE_EINTERNAL : 1;
      }
      return last_errno_code();
    }
    size_t n = 0;
    bool any = false;
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
      char key[32], value[256];
      if (line[0] == '#' || line[0] == ';') continue;
      if (std::sscanf(line, "%31s %255s", key, value) != 2) continue;
      if (std::strcmp(key, "nameserver") != 0) continue;
      any = true;
      std::string host = value;
      int port = 53;
      if (host[0] == '[') {  // dns.c's "[address]:port" form
        size_t close = host.find(']');
        if (close == std::string::npos) continue;
        std::string rest = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!rest.empty()) {
          char *endp = nullptr;
          if (rest[0] != ':') continue;
          long p = std::strtol(rest.c_str() + 1, &endp, 10);
          if (*endp || p < 1 || p > 65535) continue;
          port = int(p);
        }
      }
      levee_endpoint ep;
      if (levee_endpoint_in(&ep, host.c_str(), port) < 0) continue;
      in_addr any4{};
      if (ep.af == AF_INET &&
          std::memcmp(&reinterpret_cast<sockaddr_in *>(ep.addr)->sin_addr, &any4, sizeof any4) == 0) {
        continue;  // 0.0.0.0 is skipped
      }
      if (n < cap) out[n++] = ep;
    }
    std::fclose(f);
    if (!any && n < cap) {
      if (levee_endpoint_in(&out[n], "127.0.0.1", 53) == 0) ++n;
    }
    return static_cast<int>(n);
  });
}

// ---------------------------------------------------------------------------
// getaddrinfo on worker threads

namespace {

constexpr size_t kMaxEndpoints = 64;
constexpr int kMaxWorkers = 16;

}  // namespace

struct levee_dns_lookup {
  std::string host, service;
  bool has_host = false, has_service = false;
  int32_t family = 0, socktype = 0;
  std::atomic<int> efd{-1};
  std::atomic<int> refs{2};            // the caller and the pool
  std::atomic<bool> done{false};       // result is set (before the signal)
  std::atomic<bool> signalled{false};  // the worker is done with efd
  std::atomic<bool> abandoned{false};
  int result = 0;
  levee_endpoint eps[kMaxEndpoints];

  void close_efd() {
    int fd = efd.exchange(-1);
    if (fd >= 0) close(fd);
  }
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      close_efd();
      delete this;
    }
  }
};

namespace {

struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<levee_dns_lookup *> queue;
  int threads = 0, idle = 0;
};

// The process-wide pool, made on first use. A forked child has none of the
// parent's workers: it forgets the parent's pool (leaked on purpose; its
// mutex may have been held at fork time) and makes its own.
std::atomic<Pool *> g_pool{nullptr};

Pool *pool() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, [] { g_pool.store(nullptr); }); });
  Pool *p = g_pool.load(std::memory_order_acquire);
  if (!p) {
    auto *fresh = new Pool;
    if (g_pool.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) {
      p = fresh;
    } else {
      delete fresh;
    }
  }
  return p;
}

void work(levee_dns_lookup *req) {
  if (!req->abandoned.load(std::memory_order_acquire)) {
    req->result = levee_endpoint_resolve(req->has_host ? req->host.c_str() : nullptr,
                                         req->has_service ? req->service.c_str() : nullptr,
                                         req->family, req->socktype, req->eps, kMaxEndpoints);
  } else {
    req->result = LEVEE_EAI_CANCELED;
  }
  req->done.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t w = write(req->efd.load(), &one, sizeof one);
  (void)w;
  req->signalled.store(true, std::memory_order_release);
  req->release();
}

void worker(Pool *p) {
  std::unique_lock<std::mutex> lock(p->mu);
  for (;;) {
    while (p->queue.empty()) {
      ++p->idle;
      p->cv.wait(lock);
      --p->idle;
    }
    levee_dns_lookup *req = p->queue.front();
    p->queue.pop_front();
    lock.unlock();
    work(req);
    lock.lock();
  }
}

// Queues req; starts a worker when none is idle (up to kMaxWorkers).
// Workers run with every signal blocked, so signals reach the hub threads.
int submit(levee_dns_lookup *req) {
  Pool *p = pool();
  std::lock_guard<std::mutex> lock(p->mu);
  if (p->idle == 0 && p->threads < kMaxWorkers) {
    struct Blocked {  // the new thread inherits this mask
      sigset_t old;
      Blocked() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
      }
      ~Blocked() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
    } blocked;
    try {
      std::thread(worker, p).detach();
      ++p->threads;
    } catch (const std::system_error &) {
      // Out of threads: the request waits for a running worker.
    }
    if (p->threads == 0) return LEVEE_EAGAIN;
  }
  p->queue.push_back(req);
  p->cv.notify_one();
  return 0;
}

}  // namespace

extern "C" int levee_dns_lookup_start(levee_dns_lookup **out, const char *host, const char *service,
                                      int32_t family, int32_t socktype, int32_t *fd) {
  if (!out || !fd) return LEVEE_EINVAL;
  *out = nullptr;
  *fd = -1;
  if (!host && !service) return LEVEE_EAI_NONAME;
  if (family != 0 && family != AF_INET && family != AF_INET6) return LEVEE_EAFNOSUPPORT;
  return guard([&]() -> int {
    auto *req = new levee_dns_lookup;
    if (host) req->host = host, req->has_host = true;
    if (service) req->service = service, req->has_service = true;
    req->family = family;
    req->socktype = socktype;
    req->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int mine = req->efd < 0 ? -1 : fcntl(req->efd, F_DUPFD_CLOEXEC, 0);
    if (req->efd < 0 || mine < 0) {
      int code = last_errno_code();
      req->close_efd();
      delete req;
      return code;
    }
    if (int rc = submit(req); rc < 0) {
      close(mine);
      req->close_efd();
      delete req;
      return rc;
    }
    *out = req;
    *fd = mine;
    return 0;
  });
}

extern "C" int levee_dns_lookup_result(levee_dns_lookup *req, levee_endpoint *out, size_t cap) {
  if (!req || (!out && cap)) return LEVEE_EINVAL;
  if (!req->done.load(std::memory_order_acquire)) return LEVEE_EAGAIN;
  if (req->result < 0) return req->result;
  size_t n = std::min(cap, size_t(req->result));
  std::copy_n(req->eps, n, out);
  return static_cast<int>(n);
}

extern "C" void levee_dns_lookup_free(levee_dns_lookup *req) {
  if (!req) return;
  // After the answer, the worker's last touch of efd is one write: wait it
  // out and close efd here, so the caller's fd count is exact on return.
  if (req->done.load(std::memory_order_acquire)) {
    while (!req->signalled.load(std::memory_order_acquire)) sched_yield();
    req->close_efd();
  }
  req->abandoned.store(true, std::memory_order_release);
  req->release();
}
