// levee_hub_*: the pull-model hub. libevent watches fds (edge-triggered,
// persistent); levee keeps its own (deadline, sequence) timer heap, because
// libevent's heap does not keep insertion order for equal deadlines, and
// gives libevent only the poll timeout. Callbacks stay inside the core: they
// append plain records that levee_hub_poll hands to the binding.
#include <event2/event.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <new>
#include <vector>

#include "internal.h"
#include "signals.h"

namespace {

double monotonic_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec / 1000000);
}

struct Timer {
  double deadline = 0;
  uint64_t seq = 0;
  uint64_t token = 0;
  int heap_index = -1;  // -1: free slot
};

}  // namespace

struct levee_hub;

namespace {

// One registered fd. Its libevent event (one for both directions: epoll
// registers the fd once anyway) lives in the same allocation, right after
// the Watch (event_assign; the size comes from libevent at run time, so a
// newer libevent's larger struct event still fits): memory per connection.
struct Watch {
  levee_hub *hub = nullptr;
  int fd = -1;
  uint64_t rtoken = 0, wtoken = 0;
  bool r = false, w = false;    // the directions registered
  bool added = false;  // the event is assigned and added
  bool priv = false;  // LEVEE_HUB_PRIVATE: not counted by levee_hub_registered
  bool fifo = false;  // a pipe: its hang-up arrives as plain readability

  struct event *ev() { return reinterpret_cast<struct event *>(this + 1); }

  static Watch *make(levee_hub *hub, int fd, uint64_t rtoken, uint64_t wtoken) {
    static_assert(sizeof(Watch) % alignof(void *) == 0, "the event after the Watch is aligned");
    void *mem = ::operator new(sizeof(Watch) + event_get_struct_event_size());
    return new (mem) Watch{hub, fd, rtoken, wtoken};
  }

  static void destroy(Watch *w) {
    if (w->added) event_del(w->ev());
    w->~Watch();
    ::operator delete(w);
  }
};

// epoll reports a pipe whose last writer closed as EPOLLHUP, which libevent
// folds into readability (EPOLLRDHUP, its EV_CLOSED, is for sockets only).
// A pipe's read event checks for it, so a reader learns of the hang-up as
// it does for a socket.
bool hung_up(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

}  // namespace

struct levee_hub {
  struct event_base *base = nullptr;
  struct event *wake_ev = nullptr;
  struct event *tick = nullptr;  // bounds a blocking poll
  int wake_fd = -1;
  double now = 0;
  bool wake_pending = false;
  uint64_t fork_gen = 0;  // levee::fork_generation() when made
  levee::SignalSource *sig = nullptr;  // made by the first levee_hub_signal
  struct event *sig_ev = nullptr;
  int private_count = 0;

  bool forked() const { return fork_gen != levee::fork_generation(); }

  std::vector<Timer> slots;
  std::vector<int> free_slots;
  std::vector<int> heap;  // slot indices ordered by (deadline, seq)
  uint64_t seq = 0;

  // registered fds, indexed by fd (fds are small and dense: a slot per fd
  // costs less than a hash node per watch)
  std::vector<Watch *> watches;
  int nwatches = 0;

  Watch *watch(int fd) const { return size_t(fd) < watches.size() ? watches[size_t(fd)] : nullptr; }
  std::deque<levee_event> pending;  // fd and wake events not yet pulled

