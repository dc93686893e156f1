// levee_endpoint_*, levee_resolve, levee_socket_*: addresses and
// non-blocking sockets. Every call returns the fd / count or a LEVEE_E*
// code (-errno, or LEVEE_EAI_* for resolution); nothing blocks except
// levee_resolve, which bindings run on a worker thread.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "internal.h"

static_assert(sizeof(levee_endpoint{}.addr) >= sizeof(struct sockaddr_storage), "endpoint size");

namespace {

sockaddr *sa(levee_endpoint *ep) { return reinterpret_cast<sockaddr *>(ep->addr); }
const sockaddr *sa(const levee_endpoint *ep) { return reinterpret_cast<const sockaddr *>(ep->addr); }

int family_of(const levee_endpoint *ep) { return ep && ep->len ? sa(ep)->sa_family : 0; }

int sys(int rc) { return rc < 0 ? levee::last_errno_code() : rc; }

int eai_code(int rc) {
  if (rc == EAI_SYSTEM) return levee::last_errno_code();
  if (rc < 0 && rc > -100) return -200 + rc;
  return LEVEE_EAI_FAIL;
}

// Copies s (and a NUL) into buf; the length, or LEVEE_ENOSPC.
int put(char *buf, size_t len, std::string_view s) {
  if (!buf || s.size() + 1 > len) return LEVEE_ENOSPC;
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  return int(s.size());
}

struct Option {
  const char *name;
  int level, opt;
};

const Option kOptions[] = {
    {"reuseaddr", SOL_SOCKET, SO_REUSEADDR}, {"reuseport", SOL_SOCKET, SO_REUSEPORT},
    {"keepalive", SOL_SOCKET, SO_KEEPALIVE}, {"rcvbuf", SOL_SOCKET, SO_RCVBUF},
    {"sndbuf", SOL_SOCKET, SO_SNDBUF},       {"broadcast", SOL_SOCKET, SO_BROADCAST},
    {"rcvlowat", SOL_SOCKET, SO_RCVLOWAT},   {"sndlowat", SOL_SOCKET, SO_SNDLOWAT},
    {"type", SOL_SOCKET, SO_TYPE},           {"acceptconn", SOL_SOCKET, SO_ACCEPTCONN},
    {"nodelay", IPPROTO_TCP, TCP_NODELAY},   {"cork", IPPROTO_TCP, TCP_CORK},
    {"quickack", IPPROTO_TCP, TCP_QUICKACK}, {"defer_accept", IPPROTO_TCP, TCP_DEFER_ACCEPT},
    {"keepidle", IPPROTO_TCP, TCP_KEEPIDLE}, {"keepintvl", IPPROTO_TCP, TCP_KEEPINTVL},
    {"keepcnt", IPPROTO_TCP, TCP_KEEPCNT},   {"v6only", IPPROTO_IPV6, IPV6_V6ONLY},
};

const Option *option(const char *name) {
  if (!name) return nullptr;
  for (const Option &o : kOptions)
    if (!strcmp(o.name, name)) return &o;
  return nullptr;
}

}  // namespace

extern "C" {

int levee_endpoint_in(levee_endpoint *ep, const char *host, int port) {
  if (!ep || port < 0 || port > 65535) return LEVEE_EINVAL;
  if (!host) host = "127.0.0.1";
  memset(ep, 0, sizeof *ep);
  auto *v4 = reinterpret_cast<sockaddr_in *>(ep->addr);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    ep->len = sizeof(sockaddr_in);
    return 0;
  }
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(ep->addr);
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    ep->len = sizeof(sockaddr_in6);
    return 0;
  }
  return LEVEE_EAI_NONAME;
}

int levee_endpoint_unix(levee_endpoint *ep, const char *path) {
  if (!ep || !path || !*path) return LEVEE_EINVAL;
  memset(ep, 0, sizeof *ep);
  auto *un = reinterpret_cast<sockaddr_un *>(ep->addr);
  size_t n = strlen(path);
  if (n >= sizeof un->sun_path) return LEVEE_ENAMETOOLONG;
  un->sun_family = AF_UNIX;
  memcpy(un->sun_path, path, n);
  if (path[0] == '@') {  // abstract: a leading NUL, no terminator
    un->sun_path[0] = 0;
    ep->len = uint32_t(offsetof(sockaddr_un, sun_path) + n);
  } else {
    ep->len = uint32_t(offsetof(sockaddr_un, sun_path) + n + 1);
  }
  return 0;
}

