// levee_term_winsize: a terminal's size (TIOCGWINSZ stays in C, so no
// binding carries the ioctl number).
#include <sys/ioctl.h>

#include <cerrno>

#include "internal.h"

extern "C" int levee_term_winsize(int32_t fd, levee_winsize *out) {
  if (!out) return LEVEE_EINVAL;
  struct winsize ws;
  int rc;
  do rc = ioctl(fd, TIOCGWINSZ, &ws);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return levee::last_errno_code();
  out->row = ws.ws_row;
  out->col = ws.ws_col;
  out->xpixel = ws.ws_xpixel;
  out->ypixel = ws.ws_ypixel;
  return 0;
}
