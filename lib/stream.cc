// levee_stream_*: see lib/stream.h and the stream section of levee.h.
//
// The stream owns the loops every binding used to write for itself (short
// writes, EINTR, EAGAIN, iovec bookkeeping, buffer tails); a Transport owns
// single steps. The plain transport below is the fd itself.
#include "stream.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "buffer.h"
#include "internal.h"

namespace levee {
namespace {

constexpr bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }
constexpr bool is_want(int64_t r) { return r == LEVEE_WANT_READ || r == LEVEE_WANT_WRITE; }

// The fd itself. Reads from sockets go through recv, writes through
// send/sendmsg with MSG_NOSIGNAL (never SIGPIPE); the first call that says
// ENOTSOCK makes the stream use read/write/writev from then on. recv skips
// the file layer of read(2) (fdget_pos, rw_verify_area, fsnotify): about
// 60 ns less per call on a socket, one call per request of a server.
class Plain final : public Transport {
 public:
  int handshake(int) override { return 0; }

  int64_t read(int fd, void *dst, size_t n) override {
    for (;;) {
      ssize_t r = socket_ ? ::recv(fd, dst, n, 0) : ::read(fd, dst, n);
      if (r > 0) return r;
      if (r == 0) return LEVEE_CLOSED;
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && socket_) {
        socket_ = false;
        continue;
      }
      if (would_block(errno)) return LEVEE_WANT_READ;
      return last_errno_code();
    }
  }

  int64_t write(int fd, const void *src, size_t n) override {
    return put([&](bool sock) { return sock ? ::send(fd, src, n, MSG_NOSIGNAL) : ::write(fd, src, n); });
  }

  int64_t writev(int fd, const iovec *iov, int cnt) override {
    size_t bytes = 0;
    for (int i = 0; i < cnt; ++i) bytes += iov[i].iov_len;
    if (!bytes) return 0;
    return put([&](bool sock) {
      if (!sock) return ::writev(fd, iov, cnt);
      msghdr msg{};
      msg.msg_iov = const_cast<iovec *>(iov);
      msg.msg_iovlen = cnt;
      return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    });
  }

  bool raw() const override { return true; }

  bool short_read_drains() const override { return true; }

 private:
  // One write step: call(socket) makes the system call (send/sendmsg while
  // the fd may be a socket, write/writev once it is known not to be).
  template <class Call>
  int64_t put(Call call) {
    for (;;) {
      ssize_t r = call(socket_);
      if (r > 0) return r;
      if (r == 0) return LEVEE_WANT_WRITE;
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && socket_) {
        socket_ = false;
        continue;
      }
      if (would_block(errno)) return LEVEE_WANT_WRITE;
      return last_errno_code();
    }
  }

  bool socket_ = true;  // until a recv or send says ENOTSOCK
};

// Drops the first n bytes of the cnt entries at v (after a gathered
// write): whole entries get length 0, a partly written one moves forward.
void advance(levee_iovec_entry *v, int cnt, size_t n) {
  for (int i = 0; i < cnt && n; ++i) {
    size_t k = std::min(n, v[i].len);
    v[i].base = static_cast<const uint8_t *>(v[i].base) + k;
    v[i].len -= k;
    n -= k;
  }
}

// Gathered writes until every entry went or the stream would block.
// entries() gives (first live entry, count) or count 0 when done; done(n)
// records n bytes written.
template <class Entries, class Done>
int64_t gather(levee_stream *s, Entries entries, Done done) {
  int64_t total = 0;
  for (;;) {
    levee_iovec_entry *v;
    size_t cnt;
    entries(v, cnt);
    if (!cnt) return total;
    int k = static_cast<int>(std::min<size_t>(cnt, IOV_MAX));
    int64_t r = s->t->writev(s->fd, reinterpret_cast<const iovec *>(v), k);
    if (r >= 0) {  // 0: the k entries were all empty
      done(v, k, static_cast<size_t>(r));
      total += r;
      continue;
    }
    if (is_want(r)) {
      s->want = static_cast<int>(r);
      return total ? total : r;
    }
    return r;
  }
}

// Records what a read of n answering r says about the fd: the readiness to
// wait for, or (plain fds) that a short read drained it.
inline void after_read(levee_stream *s, int64_t r, size_t n) {
  bool short_read = r > 0 && static_cast<size_t>(r) < n;
  if (is_want(r) || (short_read && s->t->short_read_drains()))
    s->want = r > 0 ? LEVEE_WANT_READ : static_cast<int>(r);
  s->short_read = short_read || r == LEVEE_WANT_READ;
}

// Whether a read that returns fewer bytes than asked leaves nothing on fd
// until new bytes arrive (and with them a new readiness edge): true for a
// stream socket and a pipe; false for a tty (a canonical read stops at the
// end of a line), a datagram or seqpacket socket (one message per read)
// and anything else.
bool short_read_drains_fd(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0) return type == SOCK_STREAM;
  struct stat st;
  return errno == ENOTSOCK && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

