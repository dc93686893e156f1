// levee_h1_*: the sans-I/O HTTP/1.1 connection engine (see the h1 section
// of levee.h, docs/http.md and docs/design.md "HTTP engine").
//
// The engine sits on the tokenizer (levee_http_*, lib/http.cc) through its
// C functions and adds what a connection needs beyond tokens: framing
// decisions, keep-alive, 100-continue, head encoding, refusals and the
// order of pipelined responses. It never does I/O except in the two
// helpers at the end (levee_h1_read / levee_h1_flush), which only move
// bytes between an fd and its buffers.
//
// Reading: `rs` says what the next bytes of the read buffer are (a head, a
// Content-Length body, chunked body data or chunk framing, a body until
// close, nothing more). A head is tokenized into the caller's token array;
// when it arrives in pieces, the tokens parsed so far wait in `part` (a
// heap array made only then) and the tokenizer resumes where it stopped.
//
// Writing (server): `q` holds the exchanges in flight in request order.
// The response due now goes into the write buffer; a complete response to
// a later request waits in its own buffer (`held`) and is appended when
// its turn comes; a streamed response to a later request is refused with
// EAGAIN until levee_h1_due names it.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <ctime>

#include <vector>

#include "buffer.h"
#include "internal.h"
#include "stream.h"

namespace {

constexpr uint32_t kIdMask = 0x7fffffff;

// ---------------------------------------------------------------------
// character classes and small helpers

struct Classes {
  bool tchar[256];
  bool bad_value[256];   // CR, LF, NUL: never in a written value or reason
  bool bad_target[256];  // controls, space, DEL: never in a written target
  constexpr Classes() : tchar(), bad_value(), bad_target() {
    const char *special = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
      bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool sp = false;
      for (const char *s = special; *s; s++)
        if (*s == c) sp = true;
      tchar[c] = alnum || sp;
      bad_value[c] = c == '\r' || c == '\n' || c == 0;
      bad_target[c] = c <= 0x20 || c == 0x7f;
    }
  }
};
constexpr Classes kClass;

inline bool is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!kClass.tchar[uint8_t(s[i])]) return false;
  return true;
}

inline bool clean_value(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (kClass.bad_value[uint8_t(s[i])]) return false;
  return true;
}

inline bool clean_target(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (kClass.bad_target[uint8_t(s[i])]) return false;
  return true;
}

// ASCII case-insensitive compare of s[0..n) with a lowercase literal.
inline bool iequal(const void *p, size_t n, const char *lit, size_t litn) {
  if (n != litn) return false;
  const auto *s = static_cast<const uint8_t *>(p);
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != uint8_t(lit[i])) return false;
  return true;
}

inline bool iequal2(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return false;
  for (size_t i = 0; i < an; i++)
    if ((uint8_t(a[i]) | 0x20) != (uint8_t(b[i]) | 0x20)) return false;
  return true;
}

#define LIT(s) s, sizeof(s) - 1

// Calls f(token, len) for each element of a comma-separated list value,
// whitespace trimmed, empty elements skipped.
template <class F>
void each_token(const uint8_t *v, size_t n, F f) {
  size_t i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t s = i;
    while (i < n && v[i] != ',') i++;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
    if (e > s) f(v + s, e - s);
  }
}

const char *standard_reason(uint32_t code) {
  const char *r = code <= 999 ? levee_http_reason(int32_t(code)) : nullptr;
  return r ? r : "Unknown";
}

// ---------------------------------------------------------------------
// Date, formatted at most once a second per thread

struct DateCache {
  time_t at = -1;
  char text[29];
};
thread_local DateCache tl_date;

