// levee_http_*: the incremental strict HTTP/1.1 tokenizer (see the http
// section of levee.h and docs/design/http.md).
//
// A token is one or more CRLF-terminated lines. The parser remembers, per
// token, where the current line starts (`line`) and how far it has already
// searched for its LF (`scan`), both relative to the token's first byte, so a
// call after "need more" only looks at the new bytes. A complete line is then
// validated once against table-driven character classes. No allocation after
// levee_http_new.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "internal.h"
#include "scan.h"

namespace {

enum : uint8_t {
  C_TCHAR = 1,   // token character (method, field name)
  C_TARGET = 2,  // request-target: VCHAR
  C_VALUE = 4,   // field value / reason / chunk-ext: VCHAR obs-text SP HTAB
  C_HEX = 8,     // hex digit
};

struct Classes {
  uint8_t t[256];
  int8_t hex[256];
  constexpr Classes() : t(), hex() {
    const char *special = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
      uint8_t k = 0;
      bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool sp = false;
      for (const char *s = special; *s; s++)
        if (*s == c) sp = true;
      if (alnum || sp) k |= C_TCHAR;
      if (c >= 0x21 && c <= 0x7e) k |= C_TARGET;
      if ((c >= 0x20 && c <= 0x7e) || c == '\t' || c >= 0x80) k |= C_VALUE;
      hex[c] = -1;
      if (c >= '0' && c <= '9') hex[c] = int8_t(c - '0');
      if (c >= 'a' && c <= 'f') hex[c] = int8_t(c - 'a' + 10);
      if (c >= 'A' && c <= 'F') hex[c] = int8_t(c - 'A' + 10);
      if (hex[c] >= 0) k |= C_HEX;
      t[c] = k;
    }
  }
};
constexpr Classes kClass;

inline bool is(uint8_t c, uint8_t k) { return (kClass.t[c] & k) != 0; }

enum State : uint8_t { S_START, S_FIELD, S_CHUNK, S_DONE, S_FAILED };
enum Chunk : uint8_t { K_SIZE, K_DATA_END, K_TRAILER };  // K_SIZE 0: begin clears

constexpr levee_http_limits kDefaults = {32, 8192, 256, 256, 1024, 100, 65536};

// ASCII case-insensitive compare of s[0..n) with the lowercase literal lit.
inline bool iequal(const uint8_t *s, size_t n, const char *lit, size_t litn) {
  if (n != litn) return false;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != uint8_t(lit[i])) return false;
  return true;
}

}  // namespace

struct levee_http {
  levee_http_limits lim;
  // A head within this many bytes cannot exceed any limit: not the method,
  // target, name or value limits (each element is shorter than the head),
  // the line limits (larger than those), max_head, nor max_headers (a field
  // line takes at least 4 bytes). Follows lim (set_limits).
  uint32_t quiet;
  int32_t mode;
  // The message state, from `state` to the end: begin() zeroes it as one
  // block (S_START, K_SIZE, nothing seen), then sets `fresh`.
  State state;
  Chunk chunk;
  // 1 on a request parser that has seen nothing of its message (state
  // S_START, scan 0): levee_http_parse may try the whole-head path. Only a
  // hint: next() clears it, begin() sets it.
  uint8_t fresh;
  bool cl_seen, te_seen, te_chunked;
  int err;
  // current token
  size_t line;  // start of the current line, relative to the token start
  size_t scan;  // bytes of the token already searched for LF
  // message
  uint64_t head;      // bytes of head (or trailers) consumed
  uint32_t fields;    // fields (or trailers) seen
  uint32_t status;
  uint64_t cl;

  void set_limits(const levee_http_limits &l) {
    lim = l;
    uint64_t q = std::min({lim.max_method, lim.max_uri, lim.max_field, lim.max_value, lim.max_head});
    quiet = uint32_t(std::min<uint64_t>(q, uint64_t(lim.max_headers) * 4));
  }

  void begin(int32_t m) {
    mode = m;
    static_assert(S_START == 0 && K_SIZE == 0, "begin() starts a message by zeroing its state");
    memset(&state, 0, sizeof *this - offsetof(levee_http, state));
    fresh = m == LEVEE_HTTP_MODE_REQUEST;
  }

  int fail(int code) {
    state = S_FAILED;
    err = code;
    return code;
  }