  bool before(int a, int b) const {
    const Timer &x = slots[a], &y = slots[b];
    return x.deadline < y.deadline || (x.deadline == y.deadline && x.seq < y.seq);
  }
  void place(size_t i) {
    slots[heap[i]].heap_index = int(i);
  }
  void sift_up(size_t i) {
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!before(heap[i], heap[p])) break;
      std::swap(heap[i], heap[p]);
      place(i);
      place(p);
      i = p;
    }
  }
  void sift_down(size_t i) {
    size_t n = heap.size();
    for (;;) {
      size_t l = 2 * i + 1, m = i;
      if (l < n && before(heap[l], heap[m])) m = l;
      if (l + 1 < n && before(heap[l + 1], heap[m])) m = l + 1;
      if (m == i) break;
      std::swap(heap[i], heap[m]);
      place(i);
      place(m);
      i = m;
    }
  }
  void heap_remove(size_t i) {
    int slot = heap[i];
    size_t last = heap.size() - 1;
    if (i != last) {
      heap[i] = heap[last];
      place(i);
    }
    heap.pop_back();
    if (i != last) {
      sift_down(i);
      sift_up(i);
    }
    slots[slot].heap_index = -1;
    free_slots.push_back(slot);
  }

  void drop_signals() {
    if (sig_ev) event_free(sig_ev);
    levee::signal_source_free(sig);
    sig_ev = nullptr;
    sig = nullptr;
  }

  // Refreshes the clock, then fills events with the expired timers (in
  // deadline order) and the records already collected.
  int collect(levee_event *events, int max) {
    now = monotonic_ms();
    int n = 0;
    while (n < max && !heap.empty()) {
      int slot = heap[0];
      Timer &t = slots[slot];
      if (t.deadline > now) break;
      events[n++] = levee_event{t.token, LEVEE_HUB_TIMER, 0};
      heap_remove(0);
    }
    while (n < max && !pending.empty()) {
      levee_event e = pending.front();
      pending.pop_front();
      if (e.kind == LEVEE_HUB_WAKE) wake_pending = false;
      events[n++] = e;
    }
    return n;
  }

  void drop_watch(Watch *w) { Watch::destroy(w); }
};

namespace {

void on_fd(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  auto *w = static_cast<Watch *>(arg);
  levee_hub *hub = w->hub;
  // One event per fd for both directions (epoll registers the fd once
  // anyway); what says which are ready. The read side carries EV_CLOSED
  // for a peer hang-up (or a pipe's EPOLLHUP), reported as -1 so a reader
  // stops waiting.
  if (what & EV_CLOSED) {
    hub->pending.push_back(levee_event{w->rtoken, LEVEE_HUB_READ, -1});
  } else if (what & EV_READ) {
    hub->pending.push_back(levee_event{w->rtoken, LEVEE_HUB_READ, w->fifo && hung_up(w->fd) ? -1 : 1});
  }
  if (what & EV_WRITE) hub->pending.push_back(levee_event{w->wtoken, LEVEE_HUB_WRITE, 1});
}

void on_wake(evutil_socket_t fd, short, void *arg) {
  auto *hub = static_cast<levee_hub *>(arg);
  uint64_t n;
  while (read(fd, &n, sizeof n) == ssize_t(sizeof n)) {
  }
  if (!hub->wake_pending) {
    hub->wake_pending = true;
    hub->pending.push_back(levee_event{0, LEVEE_HUB_WAKE, 0});
  }
}

void on_tick(evutil_socket_t, short, void *) {}

void on_signal_fd(evutil_socket_t, short, void *arg) {
  auto *hub = static_cast<levee_hub *>(arg);
  levee::signal_collect(hub->sig, [hub](int sig, uint32_t count) {
    hub->pending.push_back(levee_event{uint64_t(sig), LEVEE_HUB_SIGNAL, int32_t(count)});
  });
}

// libevent logs failures to stderr; levee reports them as return codes.
void quiet_log(int, const char *) {}

}  // namespace

extern "C" {

double levee_clock_ms(void) { return monotonic_ms(); }

double levee_clock_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec / 1000000);
}

int levee_hub_new(levee_hub **out) {
  return levee::guard([&]() -> int {
    if (!out) return LEVEE_EINVAL;
    static std::once_flag quiet;
    std::call_once(quiet, [] { event_set_log_callback(quiet_log); });
    auto *hub = new levee_hub;
    auto fail = [&](int code) {
      if (hub->wake_ev) event_free(hub->wake_ev);
      if (hub->tick) event_free(hub->tick);
      if (hub->base) event_base_free(hub->base);
      if (hub->wake_fd >= 0) close(hub->wake_fd);
      delete hub;
      return code;
    };
    struct event_config *cfg = event_config_new();
    if (!cfg) return fail(LEVEE_ENOMEM);
    // The hub owns no signals (a signalfd per hub is the signal story) and
    // is used from one thread, so libevent needs no locks.
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    hub->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!hub->base) return fail(LEVEE_ENOMEM);
    hub->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (hub->wake_fd < 0) return fail(levee::last_errno_code());
    hub->wake_ev = event_new(hub->base, hub->wake_fd, EV_READ | EV_PERSIST, on_wake, hub);
    hub->tick = evtimer_new(hub->base, on_tick, nullptr);
    if (!hub->wake_ev || !hub->tick || event_add(hub->wake_ev, nullptr) < 0) return fail(LEVEE_ENOMEM);
    hub->now = monotonic_ms();
    hub->fork_gen = levee::fork_generation();
    *out = hub;
    return 0;
  });
}

