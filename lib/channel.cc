// levee_chan_*: the inbox of a receiving thread. Producers on any thread
// push nodes onto a lock-free multi-producer single-consumer queue
// (Vyukov's intrusive MPSC queue: one atomic exchange per push) and write
// the channel's eventfd only when the consumer may be asleep, so a burst
// costs one wake-up. The consumer pulls messages in batches of plain
// records (one call per batch, whatever the number of messages).
#include <sched.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "buffer.h"
#include "internal.h"

namespace {

struct Node {
  std::atomic<Node *> next{nullptr};
  bool small = false;  // a kSmallNode allocation: recycled through the node pool
  uint64_t recver = 0;
  int32_t type = LEVEE_VAL_NIL;
  int32_t err = 0;
  int64_t i = 0;
  double num = 0;
  void *ptr = nullptr;  // an owned payload (BUFFER, SENDER, DATA) or the bytes below
  size_t len = 0;
  // bytes of STRING, BYTES, MSGPACK, PICKLE follow
  char *bytes() { return reinterpret_cast<char *>(this + 1); }
};

bool owns_payload(int32_t type) {
  return type == LEVEE_VAL_BUFFER || type == LEVEE_VAL_SENDER || type == LEVEE_VAL_DATA;
}

bool has_bytes(int32_t type) {
  return type == LEVEE_VAL_STRING || type == LEVEE_VAL_BYTES || type == LEVEE_VAL_MSGPACK ||
         type == LEVEE_VAL_PICKLE;
}

// One recver of a channel, shared by its senders.
struct Binding {
  uint64_t id = 0;
  std::atomic<int> senders{0};
  std::atomic<bool> closed{false};
};

}  // namespace

struct levee_chan {
  // What producers write and what the consumer writes sit on separate
  // cache lines.
  alignas(64) std::atomic<Node *> head{nullptr};  // producers exchange it
  alignas(64) std::atomic<bool> signaled{false};  // efd written since the consumer re-armed
  alignas(64) Node *tail = nullptr;               // the consumer's
  Node stub;
  alignas(64) std::atomic<int> refs{1};  // the handle, and one per (strong) sender
  std::atomic<bool> closed{false};
  int efd = -1;

  std::mutex lock;  // bindings
  std::unordered_map<uint64_t, std::shared_ptr<Binding>> bindings;
  std::vector<Node *> batch;  // the last recv's nodes, freed by the next

  levee_chan() {
    head.store(&stub);
    tail = &stub;
  }

  // Pops the oldest node, or nullptr: the queue is empty, or (*busy) a
  // producer is between its two steps and the node comes in a moment.
  Node *dequeue(bool *busy) {
    *busy = false;
    Node *t = tail;
    Node *next = t->next.load(std::memory_order_acquire);
    if (t == &stub) {
      if (!next) {
        *busy = head.load() != &stub;
        return nullptr;
      }
      tail = next;
      t = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next) {
      tail = next;
      return t;
    }
    if (t != head.load()) {
      *busy = true;
      return nullptr;
    }
    stub.next.store(nullptr, std::memory_order_relaxed);
    Node *prev = head.exchange(&stub);
    prev->next.store(&stub, std::memory_order_release);
    next = t->next.load(std::memory_order_acquire);
    if (next) {
      tail = next;
      return t;
    }
    *busy = true;  // a producer got in before the stub
    return nullptr;
  }

  // Producers: pushes n unless the channel is closed (false then). One
  // atomic exchange; the eventfd is written only when the consumer has
  // re-armed it (found the queue empty), so pushes to a busy consumer make
  // no system call. signaled is read between the two steps of the push:
  // a consumer that re-armed after this read finds the node (or waits for
  // its link, see levee_chan_recv).
  bool push(Node *n) {
    if (closed.load(std::memory_order_relaxed)) return false;
    n->next.store(nullptr, std::memory_order_relaxed);
    Node *prev = head.exchange(n);
    bool armed = !signaled.load();
    prev->next.store(n, std::memory_order_release);
    if (armed && !signaled.exchange(true)) {
      uint64_t one = 1;
      (void)!write(efd, &one, sizeof one);
    }
    return true;
  }
};

