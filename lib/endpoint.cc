// Endpoints: socket addresses as plain data (levee_endpoint), parsing,
// formatting, comparison and a blocking getaddrinfo wrapper.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "internal.h"

static_assert(sizeof(((levee_endpoint *)0)->addr) >= sizeof(sockaddr_storage));

namespace levee {
namespace {

void clear(levee_endpoint *ep) { std::memset(ep, 0, sizeof *ep); }

int set_in(levee_endpoint *ep, const char *host, int32_t port) {
  if (!ep || port < 0 || port > 65535) return LEVEE_EINVAL;
  if (!host) host = "127.0.0.1";
  clear(ep);
  sockaddr_in v4{};
  if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(ep->addr, &v4, sizeof v4);
    ep->len = sizeof v4;
    ep->af = AF_INET;
    return 0;
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(ep->addr, &v6, sizeof v6);
    ep->len = sizeof v6;
    ep->af = AF_INET6;
    return 0;
  }
  return LEVEE_EINVAL;
}

int put(char *dst, size_t cap, const char *s, size_t n) {
  if (!dst || n + 1 > cap) return LEVEE_ERANGE;
  std::memcpy(dst, s, n);
  dst[n] = 0;
  return static_cast<int>(n);
}

}  // namespace
}  // namespace levee

using namespace levee;

extern "C" int levee_endpoint_in(levee_endpoint *ep, const char *host, int32_t port) {
  return set_in(ep, host, port);
}

extern "C" int levee_endpoint_unix(levee_endpoint *ep, const char *path, size_t len) {
  if (!ep || !path || len == 0) return LEVEE_EINVAL;
  sockaddr_un un{};
  if (len >= sizeof un.sun_path) return LEVEE_ENAMETOOLONG;
  if (path[0] != 0 && std::memchr(path, 0, len)) return LEVEE_EINVAL;
  clear(ep);
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path, len);
  std::memcpy(ep->addr, &un, sizeof un);
  // Abstract names are exactly len bytes; paths include their NUL.
  ep->len = static_cast<uint32_t>(offsetof(sockaddr_un, sun_path) + len + (path[0] ? 1 : 0));
  ep->af = AF_UNIX;
  return 0;
}

extern "C" int levee_endpoint_parse(levee_endpoint *ep, const char *text) {
  if (!ep || !text || !*text) return LEVEE_EINVAL;
  if (text[0] == '/' || text[0] == '.') return levee_endpoint_unix(ep, text, std::strlen(text));
  if (text[0] == '@') {
    std::string name(text);
    name[0] = 0;
    return levee_endpoint_unix(ep, name.data(), name.size());
  }
  std::string host;
  const char *colon;
  if (text[0] == '[') {
    const char *close = std::strchr(text, ']');
    if (!close || close[1] != ':') return LEVEE_EINVAL;
    host.assign(text + 1, close);
    colon = close + 1;
  } else {
    colon = std::strrchr(text, ':');
    if (!colon) return LEVEE_EINVAL;
    host.assign(text, colon);
    if (host.find(':') != std::string::npos) return LEVEE_EINVAL;  // v6 needs []
  }
  const char *digits = colon + 1;
  if (!*digits || std::strlen(digits) > 5) return LEVEE_EINVAL;
  for (const char *p = digits; *p; ++p)
    if (*p < '0' || *p > '9') return LEVEE_EINVAL;
  return set_in(ep, host.c_str(), std::atoi(digits));
}

extern "C" int levee_endpoint_host(const levee_endpoint *ep, char *dst, size_t cap) {
  if (!ep || ep->af == 0) return LEVEE_EINVAL;
  char text[INET6_ADDRSTRLEN];
  if (ep->af == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, ep->addr, sizeof v4);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  } else if (ep->af == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, ep->addr, sizeof v6);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
  } else {
    return LEVEE_EAFNOSUPPORT;
  }
  return put(dst, cap, text, std::strlen(text));
}