  // Longest line (with CRLF) the current state can accept.
  uint64_t max_line() const {
    switch (state) {
      case S_START:
        return mode == LEVEE_HTTP_MODE_REQUEST ? uint64_t(lim.max_method) + lim.max_uri + 12
                                                : uint64_t(lim.max_reason) + 16;
      case S_CHUNK:
        if (chunk == K_SIZE) return uint64_t(lim.max_value) + 16 + 4;
        [[fallthrough]];
      default:
        return uint64_t(lim.max_field) + lim.max_value + 256;
    }
  }

  bool counts_head() const { return state == S_START || state == S_FIELD || (state == S_CHUNK && chunk == K_TRAILER); }

  // Positions of a line that scan_line found plainly valid and complete:
  // request line: method [line, n), target [v, ve), CR at e; field: name
  // [line, n), value from v, CR at e; empty line: e == line (ok false).
  struct Fast {
    bool ok;
    size_t n, v, ve, e;
  };
  bool scan_line(const uint8_t *buf, size_t len, Fast *f) const;
  template <bool Checked>
  __attribute__((hot)) int fast_head(const uint8_t *buf, size_t len, levee_http_token *toks, uint32_t cap);
  int next(const uint8_t *buf, size_t len, levee_http_token *tok);
  int start_line(const uint8_t *buf, size_t a, size_t e, levee_http_token *tok);
  template <bool Checked = true>
  int request(const uint8_t *buf, size_t a, size_t m, size_t t, size_t te, size_t e, levee_http_token *tok);
  int field(const uint8_t *buf, size_t a, size_t e, levee_http_token *tok, bool framing);
  template <bool Checked = true, bool Count = true>
  __attribute__((always_inline)) int field_at(const uint8_t *buf, size_t a, size_t n, size_t v, size_t e, levee_http_token *tok, bool framing);
  int end_of_head(levee_http_token *tok);
  int chunk_size(const uint8_t *buf, size_t a, size_t e, uint64_t *size);
};

namespace {

inline void clear(levee_http_token *tok) { memset(tok, 0, sizeof *tok); }

// Parses "HTTP/1.<digit>" at buf[a..a+8); returns the minor digit or -1.
inline int version(const uint8_t *s) {
  if (memcmp(s, "HTTP/1.", 7) != 0) return -1;
  if (s[7] < '0' || s[7] > '9') return -1;
  return s[7] - '0';
}

}  // namespace

