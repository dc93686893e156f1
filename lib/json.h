// levee_json: the incremental, strict RFC 8259 tokenizer behind p.json and
// levee.json. Internal C++ view; the ABI is levee_json_* (json section of
// levee.h). See docs/design/json.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
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

  // Limits.
  uint32_t max_depth = LEVEE_JSON_MAX_DEPTH;
  uint64_t max_size = LEVEE_JSON_MAX_SIZE;

  // Resumable scan state.
  State state = kValue;
  size_t pos = 0;          // next byte to scan
  std::vector<Frame> stack;
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

  levee_json() = default;
  levee_json(const levee_json &) = delete;
  levee_json &operator=(const levee_json &) = delete;
  ~levee_json() {
    free(tape);
    free(output);
  }

  // A new zeroed token at the end of the tape.
  levee_json_token &push() {
    if (ntape == tape_cap) grow();
    levee_json_token &t = tape[ntape++];
    t = levee_json_token{};
    return t;
  }
  void grow();
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

// The double nearest to (neg ? -1 : 1) * w * 10^q (ties to even), as strtod
// gives it (0 / infinity beyond the range). false when it cannot tell (the
// caller then parses the text with std::from_chars). w holds at most 19
// decimal digits.
bool json_decimal_to_double(uint64_t w, int64_t q, bool neg, double *out);

}  // namespace levee
