// libFuzzer target for the DNS codec: the bytes are an answer to a query
// for example.com (the first byte picks the type, whether the answer gets
// the query's id, and whether it starts with the query's header and
// question so the fuzzer reaches the records), and, as a name, the input
// of the query builder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int types[] = {1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 44, 99, 255, 1, 1, 1};
  static levee_dns_answer *answer = [] {
    levee_dns_answer *a = nullptr;
    if (levee_dns_answer_new(&a) != 0) abort();
    return a;
  }();
  if (size == 0) return 0;
  uint8_t sel = data[0];
  uint8_t q[512];
  uint16_t id = 0;
  int qlen = levee_dns_query(q, sizeof q, "example.com", types[sel & 15], &id);
  if (qlen <= 0) abort();
  std::vector<uint8_t> msg;
  if (sel & 0x20) {
    msg.assign(q, q + qlen);
    msg[2] |= 0x80;
    if (size > 1) {  // header flags and counts from the input
      size_t n = std::min<size_t>(size - 1, 10);
      std::memcpy(msg.data() + 2, data + 1, n);
      msg[2] |= 0x80;
      msg[2] &= 0x87;
      msg.insert(msg.end(), data + 1 + n, data + size);
    }
  } else {
    msg.assign(data + 1, data + size);
  }
  if ((sel & 0x10) && msg.size() >= 2) {
    msg[0] = uint8_t(id >> 8);
    msg[1] = uint8_t(id);
  }
  // Exact-size heap copy so ASan sees any read past the end.
  uint8_t *copy = static_cast<uint8_t *>(malloc(msg.size() ? msg.size() : 1));
  if (!msg.empty()) std::memcpy(copy, msg.data(), msg.size());
  int rc = levee_dns_answer_parse(answer, q, size_t(qlen), copy, msg.size());
  free(copy);
  if (rc >= 0) {
    if (levee_dns_answer_count(answer) != rc) abort();
    for (int i = 0; i < rc; ++i) {
      levee_dns_record r;
      if (levee_dns_answer_record(answer, size_t(i), &r) != 0) abort();
      size_t n = std::strlen(r.name);
      if (n == 0 || r.name[n - 1] != '.' || r.type != types[sel & 15]) abort();
      (void)std::strlen(r.data);
    }
  } else if (levee_dns_answer_count(answer) != 0) {
    abort();
  }
  // The input as a presentation name for the query builder.
  std::string name(reinterpret_cast<const char *>(data + 1), size - 1);
  name.resize(std::strlen(name.c_str()));
  uint8_t out[512];
  int n = levee_dns_query(out, sizeof out, name.c_str(), 1, &id);
  if (n > 0 && (n < 17 || n > 12 + 255 + 4)) abort();
  return 0;
}