// Request or status line in buf[a..e) (e = index of the CR).
int levee_http::start_line(const uint8_t *buf, size_t a, size_t e, levee_http_token *tok) {
  if (mode == LEVEE_HTTP_MODE_REQUEST) {
    const levee::scan::Kernels &k = levee::scan::kernels();
    size_t i = size_t(k.http_token(buf + a, buf + e) - buf);
    size_t mlen = i - a;
    if (mlen > lim.max_method) return LEVEE_HTTP_ESIZE;
    if (mlen == 0 || i == e || buf[i] != ' ') return LEVEE_HTTP_ESYNTAX;
    size_t t = ++i;
    i = size_t(k.http_target(buf + i, buf + e) - buf);
    size_t tlen = i - t;
    if (tlen > lim.max_uri) return LEVEE_HTTP_ESIZE;
    if (tlen == 0 || i == e || buf[i] != ' ') return LEVEE_HTTP_ESYNTAX;
    if (e - (i + 1) != 8 || version(buf + i + 1) < 0) return LEVEE_HTTP_ESYNTAX;
    return request(buf, a, a + mlen, t, t + tlen, e, tok);
  }
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (e - a < 12) return LEVEE_HTTP_ESYNTAX;
  int v = version(buf + a);
  if (v < 0 || buf[a + 8] != ' ') return LEVEE_HTTP_ESYNTAX;
  const uint8_t *d = buf + a + 9;
  if (d[0] < '1' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9') return LEVEE_HTTP_ESYNTAX;
  uint32_t code = uint32_t(d[0] - '0') * 100 + uint32_t(d[1] - '0') * 10 + uint32_t(d[2] - '0');
  size_t r = a + 12;
  if (r < e) {
    if (buf[r] != ' ') return LEVEE_HTTP_ESYNTAX;
    r++;
  }
  size_t i = r;
  while (i < e && is(buf[i], C_VALUE)) i++;
  if (i != e) return LEVEE_HTTP_ESYNTAX;
  if (e - r > lim.max_reason) return LEVEE_HTTP_ESIZE;
  tok->type = LEVEE_HTTP_T_RESPONSE;
  tok->a_off = uint32_t(r);
  tok->a_len = uint32_t(e - r);
  tok->status = code;
  tok->version = uint32_t(v);
  status = code;
  return 0;
}

// A request line whose syntax is known good: method [a, m), target [t, te),
// "HTTP/1.x" at te + 1, CR at e.
template <bool Checked>
inline int levee_http::request(const uint8_t *buf, size_t a, size_t m, size_t t, size_t te, size_t e,
                               levee_http_token *tok) {
  if (Checked && (m - a > lim.max_method || te - t > lim.max_uri)) return LEVEE_HTTP_ESIZE;
  tok->type = LEVEE_HTTP_T_REQUEST;
  tok->a_off = uint32_t(a);
  tok->a_len = uint32_t(m - a);
  tok->b_off = uint32_t(t);
  tok->b_len = uint32_t(te - t);
  tok->version = uint32_t(buf[e - 1] - '0');
  return 0;
}

// Header (or trailer when !framing) field in buf[a..e).
int levee_http::field(const uint8_t *buf, size_t a, size_t e, levee_http_token *tok, bool framing) {
  const levee::scan::Kernels &k = levee::scan::kernels();
  size_t i = size_t(k.http_token(buf + a, buf + e) - buf);
  size_t nlen = i - a;
  if (nlen > lim.max_field) return LEVEE_HTTP_ESIZE;
  // empty name covers obs-fold (line starting with SP/HTAB); whitespace
  // between name and ':' is refused (RFC 9112 5.1).
  if (nlen == 0 || i == e || buf[i] != ':') return LEVEE_HTTP_ESYNTAX;
  i++;
  while (i < e && (buf[i] == ' ' || buf[i] == '\t')) i++;
  size_t v = i;
  i = size_t(k.http_value(buf + i, buf + e) - buf);
  if (i != e) return LEVEE_HTTP_ESYNTAX;  // NUL, bare CR, other controls
  return field_at(buf, a, a + nlen, v, e, tok, framing);
}

// A field whose syntax is known good: name [a, n), ':' and OWS, value from
// v (trailing OWS included) to the CR at e.
template <bool Checked, bool Count>
__attribute__((always_inline)) inline int levee_http::field_at(const uint8_t *buf, size_t a, size_t n, size_t v,
                                                               size_t e, levee_http_token *tok, bool framing) {
  size_t nlen = n - a;
  if (Checked && nlen > lim.max_field) return LEVEE_HTTP_ESIZE;
  size_t ve = e;
  while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) ve--;
  if (Checked && ve - v > lim.max_value) return LEVEE_HTTP_ESIZE;
  if (Checked && Count && ++fields > lim.max_headers) return LEVEE_HTTP_ESIZE;
  if (framing) {
    const uint8_t *name = buf + a;
    if (iequal(name, nlen, "content-length", 14)) {
      if (ve == v) return LEVEE_HTTP_ESYNTAX;
      uint64_t n = 0;
      for (size_t k = v; k < ve; k++) {
        uint8_t c = buf[k];
        if (c < '0' || c > '9') return LEVEE_HTTP_ESYNTAX;
        if (n > (UINT64_MAX - 9) / 10) return LEVEE_HTTP_ESYNTAX;
        n = n * 10 + (c - '0');
      }
      if (cl_seen && n != cl) return LEVEE_HTTP_ESYNTAX;
      cl_seen = true;
      cl = n;
    } else if (iequal(name, nlen, "transfer-encoding", 17)) {
      // comma list of codings; chunked must be last and only once
      size_t k = v;
      while (k < ve) {
        while (k < ve && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == ',')) k++;
        if (k == ve) break;
        size_t s = k;
        while (k < ve && buf[k] != ',') k++;
        size_t te = k;
        while (te > s && (buf[te - 1] == ' ' || buf[te - 1] == '\t')) te--;
        if (te_chunked) return LEVEE_HTTP_ESYNTAX;  // a coding after chunked
        if (iequal(buf + s, te - s, "chunked", 7)) te_chunked = true;
      }
      te_seen = true;
    }
  }
  if (tok) {
    tok->type = LEVEE_HTTP_T_FIELD;
    tok->a_off = uint32_t(a);
    tok->a_len = uint32_t(nlen);
    tok->b_off = uint32_t(v);
    tok->b_len = uint32_t(ve - v);
  }
  return 0;
}

