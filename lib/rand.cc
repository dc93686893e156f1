// levee_rand_bytes: the kernel's CSPRNG (getrandom(2)).
#include <sys/random.h>

#include <cerrno>

#include "internal.h"

extern "C" int levee_rand_bytes(void *dst, size_t n) {
  if (n && !dst) return LEVEE_EINVAL;
  uint8_t *p = static_cast<uint8_t *>(dst);
  while (n) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return levee::last_errno_code();
    }
    p += got;
    n -= size_t(got);
  }
  return 0;
}