int levee_endpoint_parse(levee_endpoint *ep, const char *text, int default_port) {
  return levee::guard([&]() -> int {
    if (!ep || !text || !*text) return LEVEE_EINVAL;
    if (text[0] == '/' || text[0] == '@' || (text[0] == '.' && text[1] == '/'))
      return levee_endpoint_unix(ep, text);
    std::string_view s(text);
    std::string host;
    int port = default_port;
    auto parse_port = [&](std::string_view p) -> bool {
      if (p.empty() || p.size() > 5) return false;
      int v = 0;
      for (char c : p) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
      }
      port = v;
      return true;
    };
    if (s[0] == '[') {
      size_t close = s.find(']');
      if (close == std::string_view::npos) return LEVEE_EAI_NONAME;
      host = std::string(s.substr(1, close - 1));
      std::string_view rest = s.substr(close + 1);
      if (!rest.empty() && (rest[0] != ':' || !parse_port(rest.substr(1)))) return LEVEE_EINVAL;
    } else if (s.find(':') != s.rfind(':')) {
      host = std::string(s);  // a bare IPv6 literal
    } else if (size_t colon = s.find(':'); colon != std::string_view::npos) {
      host = std::string(s.substr(0, colon));
      if (!parse_port(s.substr(colon + 1))) return LEVEE_EINVAL;
    } else {
      host = std::string(s);
    }
    return levee_endpoint_in(ep, host.c_str(), port);
  });
}

int levee_endpoint_family(const levee_endpoint *ep) { return family_of(ep); }

int levee_endpoint_port(const levee_endpoint *ep) {
  switch (family_of(ep)) {
    case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in *>(ep->addr)->sin_port);
    case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6 *>(ep->addr)->sin6_port);
    default: return -1;
  }
}

int levee_endpoint_host(const levee_endpoint *ep, char *buf, size_t len) {
  char text[INET6_ADDRSTRLEN];
  switch (family_of(ep)) {
    case AF_INET:
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(ep->addr)->sin_addr, text, sizeof text);
      break;
    case AF_INET6:
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(ep->addr)->sin6_addr, text, sizeof text);
      break;
    default: return LEVEE_EINVAL;
  }
  return put(buf, len, text);
}

int levee_endpoint_format(const levee_endpoint *ep, char *buf, size_t len) {
  return levee::guard([&]() -> int {
    int family = family_of(ep);
    if (family == AF_UNIX) {
      auto *un = reinterpret_cast<const sockaddr_un *>(ep->addr);
      size_t n = ep->len - offsetof(sockaddr_un, sun_path);
      if (n && un->sun_path[0] == 0) return put(buf, len, "@" + std::string(un->sun_path + 1, n - 1));
      return put(buf, len, std::string_view(un->sun_path, strnlen(un->sun_path, n)));
    }
    char host[INET6_ADDRSTRLEN];
    int rc = levee_endpoint_host(ep, host, sizeof host);
    if (rc < 0) return rc;
    char out[INET6_ADDRSTRLEN + 10];
    snprintf(out, sizeof out, family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, levee_endpoint_port(ep));
    return put(buf, len, out);
  });
}

int levee_endpoint_sockname(int fd, levee_endpoint *out) {
  if (!out) return LEVEE_EINVAL;
  socklen_t n = sizeof out->addr;
  int rc = getsockname(fd, sa(out), &n);
  if (rc < 0) return levee::last_errno_code();
  out->len = n;
  return 0;
}

int levee_endpoint_peername(int fd, levee_endpoint *out) {
  if (!out) return LEVEE_EINVAL;
  socklen_t n = sizeof out->addr;
  int rc = getpeername(fd, sa(out), &n);
  if (rc < 0) return levee::last_errno_code();
  out->len = n;
  return 0;
}

