// levee_tls: TLS over libtls (libretls on Debian). Internal C++ view; the
// ABI is levee_tls_* (tls section of levee.h). See docs/design.md "TLS".
//
// A levee::Tls is one TLS session over a connected, non-blocking fd that it
// does not own. It never blocks: every step answers done, a byte count, or
// "would block until the fd is readable / writable" (LEVEE_TLS_WANT_READ /
// LEVEE_TLS_WANT_WRITE), so the same calls serve any scheduler. The socket
// I/O under libtls goes through our own callbacks: EINTR is retried there,
// writes use MSG_NOSIGNAL (no SIGPIPE), and the OS errno of a failed
// read/write is kept so that a reset is reported as system.ECONNRESET.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "levee.h"

struct tls;
struct tls_config;

struct levee_tls_config {
  struct tls_config *cfg = nullptr;
  std::string server_name;  // the options' server_name ("" when absent)
  bool verify_name = true;  // insecure.verify_name was not turned off
  ~levee_tls_config();
};

struct levee_tls_server {
  struct tls *ctx = nullptr;
  ~levee_tls_server();
};

struct levee_tls {
  struct tls *ctx = nullptr;
  int fd = -1;
  bool server = false;
  bool handshaken = false;
  bool eof = false;        // a socket read saw the peer's TCP EOF
  bool eof_seen = false;   // read() reached the end of the TLS stream
  bool closed = false;     // tls_close completed
  int sys_errno = 0;       // errno of the last failed socket read/write
  bool rd_blocked = false; // the read callback met EAGAIN during this call
  bool wr_blocked = false; // the write callback met EAGAIN during this call
  int sticky = 0;          // an error met after bytes were already returned
  std::string message;     // libtls's text for the last error
  std::vector<uint8_t> scratch;  // writev's gather buffer

  ~levee_tls();

  // Each returns a count (read/write), 0 (handshake/close done), or a
  // negative LEVEE_TLS_WANT_* / error code. See levee.h.
  int handshake();
  int64_t read(void *dst, size_t len);
  int64_t write(const void *src, size_t len);
  int64_t writev(const struct iovec *iov, int n);
  int close();

 private:
  int fail(const char *op);
  template <class Op>
  int64_t call(Op op);
};

namespace levee {

// Makes a client session over fd for server_name (NULL or "": the config's
// server_name, else no SNI). Throws levee::Error.
levee_tls *tls_client(levee_tls_config *c, int fd, const char *server_name);

// Makes a server session over an accepted fd. Throws levee::Error.
levee_tls *tls_accept(levee_tls_server *s, int fd);

}  // namespace levee
