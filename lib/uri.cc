// levee_uri_*: RFC 3986 URI references. One pass finds the eight segments
// (offsets into the caller's text: nothing is copied); sub() widens a run
// of segments to a range; join() is section 5.2's reference resolution;
// params() splits and decodes a query.
#include <cstring>
#include <string>
#include <string_view>

#include "internal.h"
#include "utf8.h"

namespace levee {
namespace {

constexpr uint32_t bit(int seg) { return uint32_t(1) << seg; }

// Character classes (RFC 3986 section 2 and appendix A).
struct Classes {
  bool scheme[256] = {};    // ALPHA DIGIT + - .
  bool userinfo[256] = {};  // unreserved sub-delims ':'
  bool regname[256] = {};   // unreserved sub-delims
  bool literal[256] = {};   // inside [ ]: unreserved sub-delims ':'
  bool visible[256] = {};   // path, query, fragment: any visible ASCII
  constexpr Classes() {
    bool unreserved[256] = {}, subdelim[256] = {};
    for (int c = 'A'; c <= 'Z'; c++) unreserved[c] = unreserved[c + 32] = true;
    for (int c = '0'; c <= '9'; c++) unreserved[c] = true;
    for (char c : {'-', '.', '_', '~'}) unreserved[uint8_t(c)] = true;
    for (char c : {'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '='})
      subdelim[uint8_t(c)] = true;
    for (int c = 0; c < 256; c++) {
      bool u = unreserved[c], s = subdelim[c];
      scheme[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '-' || c == '.';
      regname[c] = u || s;
      userinfo[c] = literal[c] = u || s || c == ':';
      visible[c] = c > 0x20 && c < 0x7F;
    }
  }
};
constexpr Classes kClass;

inline bool is_hex(uint8_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

inline bool is_alpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

class Parser {
 public:
  Parser(const uint8_t *s, size_t n, levee_uri *u) : s_(s), n_(n), u_(u) {}

  int run() {
    memset(u_, 0, sizeof *u_);
    u_->length = uint32_t(n_);
    size_t i = 0;
    if (n_ && is_alpha(s_[0])) {
      size_t j = 1;
      while (j < n_ && kClass.scheme[s_[j]]) j++;
      if (j < n_ && s_[j] == ':') {
        set(LEVEE_URI_SCHEME, 0, j);
        i = j + 1;
      }
    }
    if (n_ - i >= 2 && s_[i] == '/' && s_[i + 1] == '/') {
      size_t a = i + 2, e = a;
      while (e < n_ && s_[e] != '/' && s_[e] != '?' && s_[e] != '#') e++;
      if (int rc = authority(a, e)) return rc;
      i = e;
    }
    size_t p = i;
    if (int rc = scan(i, "?#")) return rc;
    if (i > p) set(LEVEE_URI_PATH, p, i);
    if (i < n_ && s_[i] == '?') {
      size_t q = ++i;
      if (int rc = scan(i, "#")) return rc;
      set(LEVEE_URI_QUERY, q, i);
    }
    if (i < n_ && s_[i] == '#') {
      size_t f = ++i;
      if (int rc = scan(i, "")) return rc;
      set(LEVEE_URI_FRAGMENT, f, i);
    }
    return 0;
  }

 private:
  void set(int seg, size_t from, size_t to) {
    u_->present |= bit(seg);
    u_->off[seg] = uint32_t(from);
    u_->len[seg] = uint32_t(to - from);
  }

  int bad(size_t at, const char *what) {
    set_message("invalid URI: %s at byte %zu", what, at);
    return LEVEE_URI_ESYNTAX;
  }

  // A '%' at i must start %XX.
  int percent(size_t i) {
    if (n_ - i < 3 || !is_hex(s_[i + 1]) || !is_hex(s_[i + 2]))
      return bad(i, "'%' without two hex digits");
    return 0;
  }

  // Advances i over visible characters up to one of stop (or the end).
  int scan(size_t &i, const char *stop) {
    for (; i < n_; i++) {
      uint8_t c = s_[i];
      if (c == '%') {
        if (int rc = percent(i)) return rc;
        i += 2;
        continue;
      }
      if (!kClass.visible[c]) return bad(i, "character not allowed");
      if (strchr(stop, c) && c) return 0;
    }
    return 0;
  }

  // Checks s[from, to) against a class (percent escapes allowed).
  int check(size_t from, size_t to, const bool *cls, const char *what) {
    for (size_t i = from; i < to; i++) {
      if (s_[i] == '%') {
        if (int rc = percent(i)) return rc;
        if (i + 2 >= to) return bad(i, "'%' without two hex digits");
        i += 2;
      } else if (!cls[s_[i]]) {
        return bad(i, what);
      }
    }
    return 0;
  }

  int authority(size_t a, size_t e) {
    const uint8_t *at = static_cast<const uint8_t *>(memchr(s_ + a, '@', e - a));
    size_t h = a;
    if (at) {
      size_t ai = size_t(at - s_);
      if (memchr(at + 1, '@', e - ai - 1)) return bad(ai, "second '@' in the authority");
      const uint8_t *colon = static_cast<const uint8_t *>(memchr(s_ + a, ':', ai - a));
      size_t ue = colon ? size_t(colon - s_) : ai;
      if (int rc = check(a, ue, kClass.regname, "character not allowed in the user")) return rc;
      set(LEVEE_URI_USER, a, ue);
      if (colon) {
        if (int rc = check(ue + 1, ai, kClass.userinfo, "character not allowed in the password"))
          return rc;
        set(LEVEE_URI_PASSWORD, ue + 1, ai);
      }
      h = ai + 1;
    }
    size_t k;
    if (h < e && s_[h] == '[') {
      const uint8_t *close = static_cast<const uint8_t *>(memchr(s_ + h, ']', e - h));
      if (!close) return bad(h, "'[' without ']'");
      k = size_t(close - s_);
      if (k == h + 1) return bad(h, "empty IP literal");
      if (int rc = check(h + 1, k, kClass.literal, "character not allowed in an IP literal"))
        return rc;
      k++;
      set(LEVEE_URI_HOST, h, k);
      if (k < e && s_[k] != ':') return bad(k, "text after an IP literal");
    } else {
      k = h;
      while (k < e && s_[k] != ':') k++;
      if (int rc = check(h, k, kClass.regname, "character not allowed in the host")) return rc;
      set(LEVEE_URI_HOST, h, k);
    }
    if (k < e) {
      for (size_t i = k + 1; i < e; i++)
        if (s_[i] < '0' || s_[i] > '9') return bad(i, "port is not digits");
      set(LEVEE_URI_PORT, k + 1, e);
    }
    return 0;
  }

  const uint8_t *s_;
  size_t n_;
  levee_uri *u_;
};

int parse(levee_uri *u, const char *text, size_t n) {
  if (!u || (!text && n)) return LEVEE_EINVAL;
  if (n >= (size_t(1) << 32)) return LEVEE_URI_ERANGE;
  return Parser(reinterpret_cast<const uint8_t *>(text), n, u).run();
}

// A segment of a parsed URI as a view of its text ({} when absent).
struct Parts {
  std::string_view text;
  levee_uri u;
  bool has(int seg) const { return u.present & bit(seg); }
  std::string_view seg(int seg) const {
    return has(seg) ? text.substr(u.off[seg], u.len[seg]) : std::string_view();
  }
  bool has_authority() const { return has(LEVEE_URI_HOST); }
  std::string_view authority() const {
    size_t from = u.off[has(LEVEE_URI_USER) ? LEVEE_URI_USER : LEVEE_URI_HOST];
    int last = has(LEVEE_URI_PORT) ? LEVEE_URI_PORT : LEVEE_URI_HOST;
    return text.substr(from, u.off[last] + u.len[last] - from);
  }
};

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  auto starts = [&](std::string_view p) { return in.substr(0, p.size()) == p; };
  auto drop_last = [&] {
    size_t slash = out.rfind('/');
    out.resize(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (starts("../")) {
      in.remove_prefix(3);
    } else if (starts("./")) {
      in.remove_prefix(2);
    } else if (starts("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (starts("/../")) {
      in.remove_prefix(3);
      drop_last();
    } else if (in == "/..") {
      in = "/";
      drop_last();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', in[0] == '/' ? 1 : 0);
      if (next == std::string_view::npos) next = in.size();
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

std::string resolve(const Parts &b, const Parts &r) {
  std::string_view scheme, authority, query;
  bool has_scheme, has_authority, has_query;
  std::string path;
  if (r.has(LEVEE_URI_SCHEME)) {
    scheme = r.seg(LEVEE_URI_SCHEME);
    has_scheme = true;
    has_authority = r.has_authority();
    if (has_authority) authority = r.authority();
    path = remove_dot_segments(r.seg(LEVEE_URI_PATH));
    has_query = r.has(LEVEE_URI_QUERY);
    query = r.seg(LEVEE_URI_QUERY);
  } else {
    if (r.has_authority()) {
      has_authority = true;
      authority = r.authority();
      path = remove_dot_segments(r.seg(LEVEE_URI_PATH));
      has_query = r.has(LEVEE_URI_QUERY);
      query = r.seg(LEVEE_URI_QUERY);
    } else {
      std::string_view rp = r.seg(LEVEE_URI_PATH);
      if (rp.empty()) {
        path = std::string(b.seg(LEVEE_URI_PATH));
        has_query = r.has(LEVEE_URI_QUERY) || b.has(LEVEE_URI_QUERY);
        query = r.has(LEVEE_URI_QUERY) ? r.seg(LEVEE_URI_QUERY) : b.seg(LEVEE_URI_QUERY);
      } else {
        if (rp[0] == '/') {
          path = remove_dot_segments(rp);
        } else {
          std::string merged;
          std::string_view bp = b.seg(LEVEE_URI_PATH);
          if (b.has_authority() && bp.empty()) {
            merged = "/";
          } else {
            size_t slash = bp.rfind('/');
            if (slash != std::string_view::npos) merged = std::string(bp.substr(0, slash + 1));
          }
          merged.append(rp);
          path = remove_dot_segments(merged);
        }
        has_query = r.has(LEVEE_URI_QUERY);
        query = r.seg(LEVEE_URI_QUERY);
      }
      has_authority = b.has_authority();
      if (has_authority) authority = b.authority();
    }
    has_scheme = b.has(LEVEE_URI_SCHEME);
    scheme = b.seg(LEVEE_URI_SCHEME);
  }
  std::string t;
  if (has_scheme) t.append(scheme).push_back(':');
  if (has_authority) t.append("//").append(authority);
  // Without an authority, a path that starts with "//" would read as one,
  // and without a scheme too, a first segment with ':' as a scheme: keep
  // them paths (RFC 3986 sections 3.3 and 4.2).
  else if (path.size() >= 2 && path[0] == '/' && path[1] == '/') t.append("/.");
  else if (!has_scheme && path.substr(0, path.find('/')).find(':') != std::string::npos)
    t.append("./");
  t.append(path);
  if (has_query) t.append("?").append(query);
  if (r.has(LEVEE_URI_FRAGMENT)) t.append("#").append(r.seg(LEVEE_URI_FRAGMENT));
  return t;
}

}  // namespace
}  // namespace levee

extern "C" {

int levee_uri_parse(levee_uri *out, const char *text, size_t n) {
  return levee::guard([&] { return levee::parse(out, text, n); });
}

int levee_uri_sub(const levee_uri *u, int first, int last, int valid, uint32_t *range) {
  using levee::bit;
  if (!u || !range) return LEVEE_EINVAL;
  if (first < 0 || first > 7 || last < 0 || last > 7) return LEVEE_URI_ESEGMENT;
  if (first > last) return LEVEE_URI_ERANGE;
  int f = first, l = last;
  while (f <= last && !(u->present & bit(f))) f++;
  if (f > last) return LEVEE_URI_ESEGMENT;
  while (!(u->present & bit(l))) l--;
  uint32_t start = u->off[f], end = u->off[l] + u->len[l];
  if (valid) {
    switch (f) {
      case LEVEE_URI_USER: start -= 2; break;  // "//"
      case LEVEE_URI_HOST:
        if (!(u->present & bit(LEVEE_URI_USER))) start -= 2;
        break;
      case LEVEE_URI_PORT:      // ':'
      case LEVEE_URI_QUERY:     // '?'
      case LEVEE_URI_FRAGMENT:  // '#'
        start -= 1;
        break;
      default: break;
    }
    if (l == LEVEE_URI_SCHEME) end += 1;  // ':'
    if (l == LEVEE_URI_PASSWORD || (l == LEVEE_URI_USER && !(u->present & bit(LEVEE_URI_PASSWORD))))
      end += 1;  // '@'
  }
  range[0] = start;
  range[1] = end - start;
  return 0;
}

int64_t levee_uri_join(char *dst, size_t cap, const char *base, size_t blen, const char *ref,
                       size_t rlen) {
  if (!dst && cap) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t {
    levee::Parts b{std::string_view(base ? base : "", blen), {}};
    levee::Parts r{std::string_view(ref ? ref : "", rlen), {}};
    if (int rc = levee::parse(&b.u, base, blen)) return rc;
    if (int rc = levee::parse(&r.u, ref, rlen)) return rc;
    std::string t = levee::resolve(b, r);
    if (t.size() > cap) return LEVEE_URI_EBUFS;
    memcpy(dst, t.data(), t.size());
    return int64_t(t.size());
  });
}

int levee_uri_params(const char *query, size_t n, levee_uri_param *out, size_t cap, uint8_t *dst) {
  if ((!query || !dst) && n) return LEVEE_EINVAL;
  if (!out && cap) return LEVEE_EINVAL;
  if (n > 0x7fffffff) return LEVEE_URI_ERANGE;
  const uint8_t *q = reinterpret_cast<const uint8_t *>(query);
  size_t count = 0, o = 0;
  for (size_t i = 0; i < n;) {
    const uint8_t *amp = static_cast<const uint8_t *>(memchr(q + i, '&', n - i));
    size_t end = amp ? size_t(amp - q) : n;
    if (end > i) {
      const uint8_t *eq = static_cast<const uint8_t *>(memchr(q + i, '=', end - i));
      size_t ke = eq ? size_t(eq - q) : end;
      int64_t klen = levee::utf8_percent_decode(dst + o, q + i, ke - i, true);
      if (klen < 0) return int(klen);
      int64_t vlen = 0;
      if (eq) {
        vlen = levee::utf8_percent_decode(dst + o + klen, q + ke + 1, end - ke - 1, true);
        if (vlen < 0) return int(vlen);
      }
      if (count < cap)
        out[count] = {uint32_t(o), uint32_t(klen), uint32_t(o + klen), uint32_t(vlen)};
      count++;
      o += size_t(klen + vlen);
    }
    i = end + 1;
  }
  return int(count);
}

}  // extern "C"
