/* The header compiles as strict C99 and as C++ (see the Makefile rules).
 * It also has to be usable: take the address of a few functions. */
#include "levee.h"

typedef int (*version_fn)(void);

int header_test_uses_the_header(void);
int header_test_uses_the_header(void) {
  version_fn f = levee_version;
  const char *(*s)(int) = levee_strerror;
  return (f != 0 && s != 0 && LEVEE_TIMEOUT == -10100) ? 0 : 1;
}