int levee_http::end_of_head(levee_http_token *tok) {
  tok->type = LEVEE_HTTP_T_BODY_START;
  if (te_seen && cl_seen) return LEVEE_HTTP_ESYNTAX;  // smuggling: both framings
  bool resp = mode == LEVEE_HTTP_MODE_RESPONSE;
  if (resp && (status < 200 || status == 204 || status == 304)) {
    tok->length = 0;
    state = S_DONE;
    return 0;
  }
  if (te_seen) {
    if (!te_chunked) {
      if (!resp) return LEVEE_HTTP_ESYNTAX;  // RFC 9112 6.3: 400
      tok->length = UINT64_MAX;
      state = S_DONE;
      return 0;
    }
    tok->chunked = 1;
    state = S_CHUNK;
    chunk = K_SIZE;
    fields = 0;  // trailers get their own count; bytes add to the head's
    return 0;
  }
  tok->length = cl_seen ? cl : (resp ? UINT64_MAX : 0);
  state = S_DONE;
  return 0;
}

// chunk-size [ BWS ";" ext ] in buf[a..e).
int levee_http::chunk_size(const uint8_t *buf, size_t a, size_t e, uint64_t *size) {
  size_t i = a;
  uint64_t n = 0;
  while (i < e && is(buf[i], C_HEX)) {
    if (i - a == 16) return LEVEE_HTTP_ESYNTAX;  // more than 64 bits
    n = (n << 4) | uint64_t(kClass.hex[buf[i]]);
    i++;
  }
  if (i == a) return LEVEE_HTTP_ESYNTAX;
  if (i < e) {
    while (i < e && (buf[i] == ' ' || buf[i] == '\t')) i++;
    if (i == e || buf[i] != ';') return LEVEE_HTTP_ESYNTAX;
    size_t x = i;
    while (i < e && is(buf[i], C_VALUE)) i++;
    if (i != e) return LEVEE_HTTP_ESYNTAX;
    if (e - x > lim.max_value) return LEVEE_HTTP_ESIZE;
  }
  *size = n;
  return 0;
}

bool levee_http::scan_line(const uint8_t *buf, size_t len, Fast *f) const {
  const levee::scan::Kernels &k = levee::scan::kernels();
  const uint8_t *p = buf + line, *end = buf + len;
  if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {  // the empty line
    f->e = line;
    return true;
  }
  const uint8_t *n = k.http_token(p, end);
  if (n == p || n == end) return false;
  if (state == S_FIELD) {
    if (*n != ':') return false;
    const uint8_t *v = n + 1;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    const uint8_t *e = k.http_value(v, end);
    if (end - e < 2 || e[0] != '\r' || e[1] != '\n') return false;
    *f = Fast{true, size_t(n - buf), size_t(v - buf), 0, size_t(e - buf)};
    return true;
  }
  if (*n != ' ') return false;
  const uint8_t *t = n + 1, *te = k.http_target(t, end);
  // SP "HTTP/1.x" CR LF
  if (te == t || end - te < 11 || te[0] != ' ' || version(te + 1) < 0 || te[9] != '\r' || te[10] != '\n') return false;
  *f = Fast{true, size_t(n - buf), size_t(t - buf), size_t(te - buf), size_t(te + 9 - buf)};
  return true;
}

// Short targets and values ("/", "a") end within their first 8 bytes, and
// a kernel call costs more than the scan: SWAR tests of those 8 bytes find
// the end without a branch per byte (a borrow or carry can only disturb
// bytes after the first hit, so the first hit is exact); a longer run, a
// TAB in a value, or fewer than 8 bytes left go to the kernel.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
inline uint64_t bytes_below(uint64_t x, uint8_t n) { return (x - kOnes * n) & ~x & kHigh; }
inline uint64_t bytes_equal(uint64_t x, uint8_t c) { return bytes_below(x ^ (kOnes * c), 1); }
#endif

// Bounded = false: a byte outside the class (the LF that ends the input)
// comes before e, so the byte loop needs no bound.
template <bool Bounded>
inline const uint8_t *scan_value(const uint8_t *p, const uint8_t *e, levee::scan::Find kernel) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (e - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t hit = bytes_below(x, 0x20) | bytes_equal(x, 0x7F);
    if (hit) {
      const uint8_t *q = p + __builtin_ctzll(hit) / 8;
      if (*q != '\t') return q;
    }
    return kernel(p, e);
  }
