// bench-http: requests parsed per second by the levee tokenizer (one bulk
// levee_http_parse call per request head) beside nodejs http_parser
// (http_parser_execute with callbacks that record every slice) on the same
// bytes in the same process. Prints the median of RUNS runs and the ratio.
#include <http_parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "levee.h"

namespace {

const char *kBrowser =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_8; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";
const char *kMinimal = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

volatile uint64_t sink;

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
  auto t0 = std::chrono::steady_clock::now();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    levee_http_reset(p);
    int n = levee_http_parse(p, b, req.size(), toks, 64);
    if (n <= 0 || toks[n - 1].type != LEVEE_HTTP_T_BODY_START) abort();
    acc += toks[n - 1].end + toks[n / 2].b_len;
  }
  auto t1 = std::chrono::steady_clock::now();
  sink = acc;
  levee_http_free(p);
  return iters / std::chrono::duration<double>(t1 - t0).count();
}

double run_http_parser(const std::string &req, long iters) {
  http_parser_settings st;
  memset(&st, 0, sizeof st);
  st.on_url = on_slice;
  st.on_header_field = on_slice;
  st.on_header_value = on_slice;
  http_parser hp;
  Slices s;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &s;
    s.count = 0;
    size_t n = http_parser_execute(&hp, &st, req.data(), req.size());
    if (n != req.size() || HTTP_PARSER_ERRNO(&hp) != HPE_OK) abort();
    acc += n + s.n[s.count / 2];
  }
  auto t1 = std::chrono::steady_clock::now();
  sink = acc;
  return iters / std::chrono::duration<double>(t1 - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 7;
  long iters = argc > 2 ? atol(argv[2]) : 1000000;
  struct {
    const char *name;
    std::string req;
  } inputs[] = {{"browser", kBrowser}, {"minimal", kMinimal}};
  printf("%-8s %6s %16s %16s %7s\n", "request", "bytes", "levee req/s", "http_parser req/s", "ratio");
  for (auto &in : inputs) {
    std::vector<double> a, b;
    for (int r = 0; r < runs; r++) {  // interleaved, so both see the same machine load
      a.push_back(run_levee(in.req, iters));
      b.push_back(run_http_parser(in.req, iters));
    }
    double ma = median(a), mb = median(b);
    printf("%-8s %6zu %16.0f %16.0f %6.2fx\n", in.name, in.req.size(), ma, mb, ma / mb);
  }
  printf("(median of %d runs of %ld requests each)\n", runs, iters);
  return 0;
}
