// Non-blocking sockets and fds: thin syscalls returning -(errno) codes
// (LEVEE_EAGAIN instead of blocking, LEVEE_EPIPE instead of SIGPIPE), fd
// passing and socket options by name.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "internal.h"

static_assert(sizeof(levee_iovec_entry) == sizeof(iovec));
static_assert(LEVEE_AF_UNIX == AF_UNIX && LEVEE_AF_INET == AF_INET && LEVEE_AF_INET6 == AF_INET6 &&
                  LEVEE_AF_UNSPEC == AF_UNSPEC,
              "levee_af is the OS's AF_* (map them here on an OS where they differ)");
static_assert(int(LEVEE_SOCK_STREAM) == int(SOCK_STREAM) && int(LEVEE_SOCK_DGRAM) == int(SOCK_DGRAM) &&
                  int(LEVEE_SOCK_RAW) == int(SOCK_RAW),
              "levee_socktype is the OS's SOCK_* (map them here on an OS where they differ)");

namespace levee {
namespace {

inline int64_t io_result(ssize_t n) { return n < 0 ? last_errno_code() : n; }
inline int rc_result(int rc) { return rc < 0 ? last_errno_code() : rc; }

bool valid_ep(const levee_endpoint *ep) {
  return ep && ep->af != 0 && ep->len > 0 && ep->len <= sizeof ep->addr;
}

void fill(levee_endpoint *ep, const sockaddr_storage &ss, socklen_t len) {
  std::memset(ep, 0, sizeof *ep);
  if (len > sizeof ep->addr) len = sizeof ep->addr;
  std::memcpy(ep->addr, &ss, len);
  ep->len = len;
  ep->af = ss.ss_family;
}

enum Kind { BOOL, INT, LINGER, RDONLY_BOOL, RDONLY_INT, FD_FLAG };
struct Opt {
  const char *name;
  int level, opt;
  Kind kind;
};
const Opt opts[] = {
    {"reuseaddr", SOL_SOCKET, SO_REUSEADDR, BOOL},
    {"reuseport", SOL_SOCKET, SO_REUSEPORT, BOOL},
    {"keepalive", SOL_SOCKET, SO_KEEPALIVE, BOOL},
    {"broadcast", SOL_SOCKET, SO_BROADCAST, BOOL},
    {"rcvbuf", SOL_SOCKET, SO_RCVBUF, INT},
    {"sndbuf", SOL_SOCKET, SO_SNDBUF, INT},
    {"rcvlowat", SOL_SOCKET, SO_RCVLOWAT, INT},
    {"sndlowat", SOL_SOCKET, SO_SNDLOWAT, INT},
    {"linger", SOL_SOCKET, SO_LINGER, LINGER},
    {"nodelay", IPPROTO_TCP, TCP_NODELAY, BOOL},
    {"keepidle", IPPROTO_TCP, TCP_KEEPIDLE, INT},
    {"keepintvl", IPPROTO_TCP, TCP_KEEPINTVL, INT},
    {"keepcnt", IPPROTO_TCP, TCP_KEEPCNT, INT},
    {"cork", IPPROTO_TCP, TCP_CORK, BOOL},
    {"quickack", IPPROTO_TCP, TCP_QUICKACK, BOOL},
    {"v6only", IPPROTO_IPV6, IPV6_V6ONLY, BOOL},
    {"oobinline", SOL_SOCKET, SO_OOBINLINE, BOOL},
    {"error", SOL_SOCKET, SO_ERROR, RDONLY_INT},
    {"acceptconn", SOL_SOCKET, SO_ACCEPTCONN, RDONLY_BOOL},
    {"type", SOL_SOCKET, SO_TYPE, RDONLY_INT},
    // fd flags, not socket options: level is the fcntl get command
    {"cloexec", F_GETFD, FD_CLOEXEC, FD_FLAG},
    {"nonblock", F_GETFL, O_NONBLOCK, FD_FLAG},
};

// fcntl flag o->opt of fd: 0/1, or -(errno); with set >= 0, sets it first.
int fd_flag(int fd, const Opt *o, int64_t set) {
  int getcmd = o->level, setcmd = getcmd == F_GETFD ? F_SETFD : F_SETFL;
  int fl = fcntl(fd, getcmd);
  if (fl < 0) return last_errno_code();
  if (set >= 0) {
    int want = set ? (fl | o->opt) : (fl & ~o->opt);
    if (want != fl && fcntl(fd, setcmd, want) < 0) return last_errno_code();
    fl = want;
  }
  return (fl & o->opt) ? 1 : 0;
}

const Opt *find_opt(const char *name) {
  if (!name) return nullptr;
  for (const Opt &o : opts)
    if (std::strcmp(o.name, name) == 0) return &o;
  return nullptr;
}

}  // namespace
}  // namespace levee

using namespace levee;