struct levee_chan_sender {
  levee_chan *chan = nullptr;  // a reference when strong
  std::shared_ptr<Binding> binding;
  bool closed = false;
  // A sender inside a message queued on its own channel holds no
  // reference to it (it would keep a closed channel alive forever); it
  // takes one when it is received.
  bool strong = true;
};

namespace {

void free_node(Node *n);

// Frees every queued node, waiting out producers half-way through a push.
void drain(levee_chan *c) {
  bool busy = true;
  while (busy) {
    while (Node *n = c->dequeue(&busy)) free_node(n);
    if (busy) sched_yield();
  }
}

void unref(levee_chan *c) {
  if (c->refs.fetch_sub(1) != 1) return;
  drain(c);
  for (Node *n : c->batch) free_node(n);
  close(c->efd);
  delete c;
}

// The node pool. A node with at most kSmallBytes of inline bytes is a
// fixed-size allocation that receivers give back in chains (one CAS per
// batch) to a process-wide stack; a sending thread takes the whole stack
// into a cache of its own (one exchange) and allocates from it without
// atomics. Producer and consumer threads thus stop meeting in malloc's
// arena lock on every message. The stack keeps at most kPoolMax nodes.
constexpr size_t kSmallBytes = 64;
constexpr size_t kSmallNode = sizeof(Node) + kSmallBytes;
constexpr long kPoolMax = 65536;

std::atomic<Node *> g_pool{nullptr};
std::atomic<long> g_pool_count{0};

struct NodeCache {
  Node *head = nullptr;
  ~NodeCache() {
    while (Node *n = head) {
      head = n->next.load(std::memory_order_relaxed);
      std::free(n);
    }
  }
};
thread_local NodeCache t_cache;

// Gives a chain of small nodes (first .. last, count of them) back to the
// pool, or frees them when the pool is full.
void pool_give(Node *first, Node *last, long count) {
  if (g_pool_count.load(std::memory_order_relaxed) + count > kPoolMax) {
    for (Node *n = first; n;) {
      Node *next = n == last ? nullptr : n->next.load(std::memory_order_relaxed);
      std::free(n);
      n = next;
    }
    return;
  }
  g_pool_count.fetch_add(count, std::memory_order_relaxed);
  Node *top = g_pool.load(std::memory_order_relaxed);
  do {
    last->next.store(top, std::memory_order_relaxed);
  } while (!g_pool.compare_exchange_weak(top, first, std::memory_order_release,
                                         std::memory_order_relaxed));
}

Node *new_node(size_t extra) {
  if (extra <= kSmallBytes) {
    Node *n = t_cache.head;
    if (!n) {
      n = g_pool.exchange(nullptr, std::memory_order_acquire);
      if (n) g_pool_count.store(0, std::memory_order_relaxed);  // approximate
    }
    if (n) {
      t_cache.head = n->next.load(std::memory_order_relaxed);
    } else {
      n = static_cast<Node *>(std::malloc(kSmallNode));
      if (!n) levee::fail(LEVEE_ENOMEM);
    }
    Node *node = new (n) Node;
    node->small = true;
    return node;
  }
  void *mem = std::malloc(sizeof(Node) + extra);
  if (!mem) levee::fail(LEVEE_ENOMEM);
  return new (mem) Node;
}

// Frees what the node owns; true when the node itself can go to the pool.
bool release_node(Node *n) {
  if (owns_payload(n->type) && n->ptr) {
    if (n->type == LEVEE_VAL_BUFFER) levee_buffer_free(static_cast<levee_buffer *>(n->ptr));
    else if (n->type == LEVEE_VAL_SENDER) levee_chan_sender_free(static_cast<levee_chan_sender *>(n->ptr));
    else std::free(n->ptr);
  }
  bool small = n->small;
  n->~Node();
  return small;
}

void free_node(Node *n) {
  if (release_node(n)) pool_give(n, n, 1);
  else std::free(n);
}

// Frees a batch of nodes, the small ones back to the pool in one chain.
void free_batch(std::vector<Node *> &batch) {
  Node *first = nullptr, *last = nullptr;
  long count = 0;
  for (Node *n : batch) {
    if (!release_node(n)) {
      std::free(n);
      continue;
    }
    n->next.store(first, std::memory_order_relaxed);
    if (!first) last = n;
    first = n;
    count++;
  }
  batch.clear();
  if (first) pool_give(first, last, count);
}

// A new handle on binding b of channel c (a strong one takes a channel
// reference).
levee_chan_sender *make_sender(levee_chan *c, std::shared_ptr<Binding> b, bool strong = true) {
  auto *s = new levee_chan_sender;
  s->chan = c;
  s->binding = std::move(b);
  s->strong = strong;
  s->binding->senders.fetch_add(1);
  if (strong) c->refs.fetch_add(1);
  return s;
}

}  // namespace

