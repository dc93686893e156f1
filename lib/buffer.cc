// levee_buffer_*: see lib/buffer.h and the buffer section of levee.h.
#include "buffer.h"

#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace levee {

size_t buffer_capacity(size_t n) {
  constexpr size_t kMin = 8192, kStep = 128 * 1024;
  if (n <= kMin) return kMin;
  if (n <= kStep) {
    size_t c = kMin;
    while (c < n) c <<= 1;
    return c;
  }
  return (n + kStep - 1) / kStep * kStep;
}

}  // namespace levee

void levee_buffer::compact() {
  if (off == sav) return;
  if (len) memmove(buf + sav, buf + off, len);
  off = sav;
}

void levee_buffer::ensure(size_t n) {
  if (n <= available()) return;
  if (n > levee::kBufferMax || len > levee::kBufferMax) levee::fail(LEVEE_ENOMEM);
  size_t need = sav + len + n;
  if (need <= cap) {
    // Enough room once consumed bytes are reclaimed.
    compact();
    return;
  }
  size_t ncap = levee::buffer_capacity(need);
  compact();
  auto *p = static_cast<uint8_t *>(realloc(buf, ncap));
  if (!p) levee::fail(LEVEE_ENOMEM);
  buf = p;
  cap = ncap;
}

void levee_buffer::append(const void *src, size_t n) {
  if (!n) return;
  // src may point into this buffer: keep its offset across a reallocation.
  const auto *s = static_cast<const uint8_t *>(src);
  if (buf && s >= buf && s < buf + cap) {
    size_t at = s - buf;
    size_t before = off;
    ensure(n);
    at -= before - off;  // compaction moved data down by (before - off)
    memmove(tail(), buf + at, n);
  } else {
    ensure(n);
    memcpy(tail(), s, n);
  }
  len += n;
}

size_t levee_buffer::trim(size_t n) {
  if (n >= len) {
    n = len;
    len = 0;
    off = sav;  // an empty buffer reuses its whole space
    return n;
  }
  off += n;
  len -= n;
  return n;
}

size_t levee_buffer::remove(size_t at, size_t n) {
  if (at >= len) return 0;
  if (n > len - at) n = len - at;
  if (at == 0) return trim(n);
  memmove(buf + off + at, buf + off + at + n, len - at - n);
  len -= n;
  return n;
}

void levee_buffer::freeze(size_t n) {
  if (n > len) levee::fail(LEVEE_EINVAL);
  compact();
  sav += n;
  off = sav;
  len -= n;
}

void levee_buffer::thaw() {
  if (!sav) return;
  compact();  // data now directly follows the frozen bytes
  len += sav;
  sav = 0;
  off = 0;
}

using levee::guard;

extern "C" int levee_buffer_new(levee_buffer **out, size_t hint) {
  if (!out) return LEVEE_EINVAL;
  *out = nullptr;
  return guard([&] {
    if (hint > levee::kBufferMax) levee::fail(LEVEE_ENOMEM);
    auto *b = static_cast<levee_buffer *>(calloc(1, sizeof(levee_buffer)));
    if (!b) levee::fail(LEVEE_ENOMEM);
    if (hint) {
      size_t cap = levee::buffer_capacity(hint);
      b->buf = static_cast<uint8_t *>(malloc(cap));
      if (!b->buf) {
        free(b);
        levee::fail(LEVEE_ENOMEM);
      }
      b->cap = cap;
    }
    *out = b;
    return 0;
  });
}

extern "C" void levee_buffer_free(levee_buffer *b) {
  if (!b) return;
  free(b->buf);
  free(b);
}

extern "C" uint8_t *levee_buffer_value(const levee_buffer *b) { return b ? b->value() : nullptr; }
extern "C" size_t levee_buffer_len(const levee_buffer *b) { return b ? b->len : 0; }
extern "C" size_t levee_buffer_cap(const levee_buffer *b) { return b ? b->cap : 0; }
extern "C" size_t levee_buffer_available(const levee_buffer *b) { return b ? b->available() : 0; }
extern "C" uint8_t *levee_buffer_tail(const levee_buffer *b) { return b ? b->tail() : nullptr; }
extern "C" size_t levee_buffer_frozen(const levee_buffer *b) { return b ? b->sav : 0; }

extern "C" int levee_buffer_ensure(levee_buffer *b, size_t n) {
  if (!b) return LEVEE_EINVAL;
  return guard([&] {
    b->ensure(n);
    return 0;
  });
}

extern "C" int levee_buffer_bump(levee_buffer *b, size_t n) {
  if (!b || n > b->available()) return LEVEE_EINVAL;
  b->len += n;
  return 0;
}

extern "C" size_t levee_buffer_trim(levee_buffer *b, size_t n) { return b ? b->trim(n) : 0; }

extern "C" int levee_buffer_write(levee_buffer *b, const void *src, size_t n) {
  if (!b || (!src && n)) return LEVEE_EINVAL;
  return guard([&] {
    b->append(src, n);
    return 0;
  });
}

extern "C" size_t levee_buffer_copy(const levee_buffer *b, void *dst, size_t n) {
  if (!b || !dst) return 0;
  if (n > b->len) n = b->len;
  if (n) memcpy(dst, b->value(), n);
  return n;
}

extern "C" size_t levee_buffer_move(levee_buffer *b, void *dst, size_t n) {
  n = levee_buffer_copy(b, dst, n);
  return b ? b->trim(n) : 0;
}

extern "C" size_t levee_buffer_remove(levee_buffer *b, size_t off, size_t n) {
  return b ? b->remove(off, n) : 0;
}

extern "C" int levee_buffer_truncate(levee_buffer *b) {
  if (!b) return LEVEE_EINVAL;
  b->compact();
  return 0;
}

extern "C" int levee_buffer_freeze(levee_buffer *b, size_t n) {
  if (!b) return LEVEE_EINVAL;
  return guard([&] {
    b->freeze(n);
    return 0;
  });
}

extern "C" int levee_buffer_thaw(levee_buffer *b) {
  if (!b) return LEVEE_EINVAL;
  b->thaw();
  return 0;
}

extern "C" void levee_buffer_reset(levee_buffer *b) {
  if (!b) return;
  b->off = b->len = b->sav = 0;
}

extern "C" int levee_buffer_release(levee_buffer *b) {
  if (!b) return LEVEE_EINVAL;
  if (b->len || b->sav) return LEVEE_EBUSY;
  free(b->buf);
  b->buf = nullptr;
  b->off = b->cap = 0;
  return 0;
}