int levee_resolve(const char *host, const char *service, int family, int socktype,
                  levee_endpoint *out, int max) {
  if (!out || max <= 0) return LEVEE_EINVAL;
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = socktype ? socktype : SOCK_STREAM;
  // No AI_ADDRCONFIG: a host with only loopback must still resolve names.
  addrinfo *res = nullptr;
  int rc = getaddrinfo(host ? host : "127.0.0.1", service ? service : "0", &hints, &res);
  if (rc != 0) return eai_code(rc);
  int n = 0;
  for (addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof out[n].addr) continue;
    memset(&out[n], 0, sizeof out[n]);
    memcpy(out[n].addr, ai->ai_addr, ai->ai_addrlen);
    out[n].len = ai->ai_addrlen;
    n++;
  }
  freeaddrinfo(res);
  return n ? n : LEVEE_EAI_NODATA;
}

int levee_socket_open(int family, int type) {
  return sys(socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

int levee_socket_connect(int fd, const levee_endpoint *ep) {
  if (!ep || !ep->len) return LEVEE_EINVAL;
  int rc;
  do rc = connect(fd, sa(ep), ep->len);
  while (rc < 0 && errno == EINTR);
  if (rc == 0) return 0;
  if (errno == EINPROGRESS || errno == EAGAIN) return LEVEE_EINPROGRESS;
  return levee::last_errno_code();
}

int levee_socket_error(int fd) {
  int err = 0;
  socklen_t n = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0) return levee::last_errno_code();
  return err ? levee::errno_code(err) : 0;
}

int levee_socket_bind(int fd, const levee_endpoint *ep) {
  if (!ep || !ep->len) return LEVEE_EINVAL;
  if (family_of(ep) != AF_UNIX) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  return sys(bind(fd, sa(ep), ep->len)) < 0 ? levee::last_errno_code() : 0;
}

int levee_socket_listen(int fd, int backlog) { return sys(listen(fd, backlog)) < 0 ? levee::last_errno_code() : 0; }

int levee_socket_accept(int fd, levee_endpoint *peer) {
  levee_endpoint scratch;
  levee_endpoint *ep = peer ? peer : &scratch;
  socklen_t n = sizeof ep->addr;
  int rc;
  do rc = accept4(fd, sa(ep), &n, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return levee::last_errno_code();
  ep->len = n;
  return rc;
}

int levee_socket_shutdown(int fd, int how) { return sys(shutdown(fd, how)) < 0 ? levee::last_errno_code() : 0; }

int levee_socket_setopt(int fd, const char *name, int value) {
  if (name && !strcmp(name, "linger")) {
    linger l{value >= 0, value >= 0 ? value : 0};
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0 ? levee::last_errno_code() : 0;
  }
  const Option *o = option(name);
  if (!o) return LEVEE_ENOENT;
  return setsockopt(fd, o->level, o->opt, &value, sizeof value) < 0 ? levee::last_errno_code() : 0;
}

int levee_socket_getopt(int fd, const char *name, int *value) {
  if (!value) return LEVEE_EINVAL;
  if (name && !strcmp(name, "error")) {
    int rc = levee_socket_error(fd);
    *value = rc;
    return 0;
  }
  if (name && !strcmp(name, "linger")) {
    linger l{};
    socklen_t n = sizeof l;
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &n) < 0) return levee::last_errno_code();
    *value = l.l_onoff ? l.l_linger : -1;
    return 0;
  }
  const Option *o = option(name);
  if (!o) return LEVEE_ENOENT;
  socklen_t n = sizeof *value;
  return getsockopt(fd, o->level, o->opt, value, &n) < 0 ? levee::last_errno_code() : 0;
}

int levee_socket_sendfd(int fd, int passfd, const void *data, size_t len) {
  if (!data || !len) return LEVEE_EINVAL;
  iovec iov{const_cast<void *>(data), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? levee::last_errno_code() : int(n);
}

int levee_socket_recvfd(int fd, void *data, size_t len, int *passfd) {
  if (!data || !passfd) return LEVEE_EINVAL;
  *passfd = -1;
  iovec iov{data, len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return levee::last_errno_code();
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const auto *fds = reinterpret_cast<const int *>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) {
      if (*passfd < 0) memcpy(passfd, &fds[i], sizeof(int));
      else close(fds[i]);  // only one fd is taken; never leak the rest
    }
  }
  return int(n);
}

}  // extern "C"
