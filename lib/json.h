// levee_json: the incremental, strict RFC 8259 tokenizer behind p.json and
// levee.json. Internal C++ view; the ABI is levee_json_* (json section of
// levee.h). See docs/design/json.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"
#include "scan.h"

struct levee_json {
  // What the scanner expects next.
  enum State : uint8_t {
    kValue,        // a value (top level, after ',' in an array, after ':')
    kArrayFirst,   // after '[': a value or ']'
    kObjectFirst,  // after '{': a key or '}'
    kKey,          // after ',' in an object: a key
    kColon,        // after a key: ':'
    kAfter,        // after a value inside a container: ',' or the close
    kInString,     // inside a string whose scan was interrupted
    kDone,         // a top-level value is complete
  };
  struct Frame {
    size_t token;   // index of the container's start token
    uint64_t count; // elements / members seen so far
    bool object;
  };
  // The container stack: a vector whose push stays inline on the hot path.
  struct Stack {
    Frame *v = nullptr;
    size_t n = 0, cap = 0;
    Stack() = default;
    Stack(const Stack &) = delete;
    Stack &operator=(const Stack &) = delete;
    ~Stack() { free(v); }
    bool empty() const { return n == 0; }
    size_t size() const { return n; }
    Frame &back() { return v[n - 1]; }
    void pop_back() { n--; }
    void clear() { n = 0; }
    void push_back(const Frame &f) {
      if (n == cap) grow();
      v[n++] = f;
    }
    void grow();
  };

  // Limits.
  uint32_t max_depth = LEVEE_JSON_MAX_DEPTH;
  uint64_t max_size = LEVEE_JSON_MAX_SIZE;

  // Resumable scan state.
  State state = kValue;
  size_t pos = 0;          // next byte to scan
  Stack stack;
  // A string interrupted by the end of the input.
  size_t str_start = 0;    // first content byte
  bool str_key = false;    // the string is an object key
  bool str_escaped = false;
  bool str_utf8 = false;   // a non-ASCII byte was seen
  State str_resume = kValue;  // state to restore on resume

  // The tape: a plain array (push is on the hot path of every token).
  levee_json_token *tape = nullptr;
  size_t ntape = 0, tape_cap = 0;
  std::string strings;     // unescaped bytes of FESCAPED strings
  uint8_t *output = nullptr;  // pickle bytes (malloc'd, grown to a bound)
  size_t output_cap = 0, output_len = 0;
  uint64_t error_offset = 0;
  bool done = false;
  const levee::scan::Kernels *kern = &levee::scan::kKernels[0];  // set by feed
  // from_marshal's stacks, kept between calls. A flagged object's text,
  // once complete, for TYPE_REF (its output span; end == SIZE_MAX while it
  // is open); open containers: lists count elements down, dicts alternate
  // key and value until TYPE_NULL.
  struct MarshalRef {
    size_t start, end;
    bool string;
  };
  struct MarshalOpen {
    uint32_t left;  // list: elements still to read
    bool dict;
    bool want_key;  // dict: a key (or the end) comes next
    bool first;
    int64_t ref;  // index in the refs, or -1
  };
  std::vector<MarshalRef> marshal_refs;
  std::vector<MarshalOpen> marshal_open;
  // The structural index of the window stage 2 is reading (vector levels).
  uint32_t *index = nullptr;
  // Stage 2 reads the first index_limit bytes of an input at most (index
  // entries hold a byte's offset in 30 bits); the one-pass loop reads the
  // rest. Lowered by white-box tests only.
  size_t index_limit = levee::scan::kJsonEntryOffset;

  levee_json() = default;
  levee_json(const levee_json &) = delete;
  levee_json &operator=(const levee_json &) = delete;
  ~levee_json() {
    free(tape);
    free(output);
    free(index);
  }

  // A new zeroed token at the end of the tape.
  levee_json_token &push() {
    if (ntape == tape_cap) grow();
    levee_json_token &t = tape[ntape++];
    t = levee_json_token{};
    return t;
  }
  // Doubles the tape's room (at least to need tokens).
  void grow(size_t need = 0);
  // tk (a place in the tape) once the tape has room for n more tokens there.
  levee_json_token *room(levee_json_token *tk, size_t n) {
    size_t at = size_t(tk - tape);
    if (__builtin_expect(tape_cap - at < n, 0)) grow(at + n);
    return tape + at;
  }
  void reset();
  // See levee_json_feed. Throws nothing; returns the code.
  int64_t feed(const uint8_t *in, size_t len, bool eof);
  int64_t pickle(const uint8_t *in);
  int64_t marshal(const uint8_t *in);
  // See levee_json_from_marshal (lib/json_marshal.cc).
  int64_t from_marshal(const uint8_t *m, size_t len);
  uint8_t *output_room(size_t bound);

 private:
  int64_t error(int code, size_t at);
  // Scans a string from pos (content start str_start); returns 1 done, 0
  // need more (state saved), < 0 error.
  int scan_string(const uint8_t *in, size_t end, bool eof);
  int number(const uint8_t *in, size_t end, bool eof);
  void value_done();
  // Stage 2 of the vector levels: reads tokens off the structural index
  // from the current state; returns the value's end when it completes, or
  // 0 with the state left where the one-pass loop must go on (the end of
  // the input, or anything but valid JSON, which that loop reports).
  int64_t feed_indexed(const uint8_t *in, size_t end, bool eof);
  bool escaped_string_token(const uint8_t *in, size_t start, size_t close, bool high);
};