extern "C" int levee_socket_new(int32_t domain, int32_t type, int32_t protocol) {
  return rc_result(socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
}

extern "C" int levee_socket_pair(int32_t domain, int32_t type, int32_t *fds) {
  if (!fds) return LEVEE_EINVAL;
  int sv[2];
  if (socketpair(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) return last_errno_code();
  fds[0] = sv[0];
  fds[1] = sv[1];
  return 0;
}

extern "C" int levee_socket_bind(int32_t fd, const levee_endpoint *ep) {
  if (!valid_ep(ep)) return LEVEE_EINVAL;
  return rc_result(bind(fd, reinterpret_cast<const sockaddr *>(ep->addr), ep->len));
}

extern "C" int levee_socket_listen(int32_t fd, int32_t backlog) {
  return rc_result(listen(fd, backlog));
}

extern "C" int levee_socket_accept(int32_t fd, levee_endpoint *peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int c;
  do {
    c = accept4(fd, reinterpret_cast<sockaddr *>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
  } while (c < 0 && errno == EINTR);
  if (c < 0) return last_errno_code();
  if (peer) fill(peer, ss, len);
  return c;
}

extern "C" int levee_socket_connect(int32_t fd, const levee_endpoint *ep) {
  if (!valid_ep(ep)) return LEVEE_EINVAL;
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<const sockaddr *>(ep->addr), ep->len);
  } while (rc < 0 && errno == EINTR);
  return rc_result(rc);
}

extern "C" int levee_socket_error(int32_t fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return last_errno_code();
  return err ? errno_code(err) : 0;
}

extern "C" int levee_socket_shutdown(int32_t fd, int32_t how) {
  return rc_result(shutdown(fd, how));
}

extern "C" int levee_socket_sockname(int32_t fd, levee_endpoint *ep) {
  if (!ep) return LEVEE_EINVAL;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) < 0) return last_errno_code();
  fill(ep, ss, len);
  return 0;
}

extern "C" int levee_socket_peername(int32_t fd, levee_endpoint *ep) {
  if (!ep) return LEVEE_EINVAL;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) < 0) return last_errno_code();
  fill(ep, ss, len);
  return 0;
}

extern "C" int64_t levee_socket_send(int32_t fd, const void *buf, size_t len, int32_t flags) {
  if (!buf && len) return LEVEE_EINVAL;
  return io_result(send(fd, buf, len, flags | MSG_NOSIGNAL));
}

extern "C" int64_t levee_socket_recv(int32_t fd, void *buf, size_t len, int32_t flags) {
  if (!buf && len) return LEVEE_EINVAL;
  return io_result(recv(fd, buf, len, flags));
}

extern "C" int64_t levee_socket_sendto(int32_t fd, const void *buf, size_t len,
                                       const levee_endpoint *ep) {
  if ((!buf && len) || (ep && !valid_ep(ep))) return LEVEE_EINVAL;
  return io_result(sendto(fd, buf, len, MSG_NOSIGNAL,
                          ep ? reinterpret_cast<const sockaddr *>(ep->addr) : nullptr,
                          ep ? ep->len : 0));
}

extern "C" int64_t levee_socket_recvfrom(int32_t fd, void *buf, size_t len, levee_endpoint *ep) {
  if (!buf && len) return LEVEE_EINVAL;
  sockaddr_storage ss{};
  socklen_t sl = sizeof ss;
  ssize_t n = recvfrom(fd, buf, len, 0, reinterpret_cast<sockaddr *>(&ss), &sl);
  if (n < 0) return last_errno_code();
  if (ep) fill(ep, ss, sl);
  return n;
}

extern "C" int64_t levee_socket_sendfd(int32_t fd, int32_t passfd, const void *buf, size_t len) {
  if (!buf && len) return LEVEE_EINVAL;
  char zero = 0;
  iovec iov{len ? const_cast<void *>(buf) : &zero, len ? len : 1};
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
  std::memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  if (n < 0) return last_errno_code();
  return len ? n : 0;
}

extern "C" int64_t levee_socket_recvfd(int32_t fd, int32_t *passfd, void *buf, size_t len) {
  if (!passfd || (!buf && len)) return LEVEE_EINVAL;
  *passfd = -1;
  char zero;
  iovec iov{len ? buf : &zero, len ? len : 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return last_errno_code();
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int got;
      std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
      if (*passfd < 0) *passfd = got;
      else close(got);
    }
  }
  return len ? n : 0;
}

