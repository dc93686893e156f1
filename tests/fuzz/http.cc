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

// Everything one SIMD level gives on the input.
std::string all(int32_t mode, const uint8_t *data, size_t size, size_t step) {
  std::string whole = run(mode, data, size, size ? size : 1);
  std::string steps = run(mode, data, size, step);
  if (whole != steps) abort();
  // bulk parse (the one-pass head) agrees with the token-by-token reading
  levee_http *p = nullptr;
  if (levee_http_new(&p, mode) != 0) abort();
  levee_http_token toks[16];
  int n = levee_http_parse(p, data, size, toks, 16);
  if (n > 16) abort();
  std::string bulk;
  for (int i = 0; i < n; i++) {
    if (toks[i].end > size || (i && toks[i].end <= toks[i - 1].end)) abort();
    bulk += std::to_string(toks[i].type) + ":" + std::to_string(toks[i].end) + ";";
  }
  levee_http_free(p);
  return whole + "|" + std::to_string(n) + "|" + bulk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int32_t mode = data[0] & 1;
  size_t step = (data[0] >> 1) % 16 + 1;
  data++;
  size--;
  std::vector<uint8_t> copy(data, data + size);  // exact size: ASan sees overreads
  // The portable path and every vector level the CPU has give the same.
  int saved = levee_simd_level();
  levee_simd_set_level(LEVEE_SIMD_PORTABLE);
  std::string want = all(mode, copy.data(), size, step);
  for (int level = LEVEE_SIMD_PORTABLE + 1; level <= levee_simd_detected(); level++) {
    levee_simd_set_level(level);
    if (all(mode, copy.data(), size, step) != want) abort();
  }
  levee_simd_set_level(saved);
  return 0;
}