namespace levee {

// Shortest round-trip text of a finite double (JSON syntax). dst >= 32.
size_t json_format_double(char *dst, double x);

// Writes the JSON escape of c ('"', '\\' or a control byte) at d and
// returns the end: the short forms \" \\ \b \f \n \r \t, else \u00XX
// (lower-case hex, as json.dumps and the Lua encoder write it).
inline uint8_t *json_put_escape(uint8_t *d, uint8_t c) {
  static const char hex[] = "0123456789abcdef";
  *d++ = '\\';
  switch (c) {
    case '"': *d++ = '"'; break;
    case '\\': *d++ = '\\'; break;
    case '\b': *d++ = 'b'; break;
    case '\f': *d++ = 'f'; break;
    case '\n': *d++ = 'n'; break;
    case '\r': *d++ = 'r'; break;
    case '\t': *d++ = 't'; break;
    default:
      *d++ = 'u';
      *d++ = '0';
      *d++ = '0';
      *d++ = uint8_t(hex[c >> 4]);
      *d++ = uint8_t(hex[c & 15]);
  }
  return d;
}

// Python's repr() of a finite double (dst >= 32 bytes); returns the length.
size_t json_format_pyfloat(char *dst, double x);

// Decimal to double, correctly rounded, for the JSON tokenizer: the
// algorithm of Eisel and Lemire ("Number Parsing at a Gigabyte per Second",
// 2021) with its table of 128-bit truncated powers of five
// (lib/json_number.cc). Inline: it is on the hot path of every non-integer
// number.
constexpr int kJsonMinQ = -342, kJsonMaxQ = 308;
// The table: for q in [kJsonMinQ, kJsonMaxQ], two words at 2 * (q - kJsonMinQ).
// Built on first use (json_pow5_build), then read through one atomic load.
extern std::atomic<const uint64_t *> g_json_pow5;
const uint64_t *json_pow5_build();
__attribute__((always_inline)) inline const uint64_t *json_pow5() {
  const uint64_t *t = g_json_pow5.load(std::memory_order_acquire);
  return __builtin_expect(t != nullptr, 1) ? t : json_pow5_build();
}

inline double json_with_sign(uint64_t bits, bool neg) {
  bits |= uint64_t(neg) << 63;
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

// The double nearest to (neg ? -1 : 1) * w * 10^q (ties to even), as strtod
// gives it (0 beyond the range). Returns 1 with *out set, -1 when the value
// overflows the double range (strtod: infinity), or 0 when it cannot tell
// (the caller then parses the text with std::from_chars). w holds at most
// 19 decimal digits.
__attribute__((always_inline)) inline int json_decimal_to_double(uint64_t w, int64_t q, bool neg, double *out) {
  if (w == 0 || q < kJsonMinQ) {
    *out = json_with_sign(0, neg);
    return 1;
  }
  if (q > kJsonMaxQ) return -1;
  // No Clinger fast path first (w <= 2^53, |q| <= 22: one exact division
  // or product): the test is data-dependent, and canada.json's 16- and
  // 17-digit coordinates fall on both sides of it at random, so it cost a
  // mispredicted branch on about one number in five; Eisel-Lemire is exact
  // for those numbers as well (it cannot be undecided for q in [-27, 55]).
  int lz = __builtin_clzll(w);
  w <<= lz;
  const uint64_t *t = json_pow5() + 2 * (q - kJsonMinQ);
  unsigned __int128 first = static_cast<unsigned __int128>(w) * t[0];
  uint64_t hi = uint64_t(first >> 64), lo = uint64_t(first);
  if ((hi & 0x1FF) == 0x1FF) {  // 64 - (52 + 3) low bits all ones: refine
    unsigned __int128 second = static_cast<unsigned __int128>(w) * t[1];
    uint64_t shi = uint64_t(second >> 64);
    lo += shi;
    if (shi > lo) hi++;
  }
  if (lo == ~uint64_t(0) && (q < -27 || q > 55)) return 0;
  int upper = int(hi >> 63);
  uint64_t m = hi >> (upper + 64 - 52 - 3);
  int64_t p2 = (((152170 + 65536) * q) >> 16) + 63 + upper - lz + 1023;
  if (p2 <= 0) {  // subnormal
    if (-p2 + 1 >= 64) {
      *out = json_with_sign(0, neg);
      return 1;
    }
    m >>= -p2 + 1;
    m += m & 1;
    m >>= 1;
    p2 = m < (uint64_t(1) << 52) ? 0 : 1;
    *out = json_with_sign(m | (uint64_t(p2) << 52), neg);
    return 1;
  }
  // Exactly halfway between two doubles: round to even.
  if (lo <= 1 && q >= -4 && q <= 23 && (m & 3) == 1 && (m << (upper + 64 - 52 - 3)) == hi) m &= ~uint64_t(1);
  m += m & 1;
  m >>= 1;
  if (m >= (uint64_t(2) << 52)) {
    m = uint64_t(1) << 52;
    p2++;
  }
  m &= ~(uint64_t(1) << 52);
  if (p2 >= 0x7FF) return -1;
  *out = json_with_sign(m | (uint64_t(p2) << 52), neg);
  return 1;
}


}  // namespace levee
