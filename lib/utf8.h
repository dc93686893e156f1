// UTF-8 validation and the percent / JSON escaping codecs, shared by
// lib/utf8.cc (levee_utf8_*) and lib/uri.cc (query parameters). Never
// installed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace levee {

// Validates p[0, n). Returns 0 when it is all whole, valid UTF-8, else the
// LEVEE_UTF8_E* code of the first fault, with *at (when not NULL) set to
// the offset of the character that holds it (also set to n on success).
int utf8_check(const uint8_t *p, size_t n, size_t *at);

// Byte length (1..4) of the character at p[0, n), or its LEVEE_UTF8_E*.
int utf8_charlen(const uint8_t *p, size_t n);

// Decodes %XX escapes of src[0, n) into dst (which holds n bytes; dst may
// equal src), '+' as a space when plus is set, and validates the result as
// UTF-8. Returns the decoded length or LEVEE_UTF8_EESCAPE (a '%' without
// two hex digits), LEVEE_UTF8_ETOOSHORT (input ends inside an escape), or
// the validation error of the result.
int64_t utf8_percent_decode(uint8_t *dst, const uint8_t *src, size_t n, bool plus);

}  // namespace levee
