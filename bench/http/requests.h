// The request heads of bench-http (parse.cc, ab.cc): "browser", a 705-byte
// Firefox request with a long Cookie (10 headers); "api", a 336-byte POST
// with a query, a bearer token, JSON content type and length; "minimal",
// the 27-byte smallest useful request.
#pragma once

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

}  // namespace bench_http
