// bench-http: requests parsed per second by the levee tokenizer (one bulk
// levee_http_parse call per request head, at each SIMD level the CPU has)
// beside picohttpparser phr_parse_request (compiled from PICO_DIR with the
// project's flags, by bench/http.mk) and nodejs http_parser
// (http_parser_execute with callbacks that record every slice), on the same
// bytes in the same process. Time is the thread's CPU time, so other load
// on the machine does not count; each figure is the median of RUNS runs,
// the runs of all parsers interleaved. Built with LEVEE_BENCH_NO_PICO
// (no PICO_DIR given), the picohttpparser column is left out.
#include <http_parser.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"
#include "common.h"

namespace {

using bench_http::cpu_seconds;
using bench_http::median;
using bench_http::sink;

struct Slices {
  const char *p[64];
  size_t n[64];
  int count;
};

int on_slice(http_parser *hp, const char *at, size_t len) {
  auto *s = static_cast<Slices *>(hp->data);
  if (s->count < 64) {
    s->p[s->count] = at;
    s->n[s->count] = len;
    s->count++;
  }
  return 0;
}

double run_levee(const std::string &req, long iters) {
  levee_http *p = nullptr;
  levee_http_new(&p, LEVEE_HTTP_MODE_REQUEST);
  levee_http_token toks[64];
  const uint8_t *b = reinterpret_cast<const uint8_t *>(req.data());
  double t0 = cpu_seconds();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    levee_http_reset(p);
    int n = levee_http_parse(p, b, req.size(), toks, 64);
    if (n <= 0 || toks[n - 1].type != LEVEE_HTTP_T_BODY_START) abort();
    acc += toks[n - 1].end + toks[n / 2].b_len;
  }
  double t1 = cpu_seconds();
  sink = acc;
  levee_http_free(p);
  return iters / (t1 - t0);
}

double run_http_parser(const std::string &req, long iters) {
  http_parser_settings st;
  memset(&st, 0, sizeof st);
  st.on_url = on_slice;
  st.on_header_field = on_slice;
  st.on_header_value = on_slice;
  http_parser hp;
  Slices s;
  double t0 = cpu_seconds();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &s;
    s.count = 0;
    size_t n = http_parser_execute(&hp, &st, req.data(), req.size());
    if (n != req.size() || HTTP_PARSER_ERRNO(&hp) != HPE_OK) abort();
    acc += n + s.n[s.count / 2];
  }
  double t1 = cpu_seconds();
  sink = acc;
  return iters / (t1 - t0);
}

double run_pico(const std::string &req, long iters) {
#ifdef LEVEE_BENCH_NO_PICO
  (void)req, (void)iters;
  return 0;
#else
  return bench_http::run_pico(req, iters);
#endif
}

}  // namespace

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 7;
  long iters = argc > 2 ? atol(argv[2]) : 1000000;
  static const char *level_names[] = {"portable", "sse4.2", "avx2"};
  int best = levee_simd_detected();
  printf("requests per second (median of %d runs of %ld requests, thread CPU time)\n", runs, iters);
  printf("%-8s %5s %12s %12s %12s  %-26s %s\n", "request", "bytes", "levee", "picohttp", "http_parser",
         "levee/picohttpparser", "levee/http_parser");
  for (const auto &r : bench_http::kRequests) {
    struct {
      const char *name;
      std::string req;
    } in = {r.name, r.text};
    std::vector<std::vector<double>> lv(size_t(best) + 1);
    std::vector<double> pico, hp;
    for (int r = 0; r < runs; r++) {  // interleaved, so all see the same machine load
      for (int l = 0; l <= best; l++) {
        levee_simd_set_level(l);
        lv[size_t(l)].push_back(run_levee(in.req, iters));
      }
      pico.push_back(run_pico(in.req, iters));
      hp.push_back(run_http_parser(in.req, iters));
    }
    levee_simd_set_level(best);
    double mp = median(pico), mh = median(hp), ml = median(lv[size_t(best)]);
    std::string per_level;
    for (int l = 0; l <= best; l++) {
      char b[48];
      if (mp > 0)
        snprintf(b, sizeof b, "%s%s %.2fx", l ? ", " : "", level_names[l], median(lv[size_t(l)]) / mp);
      else
        snprintf(b, sizeof b, "%s%s %.0f/s", l ? ", " : "", level_names[l], median(lv[size_t(l)]));
      per_level += b;
    }
    printf("%-8s %5zu %12.0f %12.0f %12.0f  %-26s %.2fx\n", in.name, in.req.size(), ml, mp, mh, per_level.c_str(),
           ml / mh);
  }
  printf("(levee at %s; the levee/picohttpparser column gives every level)\n", level_names[best]);
  return 0;
}
