// levee_buffer: the growable byte region behind d.Buffer, levee.Buffer and
// every tokenizer's input. Internal C++ view; the ABI is levee_buffer_*.
#pragma once

#include <cstddef>
#include <cstdint>

#include "levee.h"

struct levee_buffer {
  // Layout of the allocation: [0, sav) frozen bytes, [sav, off) consumed,
  // [off, off + len) data, [off + len, cap) free tail.
  uint8_t *buf = nullptr;
  size_t off = 0;
  size_t len = 0;
  size_t cap = 0;
  size_t sav = 0;

  uint8_t *value() const { return buf ? buf + off : nullptr; }
  uint8_t *tail() const { return buf ? buf + off + len : nullptr; }
  size_t available() const { return cap - off - len; }

  // Throws levee::Error{LEVEE_ENOMEM} when the request cannot be met.
  void ensure(size_t n);
  void append(const void *src, size_t n);
  size_t trim(size_t n);
  size_t remove(size_t at, size_t n);
  void compact();
  void freeze(size_t n);
  void thaw();
};

namespace levee {

// The largest buffer levee will allocate (2^46 bytes): anything larger is
// refused with LEVEE_ENOMEM before a size computation could overflow.
constexpr size_t kBufferMax = size_t(1) << 46;

// The capacity the policy gives a request for n bytes.
size_t buffer_capacity(size_t n);

}  // namespace levee