using namespace levee;

extern "C" {

int levee_chan_new(levee_chan **out) {
  return guard([&]() -> int {
    if (!out) return LEVEE_EINVAL;
    *out = nullptr;
    auto *c = new levee_chan;
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->efd < 0) {
      int code = last_errno_code();
      delete c;
      return code;
    }
    *out = c;
    return 0;
  });
}

int levee_chan_close(levee_chan *c) {
  if (!c) return LEVEE_EINVAL;
  if (c->closed.exchange(true)) return 0;
  {
    std::lock_guard<std::mutex> lock(c->lock);
    for (auto &kv : c->bindings) kv.second->closed.store(true);
    c->bindings.clear();
  }
  drain(c);
  for (Node *n : c->batch) free_node(n);
  c->batch.clear();
  return 0;
}

void levee_chan_free(levee_chan *c) {
  if (!c) return;
  levee_chan_close(c);
  unref(c);
}

int levee_chan_watch_fd(levee_chan *c) {
  if (!c) return LEVEE_EINVAL;
  int fd = fcntl(c->efd, F_DUPFD_CLOEXEC, 0);
  return fd < 0 ? last_errno_code() : fd;
}

int levee_chan_bind(levee_chan *c, uint64_t id) {
  return guard([&]() -> int {
    if (!c) return LEVEE_EINVAL;
    std::lock_guard<std::mutex> lock(c->lock);
    if (c->closed.load()) return LEVEE_CLOSED;
    auto &slot = c->bindings[id];
    if (slot) return LEVEE_EEXIST;
    slot = std::make_shared<Binding>();
    slot->id = id;
    return 0;
  });
}

int levee_chan_unbind(levee_chan *c, uint64_t id) {
  if (!c) return LEVEE_EINVAL;
  std::lock_guard<std::mutex> lock(c->lock);
  auto it = c->bindings.find(id);
  if (it == c->bindings.end()) return LEVEE_ENOENT;
  it->second->closed.store(true);
  c->bindings.erase(it);
  return 0;
}

int levee_chan_recv(levee_chan *c, levee_chan_msg *out, int32_t max) {
  return guard([&]() -> int {
    if (!c || !out || max <= 0) return LEVEE_EINVAL;
    free_batch(c->batch);
    std::vector<Node *> dropped;
    int n = 0;
    bool armed = false;
    {
      std::lock_guard<std::mutex> lock(c->lock);
      uint64_t last_id = 0;
      bool last_bound = false, have_last = false;
      while (n < max) {
        bool busy;
        Node *node = c->dequeue(&busy);
        if (!node) {
          if (n > 0) break;
          if (armed) {
            // a producer that read signaled before the re-arm is linking
            // its node: it will not write the eventfd, so wait for it
            if (!busy) break;
            sched_yield();
            continue;
          }
          // Empty: re-arm the wake-up (drain the eventfd, clear signaled),
          // then look once more, for a push that saw signaled still set.
          uint64_t count;
          (void)!read(c->efd, &count, sizeof count);
          c->signaled.store(false);
          armed = true;
          continue;
        }
        if (!have_last || node->recver != last_id) {
          last_id = node->recver;
          last_bound = c->bindings.count(last_id) != 0;
          have_last = true;
        }
        if (!last_bound) {
          dropped.push_back(node);
          continue;
        }
        c->batch.push_back(node);
        levee_chan_msg &m = out[n++];
        m.recver = node->recver;
        m.type = node->type;
        m.err = node->err;
        m.i = node->i;
        m.num = node->num;
        m.len = node->len;
        m.ptr = node->ptr;
        if (node->type == LEVEE_VAL_SENDER) {
          auto *got = static_cast<levee_chan_sender *>(node->ptr);
          if (!got->strong) {
            got->strong = true;
            got->chan->refs.fetch_add(1);
          }
        }
        if (owns_payload(node->type)) node->ptr = nullptr;  // the caller's now
      }
    }
    for (Node *node : dropped) free_node(node);
    return n;
  });
}

