// Byte-class scanning kernels of the tokenizers, one entry per SIMD level
// (lib/simd.h). Every kernel answers the same question at every level: the
// first byte at or after p (before e) that is not in its class, or e. The
// vector kernels handle whole 16/32-byte blocks and finish the tail with the
// portable loop, so results are identical; they never read before p or at
// or after e.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd.h"

namespace levee::scan {

using Find = const uint8_t *(*)(const uint8_t *p, const uint8_t *e);
// A Find that also tells whether it passed a byte >= 0x80 (sets *high).
using FindText = const uint8_t *(*)(const uint8_t *p, const uint8_t *e, bool *high);

// The structural index of JSON text (stage 1 of the vector levels; the
// tokenizer's stage 2 walks it, lib/json.cc). What is carried from one
// 64-byte block to the next; zero (or in_string = ~0 to start inside a
// string) at a character boundary outside any escape.
struct JsonIndexCarry {
  uint64_t in_string = 0;   // all ones when the next byte is inside a string
  uint64_t escaped = 0;     // 1 when the next byte is escaped by a backslash
  uint64_t scalar = 0;      // 1 when the last byte was part of a scalar
  uint64_t carry_esc = 0;   // 1 when the open string holds a backslash
  uint64_t carry_high = 0;  // 1 when the open string holds a byte >= 0x80
  uint8_t prev[16] = {};    // the last 16 bytes indexed (UTF-8 across blocks)
};
// Entries: the offset of the byte (base + its offset in the window; below
// 2^30) in the low 30 bits; a closing quote carries kJsonEntryEscaped when its string holds a
// backslash and kJsonEntryHigh when it holds a byte >= 0x80.
constexpr uint32_t kJsonEntryEscaped = 1u << 31, kJsonEntryHigh = 1u << 30, kJsonEntryOffset = (1u << 30) - 1;
// The window size limit and the room an
// index of n bytes needs (the kernels write past the last entry).
constexpr size_t kJsonIndexMaxWindow = size_t(1) << 20;
constexpr size_t json_index_room(size_t n) { return n + 72; }
// Writes the index of the window p[0, n) (n > 0, base + n <= 2^30: entries
// are base + the byte's offset in the window; only the last window of
// the input may be a partial block: it is read as if spaces followed) to
// out, in order: every '{', '}', '[', ']', ':', ',' outside strings, every
// quote that opens or closes a string, and the first byte of every run of
// other bytes outside strings and white space (where a number, a literal
// or a stray byte starts; 0x0c and 0x1a are reported as if they were
// structural bytes). Returns the number of entries. *clean is n, or the
// start of the first 64-byte block that holds invalid UTF-8 or a control
// byte inside a string (no entries from there on: such input is invalid
// and the exact path must read it; the carry is then meaningless).
using JsonIndex = size_t (*)(JsonIndexCarry *c, const uint8_t *p, size_t n, uint32_t base, uint32_t *out,
                             size_t *clean);

struct Kernels {
  // JSON string text: printable ASCII other than '"' and '\\', and complete
  // valid UTF-8 sequences. Stops at '"', '\\', a control byte, or the first
  // byte of a sequence it did not validate (the caller checks that one; the
  // portable kernel leaves every non-ASCII byte to the caller). p must be at
  // a character boundary; the answer is one too. Sets *high when the bytes
  // it passed hold non-ASCII text (leaves it alone otherwise).
  FindText json_text;
  // JSON white space: ' ', '\t', '\n', '\r'.
  Find json_ws;
  // Bytes a JSON encoder copies as they are: all but '"', '\' and control
  // bytes (< 0x20); no UTF-8 check.
  Find json_escape;
  // HTTP tchar (RFC 9110 token: method, field name).
  Find http_token;
  // HTTP request-target bytes: VCHAR (0x21..0x7e).
  Find http_target;
  // HTTP field-value bytes: VCHAR, obs-text (0x80..0xff), SP, HTAB.
  Find http_value;
  // JSON structural index; nullptr at the portable level (which keeps the
  // one-pass tokenizer).
  JsonIndex json_index;
};

extern const Kernels kKernels[simd::kLevels];

// The kernels of the level in force.
inline const Kernels &kernels() noexcept { return kKernels[simd::level()]; }

// The HTTP tchar class (also used by the portable kernel).
constexpr bool is_tchar(int c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  for (const char *s = "!#$%&'*+-.^_`|~"; *s; s++)
    if (*s == c) return true;
  return false;
}

}  // namespace levee::scan