void levee_hub_free(levee_hub *hub) {
  if (!hub) return;
  for (Watch *w : hub->watches)
    if (w) hub->drop_watch(w);
  hub->drop_signals();
  event_free(hub->wake_ev);
  event_free(hub->tick);
  event_base_free(hub->base);
  close(hub->wake_fd);
  delete hub;
}

int levee_hub_register(levee_hub *hub, int fd, int flags, uint64_t rtoken, uint64_t wtoken) {
  return levee::guard([&]() -> int {
    if (!hub || fd < 0 || !(flags & (LEVEE_HUB_R | LEVEE_HUB_W))) return LEVEE_EINVAL;
    if (hub->forked()) return LEVEE_EFORKED;
    if (hub->watch(fd)) return LEVEE_EEXIST;
    if (size_t(fd) >= hub->watches.size()) hub->watches.resize(size_t(fd) + 1 + size_t(fd) / 2, nullptr);
    auto *w = Watch::make(hub, fd, rtoken, wtoken);
    w->r = (flags & LEVEE_HUB_R) != 0;
    w->w = (flags & LEVEE_HUB_W) != 0;
    struct stat st;
    w->fifo = w->r && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
    short what = EV_ET | EV_PERSIST | (w->r ? EV_READ | EV_CLOSED : 0) | (w->w ? EV_WRITE : 0);
    errno = 0;
    bool ok = event_assign(w->ev(), hub->base, fd, what, on_fd, w) == 0 && event_add(w->ev(), nullptr) == 0;
    w->added = ok;
    if (!ok) {
      int code = errno == EBADF ? LEVEE_EBADF : errno ? levee::last_errno_code() : LEVEE_ENOMEM;
      hub->drop_watch(w);
      return code;
    }
    w->priv = (flags & LEVEE_HUB_PRIVATE) != 0;
    hub->watches[size_t(fd)] = w;
    hub->nwatches++;
    if (w->priv) hub->private_count++;
    return 0;
  });
}

int levee_hub_unregister(levee_hub *hub, int fd) {
  return levee::guard([&]() -> int {
    if (!hub) return LEVEE_EINVAL;
    Watch *w = fd < 0 ? nullptr : hub->watch(fd);
    if (!w) return LEVEE_ENOENT;
    hub->watches[size_t(fd)] = nullptr;
    hub->nwatches--;
    if (w->priv) hub->private_count--;
    // Drop readiness already collected for this fd: its tokens may be
    // reused by the binding for the next fd with the same number.
    for (auto e = hub->pending.begin(); e != hub->pending.end();) {
      bool mine = (e->kind == LEVEE_HUB_READ && w->r && e->token == w->rtoken) ||
                  (e->kind == LEVEE_HUB_WRITE && w->w && e->token == w->wtoken);
      e = mine ? hub->pending.erase(e) : e + 1;
    }
    hub->drop_watch(w);
    return 0;
  });
}

int levee_hub_registered(const levee_hub *hub) {
  return hub ? hub->nwatches - hub->private_count : 0;
}

int levee_hub_timer_add(levee_hub *hub, double deadline_ms, uint64_t token) {
  return levee::guard([&]() -> int {
    if (!hub || std::isnan(deadline_ms)) return LEVEE_EINVAL;
    if (hub->heap.size() >= size_t(INT32_MAX)) return LEVEE_ENOMEM;
    int slot;
    if (!hub->free_slots.empty()) {
      slot = hub->free_slots.back();
      hub->free_slots.pop_back();
    } else {
      hub->slots.emplace_back();
      slot = int(hub->slots.size() - 1);
    }
    Timer &t = hub->slots[slot];
    t.deadline = deadline_ms;
    t.seq = hub->seq++;
    t.token = token;
    try {
      hub->heap.push_back(slot);
    } catch (...) {
      hub->free_slots.push_back(slot);
      throw;
    }
    hub->place(hub->heap.size() - 1);
    hub->sift_up(hub->heap.size() - 1);
    return slot;
  });
}

