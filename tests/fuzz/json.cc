// libFuzzer target for the JSON tokenizer: whole-document parse, the same
// bytes fed in two pieces (must agree with the whole parse), pickle and
// marshal output, the token-at-a-time lexer (must accept exactly what the
// parse accepts), and the escaper over the raw bytes; the portable path and
// every SIMD level the CPU has must give the same tapes, codes and offsets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

levee_json *make() {
  levee_json *j = nullptr;
  if (levee_json_new(&j) != 0) abort();
  levee_json_limits(j, 64, 1 << 20);
  return j;
}

// The tape (or the error) of the last call on j, as text.
std::string tape(levee_json *j, int64_t rc) {
  std::string out = std::to_string(rc) + "@" + std::to_string(levee_json_error_offset(j));
  if (!levee_json_done(j)) return out;
  const levee_json_token *t = levee_json_tape(j);
  for (size_t i = 0; i < levee_json_count(j); i++) {
    uint64_t bits;
    memcpy(&bits, &t[i].number, 8);
    out += ";" + std::to_string(t[i].type) + "," + std::to_string(t[i].flags) + "," + std::to_string(t[i].off) + "," +
           std::to_string(t[i].len) + "," + std::to_string(t[i].aux) + "," + std::to_string(bits) + "," +
           std::to_string(t[i].integer);
  }
  return out;
}

// Everything one level gives on p[0, size).
std::string all(const uint8_t *p, size_t size, size_t cut) {
  static levee_json *whole = make();
  static levee_json *split = make();
  int rc = levee_json_parse(whole, p, size);
  std::string out = tape(whole, rc);
  if (rc == 0) {
    if (levee_json_pickle(whole, p) <= 0) abort();
    int64_t m = levee_json_marshal(whole, p);
    if (m <= 0 && m != LEVEE_ENOTSUP) abort();
    size_t n = levee_json_count(whole);
    const levee_json_token *t = levee_json_tape(whole);
    for (size_t i = 0; i < n; i++) {
      if (t[i].type == LEVEE_JSON_STRING && t[i].off + t[i].len > size) abort();
    }
  }
  // Feed a prefix, then everything (as a stream would): when the whole
  // parse succeeded, the split feed must complete the same value.
  levee_json_reset(split);
  int64_t a = levee_json_feed(split, p, cut, 0);
  int64_t b = a == 0 ? levee_json_feed(split, p, size, 1) : a;
  if (rc == 0) {
    if (b <= 0) abort();
    if (levee_json_count(split) != levee_json_count(whole)) abort();
  }
  out += "|" + tape(split, b);
  // The token-at-a-time lexer walks the same bytes: it must accept exactly
  // the documents the whole parse accepts, with the same tokens (plus one
  // end token per container).
  static levee_json_lexer *lex = [] {
    levee_json_lexer *l = nullptr;
    if (levee_json_lexer_new(&l) != 0) abort();
    levee_json_lexer_limits(l, 64);
    return l;
  }();
  levee_json_lexer_reset(lex);
  levee_json_token tok;
  size_t pos = 0, tokens = 0, ends = 0;
  int64_t r;
  while ((r = levee_json_lexer_next(lex, p + pos, size - pos, 1, &tok)) > 0) {
    if (tok.type == LEVEE_JSON_STRING && tok.off + tok.len > size - pos) abort();
    pos += size_t(r);
    tokens++;
    if (tok.type == LEVEE_JSON_ARRAY_END || tok.type == LEVEE_JSON_OBJECT_END) ends++;
    if (levee_json_lexer_done(lex) || pos > size) break;
  }
  bool lexed = r > 0 && levee_json_lexer_done(lex);
  for (size_t i = pos; lexed && i < size; i++)
    if (p[i] != ' ' && p[i] != '\n' && p[i] != '\r' && p[i] != '\t') lexed = false;
  if (lexed != (rc == 0)) abort();
  if (rc == 0 && tokens - ends != levee_json_count(whole)) abort();
  out += "|lex " + std::to_string(r) + "@" + std::to_string(pos);
  std::vector<uint8_t> esc(size * 6 + 2);
  int64_t e = levee_json_escape(esc.data(), p, size);
  out += "|" + std::to_string(e);
  if (e > 0) out.append(reinterpret_cast<const char *>(esc.data()), size_t(e));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Exact-size copy so ASan sees any read past the end.
  std::vector<uint8_t> in(data, data + size);
  size_t cut = size ? data[0] % (size + 1) : 0;
  int saved = levee_simd_level();
  levee_simd_set_level(LEVEE_SIMD_PORTABLE);
  std::string want = all(in.data(), size, cut);
  for (int level = LEVEE_SIMD_PORTABLE + 1; level <= levee_simd_detected(); level++) {
    levee_simd_set_level(level);
    if (all(in.data(), size, cut) != want) abort();
  }
  levee_simd_set_level(saved);
  return 0;
}