#endif
  while ((!Bounded || p < e) && is(*p, C_VALUE)) p++;  // fewer than 8 bytes left
  return p;
}

template <bool Bounded>
inline const uint8_t *scan_target(const uint8_t *p, const uint8_t *e, levee::scan::Find kernel) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (e - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t hit = bytes_below(x, 0x21) | (((x + kOnes) | x) & kHigh);  // <= 0x20 or >= 0x7f
    if (hit) return p + __builtin_ctzll(hit) / 8;
    return kernel(p, e);
  }
#endif
  while ((!Bounded || p < e) && is(*p, C_TARGET)) p++;  // fewer than 8 bytes left
  return p;
}

// A whole request head in one pass, for levee_http_parse on a fresh request
// parser: the same tokens and end state as the token-by-token loop, through
// the same checks (request, field_at, end_of_head), but with the line scans
// inline. Anything else than a complete, plainly valid head within the
// limits and cap (a cut, an error, an oversized element) returns 0 with the
// parser reset, and the caller runs the token loop, which reports exactly.
// Checked = false when the input is no longer than `quiet` and ends with
// LF: then no element of the head can exceed its limit, and the size checks
// are left out; and every class scan (tchar, target, value, OWS) stops at
// that LF at the latest, so the scans need no bound. Checked = true checks
// the head size and the field count once, at the end of the head: the
// head only grows, so a line beyond either limit fails there too.
template <bool Checked>
int levee_http::fast_head(const uint8_t *buf, size_t len, levee_http_token *toks, uint32_t cap) {
  const levee::scan::Kernels &k = levee::scan::kernels();
  const uint8_t *end = buf + len;
  const uint8_t *m = buf;
  if (len >= 4 && memcmp(buf, "GET ", 4) == 0) {
    m = buf + 3;  // most requests: what the loop finds, with one compare
  } else {
    while ((!Checked || m < end) && is(*m, C_TCHAR)) m++;
  }
  if (m == buf || (Checked && m == end) || *m != ' ') return 0;
  const uint8_t *t = m + 1, *te = scan_target<Checked>(t, end, k.http_target);
  if (te == t || end - te < 11 || te[0] != ' ' || version(te + 1) < 0 || te[9] != '\r' || te[10] != '\n') return 0;
  size_t a = size_t(te + 11 - buf);  // the next line, and the head so far
  if (Checked && a > max_line()) return 0;
  levee_http_token *tok = toks;
  clear(tok);
  if (request<Checked>(buf, 0, size_t(m - buf), size_t(t - buf), size_t(te - buf), a - 2, tok) < 0) return 0;
  tok->end = uint32_t(a);
  state = S_FIELD;
  fresh = 0;
  uint64_t field_line = Checked ? max_line() : 0;
  for (uint32_t n = 1; n < cap; n++) {
    const uint8_t *p = buf + a;
    tok = toks + n;
    clear(tok);
    if (end - p < 2) break;  // a cut line (and unchecked, no scan starts at end)
    if (p[0] == '\r' && p[1] == '\n') {
      if (Checked && (a + 2 > lim.max_head || n - 1 > lim.max_headers)) break;
      if (__builtin_expect(cl_seen || te_seen, 0)) {
        if (end_of_head(tok) < 0) break;
      } else {  // end_of_head of a request without framing fields: no body
        tok->type = LEVEE_HTTP_T_BODY_START;
        state = S_DONE;
      }
      head = a + 2;
      tok->end = uint32_t(a + 2);
      return int(n + 1);
    }
    const uint8_t *ne = p;
    while ((!Checked || ne < end) && is(*ne, C_TCHAR)) ne++;
    if (ne == p || (Checked && ne == end) || *ne != ':') break;
    const uint8_t *v = ne + 1;
    while ((!Checked || v < end) && (*v == ' ' || *v == '\t')) v++;
    const uint8_t *e = scan_value<Checked>(v, end, k.http_value);
    // unchecked, e is before the final LF, and e[1] exists when e[0] is CR
    if ((Checked && end - e < 2) || e[0] != '\r' || e[1] != '\n') break;
    size_t next = size_t(e + 2 - buf);
    if (Checked && next - a > field_line) break;
    if (field_at<Checked, false>(buf, a, size_t(ne - buf), size_t(v - buf), size_t(e - buf), tok, true) < 0) break;
    tok->end = uint32_t(next);
    a = next;
  }
  begin(mode);
  return 0;
}