extern "C" int levee_socket_setopt(int32_t fd, const char *name, int64_t value) {
  const Opt *o = find_opt(name);
  if (!o) return LEVEE_ENOPROTOOPT;
  if (o->kind == RDONLY_BOOL || o->kind == RDONLY_INT) return LEVEE_EPERM;
  if (o->kind == FD_FLAG) {
    int rc = fd_flag(fd, o, value != 0);
    return rc < 0 ? rc : 0;
  }
  if (o->kind == LINGER) {
    linger l{};
    l.l_onoff = value >= 0;
    l.l_linger = value >= 0 ? static_cast<int>(value > INT_MAX ? INT_MAX : value) : 0;
    return rc_result(setsockopt(fd, o->level, o->opt, &l, sizeof l));
  }
  if (value > INT_MAX || value < INT_MIN) return LEVEE_EINVAL;
  int v = o->kind == BOOL ? value != 0 : static_cast<int>(value);
  return rc_result(setsockopt(fd, o->level, o->opt, &v, sizeof v));
}

extern "C" int levee_socket_getopt(int32_t fd, const char *name, int64_t *value) {
  const Opt *o = find_opt(name);
  if (!o) return LEVEE_ENOPROTOOPT;
  if (!value) return LEVEE_EINVAL;
  if (o->kind == FD_FLAG) {
    int rc = fd_flag(fd, o, -1);
    if (rc < 0) return rc;
    *value = rc;
    return 0;
  }
  if (o->kind == LINGER) {
    linger l{};
    socklen_t len = sizeof l;
    if (getsockopt(fd, o->level, o->opt, &l, &len) < 0) return last_errno_code();
    *value = l.l_onoff ? l.l_linger : -1;
    return 0;
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, o->level, o->opt, &v, &len) < 0) return last_errno_code();
  *value = o->kind == BOOL || o->kind == RDONLY_BOOL ? v != 0 : v;
  if (o->kind == RDONLY_INT && o->opt == SO_ERROR && v) *value = errno_code(v);
  return 0;
}

extern "C" int64_t levee_fd_read(int32_t fd, void *buf, size_t len) {
  if (!buf && len) return LEVEE_EINVAL;
  return io_result(read(fd, buf, len));
}

extern "C" int64_t levee_fd_pread(int32_t fd, void *buf, size_t len, int64_t offset) {
  if ((!buf && len) || offset < 0) return LEVEE_EINVAL;
  ssize_t n;
  do {
    n = pread(fd, buf, len, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  return io_result(n);
}

extern "C" int64_t levee_fd_write(int32_t fd, const void *buf, size_t len) {
  if (!buf && len) return LEVEE_EINVAL;
  return io_result(write(fd, buf, len));
}

extern "C" int64_t levee_fd_readv(int32_t fd, const levee_iovec_entry *iov, int32_t n) {
  if ((!iov && n) || n < 0) return LEVEE_EINVAL;
  return io_result(readv(fd, reinterpret_cast<const iovec *>(iov), n));
}

extern "C" int64_t levee_fd_writev(int32_t fd, const levee_iovec_entry *iov, int32_t n) {
  if ((!iov && n) || n < 0) return LEVEE_EINVAL;
  return io_result(writev(fd, reinterpret_cast<const iovec *>(iov), n));
}

extern "C" int levee_fd_close(int32_t fd) {
  // Linux releases the fd even when close reports EINTR: never retry.
  int rc = close(fd);
  if (rc < 0 && errno == EINTR) return 0;
  return rc_result(rc);
}

extern "C" int levee_fd_nonblock(int32_t fd, int32_t on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return last_errno_code();
  int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (want == fl) return 0;
  return rc_result(fcntl(fd, F_SETFL, want) < 0 ? -1 : 0);
}

extern "C" int levee_fd_is_nonblock(int32_t fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return last_errno_code();
  return (fl & O_NONBLOCK) ? 1 : 0;
}

extern "C" int levee_fd_pipe(int32_t *fds, int32_t nonblock) {
  if (!fds) return LEVEE_EINVAL;
  int p[2];
  if (pipe2(p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) < 0) return last_errno_code();
  fds[0] = p[0];
  fds[1] = p[1];
  return 0;
}

extern "C" int64_t levee_fd_sendfile(int32_t out_fd, int32_t in_fd, int64_t *offset, size_t len) {
  off_t off = offset ? static_cast<off_t>(*offset) : 0;
  ssize_t n = sendfile(out_fd, in_fd, offset ? &off : nullptr, len);
  if (n < 0) return last_errno_code();
  if (offset) *offset = off;
  return n;
}

extern "C" int64_t levee_fd_splice(int32_t in_fd, int32_t out_fd, size_t len, int32_t more) {
#ifdef __linux__
  unsigned flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0);
  return io_result(splice(in_fd, nullptr, out_fd, nullptr, len, flags));
#else
  (void)in_fd, (void)out_fd, (void)len, (void)more;
  return LEVEE_ENOSYS;
#endif
}

extern "C" int64_t levee_fd_tee(int32_t in_fd, int32_t out_fd, size_t len) {
#ifdef __linux__
  return io_result(tee(in_fd, out_fd, len, SPLICE_F_NONBLOCK));
#else
  (void)in_fd, (void)out_fd, (void)len;
  return LEVEE_ENOSYS;
#endif
}
