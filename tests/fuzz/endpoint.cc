// libFuzzer target for endpoint text: whatever levee_endpoint_parse accepts
// must format back and re-parse to an equal endpoint (round trip); every
// other input is rejected with LEVEE_EINVAL/ENAMETOOLONG, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "levee.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  levee_endpoint ep, again;
  int rc = levee_endpoint_parse(&ep, text.c_str());
  if (rc != 0) {
    if (rc != LEVEE_EINVAL && rc != LEVEE_ENAMETOOLONG) abort();
    return 0;
  }
  char out[256];
  int n = levee_endpoint_format(&ep, out, sizeof out);
  if (n < 0) abort();
  if (levee_endpoint_parse(&again, out) != 0) abort();
  if (levee_endpoint_compare(&ep, &again) != 0) abort();
  char host[64];
  levee_endpoint_host(&ep, host, sizeof host);
  levee_endpoint_port(&ep);
  levee_endpoint_path(&ep, out, sizeof out);
  return 0;
}