int levee_hub_timer_cancel(levee_hub *hub, int slot, uint64_t token) {
  if (!hub || slot < 0 || size_t(slot) >= hub->slots.size()) return LEVEE_ENOENT;
  Timer &t = hub->slots[slot];
  if (t.heap_index < 0 || t.token != token) return LEVEE_ENOENT;
  hub->heap_remove(size_t(t.heap_index));
  return 0;
}

int levee_hub_timers(const levee_hub *hub) { return hub ? int(hub->heap.size()) : 0; }

int levee_hub_poll(levee_hub *hub, double timeout_ms, levee_event *events, int max) {
  return levee::guard([&]() -> int {
    if (!hub || !events || max <= 0 || std::isnan(timeout_ms)) return LEVEE_EINVAL;
    if (hub->forked()) return LEVEE_EFORKED;
    if (hub->pending.empty()) {
      // Wait no longer than the caller allows nor past the earliest timer.
      double wait = timeout_ms;
      if (!hub->heap.empty()) {
        double until = hub->slots[hub->heap[0]].deadline - monotonic_ms();
        if (until < 0) until = 0;
        if (wait < 0 || until < wait) wait = until;
      }
      if (wait == 0) {
        event_base_loop(hub->base, EVLOOP_NONBLOCK);
      } else if (wait > 0) {
        double ms = std::ceil(wait);
        struct timeval tv = {time_t(ms / 1000), suseconds_t(std::fmod(ms, 1000.0) * 1000)};
        evtimer_add(hub->tick, &tv);
        event_base_loop(hub->base, EVLOOP_ONCE);
        evtimer_del(hub->tick);
      } else {
        event_base_loop(hub->base, EVLOOP_ONCE);
      }
    } else {
      event_base_loop(hub->base, EVLOOP_NONBLOCK);
    }
    return hub->collect(events, max);
  });
}

int levee_hub_expire(levee_hub *hub, levee_event *events, int max) {
  return levee::guard([&]() -> int {
    if (!hub || !events || max <= 0) return LEVEE_EINVAL;
    if (hub->forked()) return LEVEE_EFORKED;
    return hub->collect(events, max);
  });
}

double levee_hub_now(const levee_hub *hub) { return hub ? hub->now : monotonic_ms(); }

double levee_hub_update_time(levee_hub *hub) {
  double now = monotonic_ms();
  if (hub) hub->now = now;
  return now;
}

int levee_hub_signal(levee_hub *hub, int32_t sig, int32_t on) {
  return levee::guard([&]() -> int {
    if (!hub) return LEVEE_EINVAL;
    if (hub->forked()) return LEVEE_EFORKED;
    if (!hub->sig) {
      if (!on) return 0;
      levee::SignalSource *src = levee::signal_source_new();
      struct event *ev = event_new(hub->base, src->efd, EV_READ | EV_PERSIST, on_signal_fd, hub);
      if (!ev || event_add(ev, nullptr) < 0) {
        if (ev) event_free(ev);
        levee::signal_source_free(src);
        return LEVEE_ENOMEM;
      }
      hub->sig = src;
      hub->sig_ev = ev;
    }
    int rc = levee::signal_subscribe(hub->sig, sig, on != 0);
    if (rc < 0 || on) {
      if (rc < 0 && hub->sig->mask == 0) hub->drop_signals();
      return rc;
    }
    // Deliveries not yet pulled are dropped with the subscription.
    for (auto e = hub->pending.begin(); e != hub->pending.end();) {
      bool mine = e->kind == LEVEE_HUB_SIGNAL && e->token == uint64_t(sig);
      e = mine ? hub->pending.erase(e) : e + 1;
    }
    // No subscription left: the eventfd goes too (fd counts come back).
    if (hub->sig->mask == 0) hub->drop_signals();
    return 0;
  });
}

int levee_hub_wake(levee_hub *hub) {
  if (!hub) return LEVEE_EINVAL;
  uint64_t one = 1;
  if (write(hub->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN) return levee::last_errno_code();
  return 0;
}

}  // extern "C"
