// libFuzzer target for the HTTP tokenizer: every token lies inside the
// input, and reading the input in small steps gives the same tokens as
// reading it whole.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

std::string run(int32_t mode, const uint8_t *data, size_t size, size_t step) {
  levee_http *p = nullptr;
  if (levee_http_new(&p, mode) != 0) abort();
  std::string out;
  size_t pos = 0, avail = step < size ? step : size;
  uint64_t body = 0;
  for (int guard = 0; guard < 100000; guard++) {
    if (body) {
      size_t n = avail - pos < body ? avail - pos : size_t(body);
      pos += n;
      body -= n;
      if (body && avail == size) break;
      if (body) avail = avail + step < size ? avail + step : size;
      continue;
    }
    if (levee_http_is_done(p)) break;
    levee_http_token t;
    int rc = levee_http_next(p, data + pos, avail - pos, &t);
    if (rc < 0) {
      out += "E" + std::to_string(rc);
      break;
    }
    if (rc == 0) {
      if (avail == size) break;
      avail = avail + step < size ? avail + step : size;
      continue;
    }
    size_t len = avail - pos;
    if (t.end != uint32_t(rc) || size_t(rc) > len) abort();
    if (t.a_off + uint64_t(t.a_len) > len || t.b_off + uint64_t(t.b_len) > len) abort();
    out += std::to_string(t.type) + ":" + std::string(reinterpret_cast<const char *>(data + pos + t.a_off), t.a_len) +
           "/" + std::string(reinterpret_cast<const char *>(data + pos + t.b_off), t.b_len) + "/" +
           std::to_string(t.length) + ";";
    pos += size_t(rc);
    if (t.type == LEVEE_HTTP_T_BODY_START && !t.chunked && t.length != UINT64_MAX) body = t.length;
    if (t.type == LEVEE_HTTP_T_BODY_CHUNK) body = t.length;
  }
  levee_http_free(p);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int32_t mode = data[0] & 1;
  size_t step = (data[0] >> 1) % 16 + 1;
  data++;
  size--;
  std::vector<uint8_t> copy(data, data + size);  // exact size: ASan sees overreads
  std::string whole = run(mode, copy.data(), size, size ? size : 1);
  std::string steps = run(mode, copy.data(), size, step);
  if (whole != steps) abort();
  // bulk parse agrees with the token-by-token reading of the head
  levee_http *p = nullptr;
  if (levee_http_new(&p, mode) != 0) abort();
  levee_http_token toks[16];
  int n = levee_http_parse(p, copy.data(), size, toks, 16);
  if (n > 16) abort();
  for (int i = 0; i < n; i++)
    if (toks[i].end > size || (i && toks[i].end <= toks[i - 1].end)) abort();
  levee_http_free(p);
  return 0;
}
