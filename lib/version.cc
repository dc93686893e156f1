// levee_version / levee_version_string.
#include "internal.h"

#define LEVEE_STR2(x) #x
#define LEVEE_STR(x) LEVEE_STR2(x)

extern "C" int levee_version(void) {
  return LEVEE_VERSION_MAJOR * 10000 + LEVEE_VERSION_MINOR * 100 + LEVEE_VERSION_PATCH;
}

extern "C" const char *levee_version_string(void) {
  return LEVEE_STR(LEVEE_VERSION_MAJOR) "." LEVEE_STR(LEVEE_VERSION_MINOR) "." LEVEE_STR(
      LEVEE_VERSION_PATCH);
}