int levee_http::next(const uint8_t *buf, size_t len, levee_http_token *tok) {
  if (state == S_FAILED) return err;
  if (state == S_DONE) return LEVEE_HTTP_ESTATE;
  if (len < scan) return LEVEE_EINVAL;
  fresh = 0;
  clear(tok);
  if (state == S_CHUNK && chunk == K_DATA_END) {  // the CRLF closing chunk data
    if (len < 1) return 0;
    if (buf[0] != '\r') return fail(LEVEE_HTTP_ESYNTAX);
    if (len < 2) return 0;
    if (buf[1] != '\n') return fail(LEVEE_HTTP_ESYNTAX);
    line = scan = 2;
    chunk = K_SIZE;
  }
  for (;;) {
    // One pass over a new request or header line: the class scans find its
    // end, and a line that is not plainly valid and complete (cut by the end
    // of the input, bare LF, a control byte...) goes to the exact path
    // below, which looks for the LF first and reports as it always did.
    Fast fast{};
    size_t lf;
    if (scan == line && (state == S_FIELD || (state == S_START && mode == LEVEE_HTTP_MODE_REQUEST)) &&
        scan_line(buf, len, &fast)) {
      lf = fast.e + 1;
    } else {
      const void *hit = scan < len ? memchr(buf + scan, '\n', len - scan) : nullptr;
      if (!hit) {
        scan = len;
        if (len - line > max_line()) return fail(LEVEE_HTTP_ESIZE);
        if (counts_head() && head + len > lim.max_head) return fail(LEVEE_HTTP_ESIZE);
        return 0;
      }
      lf = size_t(static_cast<const uint8_t *>(hit) - buf);
    }
    size_t a = line;
    // sizes first: the same verdict as a scan that stopped before the LF
    if (lf + 1 - a > max_line()) return fail(LEVEE_HTTP_ESIZE);
    if (counts_head() && head + lf + 1 > lim.max_head) return fail(LEVEE_HTTP_ESIZE);
    if (lf == a || buf[lf - 1] != '\r') return fail(LEVEE_HTTP_ESYNTAX);  // bare LF
    size_t e = lf - 1;
    line = scan = lf + 1;
    int rc = 0;
    bool done = true;
    switch (state) {
      case S_START:
        if (e == a) {  // empty lines before the start line are ignored
          done = false;
          break;
        }
        rc = fast.ok ? request(buf, a, fast.n, fast.v, fast.ve, e, tok) : start_line(buf, a, e, tok);
        if (rc == 0) state = S_FIELD;
        break;
      case S_FIELD:
        rc = e == a ? end_of_head(tok) : fast.ok ? field_at(buf, a, fast.n, fast.v, e, tok, true) : field(buf, a, e, tok, true);
        break;
      case S_CHUNK:
        if (chunk == K_SIZE) {
          uint64_t n = 0;
          rc = chunk_size(buf, a, e, &n);
          if (rc == 0 && n > 0) {
            tok->type = LEVEE_HTTP_T_BODY_CHUNK;
            tok->length = n;
            chunk = K_DATA_END;
          } else if (rc == 0) {
            chunk = K_TRAILER;
            done = false;
          }
        } else if (e == a) {
          tok->type = LEVEE_HTTP_T_BODY_END;
          state = S_DONE;
        } else {
          rc = field(buf, a, e, nullptr, false);  // trailers: validated, skipped
          done = false;
        }
        break;
      default:
        rc = LEVEE_HTTP_ESTATE;
    }
    if (rc < 0) return fail(rc);
    if (!done) continue;
    if (counts_head() || tok->type == LEVEE_HTTP_T_BODY_START) head += lf + 1;
    line = scan = 0;
    tok->end = uint32_t(lf + 1);
    return int(lf + 1);
  }
}

