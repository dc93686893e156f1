// levee_thread_*: OS threads that run a Lua chunk in a Lua state of their
// own. liblevee never links Lua: the binding passes the entry points
// (levee_lua_api), and the chunk loads levee itself. The thread announces
// the end of its work on an eventfd, so the starting hub can wait for it
// like for any fd and then join without blocking.
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "internal.h"

namespace {

using lua_State = void;
using newstate_fn = lua_State *(*)();
using openlibs_fn = void (*)(lua_State *);
using loadbuffer_fn = int (*)(lua_State *, const char *, size_t, const char *);
using pushlightuserdata_fn = void (*)(lua_State *, void *);
using pcall_fn = int (*)(lua_State *, int, int, int);
using tolstring_fn = const char *(*)(lua_State *, int, size_t *);
using close_fn = void (*)(lua_State *);

}  // namespace

struct levee_thread {
  std::atomic<int> refs{2};  // the handle and the running thread
  pthread_t tid{};
  int efd = -1;
  std::atomic<bool> done{false};
  bool joined = false;
  int status = 0;
  std::string error;
  levee_lua_api api{};
  std::string boot;
  levee_chan *inbox = nullptr;
};

namespace {

void unref(levee_thread *t) {
  if (t->refs.fetch_sub(1) != 1) return;
  close(t->efd);
  delete t;
}

void *thread_main(void *p) {
  auto *t = static_cast<levee_thread *>(p);
  const levee_lua_api &api = t->api;
  lua_State *L = reinterpret_cast<newstate_fn>(api.luaL_newstate)();
  if (!L) {
    t->status = LEVEE_ENOMEM;
    t->error = "levee.thread: cannot make a Lua state";
  } else {
    reinterpret_cast<openlibs_fn>(api.luaL_openlibs)(L);
    int rc = reinterpret_cast<loadbuffer_fn>(api.luaL_loadbuffer)(L, t->boot.data(), t->boot.size(),
                                                                  "=levee.thread");
    if (rc == 0) {
      reinterpret_cast<pushlightuserdata_fn>(api.lua_pushlightuserdata)(L, t->inbox);
      rc = reinterpret_cast<pcall_fn>(api.lua_pcall)(L, 1, 0, 0);
    }
    if (rc != 0) {
      size_t n = 0;
      const char *msg = reinterpret_cast<tolstring_fn>(api.lua_tolstring)(L, -1, &n);
      try {
        t->error.assign(msg ? msg : "(error object is not a string)", msg ? n : 30);
      } catch (...) {
      }
      t->status = LEVEE_EUNKNOWN;
    }
    reinterpret_cast<close_fn>(api.lua_close)(L);
  }
  levee_chan_free(t->inbox);
  t->inbox = nullptr;
  t->done.store(true);
  uint64_t one = 1;
  (void)!write(t->efd, &one, sizeof one);
  unref(t);
  return nullptr;
}

}  // namespace

using namespace levee;

extern "C" {

int levee_thread_lua(levee_thread **out, const levee_lua_api *api, const char *boot, size_t len,
                     levee_chan *inbox) {
  // The inbox is the thread's from here on, whatever happens.
  struct Owned {
    levee_chan *c;
    ~Owned() { levee_chan_free(c); }
  } owned{inbox};
  return guard([&]() -> int {
    if (!out) return LEVEE_EINVAL;
    *out = nullptr;
    if (!api || !boot || !api->luaL_newstate || !api->luaL_openlibs || !api->luaL_loadbuffer ||
        !api->lua_pushlightuserdata || !api->lua_pcall || !api->lua_tolstring || !api->lua_close)
      return LEVEE_EINVAL;
    auto *t = new levee_thread;
    t->api = *api;
    try {
      t->boot.assign(boot, len);
    } catch (...) {
      delete t;
      throw;
    }
    t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->efd < 0) {
      int code = last_errno_code();
      delete t;
      return code;
    }
    t->inbox = owned.c;
    // The thread starts with every signal blocked: process-directed
    // signals go to threads that did not ask otherwise (levee_hub_signal
    // unblocks the ones a hub subscribes to).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->tid, nullptr, thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (rc != 0) {
      t->inbox = nullptr;
      close(t->efd);
      delete t;
      return errno_code(rc);
    }
    owned.c = nullptr;
    *out = t;
    return 0;
  });
}

int levee_thread_watch_fd(levee_thread *t) {
  if (!t) return LEVEE_EINVAL;
  int fd = fcntl(t->efd, F_DUPFD_CLOEXEC, 0);
  return fd < 0 ? last_errno_code() : fd;
}

int levee_thread_join(levee_thread *t) {
  if (!t) return LEVEE_EINVAL;
  if (!t->joined) {
    pthread_join(t->tid, nullptr);
    t->joined = true;
  }
  return t->status;
}

const char *levee_thread_error(const levee_thread *t) {
  if (!t || !t->done.load()) return "";
  return t->error.c_str();
}

int levee_thread_running(const levee_thread *t) { return t && !t->done.load() ? 1 : 0; }

void levee_thread_free(levee_thread *t) {
  if (!t) return;
  if (!t->joined) {
    if (t->done.load()) pthread_join(t->tid, nullptr);
    else pthread_detach(t->tid);
    t->joined = true;
  }
  unref(t);
}

}  // extern "C"
