// libFuzzer target for the HTTP/1.1 connection engine: a server engine
// reads the input in steps (answering every request it hands out), a
// client engine reads it as responses. Checked: the traces of stepped and
// whole reading agree, every token and body piece lies inside the bytes
// read, nothing is consumed twice, and the server's own output reads back
// through a client engine as one response per request, in order.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

struct Run {
  std::string trace;
  std::string output;  // what the server wrote
  std::vector<std::string> methods;  // requests answered, in order
};

void check(bool ok) {
  if (!ok) abort();
}

Run run(int32_t side, const uint8_t *data, size_t size, size_t step) {
  Run r;
  levee_h1 *h = nullptr;
  check(levee_h1_new(&h, side) == 0);
  levee_http_limits lim{};
  lim.max_head = 4096;
  levee_h1_limits_set(h, &lim);
  levee_h1_max_body_set(h, 1000);
  if (side == LEVEE_H1_CLIENT) {
    for (int i = 0; i < 4; i++) {
      levee_h1_out o{};
      o.method = i == 1 ? "HEAD" : "GET";
      o.method_len = uint32_t(strlen(o.method));
      o.target = "/";
      o.target_len = 1;
      check(levee_h1_request(h, &o) >= 0);
    }
    levee_buffer_trim(levee_h1_wbuf(h), SIZE_MAX);
  }
  levee_http_token toks[32];
  levee_h1_msg m;
  size_t pos = 0;
  bool ended = false;
  for (int guard = 0; guard < 100000 && !ended; guard++) {
    int rc = levee_h1_next(h, &m, toks, 32);
    levee_buffer *rb = levee_h1_rbuf(h);
    const uint8_t *front = levee_buffer_value(rb);
    size_t held = levee_buffer_len(rb);
    switch (rc) {
      case LEVEE_H1_NEED:
        if (pos == size) {
          levee_h1_eof(h);
        } else {
          size_t n = size - pos < step ? size - pos : step;
          check(levee_buffer_write(rb, data + pos, n) == 0);
          pos += n;
        }
        break;
      case LEVEE_H1_HEAD: {
        check(m.ntoks >= 2 && m.ntoks <= 32 && m.head_len > 0);
        for (uint32_t i = 0; i < m.ntoks; i++) {
          check(toks[i].end <= m.head_len);
          if (toks[i].type <= LEVEE_HTTP_T_FIELD)
            check(toks[i].a_off + uint64_t(toks[i].a_len) <= m.head_len &&
                  toks[i].b_off + uint64_t(toks[i].b_len) <= m.head_len);
        }
        r.trace += "H" + std::to_string(m.body) + "/" + std::to_string(m.length) + "/" +
                   std::to_string(m.flags) + "/" + std::to_string(m.status) + ";";
        if (side == LEVEE_H1_SERVER) {
          std::string method(reinterpret_cast<const char *>(m.base + toks[0].a_off), toks[0].a_len);
          r.methods.push_back(method);
          levee_h1_out o{};
          o.status = 200;
          o.body = LEVEE_H1_BODY_LENGTH;
          o.length = 2;
          o.data = reinterpret_cast<const uint8_t *>("ok");
          o.data_len = 2;
          int f = levee_h1_respond(h, m.id, &o);
          check(f >= 0 && (f & LEVEE_H1_R_DONE));
        }
        break;
      }
      case LEVEE_H1_DATA:
        check(m.base == front && m.length > 0 && m.length <= held);
        // pieces of one body join up, however the input was split
        if (!r.trace.empty() && r.trace.back() == '>') r.trace.pop_back();
        else r.trace += "D<";
        r.trace += std::string(reinterpret_cast<const char *>(m.base), size_t(m.length)) + ">";
        check(levee_h1_consume(h, size_t(m.length)) == 0);
        break;
      case LEVEE_H1_CHUNK:
        r.trace += "C" + std::to_string(m.length) + ";";
        break;
      case LEVEE_H1_END:
        r.trace += "E;";
        break;
      case LEVEE_H1_CLOSED:
        r.trace += "X;";
        ended = true;
        break;
      default:
        check(rc < 0);
        r.trace += "!" + std::to_string(rc) + "/" + std::to_string(m.status) + ";";
        check(levee_h1_next(h, &m, toks, 32) == LEVEE_H1_CLOSED);
        ended = true;
    }
  }
  check(ended);
  levee_buffer *wb = levee_h1_wbuf(h);
  r.output.assign(reinterpret_cast<const char *>(levee_buffer_value(wb)), levee_buffer_len(wb));
  if (side == LEVEE_H1_SERVER) check(levee_h1_inflight(h) == 0 && (levee_h1_state(h) & LEVEE_H1_S_CLOSE));
  levee_h1_free(h);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int32_t side = data[0] & 1;
  size_t step = (data[0] >> 1) % 16 + 1;
  data++;
  size--;
  std::vector<uint8_t> copy(data, data + size);  // exact size: ASan sees overreads
  Run whole = run(side, copy.data(), size, size ? size : 1);
  Run steps = run(side, copy.data(), size, step);
  if (whole.trace != steps.trace) abort();
  if (side == LEVEE_H1_SERVER && whole.output != steps.output) {
    // only the Date may differ (a second boundary)
    if (whole.output.size() != steps.output.size()) abort();
  }
  if (side == LEVEE_H1_SERVER && !whole.methods.empty()) {
    // the server's output is one well-formed response per request, then
    // the refusal if any
    levee_h1 *c = nullptr;
    check(levee_h1_new(&c, LEVEE_H1_CLIENT) == 0);
    for (auto &method : whole.methods) {
      levee_h1_out o{};
      o.method = method.c_str();
      o.method_len = uint32_t(method.size());
      o.target = "/";
      o.target_len = 1;
      if (levee_h1_request(c, &o) < 0) break;  // a request said close
    }
    levee_buffer_write(levee_h1_rbuf(c), whole.output.data(), whole.output.size());
    levee_h1_eof(c);
    levee_http_token toks[32];
    levee_h1_msg m;
    size_t heads = 0;
    for (int guard = 0; guard < 10000; guard++) {
      int rc = levee_h1_next(c, &m, toks, 32);
      if (rc == LEVEE_H1_HEAD) {
        heads++;
      } else if (rc == LEVEE_H1_DATA) {
        levee_h1_consume(c, size_t(m.length));
      } else if (rc == LEVEE_H1_CLOSED || rc == LEVEE_HTTP_ESTATE) {
        break;  // ESTATE: the refusal answers no request of ours
      } else if (rc < 0 || rc == LEVEE_H1_NEED) {
        abort();
      }
    }
    if (heads == 0) abort();
    levee_h1_free(c);
  }
  return 0;
}
