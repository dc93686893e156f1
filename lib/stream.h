// levee_stream: the byte mover under every binding's io. Internal C++ view;
// the ABI is levee_stream_* (levee.h, section stream).
//
// A stream owns an fd and a Transport. The plain transport (the default)
// moves bytes with read/readv/send/sendmsg on the fd itself; another
// transport (TLS) sits between the stream and the fd and is plugged in with
// stream_set_transport. Every call of a transport is non-blocking and
// answers with the stream's conventions:
//
//   > 0              bytes moved
//   LEVEE_CLOSED     end of input (read only)
//   LEVEE_WANT_READ  would block until the fd is readable
//   LEVEE_WANT_WRITE would block until the fd is writable
//   other < 0        a failure (-(errno), or the transport's own domain)
//
// and retries EINTR itself. The stream adds the loops (write everything the
// fd takes, iovec bookkeeping, buffers) on top, so a transport implements
// only single steps.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "levee.h"

namespace levee {

class Transport {
 public:
  virtual ~Transport() = default;

  // One handshake step: 0 when done, LEVEE_WANT_*, or a failure.
  virtual int handshake(int fd) = 0;

  // One read of at most n bytes (n > 0) into dst.
  virtual int64_t read(int fd, void *dst, size_t n) = 0;

  // One write of at most n bytes (n > 0) from src: bytes taken (> 0),
  // LEVEE_WANT_*, or a failure.
  virtual int64_t write(int fd, const void *src, size_t n) = 0;

  // One gathered write of the cnt entries (cnt > 0, the first one not
  // empty). The default writes the first non-empty entry only; a transport
  // that can gather (the plain one: sendmsg) overrides it.
  virtual int64_t writev(int fd, const iovec *iov, int cnt) {
    for (int i = 0; i < cnt; ++i)
      if (iov[i].iov_len) return write(fd, iov[i].iov_base, iov[i].iov_len);
    return 0;
  }

  // Ends the writing side before a shutdown(2) (TLS: close_notify), best
  // effort and without waiting.
  virtual void end_write(int fd) { (void)fd; }

  // Ends the transport before the fd is closed or released, best effort
  // and without waiting. The transport is destroyed right after.
  virtual void end(int fd) { (void)fd; }

  // True when the bytes on the fd are the stream's bytes, so sendfile and
  // splice may bypass the transport (false for TLS).
  virtual bool raw() const { return false; }

  // True when a read that returned fewer bytes than asked left nothing to
  // read until the fd is readable again (the plain fd; not TLS, which may
  // hold decrypted records).
  virtual bool short_read_drains() const { return false; }
};

// Replaces the transport of s (the old one is destroyed without end()).
// For a TLS upgrade of a connected stream.
void stream_set_transport(levee_stream *s, std::unique_ptr<Transport> t);

// The transport of s (never null while the stream holds an fd).
Transport *stream_transport(levee_stream *s);

}  // namespace levee

struct levee_stream {
  int fd = -1;
  int want = 0;  // LEVEE_WANT_* of the last call that stopped short
  std::unique_ptr<levee::Transport> t;
  int pipe[2] = {-1, -1};  // splice(2) through this, made on first use
  size_t inflight = 0;     // bytes in that pipe not yet written to fd
  // The last read through the stream stopped short of what it asked for,
  // or answered LEVEE_WANT_READ, and nothing read the fd since (see
  // levee_stream_drained, which decides whether that means drained).
  bool short_read = false;
  // Whether a short read of this fd drains it: -1 not known yet (learnt on
  // the first levee_stream_drained that needs it), 0 no (a tty, a datagram
  // socket, a file), 1 yes (a stream socket or a pipe).
  int8_t drains = -1;
};
