// levee_process_*: child processes. The child is made with clone(CLONE_VM |
// CLONE_VFORK | CLONE_PIDFD) on a stack of its own, as glibc's posix_spawn
// does, so that levee can also set PR_SET_PDEATHSIG and reset signal
// handlers in the child. The child shares the parent's memory until it
// execs: it only makes system calls, and reports a failure (which step,
// which errno) through that shared memory before it exits, so an exec
// failure reaches the parent as an error code and no child is left.
//
// Reaping goes through the pidfd (waitid(P_PIDFD)): only levee's own
// children are reaped, and a kill after the reap can never reach a
// recycled pid (pidfd_send_signal).
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "internal.h"

extern char **environ;

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct levee_process {
  pid_t pid = -1;
  int pidfd = -1;
  int fds[3] = {-1, -1, -1};  // the parent's pipe ends, until taken
  int pdeathsig = 0;
  bool reaped = false;
  int exit_code = -1;
  int exit_signal = -1;
};

namespace levee {
namespace {

// Children freed while still running: reaped without blocking by later
// spawns and frees (waitpid on their own pid only).
std::mutex g_orphans_lock;
std::vector<pid_t> g_orphans;

void sweep_orphans() {
  std::lock_guard<std::mutex> lock(g_orphans_lock);
  for (size_t i = 0; i < g_orphans.size();) {
    int status;
    pid_t r = waitpid(g_orphans[i], &status, WNOHANG);
    if (r == 0) {
      ++i;
    } else {  // reaped, or not our child any more (ECHILD)
      g_orphans[i] = g_orphans.back();
      g_orphans.pop_back();
    }
  }
}

// What the child reads (the parent prepared everything: the child must not
// allocate) and where it reports a failure.
struct ChildArgs {
  const std::vector<std::string> *candidates;  // paths to try, in order
  char *const *argv;
  char *const *envp;
  const char *cwd;
  int src[3];     // what becomes fd i: an fd, or -1 for "close it"
  bool keep[3];   // fd i stays as it is (inherit), only made inheritable
  int pdeathsig;
  pid_t parent;
  // written by the child
  volatile int err;
  volatile int step;
};

enum Step { kStepSignals = 1, kStepStdio, kStepChdir, kStepExec, kStepPdeath };
const char *step_name(int step) {
  switch (step) {
    case kStepSignals: return "signals";
    case kStepStdio: return "stdio";
    case kStepChdir: return "chdir";
    case kStepPdeath: return "pdeathsig";
    default: return "exec";
  }
}

// Runs in the child, on its own stack, in the parent's memory. System
// calls only: no allocation, no locks, nothing another thread could hold.
__attribute__((no_sanitize("address", "undefined"))) int child_main(void *arg) {
  auto *a = static_cast<ChildArgs *>(arg);
  auto fail = [a](int step) {
    a->err = errno;
    a->step = step;
    _exit(127);
  };
  // Handlers of the parent must never run here (they would run on the
  // parent's data): back to the defaults, SIGPIPE and SIGXFSZ included
  // (levee ignores SIGPIPE; a child expects its default).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, nullptr, &sa) != 0) continue;
    if (sa.sa_handler == SIG_DFL) continue;
    if (sa.sa_handler == SIG_IGN && sig != SIGPIPE && sig != SIGXFSZ) continue;
    sigaction(sig, &dfl, nullptr);
  }
  if (a->pdeathsig) {
    if (prctl(PR_SET_PDEATHSIG, a->pdeathsig) != 0) fail(kStepPdeath);
    // The parent may have gone before the prctl took effect.
    if (getppid() != a->parent) kill(getpid(), a->pdeathsig);
  }
  // Move sources that sit on 0..2 out of the way first, so that a mapping
  // such as {1, 0, 2} (swap) does not overwrite one it still needs.
  int src[3];
  for (int i = 0; i < 3; ++i) {
    src[i] = a->src[i];
    if (!a->keep[i] && src[i] >= 0 && src[i] < 3) {
      src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
      if (src[i] < 0) fail(kStepStdio);
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (a->keep[i]) {
      // inherit: clear close-on-exec should the parent have set it
      int flags = fcntl(i, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC)) fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
    } else if (src[i] < 0) {
      close(i);
    } else if (dup2(src[i], i) < 0) {
      fail(kStepStdio);
    }
  }
  // Every other fd closes on exec, whoever opened it without O_CLOEXEC.
  if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
    struct rlimit rl;
    rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    for (rlim_t fd = 3; fd < max && fd < INT_MAX; ++fd) fcntl(int(fd), F_SETFD, FD_CLOEXEC);
  }
  if (a->cwd && chdir(a->cwd) != 0) fail(kStepChdir);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // execvp's rules: try each candidate; remember EACCES, skip ENOENT and
  // ENOTDIR, stop at anything else.
  int err = ENOENT;
  bool denied = false;
  for (const std::string &path : *a->candidates) {
    execve(path.c_str(), a->argv, a->envp);
    int e = errno;
    if (e == EACCES) {
      denied = true;
    } else if (e != ENOENT && e != ENOTDIR) {
      err = e;
      break;
    }
  }
  if (denied && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  errno = err;
  fail(kStepExec);
  return 127;
}

// The paths execvp would try for file.
std::vector<std::string> candidates(const char *file) {
  std::vector<std::string> out;
  if (std::strchr(file, '/')) {
    out.emplace_back(file);
    return out;
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/bin:/usr/bin";
  for (const char *p = path;; ++p) {
    const char *end = std::strchr(p, ':');
    std::string dir = end ? std::string(p, end) : std::string(p);
    if (dir.empty()) dir.push_back('.');
    // built in place: `dir + "/" + file` and `dir = "."` trip GCC 12's -Wrestrict false
    // positive on std::string's operator+ (GCC bug 105329)
    dir += '/';
    dir += file;
    out.push_back(std::move(dir));
    if (!end) break;
    p = end;
  }
  return out;
}

void close_if(int &fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Fills exit_code / exit_signal from a waitid result.
void record(levee_process *p, const siginfo_t &info) {
  p->reaped = true;
  if (info.si_code == CLD_EXITED) {
    p->exit_code = info.si_status;
    p->exit_signal = 0;
  } else {
    p->exit_code = 0;
    p->exit_signal = info.si_status;
  }
  close_if(p->pidfd);
}

}  // namespace
}  // namespace levee

using namespace levee;

extern "C" {

int levee_process_spawn(levee_process **out, const char *file, const char *const *argv,
                        const char *const *envp, const char *cwd, const int32_t *stdio,
                        int32_t pdeathsig) {
  return guard([&]() -> int {
    if (out) *out = nullptr;
    if (!out || !file || !*file || !argv || !argv[0]) return LEVEE_EINVAL;
    if (pdeathsig < 0 || pdeathsig >= NSIG) return LEVEE_EINVAL;
    int map[3] = {LEVEE_STDIO_INHERIT, LEVEE_STDIO_INHERIT, LEVEE_STDIO_INHERIT};
    if (stdio) {
      for (int i = 0; i < 3; ++i) {
        if (stdio[i] < LEVEE_STDIO_CLOSE) return LEVEE_EINVAL;
        map[i] = stdio[i];
      }
    }
    clear_message();
    sweep_orphans();
    const std::vector<std::string> paths = candidates(file);

    auto *p = new levee_process;
    p->pdeathsig = pdeathsig;
    ChildArgs a{};
    a.candidates = &paths;
    a.argv = const_cast<char *const *>(argv);
    a.envp = const_cast<char *const *>(envp ? envp : environ);
    a.cwd = cwd;
    a.pdeathsig = pdeathsig;
    a.parent = getpid();
    int child_ends[3] = {-1, -1, -1};
    int devnull = -1;
    auto cleanup = [&]() {
      for (int &fd : child_ends) close_if(fd);
      close_if(devnull);
    };
    auto fail = [&](int code) {
      cleanup();
      for (int &fd : p->fds) close_if(fd);
      delete p;
      return code;
    };
    for (int i = 0; i < 3; ++i) {
      a.keep[i] = false;
      switch (map[i]) {
        case LEVEE_STDIO_PIPE: {
          int fds[2];
          if (pipe2(fds, O_CLOEXEC) != 0) return fail(last_errno_code());
          // fd 0 is written by the parent, 1 and 2 are read by it
          int parent_end = i == 0 ? fds[1] : fds[0];
          child_ends[i] = i == 0 ? fds[0] : fds[1];
          fcntl(parent_end, F_SETFL, fcntl(parent_end, F_GETFL) | O_NONBLOCK);
          p->fds[i] = parent_end;
          a.src[i] = child_ends[i];
          break;
        }
        case LEVEE_STDIO_INHERIT:
          a.keep[i] = true;
          a.src[i] = i;
          break;
        case LEVEE_STDIO_NULL:
          if (devnull < 0) devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
          if (devnull < 0) return fail(last_errno_code());
          a.src[i] = devnull;
          break;
        case LEVEE_STDIO_CLOSE:
          a.src[i] = -1;
          break;
        default:
          if (fcntl(map[i], F_GETFD) < 0) return fail(last_errno_code());
          if (map[i] == i) a.keep[i] = true;
          a.src[i] = map[i];
      }
    }

    const size_t stack_size = 256 * 1024;
    void *stack = mmap(nullptr, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) return fail(last_errno_code());
    // No signal handler may run in the child before it resets them, and
    // none of this thread's may run on the child's behalf meanwhile.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    a.err = 0;
    a.step = 0;
    int pidfd = -1;
    pid_t pid = clone(child_main, static_cast<char *>(stack) + stack_size,
                      CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, &pidfd);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    munmap(stack, stack_size);
    if (pid < 0) return fail(errno_code(clone_errno));
    cleanup();
    if (a.err) {
      // The child exited without running the program: reap it here.
      siginfo_t info;
      while (waitid(idtype_t(P_PIDFD), id_t(pidfd), &info, WEXITED) != 0 && errno == EINTR) {
      }
      close(pidfd);
      int code = errno_code(a.err);
      set_message("spawn %s: %s: %s", file, step_name(a.step), levee_strerror(code));
      for (int &fd : p->fds) close_if(fd);
      delete p;
      return code;
    }
    p->pid = pid;
    p->pidfd = pidfd;
    *out = p;
    return 0;
  });
}

int levee_process_pid(const levee_process *p) { return p ? p->pid : LEVEE_EINVAL; }

int levee_process_take_fd(levee_process *p, int32_t i) {
  if (!p || i < 0 || i > 2) return -1;
  int fd = p->fds[i];
  p->fds[i] = -1;
  return fd;
}

int levee_process_watch_fd(levee_process *p) {
  if (!p) return LEVEE_EINVAL;
  if (p->reaped || p->pidfd < 0) return LEVEE_ECHILD;
  int fd = fcntl(p->pidfd, F_DUPFD_CLOEXEC, 0);
  return fd < 0 ? last_errno_code() : fd;
}

int levee_process_wait(levee_process *p, int32_t block) {
  if (!p) return LEVEE_EINVAL;
  if (p->reaped) return 1;
  siginfo_t info;
  for (;;) {
    std::memset(&info, 0, sizeof info);
    int rc = waitid(idtype_t(P_PIDFD), id_t(p->pidfd), &info, WEXITED | (block ? 0 : WNOHANG));
    if (rc == 0) break;
    if (errno != EINTR) return last_errno_code();
  }
  if (info.si_pid == 0) return 0;  // still running (WNOHANG)
  record(p, info);
  return 1;
}

int levee_process_exit_code(const levee_process *p) { return p ? p->exit_code : -1; }

int levee_process_exit_signal(const levee_process *p) { return p ? p->exit_signal : -1; }

int levee_process_kill(levee_process *p, int32_t sig) {
  if (!p || sig < 0 || sig >= NSIG) return LEVEE_EINVAL;
  if (p->reaped || p->pidfd < 0) return LEVEE_ESRCH;
  if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, nullptr, 0) != 0) return last_errno_code();
  return 0;
}

void levee_process_free(levee_process *p) {
  if (!p) return;
  for (int &fd : p->fds) close_if(fd);
  if (!p->reaped && p->pidfd >= 0) {
    if (p->pdeathsig) syscall(SYS_pidfd_send_signal, p->pidfd, p->pdeathsig, nullptr, 0);
    if (levee_process_wait(p, 0) != 1) {
      try {
        std::lock_guard<std::mutex> lock(g_orphans_lock);
        g_orphans.push_back(p->pid);
      } catch (...) {
      }
    }
    close_if(p->pidfd);
  }
  delete p;
  sweep_orphans();
}

}  // extern "C"
