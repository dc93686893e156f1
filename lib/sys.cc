// Process facts: rusage, rss, hostname, open fd listing; OS constants by
// name for the bindings.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <vector>

#include "internal.h"

using namespace levee;

extern "C" int levee_sys_getrusage(int32_t who, levee_rusage *out) {
  if (!out) return LEVEE_EINVAL;
  rusage r{};
  if (getrusage(who, &r) < 0) return last_errno_code();
  out->utime = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
  out->stime = r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
  out->maxrss = r.ru_maxrss;
  out->minflt = r.ru_minflt;
  out->majflt = r.ru_majflt;
  out->inblock = r.ru_inblock;
  out->oublock = r.ru_oublock;
  out->nvcsw = r.ru_nvcsw;
  out->nivcsw = r.ru_nivcsw;
  return 0;
}

extern "C" int64_t levee_sys_rss(void) {
  FILE *f = std::fopen("/proc/self/statm", "re");
  if (!f) return last_errno_code();
  long size = 0, resident = 0;
  int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (got != 2) return LEVEE_EIO;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

extern "C" int levee_sys_gethostname(char *dst, size_t cap) {
  if (!dst || cap == 0) return LEVEE_EINVAL;
  if (gethostname(dst, cap) < 0) return last_errno_code();
  dst[cap - 1] = 0;
  return static_cast<int>(std::strlen(dst));
}

extern "C" int levee_sys_fds(int32_t *out, size_t cap) {
  if (!out && cap) return LEVEE_EINVAL;
  return guard([&]() -> int {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return last_errno_code();
    int self = dirfd(d);
    std::vector<int32_t> fds;
    try {
      while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd != self) fds.push_back(fd);
      }
    } catch (...) {
      closedir(d);
      throw;
    }
    closedir(d);
    std::sort(fds.begin(), fds.end());
    std::copy_n(fds.begin(), std::min(cap, fds.size()), out);
    return static_cast<int>(fds.size());
  });
}

extern "C" int levee_sys_fdcount(void) { return levee_sys_fds(nullptr, 0); }

namespace {

struct OsConstant {
  const char *name;
  int64_t value;
};

#define LEVEE_OS(name) {#name, static_cast<int64_t>(name)}
const OsConstant kOsConstants[] = {
    LEVEE_OS(AF_UNSPEC), LEVEE_OS(AF_UNIX), LEVEE_OS(AF_LOCAL), LEVEE_OS(AF_INET),
    LEVEE_OS(AF_INET6), LEVEE_OS(PF_UNIX), LEVEE_OS(PF_INET), LEVEE_OS(PF_INET6),
    LEVEE_OS(SOCK_STREAM), LEVEE_OS(SOCK_DGRAM), LEVEE_OS(SOCK_RAW), LEVEE_OS(SOCK_SEQPACKET),
    LEVEE_OS(SOCK_NONBLOCK), LEVEE_OS(SOCK_CLOEXEC), LEVEE_OS(SOL_SOCKET),
    LEVEE_OS(SO_REUSEADDR), LEVEE_OS(SO_ERROR), LEVEE_OS(SO_BROADCAST), LEVEE_OS(SO_SNDBUF),
    LEVEE_OS(SO_RCVBUF), LEVEE_OS(SO_KEEPALIVE), LEVEE_OS(SO_LINGER), LEVEE_OS(SO_REUSEPORT),
    LEVEE_OS(IPPROTO_IP), LEVEE_OS(IPPROTO_TCP), LEVEE_OS(IPPROTO_UDP), LEVEE_OS(IPPROTO_IPV6),
    LEVEE_OS(TCP_NODELAY), LEVEE_OS(IPV6_V6ONLY), LEVEE_OS(SHUT_RD), LEVEE_OS(SHUT_WR),
    LEVEE_OS(SHUT_RDWR), LEVEE_OS(INADDR_ANY), LEVEE_OS(INET_ADDRSTRLEN),
    LEVEE_OS(INET6_ADDRSTRLEN),
    LEVEE_OS(SIGHUP), LEVEE_OS(SIGINT), LEVEE_OS(SIGQUIT), LEVEE_OS(SIGKILL), LEVEE_OS(SIGUSR1),
    LEVEE_OS(SIGSEGV), LEVEE_OS(SIGUSR2), LEVEE_OS(SIGPIPE), LEVEE_OS(SIGALRM),
    LEVEE_OS(SIGTERM), LEVEE_OS(SIGCHLD), LEVEE_OS(SIGCONT), LEVEE_OS(SIGSTOP),
    LEVEE_OS(SIG_BLOCK), LEVEE_OS(SIG_UNBLOCK), LEVEE_OS(SIG_SETMASK),
    LEVEE_OS(F_DUPFD), LEVEE_OS(F_GETFD), LEVEE_OS(F_SETFD), LEVEE_OS(F_GETFL),
    LEVEE_OS(F_SETFL), LEVEE_OS(FD_CLOEXEC),
    LEVEE_OS(O_RDONLY), LEVEE_OS(O_WRONLY), LEVEE_OS(O_RDWR), LEVEE_OS(O_ACCMODE),
    LEVEE_OS(O_CREAT), LEVEE_OS(O_EXCL), LEVEE_OS(O_NOCTTY), LEVEE_OS(O_TRUNC),
    LEVEE_OS(O_APPEND), LEVEE_OS(O_NONBLOCK), LEVEE_OS(O_CLOEXEC),
    LEVEE_OS(F_OK), LEVEE_OS(X_OK), LEVEE_OS(W_OK), LEVEE_OS(R_OK),
    LEVEE_OS(WNOHANG), LEVEE_OS(WUNTRACED),
    LEVEE_OS(RUSAGE_SELF), LEVEE_OS(RUSAGE_CHILDREN), LEVEE_OS(RUSAGE_THREAD),
    LEVEE_OS(PR_SET_PDEATHSIG),
    LEVEE_OS(EAGAIN), LEVEE_OS(EWOULDBLOCK), LEVEE_OS(EINTR), LEVEE_OS(EINPROGRESS),
    LEVEE_OS(EPIPE),
    LEVEE_OS(EPOLLIN), LEVEE_OS(EPOLLOUT), LEVEE_OS(EPOLLERR), LEVEE_OS(EPOLLHUP),
    LEVEE_OS(EPOLLRDHUP), LEVEE_OS(EPOLLET), LEVEE_OS(EPOLL_CTL_ADD), LEVEE_OS(EPOLL_CTL_MOD),
    LEVEE_OS(EPOLL_CTL_DEL), LEVEE_OS(EPOLL_CLOEXEC),
    LEVEE_OS(SFD_NONBLOCK), LEVEE_OS(SFD_CLOEXEC),
    LEVEE_OS(CLOCK_REALTIME), LEVEE_OS(CLOCK_MONOTONIC),
};
#undef LEVEE_OS

}  // namespace

extern "C" int levee_os_constant(const char *name, int64_t *value) {
  if (!name || !value) return LEVEE_EINVAL;
  for (const OsConstant &c : kOsConstants) {
    if (std::strcmp(c.name, name) == 0) {
      *value = c.value;
      return 0;
    }
  }
  return LEVEE_ENOENT;
}
