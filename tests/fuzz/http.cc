// libFuzzer target for the HTTP tokenizer: every token lies inside the
// input, reading the input in small steps gives the same tokens as reading
// it whole, and the bulk parse (the whole-head path) gives the tokens of
// the token loop, under the default limits or limits near the input's size
// (where the whole-head path switches its size checks on and off).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

levee_http *make(int32_t mode, const levee_http_limits *lim) {
  levee_http *p = nullptr;
  if (levee_http_new(&p, mode) != 0) abort();
  if (lim && levee_http_limits_set(p, lim) != 0) abort();
  return p;
}

std::string run(int32_t mode, const uint8_t *data, size_t size, size_t step, const levee_http_limits *lim) {
  levee_http *p = make(mode, lim);
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
std::string all(int32_t mode, const uint8_t *data, size_t size, size_t step, const levee_http_limits *lim) {
  std::string whole = run(mode, data, size, size ? size : 1, lim);
  std::string steps = run(mode, data, size, step, lim);
  if (whole != steps) abort();
  // bulk parse (the one-pass head) agrees with the token-by-token reading
  levee_http *p = make(mode, lim);
  levee_http_token toks[16];
  int n = levee_http_parse(p, data, size, toks, 16);
  if (n > 16) abort();
  std::string bulk;
  for (int i = 0; i < n; i++) {
    if (toks[i].end > size || (i && toks[i].end <= toks[i - 1].end)) abort();
    bulk += std::to_string(toks[i].type) + ":" + std::to_string(toks[i].end) + ";";
  }
  levee_http_init(p, mode);
  size_t pos = 0;
  for (int i = 0; i < n; i++) {  // the same records, field by field
    levee_http_token t;
    int rc = levee_http_next(p, data + pos, size - pos, &t);
    if (rc <= 0) abort();
    t.end += uint32_t(pos);
    if (t.type <= LEVEE_HTTP_T_FIELD) {
      t.a_off += uint32_t(pos);
      t.b_off += uint32_t(pos);
    }
    if (memcmp(&t, &toks[i], sizeof t) != 0) abort();
    pos += size_t(rc);
  }
  levee_http_free(p);
  return whole + "|" + std::to_string(n) + "|" + bulk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int32_t mode = data[0] & 1;
  size_t step = (data[0] >> 1) % 16 + 1;
  int shift = data[0] >> 5;  // 0: default limits; else limits near size >> (shift - 1)
  data++;
  size--;
  std::vector<uint8_t> copy(data, data + size);  // exact size: ASan sees overreads
  levee_http_limits small;
  const levee_http_limits *lim = nullptr;
  if (shift) {
    uint32_t v = uint32_t(size >> (shift - 1)) + 1;
    small = {v, v, v, v, v, v / 4 + 1, v};
    lim = &small;
  }
  // The portable path and every vector level the CPU has give the same.
  int saved = levee_simd_level();
  levee_simd_set_level(LEVEE_SIMD_PORTABLE);
  std::string want = all(mode, copy.data(), size, step, lim);
  for (int level = LEVEE_SIMD_PORTABLE + 1; level <= levee_simd_detected(); level++) {
    levee_simd_set_level(level);
    if (all(mode, copy.data(), size, step, lim) != want) abort();
  }
  levee_simd_set_level(saved);
  return 0;
}