int levee_chan_sender_new(levee_chan_sender **out, levee_chan *c, uint64_t id) {
  return guard([&]() -> int {
    if (!out || !c) return LEVEE_EINVAL;
    *out = nullptr;
    std::lock_guard<std::mutex> lock(c->lock);
    if (c->closed.load()) return LEVEE_CLOSED;
    auto it = c->bindings.find(id);
    if (it == c->bindings.end()) return LEVEE_ENOENT;
    *out = make_sender(c, it->second);
    return 0;
  });
}

int levee_chan_send(levee_chan_sender *s, int32_t err, int32_t type, int64_t i, double num,
                    const void *ptr, size_t len) {
  return guard([&]() -> int {
    if (!s) return LEVEE_EINVAL;
    if (s->closed || s->binding->closed.load(std::memory_order_relaxed)) return LEVEE_CLOSED;
    if (type < LEVEE_VAL_NIL || type > LEVEE_VAL_PICKLE) return LEVEE_EINVAL;
    if ((has_bytes(type) && len && !ptr) || (owns_payload(type) && !ptr)) return LEVEE_EINVAL;
    if (type == LEVEE_VAL_SENDER && static_cast<const levee_chan_sender *>(ptr)->closed)
      return LEVEE_EINVAL;
    Node *n = new_node(has_bytes(type) ? len : 0);
    n->recver = s->binding->id;
    n->type = type;
    n->err = err;
    n->i = i;
    n->num = num;
    n->len = len;
    if (has_bytes(type)) {
      if (len) std::memcpy(n->bytes(), ptr, len);
      n->ptr = n->bytes();
    } else if (type == LEVEE_VAL_BUFFER) {
      auto *b = static_cast<levee_buffer *>(calloc(1, sizeof(levee_buffer)));
      if (!b) {
        free_node(n);
        return LEVEE_ENOMEM;
      }
      n->ptr = b;
    } else if (type == LEVEE_VAL_SENDER) {
      const auto *other = static_cast<const levee_chan_sender *>(ptr);
      try {
        n->ptr = make_sender(other->chan, other->binding, other->chan != s->chan);
      } catch (...) {
        free_node(n);
        throw;
      }
    } else if (type == LEVEE_VAL_DATA) {
      n->ptr = const_cast<void *>(ptr);
    } else {
      n->len = 0;
    }
    if (type == LEVEE_VAL_BUFFER) {
      // move the bytes: the message's buffer takes the caller's storage
      std::swap(*static_cast<levee_buffer *>(n->ptr), *static_cast<levee_buffer *>(const_cast<void *>(ptr)));
      n->len = static_cast<levee_buffer *>(n->ptr)->len;
    }
    if (!s->chan->push(n)) {
      if (type == LEVEE_VAL_BUFFER) {
        std::swap(*static_cast<levee_buffer *>(n->ptr), *static_cast<levee_buffer *>(const_cast<void *>(ptr)));
      } else if (type == LEVEE_VAL_DATA) {
        n->ptr = nullptr;  // still the caller's
      }
      free_node(n);
      return LEVEE_CLOSED;
    }
    return 0;
  });
}

int levee_chan_sender_same(const levee_chan_sender *a, const levee_chan_sender *b) {
  return a && b && a->chan == b->chan && a->binding == b->binding;
}

int levee_chan_sender_close(levee_chan_sender *s) {
  return guard([&]() -> int {
    if (!s) return LEVEE_EINVAL;
    if (s->closed) return LEVEE_CLOSED;
    s->closed = true;
    if (s->binding->senders.fetch_sub(1) == 1 && !s->binding->closed.load()) {
      Node *n = new_node(0);
      n->recver = s->binding->id;
      n->type = LEVEE_CHAN_CLOSED;
      if (!s->chan->push(n)) free_node(n);
    }
    return 0;
  });
}

void levee_chan_sender_free(levee_chan_sender *s) {
  if (!s) return;
  if (!s->closed && levee_chan_sender_close(s) < 0) {
    // out of memory for the CLOSED message: the count is still right
  }
  levee_chan *c = s->chan;
  bool strong = s->strong;
  delete s;
  if (strong) unref(c);
}

}  // extern "C"
