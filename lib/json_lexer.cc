// levee_json_lexer: JSON one token per call (the original's decoder:next).
// The structure (which token may come next, container nesting) is checked
// here; each scalar token is cut out of the input and checked and decoded
// by the tape tokenizer (levee_json_parse), so strings, numbers and
// literals follow exactly the rules of the rest of levee's JSON.
#include <cstring>
#include <memory>
#include <vector>

#include "internal.h"
#include "json.h"

struct levee_json_lexer {
  enum State : uint8_t {
    kValue,        // a value: top level, after ':' or after ',' in an array
    kArrayFirst,   // after '[': a value or ']'
    kObjectFirst,  // after '{': a key or '}'
    kKey,          // after ',' in an object: a key
    kColon,        // after a key: ':'
    kAfter,        // after a value inside a container: ',' or the close
  };
  State state = kValue;
  std::vector<bool> stack;  // open containers: true for an object
  uint32_t max_depth = LEVEE_JSON_MAX_DEPTH;
  bool done = false;
  uint64_t error_offset = 0;
  std::unique_ptr<levee_json> scalar{new levee_json()};

  void reset() {
    state = kValue;
    stack.clear();
    done = false;
    error_offset = 0;
  }
  int64_t error(int code, size_t at) {
    error_offset = at;
    levee::set_message("%s at byte %zu", levee_strerror(code), at);
    return code;
  }
  int64_t next(const uint8_t *in, size_t len, bool eof, levee_json_token *tok);
};

namespace {

inline bool is_ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_number_byte(uint8_t c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

int64_t levee_json_lexer::next(const uint8_t *in, size_t len, bool eof, levee_json_token *tok) {
  if (done) reset();
  // Work on copies: nothing changes until a whole token was read.
  State st = state;
  size_t i = 0;
  for (;;) {
    while (i < len && is_ws(in[i])) i++;
    if (i == len) {
      if (eof) return error(LEVEE_JSON_ESYNTAX, len);
      return 0;
    }
    uint8_t c = in[i];
    if (st == kColon) {
      if (c != ':') return error(LEVEE_JSON_ESYNTAX, i);
      i++;
      st = kValue;
      continue;
    }
    if (st == kAfter) {
      if (c == ',') {
        i++;
        st = stack.back() ? kKey : kValue;
        continue;
      }
      if (c != (stack.back() ? '}' : ']')) return error(LEVEE_JSON_ESYNTAX, i);
      goto close;
    }
    if (st == kObjectFirst && c == '}') goto close;
    if (st == kArrayFirst && c == ']') goto close;
    if ((st == kObjectFirst || st == kKey) && c != '"') return error(LEVEE_JSON_ESYNTAX, i);
    break;
  close:
    *tok = levee_json_token{};
    tok->type = stack.back() ? LEVEE_JSON_OBJECT_END : LEVEE_JSON_ARRAY_END;
    tok->off = i;
    tok->len = 1;
    stack.pop_back();
    state = stack.empty() ? kValue : kAfter;
    done = stack.empty();
    return int64_t(i + 1);
  }
  // A value (or an object key) starts at i.
  uint8_t c = in[i];
  if (c == '[' || c == '{') {
    if (stack.size() >= max_depth) return error(LEVEE_JSON_ESTACK, i);
    stack.push_back(c == '{');
    *tok = levee_json_token{};
    tok->type = c == '[' ? LEVEE_JSON_ARRAY : LEVEE_JSON_OBJECT;
    tok->off = i;
    state = c == '[' ? kArrayFirst : kObjectFirst;
    return int64_t(i + 1);
  }
  // The scalar's extent.
  size_t start = i, end;
  if (c == '"') {
    size_t k = i + 1;
    for (;;) {
      if (k >= len) {
        if (eof) return error(LEVEE_JSON_ESYNTAX, len);
        return 0;
      }
      if (in[k] == '\\') {
        k += 2;
        continue;
      }
      if (in[k] == '"') break;
      k++;
    }
    end = k + 1;
  } else if (c == 't' || c == 'f' || c == 'n') {
    size_t n = c == 'f' ? 5 : 4;
    if (len - i < n) {
      const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (memcmp(in + i, word, len - i) != 0) return error(LEVEE_JSON_ESYNTAX, i);
      if (eof) return error(LEVEE_JSON_ESYNTAX, len);
      return 0;
    }
    end = i + n;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    size_t k = i;
    while (k < len && is_number_byte(in[k])) k++;
    if (k == len && !eof) return 0;
    end = k;
  } else {
    return error(c >= 0x80 || c < 0x20 ? LEVEE_JSON_EBYTE : LEVEE_JSON_ESYNTAX, i);
  }
  int rc = levee_json_parse(scalar.get(), in + start, end - start);
  if (rc < 0) return error(rc, start + size_t(levee_json_error_offset(scalar.get())));
  *tok = levee_json_tape(scalar.get())[0];
  tok->off += start;
  if (st == kObjectFirst || st == kKey) {
    state = kColon;
  } else {
    state = stack.empty() ? kValue : kAfter;
    done = stack.empty();
  }
  return int64_t(end);
}

extern "C" {

int levee_json_lexer_new(levee_json_lexer **out) {
  if (!out) return LEVEE_EINVAL;
  *out = nullptr;
  return levee::guard([&] {
    *out = new levee_json_lexer();
    return 0;
  });
}

void levee_json_lexer_free(levee_json_lexer *lx) { delete lx; }

int levee_json_lexer_limits(levee_json_lexer *lx, uint32_t max_depth) {
  if (!lx || max_depth < 1 || max_depth > 100000) return LEVEE_EINVAL;
  lx->max_depth = max_depth;
  return 0;
}

void levee_json_lexer_reset(levee_json_lexer *lx) {
  if (lx) lx->reset();
}

int64_t levee_json_lexer_next(levee_json_lexer *lx, const uint8_t *input, size_t len, int eof,
                              levee_json_token *tok) {
  if (!lx || !tok || (!input && len)) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t {
    static const uint8_t empty = 0;
    return lx->next(input ? input : &empty, len, eof != 0, tok);
  });
}

int levee_json_lexer_done(const levee_json_lexer *lx) { return lx && lx->done ? 1 : 0; }

int levee_json_lexer_depth(const levee_json_lexer *lx) { return lx ? int(lx->stack.size()) : 0; }

const uint8_t *levee_json_lexer_strings(const levee_json_lexer *lx) {
  return lx ? levee_json_strings(lx->scalar.get()) : nullptr;
}

uint64_t levee_json_lexer_error_offset(const levee_json_lexer *lx) {
  return lx ? lx->error_offset : 0;
}

}  // extern "C"
