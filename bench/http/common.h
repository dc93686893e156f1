// What bench-http's two programs (parse.cc, ab.cc) share: the request
// heads ("browser", a 705-byte Firefox request with a long Cookie, 10
// headers; "api", a 336-byte POST with a query, a bearer token, JSON
// content type and length; "minimal", the 27-byte smallest useful request),
// thread CPU time, the median, and the picohttpparser loop (left out when
// built with LEVEE_BENCH_NO_PICO).
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef LEVEE_BENCH_NO_PICO
#include "picohttpparser.h"
#endif

namespace bench_http {

inline const char *kBrowser =
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
inline const char *kApi =
    "POST /api/v1/users/12345/orders?expand=items&limit=50 HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "User-Agent: python-requests/2.31.0\r\n"
    "Accept: application/json\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 128\r\n"
    "\r\n";
inline const char *kMinimal = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

struct Request {
  const char *name;
  const char *text;
};
inline const Request kRequests[] = {{"browser", kBrowser}, {"api", kApi}, {"minimal", kMinimal}};

inline double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline volatile uint64_t sink;

#ifndef LEVEE_BENCH_NO_PICO
// Requests per second of phr_parse_request on req (aborts if it fails).
inline double run_pico(const std::string &req, long iters) {
  const char *method, *path;
  size_t mlen, plen, nh;
  int minor;
  phr_header h[64];
  double t0 = cpu_seconds();
  uint64_t acc = 0;
  for (long i = 0; i < iters; i++) {
    nh = 64;
    int n = phr_parse_request(req.data(), req.size(), &method, &mlen, &path, &plen, &minor, h, &nh, 0);
    if (n != int(req.size())) abort();
    acc += size_t(n) + h[nh / 2].value_len;
  }
  double t1 = cpu_seconds();
  sink = acc;
  return double(iters) / (t1 - t0);
}
#endif

}  // namespace bench_http