const char *http_date() {
  time_t now = time(nullptr);
  DateCache &d = tl_date;
  if (now != d.at) {
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    gmtime_r(&now, &tm);
    char *p = d.text;
    auto two = [&](int v) {
      *p++ = char('0' + v / 10 % 10);
      *p++ = char('0' + v % 10);
    };
    memcpy(p, days + 3 * tm.tm_wday, 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    two(tm.tm_mday);
    *p++ = ' ';
    memcpy(p, months + 3 * tm.tm_mon, 3);
    p += 3;
    *p++ = ' ';
    two((tm.tm_year + 1900) / 100);
    two((tm.tm_year + 1900) % 100);
    *p++ = ' ';
    two(tm.tm_hour);
    *p++ = ':';
    two(tm.tm_min);
    *p++ = ':';
    two(tm.tm_sec);
    memcpy(p, " GMT", 4);
    d.at = now;
  }
  return d.text;
}

// ---------------------------------------------------------------------
// a writer over one reservation of a levee_buffer

struct Writer {
  uint8_t *p;
  size_t o = 0;
  void put(const void *s, size_t n) {
    memcpy(p + o, s, n);
    o += n;
  }
  void put(const char *s) { put(s, strlen(s)); }
  void crlf() { put("\r\n", 2); }
  // "HTTP/1.1 NNN " for a status of three digits
  void status_line(uint32_t status) {
    put("HTTP/1.1 ", 9);
    p[o++] = uint8_t('0' + status / 100 % 10);
    p[o++] = uint8_t('0' + status / 10 % 10);
    p[o++] = uint8_t('0' + status % 10);
    p[o++] = ' ';
  }
  void dec(uint64_t v) {
    char tmp[24];
    int i = 24;
    do {
      tmp[--i] = char('0' + v % 10);
      v /= 10;
    } while (v);
    put(tmp + i, size_t(24 - i));
  }
  void hex(uint64_t v) {
    char tmp[20];
    int i = 20;
    do {
      tmp[--i] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v);
    put(tmp + i, size_t(20 - i));
  }
};

inline void check(int rc) {
  if (rc < 0) levee::fail(rc);
}

uint8_t *reserve(levee_buffer *b, size_t n) {
  b->ensure(n);
  return b->tail();
}

// ---------------------------------------------------------------------
// head encoding

enum Frame : uint8_t { FR_NONE, FR_LENGTH, FR_CHUNKED, FR_CLOSE };

struct Encoded {
  uint32_t flags = 0;   // LEVEE_H1_R_*
  Frame frame = FR_NONE;
  uint64_t length = 0;  // FR_LENGTH: the body's size
};

bool parse_length(const char *v, size_t n, uint64_t *out) {
  size_t a = 0, e = n;
  while (a < e && (v[a] == ' ' || v[a] == '\t')) a++;
  while (e > a && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
  if (a == e || e - a > 19) return false;
  uint64_t x = 0;
  for (size_t i = a; i < e; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    x = x * 10 + uint64_t(v[i] - '0');
  }
  *out = x;
  return true;
}

bool has_close(const char *v, size_t n) {
  bool found = false;
  each_token(reinterpret_cast<const uint8_t *>(v), n, [&](const uint8_t *t, size_t tn) {
    if (iequal(t, tn, LIT("close"))) found = true;
  });
  return found;
}

enum FieldKind : uint8_t { K_OTHER, K_LENGTH, K_TE, K_CONNECTION, K_DATE };

FieldKind kind_of(const char *name, size_t n) {
  switch (n) {
    case 4: return iequal(name, n, LIT("date")) ? K_DATE : K_OTHER;
    case 10: return iequal(name, n, LIT("connection")) ? K_CONNECTION : K_OTHER;
    case 14: return iequal(name, n, LIT("content-length")) ? K_LENGTH : K_OTHER;
    case 17: return iequal(name, n, LIT("transfer-encoding")) ? K_TE : K_OTHER;
    default: return K_OTHER;
  }
}

bool fields_have(const levee_h1_field *f, uint32_t n, const char *name, size_t len) {
  for (uint32_t i = 0; i < n; i++)
    if (iequal2(f[i].name, f[i].name_len, name, len)) return true;
  return false;
}

// Appends the head described by o (context flags in ctx) to b. Nothing is
// appended on error.
int encode(levee_buffer *b, const levee_h1_out *o, uint32_t ctx, Encoded *res) {
  bool request = o->method != nullptr;
  if (o->nfields && !o->fields) return LEVEE_EINVAL;
  if (o->ndefaults && !o->defaults) return LEVEE_EINVAL;
  if (o->data_len && !o->data) return LEVEE_EINVAL;
  if (o->body < LEVEE_H1_BODY_NONE || o->body > LEVEE_H1_BODY_CHUNKED) return LEVEE_EINVAL;
  if (o->body == LEVEE_H1_BODY_LENGTH && o->data_len > o->length) return LEVEE_EINVAL;
  size_t size = 64;
  const char *reason = nullptr;
  size_t reason_len = 0;
  if (request) {
    if (!is_token(o->method, o->method_len) || !o->target || !clean_target(o->target, o->target_len))
      return LEVEE_EINVAL;
    size += o->method_len + o->target_len;
  } else {
    if (o->status < 100 || o->status > 999) return LEVEE_EINVAL;
    if (o->target) {
      reason = o->target;
      reason_len = o->target_len;
      if (!clean_value(reason, reason_len)) return LEVEE_EINVAL;
    } else {
      reason = standard_reason(o->status);
      reason_len = strlen(reason);
    }
    size += reason_len;
  }
  bool has_date = false, app_close = false;
  bool app_length = false;
  bool special = false;  // a framing or Connection field: written with care below
  uint64_t app_len = 0;
  auto scan = [&](const levee_h1_field &f) -> int {
    if (!is_token(f.name, f.name_len)) return LEVEE_EINVAL;
    if (f.value_len && !f.value) return LEVEE_EINVAL;
    if (!clean_value(f.value, f.value_len)) return LEVEE_EINVAL;
    FieldKind kind = kind_of(f.name, f.name_len);
    if (kind != K_OTHER && kind != K_DATE) special = true;
    switch (kind) {
      case K_DATE: has_date = true; break;
      case K_CONNECTION:
        if (has_close(f.value, f.value_len)) app_close = true;
        break;
      case K_LENGTH: {
        uint64_t n;
        if (!parse_length(f.value, f.value_len, &n)) return LEVEE_EINVAL;
        if (app_length && n != app_len) return LEVEE_EINVAL;
        app_length = true;
        app_len = n;
        break;
      }
      default: break;
    }
    size += f.name_len + f.value_len + 4;
    return 0;
  };
  for (uint32_t i = 0; i < o->nfields; i++)
    if (int rc = scan(o->fields[i])) return rc;
  // defaults the fields do not override
  uint64_t use_default = 0;  // bit i: defaults[i] is written (first 64)
  for (uint32_t i = 0; i < o->ndefaults && i < 64; i++) {
    const levee_h1_field &f = o->defaults[i];
    if (fields_have(o->fields, o->nfields, f.name, f.name_len)) continue;
    if (int rc = scan(f)) return rc;
    use_default |= uint64_t(1) << i;
  }

  // framing
  Encoded e;
  if (request) {
    if (o->body == LEVEE_H1_BODY_LENGTH) {
      e.frame = FR_LENGTH;
      e.length = o->length;
    } else if (o->body == LEVEE_H1_BODY_CHUNKED) {
      e.frame = FR_CHUNKED;
    } else if (app_length && (ctx & LEVEE_H1_O_USE_LENGTH)) {
      e.frame = FR_LENGTH;  // the app writes the body itself
      e.length = app_len;
    }
    if (app_close) e.flags |= LEVEE_H1_R_CLOSE;
  } else {
    uint32_t st = o->status;
    bool nobody = st < 200 || st == 204 || st == 304;
    if (nobody) {
      e.flags |= LEVEE_H1_R_SKIP;
    } else if (o->body == LEVEE_H1_BODY_CHUNKED) {
      if (app_length && (ctx & LEVEE_H1_O_USE_LENGTH)) {
        e.frame = FR_LENGTH;
        e.length = app_len;
      } else if (ctx & LEVEE_H1_O_HTTP10) {
        e.frame = FR_CLOSE;
      } else {
        e.frame = FR_CHUNKED;
      }
    } else {
      e.frame = FR_LENGTH;
      e.length = o->body == LEVEE_H1_BODY_LENGTH ? o->length : 0;
    }
    if (ctx & LEVEE_H1_O_HEAD) e.flags |= LEVEE_H1_R_SKIP;
    if (st >= 200 && (app_close || e.frame == FR_CLOSE)) e.flags |= LEVEE_H1_R_CLOSE;
  }
  if (e.frame == FR_CHUNKED) e.flags |= LEVEE_H1_R_CHUNKED;
  if (e.frame == FR_CLOSE) e.flags |= LEVEE_H1_R_UNTIL_CLOSE;
  bool interim = !request && o->status < 200;
  bool close = !interim && ((ctx & LEVEE_H1_O_CLOSE) || (e.flags & LEVEE_H1_R_CLOSE));
  if (close) e.flags |= LEVEE_H1_R_CLOSE;
  bool keep = !interim && !close && (ctx & LEVEE_H1_O_KEEP_ALIVE);
  // the app's Connection fields go out as given unless levee writes its own
  bool drop_connection = close || keep;
  bool skip = e.flags & LEVEE_H1_R_SKIP;
  if (skip || e.frame == FR_NONE || (e.frame == FR_LENGTH && o->data_len == e.length))
    e.flags |= LEVEE_H1_R_DONE;
  size_t data = skip ? 0 : o->data_len;
  size += data;

  Writer w{reserve(b, size)};
  if (request) {
    w.put(o->method, o->method_len);
    w.put(" ", 1);
    w.put(o->target, o->target_len);
    w.put(" HTTP/1.1\r\n", 11);
  } else {
    w.status_line(o->status);
    w.put(reason, reason_len);
    w.crlf();
  }
  auto field = [&](const levee_h1_field &f) {
    switch (special ? kind_of(f.name, f.name_len) : K_OTHER) {
      case K_LENGTH:
      case K_TE: return;  // levee writes the framing
      case K_CONNECTION:
        if (drop_connection) return;
        break;
      default: break;
    }
    w.put(f.name, f.name_len);
    w.put(": ", 2);
    w.put(f.value, f.value_len);
    w.crlf();
  };
  for (uint32_t i = 0; i < o->nfields; i++) field(o->fields[i]);
  for (uint32_t i = 0; i < o->ndefaults && i < 64; i++)
    if (use_default & (uint64_t(1) << i)) field(o->defaults[i]);
  if (!request && !interim && !has_date) {
    w.put("Date: ", 6);
    w.put(http_date(), 29);
    w.crlf();
  }
  if (e.frame == FR_LENGTH) {
    w.put("Content-Length: ", 16);
    w.dec(e.length);
    w.crlf();
  } else if (e.frame == FR_CHUNKED) {
    w.put("Transfer-Encoding: chunked\r\n", 28);
  }
  if (close) w.put("Connection: close\r\n", 19);
  else if (keep) w.put("Connection: keep-alive\r\n", 24);
  if (!(e.frame == FR_CHUNKED && (ctx & LEVEE_H1_O_OPEN))) w.crlf();
  if (data) w.put(o->data, data);
  b->len += w.o;
  *res = e;
  return 0;
}

// The bytes of an answer levee writes itself (refusals): status, Date,
// Content-Length, Connection: close, body "<reason>\n".
void refusal(levee_buffer *b, uint32_t status) {
  const char *reason = standard_reason(status);
  size_t rl = strlen(reason);
  Writer w{reserve(b, 160 + 2 * rl)};
  w.status_line(status);
  w.put(reason, rl);
  w.put("\r\nDate: ", 8);
  w.put(http_date(), 29);
  w.put("\r\nContent-Length: ", 18);
  w.dec(rl + 1);
  w.put("\r\nConnection: close\r\n\r\n", 23);
  w.put(reason, rl);
  w.put("\n", 1);
  b->len += w.o;
}

// ---------------------------------------------------------------------
// the connection

enum RState : uint8_t {
  R_HEAD,         // the next bytes start a head
  R_LENGTH,       // Content-Length body: `left` bytes to go
  R_CHUNKED,      // chunked body: `left` bytes of the current chunk (0: framing next)
  R_UNTIL_CLOSE,  // body until EOF (client)
  R_DONE          // no further message is read
};

enum OState : uint8_t {
  O_NONE,    // no response yet
  O_STREAM,  // head written, body streaming (or interim responses written)
  O_DONE     // complete (maybe held)
};

struct Exchange {
  uint32_t id;
  uint8_t version;
  bool head;       // HEAD request
  bool close;      // the connection ends after this exchange
  bool refused;    // the engine answered it (a bad body)
  OState out;
  levee_buffer *held;  // complete response waiting for its turn
};

// Released buffers of the smallest capacity, and tokenizers with the
// default limits, kept per thread for the next connection that reads or
// writes: an idle connection holds neither, and a busy server does not pay
// a malloc/free pair per buffer and tokenizer per request (a short read
// drains the socket, the connection goes idle after every request under a
// keep-alive load, and gives them back).
struct BufferCache {
  static constexpr int kMax = 32;  // at most 256 KB of buffers per thread
  uint8_t *bufs[kMax];
  int n = 0;
  levee_http *toks[kMax];
  int ntoks = 0;
  bool dead = false;  // the thread is ending: give memory back for good
  ~BufferCache() {
    dead = true;
    while (n) free(bufs[--n]);
    while (ntoks) levee_http_free(toks[--ntoks]);
  }
};
thread_local BufferCache buffer_cache;

// gives b's memory back (to the cache c when it has the cached size); b
// must hold no bytes (a buffer with bytes is left as it is)
void give_back(levee_buffer *b, BufferCache &c = buffer_cache) {
  if (!b->buf || b->len || b->sav) return;
  if (b->cap == levee::buffer_capacity(1) && c.n < BufferCache::kMax && !c.dead) {
    c.bufs[c.n++] = b->buf;
    b->buf = nullptr;
    b->off = b->cap = 0;
    return;
  }
  levee_buffer_release(b);
}

// gives an empty b a cached buffer, when there is one (the thread-local
// lookup, a call in a shared library, only for a b without memory)
void take(levee_buffer *b) {
  if (b->buf) return;
  BufferCache &c = buffer_cache;
  if (!c.n) return;
  b->buf = c.bufs[--c.n];
  b->cap = levee::buffer_capacity(1);
  b->off = 0;
}

}  // namespace

struct levee_h1 {
  // (fields in size order: an idle keep-alive connection holds this and
  // nothing else)
  levee_http *tok = nullptr;  // made when a head starts, freed while idle
  std::vector<levee_http_token> *part = nullptr;  // tokens of a head split over reads
  levee_buffer rb, wb;  // the buffers (levee_h1_rbuf/wbuf hand out pointers)
  std::vector<Exchange> q;
  uint64_t left = 0;       // body bytes left (LENGTH) or in the chunk (CHUNKED)
  uint64_t seen = 0;       // chunked body bytes so far (max_body)
  uint64_t max_body = UINT64_MAX;
  uint64_t wleft = 0;      // bytes the streamed Content-Length body still owes
  levee_http_limits *lim = nullptr;  // the tokenizer's limits (null: default)
  uint32_t body_id = 0;    // the exchange whose body is being read
  uint32_t head_pos = 0;   // bytes of the current head tokenized so far
  uint32_t next_id = 0;
  uint32_t heads = 0;      // heads returned
  uint32_t wid = 0;        // the exchange whose body streams out
  int8_t side = LEVEE_H1_SERVER;
  RState rs = R_HEAD;
  Frame wframe = FR_NONE;  // the streamed message (server: the response due; client: a request body)
  bool eof = false;
  bool drained = false;     // the last levee_h1_read came back short
  bool want_write = false;  // the stream waits for writability
  bool closing = false;     // read no further message after the current one
  bool close_after = false;  // a written response ended the connection
  bool expect = false;      // the body being read waits for 100 Continue
  bool wskip = false;
  bool wcrlf = false;       // a CRLF ends chunk data the caller wrote itself

  ~levee_h1() {
    for (auto &e : q)
      if (e.held) levee_buffer_free(e.held);
    drop_tok();
    delete part;
    delete lim;
    rb.len = rb.sav = wb.len = wb.sav = 0;
    give_back(&rb);
    give_back(&wb);
  }

  void drop_part() {
    delete part;
    part = nullptr;
  }

  void keep_part(const levee_http_token *toks, uint32_t count) {
    if (!part) part = new std::vector<levee_http_token>;
    part->assign(toks, toks + count);
  }

  // gives the tokenizer back (to the cache when it has the default limits)
  void drop_tok(BufferCache &c = buffer_cache) {
    if (!tok) return;
    if (!lim && c.ntoks < BufferCache::kMax && !c.dead) c.toks[c.ntoks++] = tok;
    else levee_http_free(tok);
    tok = nullptr;
  }

  levee_http *parser() {
    if (!tok) {
      int32_t mode = side == LEVEE_H1_SERVER ? LEVEE_HTTP_MODE_REQUEST : LEVEE_HTTP_MODE_RESPONSE;
      BufferCache &c = buffer_cache;
      if (!lim && c.ntoks) {
        tok = c.toks[--c.ntoks];
        levee_http_init(tok, mode);
        return tok;
      }
      check(levee_http_new(&tok, mode));
      if (lim) levee_http_limits_set(tok, lim);
    }
    return tok;
  }

  // gives back what an idle connection does not need
  void release() {
    BufferCache &c = buffer_cache;  // one thread-local lookup
    give_back(&rb, c);
    give_back(&wb, c);
    if ((rs == R_HEAD || rs == R_DONE) && !part && rb.len == 0) drop_tok(c);
    if (q.empty()) std::vector<Exchange>().swap(q);
  }

  Exchange *find(uint32_t id) {
    for (auto &e : q)
      if (e.id == id) return &e;
    return nullptr;
  }

  uint32_t new_id() {
    uint32_t id = next_id;
    next_id = (next_id + 1) & kIdMask;
    return id;
  }

  int next(levee_h1_msg *m, levee_http_token *toks, uint32_t cap);
  int head(levee_h1_msg *m, levee_http_token *toks, uint32_t cap);
  int body(levee_h1_msg *m);
  int refuse(int code, uint32_t status, levee_h1_msg *m);
  int bad_body(int code);
  void body_done();
  void advance();
  void maybe_continue();
  int respond(uint32_t id, const levee_h1_out *o);
  int request(const levee_h1_out *o);
  int send(uint32_t id, const uint8_t *data, size_t len);
  int finish(uint32_t id);
  int discard();
  int state() const;
};

namespace {

// The status of a head the tokenizer refused as too large: 431 once the
// request line was read, else 414 for a long target, 400 for a bad or
// long method, 431 otherwise (Python and Lua servers answered the same).
uint32_t size_status(const levee_http *tok, const uint8_t *p, size_t n, bool line_done) {
  if (line_done) return 431;
  levee_http_limits lim;
  levee_http_limits_get(tok, &lim);
  size_t i = 0;
  while (i < n && (p[i] == '\r' || p[i] == '\n')) i++;  // empty lines first
  size_t start = i;
  while (i < n && p[i] != ' ' && p[i] != '\r' && p[i] != '\n') i++;
  if (i == n || p[i] != ' ' || i - start > lim.max_method) return 400;
  size_t t = ++i;
  while (i < n && p[i] != ' ' && p[i] != '\r' && p[i] != '\n') i++;
  return i - t > lim.max_uri ? 414 : 431;
}

}  // namespace

int levee_h1::refuse(int code, uint32_t status, levee_h1_msg *m) {
  rs = R_DONE;
  closing = true;
  if (side == LEVEE_H1_SERVER) {
    m->status = status;
    Exchange e{new_id(), 1, false, true, true, O_DONE, nullptr};
    if (q.empty()) {
      refusal(&wb, status);
      close_after = true;
    } else {
      levee_buffer *b = nullptr;
      check(levee_buffer_new(&b, 0));
      e.held = b;
      refusal(b, status);
      q.push_back(e);
    }
  }
  drop_part();
  head_pos = 0;
  return code;
}

// A request body that cannot be read on (bad chunk framing, too large):
// answer it if nothing was sent yet, and end the connection after it.
int levee_h1::bad_body(int code) {
  rs = R_DONE;
  closing = true;
  expect = false;
  if (side == LEVEE_H1_SERVER) {
    Exchange *e = find(body_id);
    if (e) {
      e->close = true;
      if (e->out == O_NONE) {
        uint32_t status = code == LEVEE_HTTP_ESIZE ? 413 : 400;
        e->refused = true;
        e->out = O_DONE;
        if (&q.front() == e) {
          refusal(&wb, status);
        } else {
          check(levee_buffer_new(&e->held, 0));
          refusal(e->held, status);
        }
        advance();
      }
    }
  }
  return code;
}

void levee_h1::body_done() {
  expect = false;
  left = 0;
  rs = closing ? R_DONE : R_HEAD;
}

// Server: pops the complete responses at the front of the queue into the
// write buffer.
void levee_h1::advance() {
  size_t n = 0;
  while (n < q.size() && q[n].out == O_DONE) {
    Exchange &e = q[n];
    if (e.held) {
      wb.append(levee_buffer_value(e.held), levee_buffer_len(e.held));
      levee_buffer_free(e.held);
      e.held = nullptr;
    }
    n++;
    if (e.close) {
      close_after = true;
      closing = true;
      rs = rs == R_HEAD ? R_DONE : rs;
      // the exchanges after it will never be answered
      for (size_t i = n; i < q.size(); i++)
        if (q[i].held) levee_buffer_free(q[i].held);
      q.clear();
      return;
    }
  }
  q.erase(q.begin(), q.begin() + long(n));
}

// Server: 100 Continue for a request whose body we are about to wait for.
void levee_h1::maybe_continue() {
  if (!expect || side != LEVEE_H1_SERVER) return;
  if (q.empty() || q.front().id != body_id || q.front().out != O_NONE) return;
  expect = false;
  wb.append("HTTP/1.1 100 Continue\r\n\r\n", 25);
}

int levee_h1::head(levee_h1_msg *m, levee_http_token *toks, uint32_t cap) {
  if (cap < 3 || !toks) return LEVEE_EINVAL;
  bool server = side == LEVEE_H1_SERVER;
  for (;;) {
    if (!server && q.empty()) {
      if (rb.len > 0) return refuse(LEVEE_HTTP_ESTATE, 0, m);  // nobody asked
      if (eof) {
        rs = R_DONE;
        return LEVEE_H1_CLOSED;
      }
      return LEVEE_H1_NEED;
    }
    const uint8_t *base = rb.value();
    size_t len = rb.len;
    uint32_t have = part ? uint32_t(part->size()) : 0;
    if (have && have < cap) memcpy(toks, part->data(), have * sizeof *toks);
    if (have >= cap) return refuse(LEVEE_HTTP_ESIZE, server ? 431 : 0, m);
    int n = 0;
    if (len > head_pos) n = levee_http_parse(parser(), base + head_pos, len - head_pos, toks + have, cap - have);
    if (n < 0) {
      uint32_t status = 400;
      if (n == LEVEE_HTTP_ESIZE) status = size_status(parser(), base, len, have > 0);
      return refuse(n, server ? status : 0, m);
    }
    // offsets relative to the head's first byte
    for (int i = 0; i < n; i++) {
      levee_http_token &t = toks[have + i];
      t.end += head_pos;
      if (t.type <= LEVEE_HTTP_T_FIELD) {
        t.a_off += head_pos;
        t.b_off += head_pos;
      }
    }
    uint32_t count = have + uint32_t(n);
    if (n == 0 || toks[count - 1].type != LEVEE_HTTP_T_BODY_START) {
      if (n > 0) head_pos = toks[count - 1].end;
      if (count >= cap && n > 0) return refuse(LEVEE_HTTP_ESIZE, server ? 431 : 0, m);
      if (n > 0) {
        keep_part(toks, count);
        continue;  // the tokenizer stopped at cap or needs more
      }
      if (eof) {
        bool empty = count == 0 && len == 0;
        rs = R_DONE;
        closing = true;
        drop_part();
        head_pos = 0;
        if (empty) return LEVEE_H1_CLOSED;
        return LEVEE_HTTP_ETOOSHORT;
      }
      if (count) keep_part(toks, count);
      return LEVEE_H1_NEED;
    }
    // a complete head
    const levee_http_token &start = toks[0];
    const levee_http_token &bs = toks[count - 1];
    uint32_t head_len = bs.end;
    drop_part();
    head_pos = 0;
    bool close = false, keep_alive = false, expect_continue = false;
    uint32_t hosts = 0;
    for (uint32_t i = 1; i + 1 < count; i++) {
      const levee_http_token &t = toks[i];
      const uint8_t *name = base + t.a_off;
      const uint8_t *val = base + t.b_off;
      switch (t.a_len) {
        case 4:
          if (iequal(name, 4, LIT("host"))) hosts++;
          break;
        case 6:
          if (iequal(name, 6, LIT("expect")) && iequal(val, t.b_len, LIT("100-continue")))
            expect_continue = true;
          break;
        case 10:
          if (iequal(name, 10, LIT("connection")))
            each_token(val, t.b_len, [&](const uint8_t *s, size_t sn) {
              if (iequal(s, sn, LIT("close"))) close = true;
              else if (iequal(s, sn, LIT("keep-alive"))) keep_alive = true;
            });
          break;
        default: break;
      }
    }
    uint32_t version = start.version;
    if (version == 0 && !keep_alive) close = true;
    memset(m, 0, sizeof *m);
    m->base = base;
    m->ntoks = count;
    m->version = version;
    m->head_len = head_len;
    if (server) {
      int body = bs.chunked ? LEVEE_H1_BODY_CHUNKED
                            : (bs.length ? LEVEE_H1_BODY_LENGTH : LEVEE_H1_BODY_NONE);
      if (version >= 1 && hosts != 1) return refuse(LEVEE_HTTP_ESYNTAX, 400, m);
      if (body == LEVEE_H1_BODY_LENGTH && bs.length > max_body) return refuse(LEVEE_HTTP_ESIZE, 413, m);
      bool is_head = start.a_len == 4 && memcmp(base + start.a_off, "HEAD", 4) == 0;
      rb.trim(head_len);
      if (!bs.chunked) levee_http_reset(tok);
      Exchange e{new_id(), uint8_t(version), is_head, close, false, O_NONE, nullptr};
      q.push_back(e);
      m->id = e.id;
      m->body = body;
      m->length = body == LEVEE_H1_BODY_LENGTH ? bs.length : 0;
      m->flags = (close ? LEVEE_H1_F_CLOSE : 0) | (is_head ? LEVEE_H1_F_HEAD : 0);
      if (close) closing = true;
      body_id = e.id;
      expect = expect_continue && version >= 1 && body != LEVEE_H1_BODY_NONE;
      if (expect) m->flags |= LEVEE_H1_F_CONTINUE;
      seen = 0;
      if (body == LEVEE_H1_BODY_LENGTH) {
        rs = R_LENGTH;
        left = bs.length;
      } else if (body == LEVEE_H1_BODY_CHUNKED) {
        rs = R_CHUNKED;
        left = 0;
      } else {
        body_done();
      }
      return LEVEE_H1_HEAD;
    }
    // client: a response
    uint32_t status = start.status;
    rb.trim(head_len);
    if (status < 200 && status != 101) {  // interim: skip it
      levee_http_reset(tok);
      continue;
    }
    Exchange e = q.front();
    q.erase(q.begin());
    int body;
    if (e.head || status == 101 || status == 204 || status == 304) {
      body = LEVEE_H1_BODY_NONE;
      levee_http_reset(tok);
    } else if (bs.chunked) {
      body = LEVEE_H1_BODY_CHUNKED;
    } else if (bs.length == UINT64_MAX) {
      body = LEVEE_H1_BODY_CLOSE;
      levee_http_reset(tok);
    } else {
      body = bs.length ? LEVEE_H1_BODY_LENGTH : LEVEE_H1_BODY_NONE;
      levee_http_reset(tok);
    }
    if (status == 101 || body == LEVEE_H1_BODY_CLOSE || e.close) close = true;
    m->id = e.id;
    m->status = status;
    m->body = body;
    m->length = body == LEVEE_H1_BODY_LENGTH ? bs.length : 0;
    m->flags = (close ? LEVEE_H1_F_CLOSE : 0) | (e.head ? LEVEE_H1_F_HEAD : 0);
    if (close) closing = true;
    body_id = e.id;
    expect = false;
    if (body == LEVEE_H1_BODY_LENGTH) {
      rs = R_LENGTH;
      left = bs.length;
    } else if (body == LEVEE_H1_BODY_CHUNKED) {
      rs = R_CHUNKED;
      left = 0;
    } else if (body == LEVEE_H1_BODY_CLOSE) {
      rs = R_UNTIL_CLOSE;
    } else {
      body_done();
    }
    return LEVEE_H1_HEAD;
  }
}

int levee_h1::body(levee_h1_msg *m) {
  memset(m, 0, sizeof *m);
  m->id = body_id;
  if (rs == R_CHUNKED && left == 0) {
    levee_http_token t;
    size_t len = rb.len;
    int rc = len ? levee_http_next(parser(), rb.value(), len, &t) : 0;
    if (rc < 0) return bad_body(rc);
    if (rc == 0) {
      if (eof) {
        rs = R_DONE;
        closing = true;
        return LEVEE_HTTP_ETOOSHORT;
      }
      maybe_continue();
      return LEVEE_H1_NEED;
    }
    rb.trim(size_t(rc));
    if (t.type == LEVEE_HTTP_T_BODY_END) {
      levee_http_reset(tok);
      body_done();
      return LEVEE_H1_END;
    }
    left = t.length;
    seen += t.length;
    if (side == LEVEE_H1_SERVER && (seen > max_body || seen < t.length)) return bad_body(LEVEE_HTTP_ESIZE);
    m->length = t.length;
    m->base = rb.value();
    return LEVEE_H1_CHUNK;
  }
  size_t avail = rb.len;
  if (avail == 0) {
    if (eof) {
      if (rs == R_UNTIL_CLOSE) {
        rs = R_DONE;
        return LEVEE_H1_END;
      }
      rs = R_DONE;
      closing = true;
      return LEVEE_HTTP_ETOOSHORT;
    }
    maybe_continue();
    return LEVEE_H1_NEED;
  }
  m->base = rb.value();
  m->length = rs == R_UNTIL_CLOSE || avail < left ? avail : left;
  return LEVEE_H1_DATA;
}

int levee_h1::next(levee_h1_msg *m, levee_http_token *toks, uint32_t cap) {
  memset(m, 0, sizeof *m);
  int rc;
  switch (rs) {
    case R_HEAD:
      rc = head(m, toks, cap);
      if (rc == LEVEE_H1_HEAD) heads++;
      break;
    case R_DONE:
      memset(m, 0, sizeof *m);
      rc = LEVEE_H1_CLOSED;
      break;
    default: rc = body(m);
  }
  if (rc == LEVEE_H1_NEED) m->flags = uint32_t(state());  // saves a call
  return rc;
}

int levee_h1::discard() {
  levee_h1_msg m;
  for (;;) {
    switch (rs) {
      case R_HEAD:
      case R_DONE: return 1;
      case R_LENGTH: {
        if (expect) {  // the peer waits for 100 Continue that will not come
          rs = R_DONE;
          closing = true;
          return 1;
        }
        size_t n = rb.len < left ? rb.len : size_t(left);
        rb.trim(n);
        left -= n;
        if (left == 0) {
          body_done();
          return 1;
        }
        if (eof) {
          rs = R_DONE;
          closing = true;
          return LEVEE_HTTP_ETOOSHORT;
        }
        return 0;
      }
      case R_UNTIL_CLOSE:
        rb.trim(SIZE_MAX);
        if (eof) {
          rs = R_DONE;
          return 1;
        }
        return 0;
      case R_CHUNKED: {
        if (expect) {
          rs = R_DONE;
          closing = true;
          return 1;
        }
        if (left > 0) {
          size_t n = rb.len < left ? rb.len : size_t(left);
          rb.trim(n);
          left -= n;
          if (left > 0) {
            if (eof) {
              rs = R_DONE;
              closing = true;
              return LEVEE_HTTP_ETOOSHORT;
            }
            return 0;
          }
        }
        int rc = body(&m);
        if (rc < 0) return rc;
        if (rc == LEVEE_H1_NEED) return 0;
        // CHUNK: loop to skip its data; END: done
        if (rc == LEVEE_H1_END) return 1;
        break;
      }
    }
  }
}

int levee_h1::state() const {
  int s = 0;
  bool out_pending = wb.len > 0;
  bool body_state = rs == R_LENGTH || rs == R_CHUNKED || rs == R_UNTIL_CLOSE;
  if (rs == R_HEAD && rb.len == 0 && q.empty() && !out_pending && wframe == FR_NONE) s |= LEVEE_H1_S_IDLE;
  if (side == LEVEE_H1_SERVER) {
    if ((close_after || rs == R_DONE) && q.empty()) s |= LEVEE_H1_S_CLOSE;
  } else if (rs == R_DONE) {
    s |= LEVEE_H1_S_CLOSE;
  }
  if (rs == R_HEAD && (rb.len > 0 || part)) s |= LEVEE_H1_S_PARTIAL;
  if (body_state) s |= LEVEE_H1_S_BODY;
  if (eof) s |= LEVEE_H1_S_EOF;
  if (drained) s |= LEVEE_H1_S_DRAINED;
  if (want_write) s |= LEVEE_H1_S_WANT_WRITE;
  if (out_pending) s |= LEVEE_H1_S_OUTPUT;
  return s;
}

int levee_h1::respond(uint32_t id, const levee_h1_out *o) {
  if (side != LEVEE_H1_SERVER || o->method) return LEVEE_EINVAL;
  Exchange *e = find(id);
  if (!e) return close_after ? LEVEE_CLOSED : LEVEE_HTTP_ESTATE;
  if (e->refused) return LEVEE_CLOSED;
  if (e->out == O_DONE) return LEVEE_HTTP_ESTATE;
  if (e->out == O_STREAM && wframe != FR_NONE) return LEVEE_HTTP_ESTATE;  // head already out
  bool due = &q.front() == e;
  uint32_t ctx = o->flags & LEVEE_H1_O_USE_LENGTH;
  if (e->head) ctx |= LEVEE_H1_O_HEAD;
  if (e->version == 0) ctx |= LEVEE_H1_O_HTTP10;
  bool interim = o->status >= 100 && o->status < 200;
  // a request whose body the peer holds back for a 100 Continue that did
  // not come: the connection cannot stay in step after this response
  bool unread = id == body_id && expect && rs != R_HEAD && rs != R_DONE;
  // the last exchange before the connection ends tells the peer so
  bool last = (closing || rs == R_DONE) && e == &q.back();
  if (!interim && (e->close || unread || last)) ctx |= LEVEE_H1_O_CLOSE;
  if (!interim && e->version == 0 && !(ctx & LEVEE_H1_O_CLOSE)) ctx |= LEVEE_H1_O_KEEP_ALIVE;
  Encoded enc;
  if (!due) {
    // only a complete response can wait in memory
    bool complete = o->status >= 200 &&
                    (e->head || o->status == 204 || o->status == 304 ||
                     o->body == LEVEE_H1_BODY_NONE ||
                     (o->body == LEVEE_H1_BODY_LENGTH && o->data_len == o->length));
    if (!complete) return LEVEE_EAGAIN;
    levee_buffer *b = nullptr;
    check(levee_buffer_new(&b, 0));
    int rc = encode(b, o, ctx, &enc);
    if (rc < 0) {
      levee_buffer_free(b);
      return rc;
    }
    if (!(enc.flags & LEVEE_H1_R_DONE)) {  // the app's Content-Length: not complete
      levee_buffer_free(b);
      return LEVEE_EAGAIN;
    }
    e->held = b;
    e->out = O_DONE;
    if (enc.flags & LEVEE_H1_R_CLOSE) e->close = true;
    return int(enc.flags | LEVEE_H1_R_QUEUED);
  }
  int rc = encode(&wb, o, ctx, &enc);
  if (rc < 0) return rc;
  if (interim) {
    e->out = O_STREAM;
    return int(enc.flags & ~uint32_t(LEVEE_H1_R_DONE));
  }
  if (enc.flags & LEVEE_H1_R_CLOSE) e->close = true;
  if (enc.flags & LEVEE_H1_R_DONE) {
    e->out = O_DONE;
    advance();
    return int(enc.flags);
  }
  e->out = O_STREAM;
  wid = id;
  wframe = enc.frame;
  wskip = enc.flags & LEVEE_H1_R_SKIP;
  wleft = enc.frame == FR_LENGTH ? enc.length - (wskip ? 0 : o->data_len) : 0;
  wcrlf = false;
  return int(enc.flags);
}

int levee_h1::request(const levee_h1_out *o) {
  if (side != LEVEE_H1_CLIENT || !o->method) return LEVEE_EINVAL;
  if (wframe != FR_NONE) return LEVEE_EBUSY;
  if (closing || close_after || rs == R_DONE || eof) return LEVEE_CLOSED;
  Encoded enc;
  int rc = encode(&wb, o, o->flags & LEVEE_H1_O_USE_LENGTH, &enc);
  if (rc < 0) return rc;
  bool is_head = o->method_len == 4 && memcmp(o->method, "HEAD", 4) == 0;
  Exchange e{new_id(), 1, is_head, bool(enc.flags & LEVEE_H1_R_CLOSE), false, O_NONE, nullptr};
  q.push_back(e);
  if (e.close) close_after = true;
  if (!(enc.flags & LEVEE_H1_R_DONE)) {
    wid = e.id;
    wframe = enc.frame;
    wskip = false;
    wleft = enc.frame == FR_LENGTH ? enc.length - o->data_len : 0;
    wcrlf = false;
  }
  return int(e.id);
}

int levee_h1::send(uint32_t id, const uint8_t *data, size_t len) {
  if (side == LEVEE_H1_SERVER) {
    Exchange *e = find(id);
    if (!e || e->out != O_STREAM) return e && e->refused ? LEVEE_CLOSED : LEVEE_HTTP_ESTATE;
    if (&q.front() != e) return LEVEE_EAGAIN;
  }
  if (wframe == FR_NONE || wid != id) return LEVEE_HTTP_ESTATE;
  if (wskip || len == 0) return 0;
  switch (wframe) {
    case FR_LENGTH:
      if (len > wleft) return LEVEE_EINVAL;
      wleft -= len;
      if (data) wb.append(data, len);
      return 0;
    case FR_CHUNKED: {
      Writer w{reserve(&wb, 24 + (data ? len : 0))};
      if (wcrlf) w.crlf();
      w.hex(len);
      w.crlf();
      if (data) {
        w.put(data, len);
        w.crlf();
        wcrlf = false;
      } else {
        wcrlf = true;
      }
      wb.len += w.o;
      return 0;
    }
    default:
      if (data) wb.append(data, len);
      return 0;
  }
}

int levee_h1::finish(uint32_t id) {
  Exchange *e = nullptr;
  if (side == LEVEE_H1_SERVER) {
    e = find(id);
    if (!e || e->out != O_STREAM) return e && e->refused ? LEVEE_CLOSED : LEVEE_HTTP_ESTATE;
    if (&q.front() != e) return LEVEE_EAGAIN;
    if (wframe == FR_NONE) return LEVEE_HTTP_ESTATE;  // only interim responses went out
  }
  if (wframe == FR_NONE || wid != id) return LEVEE_HTTP_ESTATE;
  uint32_t flags = LEVEE_H1_R_DONE;
  if (wframe == FR_CHUNKED && !wskip) {
    if (wcrlf) wb.append("\r\n0\r\n\r\n", 7);
    else wb.append("0\r\n\r\n", 5);
  } else if (wframe == FR_LENGTH && wleft > 0 && !wskip) {
    // the body fell short of its Content-Length: the peer cannot tell
    // where the next message starts
    if (e) e->close = true;
    else close_after = closing = true;
  } else if (wframe == FR_CLOSE) {
    if (e) e->close = true;
  }
  wframe = FR_NONE;
  wcrlf = false;
  wleft = 0;
  if (e) {
    e->out = O_DONE;
    if (e->close) flags |= LEVEE_H1_R_CLOSE;
    advance();
  } else if (close_after) {
    flags |= LEVEE_H1_R_CLOSE;
  }
  return int(flags);
}

extern "C" {

int levee_h1_new(levee_h1 **out, int32_t side) {
  if (!out || (side != LEVEE_H1_SERVER && side != LEVEE_H1_CLIENT)) return LEVEE_EINVAL;
  return levee::guard([&] {
    auto *h = new levee_h1;
    h->side = int8_t(side);
    *out = h;
    return 0;
  });
}

void levee_h1_free(levee_h1 *h) { delete h; }

int levee_h1_limits_set(levee_h1 *h, const levee_http_limits *limits) {
  if (!h || !limits) return LEVEE_EINVAL;
  const uint32_t *src = &limits->max_method;
  if (!h->lim) h->lim = new (std::nothrow) levee_http_limits{};
  if (!h->lim) return LEVEE_ENOMEM;
  uint32_t *dst = &h->lim->max_method;
  for (size_t i = 0; i < sizeof *limits / sizeof(uint32_t); i++)
    if (src[i]) dst[i] = src[i];
  if (h->tok) levee_http_limits_set(h->tok, h->lim);
  return 0;
}

int levee_h1_max_body_set(levee_h1 *h, uint64_t max) {
  if (!h) return LEVEE_EINVAL;
  h->max_body = max;
  return 0;
}

levee_buffer *levee_h1_rbuf(levee_h1 *h) { return h ? (&h->rb) : nullptr; }
levee_buffer *levee_h1_wbuf(levee_h1 *h) { return h ? (&h->wb) : nullptr; }

int levee_h1_next(levee_h1 *h, levee_h1_msg *msg, levee_http_token *toks, uint32_t cap) {
  if (!h || !msg) return LEVEE_EINVAL;
  return levee::guard([&] { return h->next(msg, toks, cap); });
}

int levee_h1_consume(levee_h1 *h, size_t n) {
  if (!h) return LEVEE_EINVAL;
  switch (h->rs) {
    case R_LENGTH:
    case R_CHUNKED:
      if (n > h->left || n > h->rb.len) return LEVEE_EINVAL;
      h->rb.trim(n);
      h->left -= n;
      if (h->rs == R_LENGTH && h->left == 0) h->body_done();
      return 0;
    case R_UNTIL_CLOSE:
      if (n > h->rb.len) return LEVEE_EINVAL;
      h->rb.trim(n);
      return 0;
    default:
      return n == 0 ? 0 : LEVEE_HTTP_ESTATE;
  }
}

int levee_h1_discard(levee_h1 *h) {
  if (!h) return LEVEE_EINVAL;
  return levee::guard([&] { return h->discard(); });
}

int levee_h1_eof(levee_h1 *h) {
  if (!h) return LEVEE_EINVAL;
  h->eof = true;
  return 0;
}

int levee_h1_drain(levee_h1 *h) {
  if (!h) return LEVEE_EINVAL;
  h->closing = true;
  if (h->rs == R_HEAD) {
    h->rs = R_DONE;
    h->drop_part();
    h->head_pos = 0;
  }
  return h->state();
}

namespace {

// R_INPUT and R_END beside the flags of a response that went out
int with_state(const levee_h1 *h, int rc) {
  if (rc < 0 || (rc & LEVEE_H1_R_QUEUED)) return rc;
  int st = h->state();
  if (st & LEVEE_H1_S_PARTIAL) rc |= LEVEE_H1_R_INPUT;
  if (st & LEVEE_H1_S_CLOSE) rc |= LEVEE_H1_R_END;
  return rc;
}

}  // namespace

int levee_h1_respond(levee_h1 *h, uint32_t id, const levee_h1_out *o) {
  if (!h || !o) return LEVEE_EINVAL;
  return levee::guard([&] {
    take(&h->wb);
    return with_state(h, h->respond(id, o));
  });
}

namespace {

// "name\0value\0..." as fields, into a per-thread array. false when the
// bytes are not whole pairs.
bool unpack(const char *p, size_t n, std::vector<levee_h1_field> &out) {
  out.clear();
  size_t i = 0;
  while (i < n) {
    const char *name = p + i;
    const void *z = memchr(name, 0, n - i);
    if (!z) return false;
    size_t nl = size_t(static_cast<const char *>(z) - name);
    i += nl + 1;
    if (i > n) return false;
    const char *value = p + i;
    z = memchr(value, 0, n - i);
    if (!z) return false;
    size_t vl = size_t(static_cast<const char *>(z) - value);
    i += vl + 1;
    out.push_back(levee_h1_field{name, value, uint32_t(nl), uint32_t(vl)});
  }
  return true;
}

thread_local std::vector<levee_h1_field> tl_fields, tl_defaults;

// A levee_h1_out over packed fields (tl_fields) and the body arguments.
levee_h1_out packed_out(const char *target, size_t target_len, const uint8_t *body,
                        size_t body_len, int32_t kind, uint64_t length, uint32_t flags) {
  levee_h1_out o{};
  o.target = target;
  o.target_len = uint32_t(target_len);
  o.fields = tl_fields.data();
  o.nfields = uint32_t(tl_fields.size());
  o.body = kind;
  o.length = length;
  o.data = body;
  o.data_len = body_len;
  o.flags = flags;
  return o;
}

}  // namespace

int levee_h1_reply(levee_h1 *h, uint32_t id, uint32_t status, const char *reason, size_t reason_len,
                   const char *fields, size_t fields_len, const uint8_t *body, size_t body_len,
                   int32_t kind, uint64_t length, uint32_t flags) {
  if (!h || (fields_len && !fields) || reason_len > UINT32_MAX) return LEVEE_EINVAL;
  return levee::guard([&] {
    if (!unpack(fields, fields_len, tl_fields)) return int(LEVEE_EINVAL);
    levee_h1_out o = packed_out(reason, reason_len, body, body_len, kind, length, flags);
    o.status = status;
    return with_state(h, h->respond(id, &o));
  });
}

int levee_h1_ask(levee_h1 *h, const char *method, size_t method_len, const char *target,
                 size_t target_len, const char *fields, size_t fields_len, const char *defaults,
                 size_t defaults_len, const uint8_t *body, size_t body_len, int32_t kind,
                 uint64_t length, uint32_t flags) {
  if (!h || !method || (fields_len && !fields) || (defaults_len && !defaults) ||
      method_len > UINT32_MAX || target_len > UINT32_MAX)
    return LEVEE_EINVAL;
  return levee::guard([&] {
    if (!unpack(fields, fields_len, tl_fields) || !unpack(defaults, defaults_len, tl_defaults))
      return int(LEVEE_EINVAL);
    levee_h1_out o = packed_out(target, target_len, body, body_len, kind, length, flags);
    o.method = method;
    o.method_len = uint32_t(method_len);
    o.defaults = tl_defaults.data();
    o.ndefaults = uint32_t(tl_defaults.size());
    return h->request(&o);
  });
}

int levee_h1_pack(const levee_h1_msg *msg, const levee_http_token *toks, uint8_t *dst, size_t cap) {
  if (!msg || !toks || !dst || msg->ntoks < 2 || !msg->base) return LEVEE_EINVAL;
  size_t o = 0;
  auto put = [&](uint32_t off, uint32_t len) -> bool {
    if (o + len + 1 > cap) return false;
    memcpy(dst + o, msg->base + off, len);
    o += len;
    dst[o++] = 0;
    return true;
  };
  const levee_http_token &start = toks[0];
  if (!put(start.a_off, start.a_len)) return LEVEE_ERANGE;
  if (start.type == LEVEE_HTTP_T_REQUEST && !put(start.b_off, start.b_len)) return LEVEE_ERANGE;
  for (uint32_t i = 1; i + 1 < msg->ntoks; i++)
    if (toks[i].type == LEVEE_HTTP_T_FIELD &&
        (!put(toks[i].a_off, toks[i].a_len) || !put(toks[i].b_off, toks[i].b_len)))
      return LEVEE_ERANGE;
  return int(o);
}

int levee_h1_request(levee_h1 *h, const levee_h1_out *o) {
  if (!h || !o) return LEVEE_EINVAL;
  return levee::guard([&] { return h->request(o); });
}

int levee_h1_send(levee_h1 *h, uint32_t id, const uint8_t *data, size_t len) {
  if (!h) return LEVEE_EINVAL;
  return levee::guard([&] {
    take(&h->wb);
    return h->send(id, data, len);
  });
}

int levee_h1_finish(levee_h1 *h, uint32_t id) {
  if (!h) return LEVEE_EINVAL;
  return levee::guard([&] { return with_state(h, h->finish(id)); });
}

int64_t levee_h1_due(const levee_h1 *h) {
  if (!h || h->q.empty()) return -1;
  return h->q.front().id;
}

int levee_h1_inflight(const levee_h1 *h) { return h ? int(h->q.size()) : 0; }

int levee_h1_state(const levee_h1 *h) { return h ? h->state() : 0; }

int64_t levee_h1_count(const levee_h1 *h) { return h ? int64_t(h->heads) : 0; }

int64_t levee_h1_left(const levee_h1 *h, uint32_t id) {
  if (!h || h->body_id != id) return 0;
  switch (h->rs) {
    case R_LENGTH:
    case R_CHUNKED: return int64_t(h->left);
    case R_UNTIL_CLOSE: return -1;
    default: return 0;
  }
}

int levee_h1_release(levee_h1 *h) {
  if (!h) return LEVEE_EINVAL;
  h->release();
  return 0;
}

int64_t levee_h1_read(levee_h1 *h, struct levee_stream *s) {
  if (!h || !s) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t {
    levee_buffer *b = (&h->rb);
    take(b);
    if (b->available() < 2048) b->ensure(b->len < 4096 ? 4096 : b->len);
    size_t room = b->available();
    int64_t n = levee_stream_read(s, b->tail(), room);
    if (n > 0) {
      b->len += size_t(n);
      // a short read drained a plain socket (the next bytes come with a
      // new edge); a transport (TLS) may hold more: read until it says WANT
      levee::Transport *t = levee::stream_transport(s);
      h->drained = size_t(n) < room && t && t->raw();
      h->want_write = false;
      return n;
    }
    if (n == LEVEE_WANT_READ || n == LEVEE_WANT_WRITE) {
      h->drained = true;
      h->want_write = n == LEVEE_WANT_WRITE;
      return n;
    }
    h->eof = true;  // LEVEE_CLOSED, or an error: no more input
    return n == LEVEE_CLOSED ? 0 : n;
  });
}

int64_t levee_h1_flush(levee_h1 *h, struct levee_stream *s) {
  if (!h || !s) return LEVEE_EINVAL;
  levee_buffer *b = (&h->wb);
  if (b->len == 0) return 0;
  int64_t n = levee_stream_write_buffer(s, b, b->len);
  if (n < 0 && n != LEVEE_WANT_READ && n != LEVEE_WANT_WRITE) return n;
  if (b->len) h->want_write = levee_stream_want(s) == LEVEE_WANT_WRITE || n == LEVEE_WANT_WRITE;
  return int64_t(b->len);
}

int levee_h1_step(levee_h1 *h, struct levee_stream *s, int32_t ready, levee_h1_msg *msg,
                  levee_http_token *toks, uint32_t cap, uint8_t *pack, size_t pack_cap) {
  if (!h || !msg || !s) return LEVEE_EINVAL;
  if (h->wb.len) {
    int64_t left = levee_h1_flush(h, s);
    if (left < 0) return int(left);
  }
  int rc = levee_h1_next(h, msg, toks, cap);
  if (rc == LEVEE_H1_NEED && (ready || !h->drained) && !h->eof) {
    int64_t n = levee_h1_read(h, s);
    if (n != LEVEE_WANT_READ && n != LEVEE_WANT_WRITE) rc = levee_h1_next(h, msg, toks, cap);
    else msg->flags = uint32_t(h->state());
  }
  if (rc == LEVEE_H1_HEAD && pack) {
    int n = levee_h1_pack(msg, toks, pack, pack_cap);
    if (n < 0) return n;
    msg->packed = uint32_t(n);
  }
  return rc;
}

int levee_h1_encode(levee_buffer *buf, const levee_h1_out *o) {
  if (!buf || !o) return LEVEE_EINVAL;
  return levee::guard([&] {
    Encoded e;
    int rc = encode(buf, o, o->flags, &e);
    return rc < 0 ? rc : int(e.flags);
  });
}

int levee_h1_date(char *dst, size_t cap) {
  if (!dst || cap < 29) return LEVEE_ERANGE;
  memcpy(dst, http_date(), 29);
  return 29;
}

}  // extern "C"
