// Signals as hub events. One process-wide handler per subscribed signal
// counts each delivery in every subscribed hub's SignalSource and writes
// that source's eventfd; the hub reports the counts as LEVEE_HUB_SIGNAL
// events. Every hub subscribed to a signal, in any OS thread, sees every
// delivery, and no thread has to keep the signal blocked (levee cannot
// arrange that for threads it did not make).
//
// The handler reads a copy-on-write table of subscribers. Writers publish
// a new table under a mutex and free the old one once no handler runs
// (g_inflight), so the handler takes no lock and never sees freed memory.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "internal.h"
#include "signals.h"

namespace levee {
namespace {

struct Table {
  std::vector<SignalSource *> subs[kSignals];
};

std::atomic<Table *> g_table{nullptr};
std::atomic<int> g_inflight{0};
std::atomic<uint64_t> g_fork_gen{0};
std::mutex g_lock;  // writers: g_table, g_old, g_installed
struct sigaction g_old[kSignals];
bool g_installed[kSignals];

void on_signal(int sig) {
  int saved = errno;
  g_inflight.fetch_add(1);
  Table *t = g_table.load();
  if (t && sig > 0 && sig < kSignals) {
    for (SignalSource *s : t->subs[sig]) {
      s->counts[sig].fetch_add(1, std::memory_order_acq_rel);
      uint64_t one = 1;
      (void)!write(s->efd, &one, sizeof one);
    }
  }
  g_inflight.fetch_sub(1);
  errno = saved;
}

// Replaces the table; the old one is freed once no handler can read it.
void publish(Table *next) {
  Table *old = g_table.exchange(next);
  while (g_inflight.load() != 0) sched_yield();
  delete old;
}

// Signals a hub may not take: uncatchable ones, and faults (a handler
// that returns would fault again at once).
bool takeable(int sig) {
  if (sig <= 0 || sig >= kSignals || sig >= NSIG) return false;
  switch (sig) {
    case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:
      return false;
    default:
      return sig < 32 || (sig >= SIGRTMIN && sig <= SIGRTMAX);
  }
}

// fork(): the child keeps no subscription (its hubs are the parent's and
// are refused), gets the previous actions back and a new generation.
void before_fork() { g_lock.lock(); }
void after_fork_parent() { g_lock.unlock(); }
void after_fork_child() {
  g_fork_gen.fetch_add(1);
  for (int sig = 1; sig < kSignals; ++sig) {
    if (g_installed[sig]) {
      sigaction(sig, &g_old[sig], nullptr);
      g_installed[sig] = false;
    }
  }
  g_table.store(nullptr);  // the parent's table stays with the parent's hubs
  g_lock.unlock();
}

struct AtFork {
  AtFork() { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }
} g_atfork;

}  // namespace

uint64_t fork_generation() noexcept { return g_fork_gen.load(std::memory_order_relaxed); }

SignalSource *signal_source_new() {
  auto *src = new SignalSource;
  src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (src->efd < 0) {
    int code = last_errno_code();
    delete src;
    fail(code);
  }
  return src;
}

int signal_subscribe(SignalSource *src, int sig, bool on) {
  if (!src || !takeable(sig)) return LEVEE_EINVAL;
  uint64_t bit = uint64_t(1) << (sig - 1);
  if (bool(src->mask & bit) == on) return 0;
  std::lock_guard<std::mutex> lock(g_lock);
  Table *cur = g_table.load();
  auto *next = cur ? new Table(*cur) : new Table;
  std::vector<SignalSource *> &subs = next->subs[sig];
  if (on) {
    subs.push_back(src);
  } else {
    for (size_t i = 0; i < subs.size(); ++i) {
      if (subs[i] == src) {
        subs.erase(subs.begin() + long(i));
        break;
      }
    }
  }
  if (on && !g_installed[sig]) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(sig, &sa, &g_old[sig]) != 0) {
      delete next;
      return last_errno_code();
    }
    g_installed[sig] = true;
  }
  if (on) {
    src->counts[sig].store(0);
    src->mask |= bit;
  } else {
    src->mask &= ~bit;
  }
  publish(next);
  if (on) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  } else if (g_installed[sig] && g_table.load()->subs[sig].empty()) {
    sigaction(sig, &g_old[sig], nullptr);
    g_installed[sig] = false;
  }
  return 0;
}

void signal_source_free(SignalSource *src) noexcept {
  if (!src) return;
  for (int sig = 1; sig < kSignals; ++sig) {
    if (src->mask & (uint64_t(1) << (sig - 1))) {
      try {
        signal_subscribe(src, sig, false);
      } catch (...) {
        panic("levee: cannot unsubscribe a signal");
      }
    }
  }
  close(src->efd);
  delete src;
}

}  // namespace levee

using namespace levee;

extern "C" {

int levee_signal_rtmin(void) { return SIGRTMIN; }

int levee_signal_rtmax(void) { return SIGRTMAX; }

const char *levee_signal_name(int32_t sig) {
  static const char *const names[32] = {
      nullptr,   "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
      "SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
      "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
      "SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
      "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
  static char rt[kSignals][16];
  static std::once_flag once;
  if (sig > 0 && sig < 32) return names[sig];
  if (sig < SIGRTMIN || sig > SIGRTMAX || sig >= kSignals) return nullptr;
  std::call_once(once, [] {
    for (int s = SIGRTMIN; s <= SIGRTMAX && s < kSignals; ++s) {
      if (s == SIGRTMIN) std::snprintf(rt[s], sizeof rt[s], "SIGRTMIN");
      else std::snprintf(rt[s], sizeof rt[s], "SIGRTMIN+%d", s - SIGRTMIN);
    }
  });
  return rt[sig];
}

int levee_signal_send(int32_t pid, int32_t sig) {
  if (sig < 0 || sig >= NSIG) return LEVEE_EINVAL;
  return kill(pid_t(pid), sig) == 0 ? 0 : last_errno_code();
}

int levee_signal_queue(int32_t pid, int32_t sig, int32_t value) {
  if (sig < 0 || sig >= NSIG) return LEVEE_EINVAL;
  union sigval v;
  v.sival_int = value;
  return sigqueue(pid_t(pid), sig, v) == 0 ? 0 : last_errno_code();
}

}  // extern "C"
