// levee_iovec_*: a gather list whose live entries are handed to writev as
// they are. Entries are [first, first + count) of one growable array, so a
// partial write drops its prefix without moving anything.
#include <sys/uio.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "internal.h"

static_assert(sizeof(levee_iovec_entry) == sizeof(struct iovec), "iovec layout");
static_assert(offsetof(levee_iovec_entry, len) == offsetof(struct iovec, iov_len), "iovec layout");

struct levee_iovec {
  levee_iovec_entry *v = nullptr;
  size_t first = 0;  // index of the first live entry
  size_t count = 0;  // live entries
  size_t size = 0;   // entries allocated
  size_t bytes = 0;  // total bytes over the live entries

  void reserve(size_t n) {
    if (n > (SIZE_MAX / sizeof(levee_iovec_entry)) / 2 - first - count) levee::fail(LEVEE_ENOMEM);
    if (first + count + n <= size) return;
    if (first) {  // reclaim the dropped prefix first
      memmove(v, v + first, count * sizeof *v);
      first = 0;
      if (count + n <= size) return;
    }
    size_t want = size ? size : 16;
    while (want < count + n) want *= 2;
    auto *p = static_cast<levee_iovec_entry *>(realloc(v, want * sizeof *v));
    if (!p) levee::fail(LEVEE_ENOMEM);
    v = p;
    size = want;
  }
};

extern "C" {

int levee_iovec_new(levee_iovec **out, size_t size) {
  return levee::guard([&]() -> int {
    if (!out) return LEVEE_EINVAL;
    auto *iov = new levee_iovec;
    try {
      if (size) iov->reserve(size);
    } catch (...) {
      delete iov;
      throw;
    }
    *out = iov;
    return 0;
  });
}

void levee_iovec_free(levee_iovec *iov) {
  if (!iov) return;
  free(iov->v);
  delete iov;
}

int levee_iovec_ensure(levee_iovec *iov, size_t n) {
  return levee::guard([&]() -> int {
    if (!iov) return LEVEE_EINVAL;
    iov->reserve(n);
    return 0;
  });
}

int levee_iovec_append(levee_iovec *iov, const void *base, size_t len) {
  return levee::guard([&]() -> int {
    if (!iov || (!base && len)) return LEVEE_EINVAL;
    if (!len) return 0;
    iov->reserve(1);
    iov->v[iov->first + iov->count++] = levee_iovec_entry{base, len};
    iov->bytes += len;
    return 0;
  });
}

levee_iovec_entry *levee_iovec_entries(const levee_iovec *iov) {
  return iov && iov->v ? iov->v + iov->first : nullptr;
}

size_t levee_iovec_count(const levee_iovec *iov) { return iov ? iov->count : 0; }

size_t levee_iovec_bytes(const levee_iovec *iov) { return iov ? iov->bytes : 0; }

size_t levee_iovec_size(const levee_iovec *iov) { return iov ? iov->size - iov->first : 0; }

int levee_iovec_bump(levee_iovec *iov, size_t n, size_t len) {
  if (!iov || n > iov->size - iov->first - iov->count) return LEVEE_EINVAL;
  levee_iovec_entry *e = iov->v + iov->first + iov->count;
  if (len == SIZE_MAX) {
    len = 0;
    for (size_t i = 0; i < n; i++) len += e[i].len;
  }
  iov->count += n;
  iov->bytes += len;
  return 0;
}

void levee_iovec_reset(levee_iovec *iov) {
  if (!iov) return;
  iov->first = iov->count = iov->bytes = 0;
}

size_t levee_iovec_consume(levee_iovec *iov, size_t n) {
  if (!iov) return 0;
  size_t done = 0;
  // Empty entries at the front go too (bump can commit some), so a writer
  // that consumes what it wrote never sees an empty entry first.
  while (iov->count) {
    levee_iovec_entry &e = iov->v[iov->first];
    if (n < e.len) {
      e.base = static_cast<const uint8_t *>(e.base) + n;
      e.len -= n;
      done += n;
      iov->bytes -= n;
      break;
    }
    n -= e.len;
    done += e.len;
    iov->bytes -= e.len;
    iov->first++;
    iov->count--;
  }
  if (!iov->count) iov->first = 0;
  return done;
}

size_t levee_iovec_copy(const levee_iovec *iov, void *dst, size_t n) {
  if (!iov || !dst) return 0;
  auto *d = static_cast<uint8_t *>(dst);
  size_t done = 0;
  for (size_t i = 0; i < iov->count && done < n; i++) {
    const levee_iovec_entry &e = iov->v[iov->first + i];
    size_t k = e.len < n - done ? e.len : n - done;
    memcpy(d + done, e.base, k);
    done += k;
  }
  return done;
}

}  // extern "C"
