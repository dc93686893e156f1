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