void close_pipe(levee_stream *s) {
  for (int &p : s->pipe) {
    if (p >= 0) ::close(p);
    p = -1;
  }
  s->inflight = 0;
}

// Ends the transport, forgets the fd; returns it.
int detach(levee_stream *s) {
  int fd = s->fd;
  if (s->t) s->t->end(fd);
  s->t.reset();
  close_pipe(s);
  s->fd = -1;
  s->want = 0;
  s->short_read = false;
  s->drains = -1;
  return fd;
}

}  // namespace

void stream_set_transport(levee_stream *s, std::unique_ptr<Transport> t) {
  s->t = std::move(t);
  s->short_read = false;  // the new transport may hold bytes already
}

Transport *stream_transport(levee_stream *s) { return s->t.get(); }

}  // namespace levee

using levee::is_want;

namespace {

// What every call checks first: 0 for a stream that holds an fd, else the
// code to return.
inline int unusable(const levee_stream *s) { return !s ? LEVEE_EINVAL : s->fd < 0 ? LEVEE_EBADF : 0; }

}  // namespace

extern "C" {

int levee_stream_new(levee_stream **out, int32_t fd) {
  return levee::guard([&]() -> int {
    if (!out || fd < 0) return LEVEE_EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return levee::last_errno_code();
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return levee::last_errno_code();
    auto s = std::make_unique<levee_stream>();
    s->t = std::make_unique<levee::Plain>();
    s->fd = fd;
    *out = s.release();
    return 0;
  });
}

int levee_stream_open(levee_stream **out, const char *path, int32_t flags, int32_t mode) {
  return levee::guard([&]() -> int {
    if (!out || !path) return LEVEE_EINVAL;
    auto s = std::make_unique<levee_stream>();
    s->t = std::make_unique<levee::Plain>();
    int fd;
    do {
      fd = ::open(path, flags | O_CLOEXEC | O_NONBLOCK, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return levee::last_errno_code();
    s->fd = fd;
    *out = s.release();
    return 0;
  });
}

void levee_stream_free(levee_stream *s) {
  if (!s) return;
  int fd = levee::detach(s);
  if (fd >= 0) ::close(fd);
  delete s;
}

int levee_stream_fd(const levee_stream *s) { return s ? s->fd : -1; }

int64_t levee_stream_read(levee_stream *s, void *dst, size_t n) {
  if (int e = unusable(s)) return e;
  s->want = 0;
  if (!n) {
    s->short_read = false;  // the caller read the fd another way
    return 0;
  }
  if (!dst) return LEVEE_EINVAL;
  int64_t r = s->t->read(s->fd, dst, n);
  levee::after_read(s, r, n);
  return r;
}

int64_t levee_stream_read_buffer(levee_stream *s, levee_buffer *buf, size_t n) {
  return levee::guard([&]() -> int64_t {
    if (int e = unusable(s)) return e;
    if (!buf) return LEVEE_EINVAL;
    s->want = 0;
    if (n) {
      buf->ensure(n);
    } else {
      size_t free = std::max<size_t>(4096, std::min<size_t>(buf->cap / 2, 65536));
      if (buf->available() < free) buf->ensure(free);
      n = buf->available();
    }
    int64_t r = s->t->read(s->fd, buf->tail(), n);
    if (r > 0) buf->len += static_cast<size_t>(r);
    levee::after_read(s, r, n);
    return r;
  });
}

int64_t levee_stream_write(levee_stream *s, const void *src, size_t n) {
  if (int e = unusable(s)) return e;
  s->want = 0;
  if (!n) return 0;
  if (!src) return LEVEE_EINVAL;
  const auto *p = static_cast<const uint8_t *>(src);
  size_t done = 0;
  while (done < n) {
    int64_t r = s->t->write(s->fd, p + done, n - done);
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    if (is_want(r)) {
      s->want = static_cast<int>(r);
      return done ? static_cast<int64_t>(done) : r;
    }
    return r;
  }
  return static_cast<int64_t>(done);
}

int64_t levee_stream_writev(levee_stream *s, levee_iovec_entry *iov, int32_t n) {
  if (int e = unusable(s)) return e;
  s->want = 0;
  if (n < 0 || (!iov && n)) return LEVEE_EINVAL;
  // Entries are left as they are when everything goes (the usual single
  // writev), and advanced only once a write stopped short.
  int first = 0;
  bool done = false;
  return levee::gather(
      s,
      [&](levee_iovec_entry *&v, size_t &cnt) {
        while (!done && first < n && iov[first].len == 0) ++first;
        v = iov + first;
        cnt = done ? 0 : static_cast<size_t>(n - first);
      },
      [&](levee_iovec_entry *v, int k, size_t r) {
        if (first + k == n) {
          size_t bytes = 0;
          for (int i = 0; i < k; ++i) bytes += v[i].len;
          if (r == bytes) {
            done = true;
            return;
          }
        }
        levee::advance(v, k, r);
      });
}

int64_t levee_stream_write_buffer(levee_stream *s, levee_buffer *buf, size_t n) {
  if (int e = unusable(s)) return e;
  if (!buf) return LEVEE_EINVAL;
  n = std::min(n, buf->len);
  int64_t r = levee_stream_write(s, buf->value(), n);
  if (r > 0) buf->trim(static_cast<size_t>(r));
  return r;
}

int64_t levee_stream_write_iovec(levee_stream *s, levee_iovec *iov) {
  if (int e = unusable(s)) return e;
  s->want = 0;
  if (!iov) return LEVEE_EINVAL;
  return levee::gather(
      s,
      [&](levee_iovec_entry *&v, size_t &cnt) {
        v = levee_iovec_entries(iov);
        cnt = levee_iovec_count(iov);
      },
      [&](levee_iovec_entry *, int, size_t r) { levee_iovec_consume(iov, r); });
}

int64_t levee_stream_sendfile(levee_stream *s, int32_t in_fd, int64_t offset, size_t n) {
  if (int e = unusable(s)) return e;
  s->want = 0;
  if (!s->t->raw()) return LEVEE_ENOTSUP;
  if (!n) return 0;
  off_t off = static_cast<off_t>(offset);
  for (;;) {
    ssize_t r = ::sendfile(s->fd, in_fd, offset < 0 ? nullptr : &off, n);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (levee::would_block(errno)) {
      s->want = LEVEE_WANT_WRITE;
      return LEVEE_WANT_WRITE;
    }
    return levee::last_errno_code();
  }
}

int64_t levee_stream_splice(levee_stream *s, levee_stream *src, size_t n) {
  if (int e = unusable(s)) return e;
  if (int e = unusable(src)) return e;
  s->want = 0;
  if (!s->t->raw() || !src->t->raw()) return LEVEE_ENOTSUP;
  src->short_read = false;  // splice reads src without saying whether it drained it
#ifdef __linux__
  if (!n) return 0;
  if (s->pipe[0] < 0 && pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) < 0) return levee::last_errno_code();
  constexpr unsigned kFlags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
  size_t done = 0;
  auto stop = [&](int64_t code) -> int64_t {
    if (is_want(code)) s->want = static_cast<int>(code);
    return done ? static_cast<int64_t>(done) : code;
  };
  while (done < n) {
    if (!s->inflight) {
      ssize_t r = ::splice(src->fd, nullptr, s->pipe[1], nullptr, n - done, kFlags);
      if (r > 0) {
        s->inflight = static_cast<size_t>(r);
      } else if (r == 0) {
        return stop(LEVEE_CLOSED);
      } else if (errno == EINTR) {
        continue;
      } else if (levee::would_block(errno)) {
        return stop(LEVEE_WANT_READ);
      } else {
        return levee::last_errno_code();
      }
    }
    ssize_t w = ::splice(s->pipe[0], nullptr, s->fd, nullptr, std::min(s->inflight, n - done),
                         kFlags | (s->inflight < n - done ? SPLICE_F_MORE : 0));
    if (w > 0) {
      s->inflight -= static_cast<size_t>(w);
      done += static_cast<size_t>(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w == 0 || levee::would_block(errno)) {
      return stop(LEVEE_WANT_WRITE);
    } else {
      return levee::last_errno_code();
    }
  }
  return static_cast<int64_t>(done);
#else
  (void)n;
  return LEVEE_ENOTSUP;
#endif
}

int64_t levee_stream_inflight(const levee_stream *s) { return s ? static_cast<int64_t>(s->inflight) : 0; }

int levee_stream_want(const levee_stream *s) { return s ? s->want : 0; }

int levee_stream_drained(levee_stream *s) {
  if (!s || s->fd < 0 || !s->short_read) return 0;  // the per-read path: no call
  return levee::guard([&]() -> int {
    if (!s->t->short_read_drains()) return 0;
    if (s->drains < 0) s->drains = levee::short_read_drains_fd(s->fd) ? 1 : 0;
    return s->drains;
  });
}

int levee_stream_handshake(levee_stream *s) {
  return levee::guard([&]() -> int {
    if (int e = unusable(s)) return e;
    s->want = 0;
    s->short_read = false;  // a handshake reads the fd, and may keep bytes
    int r = s->t->handshake(s->fd);
    if (is_want(r)) s->want = r;
    return r;
  });
}

int levee_stream_shutdown(levee_stream *s, int32_t how) {
  return levee::guard([&]() -> int {
    if (int e = unusable(s)) return e;
    if (how < 0 || how > 2) return LEVEE_EINVAL;
    if (how != 0) s->t->end_write(s->fd);
    return ::shutdown(s->fd, how) < 0 ? levee::last_errno_code() : 0;
  });
}

int levee_stream_close(levee_stream *s) {
  return levee::guard([&]() -> int {
    if (int e = unusable(s)) return e;
    int fd = levee::detach(s);
    // Linux releases the fd even when close reports EINTR: never retry.
    if (::close(fd) < 0 && errno != EINTR) return levee::last_errno_code();
    return 0;
  });
}

int levee_stream_release(levee_stream *s) {
  return levee::guard([&]() -> int {
    if (int e = unusable(s)) return e;
    return levee::detach(s);
  });
}

}  // extern "C"