namespace {

// levee_http_parse past the one-pass head: token by token. Out of line, so
// the call that fast_head answers saves no registers for this loop.
__attribute__((noinline)) int parse_tokens(levee_http *p, const uint8_t *buf, size_t len, levee_http_token *toks,
                                           uint32_t cap) {
  uint32_t n = 0;
  size_t off = 0;
  while (n < cap) {
    levee_http_token *t = &toks[n];
    int rc = p->next(buf + off, len - off, t);
    if (rc < 0) return n ? int(n) : rc;
    if (rc == 0) break;
    if (off) {
      t->end += uint32_t(off);
      if (t->type <= LEVEE_HTTP_T_FIELD) {
        t->a_off += uint32_t(off);
        t->b_off += uint32_t(off);
      }
    }
    off += size_t(rc);
    n++;
    if (t->type >= LEVEE_HTTP_T_BODY_START) break;
  }
  return int(n);
}

}  // namespace

extern "C" {

int levee_http_new(levee_http **out, int32_t mode) {
  if (!out || (mode != LEVEE_HTTP_MODE_REQUEST && mode != LEVEE_HTTP_MODE_RESPONSE)) return LEVEE_EINVAL;
  return levee::guard([&] {
    auto *p = new levee_http;
    p->set_limits(kDefaults);
    p->begin(mode);
    *out = p;
    return 0;
  });
}

void levee_http_free(levee_http *p) { delete p; }

int levee_http_init(levee_http *p, int32_t mode) {
  if (!p || (mode != LEVEE_HTTP_MODE_REQUEST && mode != LEVEE_HTTP_MODE_RESPONSE)) return LEVEE_EINVAL;
  p->begin(mode);
  return 0;
}

__attribute__((hot)) int levee_http_reset(levee_http *p) {
  if (!p) return LEVEE_EINVAL;
  p->begin(p->mode);
  return 0;
}

int levee_http_limits_set(levee_http *p, const levee_http_limits *l) {
  if (!p || !l) return LEVEE_EINVAL;
  levee_http_limits now = p->lim;
  const uint32_t *src = &l->max_method;
  uint32_t *dst = &now.max_method;
  for (size_t i = 0; i < sizeof *l / sizeof(uint32_t); i++)
    if (src[i]) dst[i] = src[i];
  p->set_limits(now);
  return 0;
}

int levee_http_limits_get(const levee_http *p, levee_http_limits *out) {
  if (!p || !out) return LEVEE_EINVAL;
  *out = p->lim;
  return 0;
}

int levee_http_next(levee_http *p, const uint8_t *buf, size_t len, levee_http_token *tok) {
  if (!p || !tok || (!buf && len)) return LEVEE_EINVAL;
  if (len > UINT32_MAX) len = UINT32_MAX;  // no token can be that long
  return p->next(buf, len, tok);
}

__attribute__((hot)) int levee_http_parse(levee_http *p, const uint8_t *buf, size_t len, levee_http_token *toks,
                                          uint32_t cap) {
  if (!p || !toks || cap == 0 || (!buf && len)) return LEVEE_EINVAL;
  if (len > UINT32_MAX) len = UINT32_MAX;
  if (p->fresh) {  // a small head without size checks, a larger one with them
    int n = len <= p->quiet && len && buf[len - 1] == '\n' ? p->fast_head<false>(buf, len, toks, cap)
                                                            : p->fast_head<true>(buf, len, toks, cap);
    if (n > 0) return n;
  }
  return parse_tokens(p, buf, len, toks, cap);
}

int levee_http_is_done(const levee_http *p) { return p && p->state == S_DONE ? 1 : 0; }

}  // extern "C"

// The one table of reason phrases (the bindings build theirs from it).
extern "C" const char *levee_http_reason(int32_t status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 419: return "Authentication Timeout";
    case 420: return "Enhance Your Calm";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 440: return "Login Timeout";
    case 444: return "No Response";
    case 449: return "Retry With";
    case 450: return "Blocked by Windows Parental Controls";
    case 451: return "Unavailable For Legal Reasons";
    case 494: return "Request Header Too Large";
    case 495: return "Cert Error";
    case 496: return "No Cert";
    case 497: return "HTTP to HTTPS";
    case 498: return "Token expired/invalid";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 509: return "Bandwidth Limit Exceeded";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    case 520: return "Origin Error";
    case 521: return "Web Server Is Down";
    case 522: return "Connection Timed Out";
    case 523: return "Proxy Declined Request";
    case 524: return "A Timeout Occurred";
    case 598: return "Network Read Timeout Error";
    case 599: return "Network Connect Timeout Error";
    default: return nullptr;
  }
}