extern "C" int levee_endpoint_port(const levee_endpoint *ep) {
  if (!ep || ep->af == 0) return LEVEE_EINVAL;
  if (ep->af == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, ep->addr, sizeof v4);
    return ntohs(v4.sin_port);
  }
  if (ep->af == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, ep->addr, sizeof v6);
    return ntohs(v6.sin6_port);
  }
  return LEVEE_EAFNOSUPPORT;
}

extern "C" int levee_endpoint_path(const levee_endpoint *ep, char *dst, size_t cap) {
  if (!ep || ep->af == 0) return LEVEE_EINVAL;
  if (ep->af != AF_UNIX) return LEVEE_EAFNOSUPPORT;
  const size_t off = offsetof(sockaddr_un, sun_path);
  if (ep->len <= off) return put(dst, cap, "", 0);  // unnamed socket
  const char *p = reinterpret_cast<const char *>(ep->addr) + off;
  size_t n = ep->len - off;
  if (p[0] != 0) n = strnlen(p, n);
  return put(dst, cap, p, n);
}

extern "C" int levee_endpoint_format(const levee_endpoint *ep, char *dst, size_t cap) {
  if (!ep || ep->af == 0) return LEVEE_EINVAL;
  if (ep->af == AF_UNIX) {
    char path[sizeof(sockaddr_un{}.sun_path) + 1];
    int n = levee_endpoint_path(ep, path, sizeof path);
    if (n < 0) return n;
    if (n > 0 && path[0] == 0) path[0] = '@';
    return put(dst, cap, path, static_cast<size_t>(n));
  }
  char host[INET6_ADDRSTRLEN];
  int rc = levee_endpoint_host(ep, host, sizeof host);
  if (rc < 0) return rc;
  char text[INET6_ADDRSTRLEN + 16];
  int n = std::snprintf(text, sizeof text, ep->af == AF_INET6 ? "[%s]:%d" : "%s:%d", host,
                        levee_endpoint_port(ep));
  return put(dst, cap, text, static_cast<size_t>(n));
}

extern "C" int levee_endpoint_compare(const levee_endpoint *a, const levee_endpoint *b) {
  if (!a || !b) return a == b ? 0 : (a ? 1 : -1);
  if (a->af != b->af) return a->af < b->af ? -1 : 1;
  if (a->af == AF_INET || a->af == AF_INET6) {
    size_t off = a->af == AF_INET ? offsetof(sockaddr_in, sin_addr) : offsetof(sockaddr_in6, sin6_addr);
    size_t n = a->af == AF_INET ? 4 : 16;
    int c = std::memcmp(a->addr + off, b->addr + off, n);
    if (c) return c < 0 ? -1 : 1;
    int pa = levee_endpoint_port(a), pb = levee_endpoint_port(b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  int c = std::memcmp(a->addr, b->addr, a->len);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

extern "C" int levee_endpoint_resolve(const char *host, const char *service, int32_t family,
                                      int32_t socktype, levee_endpoint *out, size_t cap) {
  if (!out && cap) return LEVEE_EINVAL;
  if (family != 0 && family != AF_INET && family != AF_INET6) return LEVEE_EAFNOSUPPORT;
  return guard([&]() -> int {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = socktype ? socktype : SOCK_STREAM;
    addrinfo *res = nullptr;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc == EAI_SYSTEM) return last_errno_code();
    if (rc != 0) return -200 + rc;
    size_t n = 0;
    for (addrinfo *ai = res; ai && n < cap; ai = ai->ai_next) {
      if (ai->ai_addrlen > sizeof out[n].addr) continue;
      clear(&out[n]);
      std::memcpy(out[n].addr, ai->ai_addr, ai->ai_addrlen);
      out[n].len = ai->ai_addrlen;
      out[n].af = ai->ai_family;
      ++n;
    }
    freeaddrinfo(res);
    return static_cast<int>(n);
  });
}
