// Signals for the hubs (lib/signal.cc), internal. A process-wide handler
// fans every delivery out to each hub subscribed to that signal: it counts
// the delivery in the hub's SignalSource and writes the source's eventfd,
// which the hub watches like any fd. (Named signals.h: lib/ is on the
// include path and must not shadow <signal.h>.)
#pragma once

#include <atomic>
#include <unistd.h>

#include <cstdint>

namespace levee {

constexpr int kSignals = 65;  // signal numbers 1..64

struct SignalSource {
  int efd = -1;                               // readable after a delivery
  std::atomic<uint32_t> counts[kSignals] = {};  // deliveries not yet collected
  uint64_t mask = 0;                           // bit (sig - 1): subscribed
};

// A source with its eventfd; throws levee::Error.
SignalSource *signal_source_new();
// Unsubscribes every signal, closes the eventfd, frees. NULL is a no-op.
void signal_source_free(SignalSource *src) noexcept;
// Subscribes (on != 0) or unsubscribes src to sig. The first subscription
// of a signal in the process installs levee's handler (and unblocks the
// signal in the calling thread); the last one restores the previous
// action. 0, LEVEE_EINVAL for a signal levee cannot take.
int signal_subscribe(SignalSource *src, int sig, bool on);
// Drains the eventfd; calls f(sig, count) for every subscribed signal
// delivered since the last call.
template <class F>
void signal_collect(SignalSource *src, F &&f) {
  uint64_t n;
  (void)!::read(src->efd, &n, sizeof n);
  for (int sig = 1; sig < kSignals; ++sig) {
    if (!(src->mask & (uint64_t(1) << (sig - 1)))) continue;
    uint32_t c = src->counts[sig].exchange(0, std::memory_order_acq_rel);
    if (c) f(sig, c);
  }
}

// Incremented in the child of every fork(): a hub made under another
// generation belongs to the parent process.
uint64_t fork_generation() noexcept;

}  // namespace levee
