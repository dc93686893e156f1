// Two builds of liblevee side by side on the request heads of bench-http:
// levee_http_reset + levee_http_parse of each build (loaded with dlopen,
// RTLD_LOCAL | RTLD_DEEPBIND, so their symbols stay apart) and
// picohttpparser's phr_parse_request on the same bytes, runs interleaved in
// one process so machine load hits all three alike (thread CPU time).
// Prints each build's median ratio to picohttpparser and the median of B/A
// per run (A and B alternate at going first); says when the two builds'
// tokens differ. How the changes of the
// tiny-request work in docs/bench/http.md were measured.
// Usage: http_ab LIB_A LIB_B RUNS ITERS
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../dl.h"
#include "common.h"
#include "levee.h"

namespace {

using bench_http::cpu_seconds;
using bench_http::median;
using bench_http::run_pico;
using bench_http::sink;

struct Build {
  int (*make)(levee_http **, int32_t);
  int (*reset)(levee_http *);
  int (*parse)(levee_http *, const uint8_t *, size_t, levee_http_token *, uint32_t);
  levee_http *p = nullptr;
};

Build load(const char *path) {
  void *h = bench::open_build(path);
  Build b;
  bench::sym(h, "levee_http_new", &b.make);
  bench::sym(h, "levee_http_reset", &b.reset);
  bench::sym(h, "levee_http_parse", &b.parse);
  if (b.make(&b.p, LEVEE_HTTP_MODE_REQUEST) != 0) exit(1);
  return b;
}

// The loop of bench/http/parse.cc's run_levee, through the build's pointers.
double run_levee(const Build &bd, const std::string &req, long iters) {
  levee_http_token toks[64];
  const uint8_t *b = reinterpret_cast<const uint8_t *>(req.data());
  double t0 = cpu_seconds();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    bd.reset(bd.p);
    int n = bd.parse(bd.p, b, req.size(), toks, 64);
    if (n <= 0 || toks[n - 1].type != LEVEE_HTTP_T_BODY_START) abort();
    acc += toks[n - 1].end + toks[n / 2].b_len;
  }
  double t1 = cpu_seconds();
  sink = acc;
  return double(iters) / (t1 - t0);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: http_ab LIB_A LIB_B RUNS ITERS\n");
    return 2;
  }
  Build a = load(argv[1]), b = load(argv[2]);
  int runs = atoi(argv[3]);
  long iters = atol(argv[4]);
  printf("requests/s ratios, median of %d interleaved runs of %ld requests (thread CPU time)\n", runs, iters);
  printf("%-8s %5s %12s %12s %8s\n", "request", "bytes", "A/pico", "B/pico", "B/A");
  for (const auto &in : bench_http::kRequests) {
    std::string req = in.text;
    const auto *p = reinterpret_cast<const uint8_t *>(req.data());
    levee_http_token ta[64], tb[64];
    a.reset(a.p);
    b.reset(b.p);
    int na = a.parse(a.p, p, req.size(), ta, 64), nb = b.parse(b.p, p, req.size(), tb, 64);
    if (na != nb || na <= 0 || memcmp(ta, tb, size_t(na) * sizeof *ta) != 0) printf("%s: the two builds' tokens differ\n", in.name);
    std::vector<double> ra, rb, rba;
    for (int r = 0; r < runs; r++) {
      // A and B take turns at going first, as in bench/json/ab.cc: there
      // the one measured second ran up to 3% faster with the same library
      // on both sides.
      double x = 0, y = 0;
      if (r % 2 == 0) x = run_levee(a, req, iters);
      y = run_levee(b, req, iters);
      if (r % 2 == 1) x = run_levee(a, req, iters);
      double z = run_pico(req, iters);
      ra.push_back(x / z);
      rb.push_back(y / z);
      rba.push_back(y / x);
    }
    printf("%-8s %5zu %11.3fx %11.3fx %7.3fx\n", in.name, req.size(), median(ra), median(rb), median(rba));
  }
  return 0;
}
