/* TLS load generator on OpenSSL: one SSL_CTX for every connection, no
 * certificate verification and no session resumption, so each connection
 * costs the client little beyond the key exchange and the server's work
 * is what is measured. TLS 1.3 only, so every server compared runs the
 * same protocol (nginx 1.22 answers TLS 1.2 unless configured for 1.3,
 * and a TLS 1.2 handshake costs the server less). Against 127.0.0.1:PORT:
 *   tlsgen PORT handshakes SECONDS [CONNS=8]
 *       CONNS connections in flight, each: connect, full handshake, close;
 *       prints "handshakes/s N".
 *   tlsgen PORT idle N SECONDS
 *       opens N connections, completes each handshake, prints "N idle
 *       connections open" and holds them for SECONDS.
 * One thread, non-blocking sockets and poll(2). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in sa;
static SSL_CTX *ctx;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static SSL *start(int *fdp) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
    perror("connect");
    exit(1);
  }
  SSL *s = SSL_new(ctx);
  SSL_set_fd(s, fd);
  SSL_set_tlsext_host_name(s, "localhost");
  *fdp = fd;
  return s;
}

/* One handshake step: 0 done, POLLIN/POLLOUT to wait, -1 failed. */
static int step(SSL *s) {
  int rc = SSL_connect(s);
  if (rc == 1) return 0;
  switch (SSL_get_error(s, rc)) {
    case SSL_ERROR_WANT_READ: return POLLIN;
    case SSL_ERROR_WANT_WRITE: return POLLOUT;
    default: return -1;
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: tlsgen PORT handshakes SECONDS [CONNS] | tlsgen PORT idle N SECONDS\n");
    return 2;
  }
  sa.sin_family = AF_INET;
  sa.sin_port = htons(atoi(argv[1]));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  int idle = strcmp(argv[2], "idle") == 0;
  int conns = idle ? atoi(argv[3]) : argc > 4 ? atoi(argv[4]) : 8;
  double secs = idle ? (argc > 4 ? atof(argv[4]) : 5) : atof(argv[3]);
  struct pollfd *pfd = calloc(conns, sizeof *pfd);
  SSL **ssl = calloc(conns, sizeof *ssl);
  long done = 0, failed = 0;
  if (idle) {
    /* Handshake in batches of 64 so the server's backlog never overflows. */
    for (int base = 0; base < conns; base += 64) {
      int n = conns - base < 64 ? conns - base : 64, left = n;
      for (int i = base; i < base + n; i++) {
        ssl[i] = start(&pfd[i].fd);
        pfd[i].events = POLLOUT;
      }
      while (left > 0) {
        if (poll(pfd + base, n, 10000) <= 0) {
          fprintf(stderr, "idle: handshakes stalled\n");
          return 1;
        }
        for (int i = base; i < base + n; i++) {
          if (!pfd[i].revents || pfd[i].fd < 0) continue;
          int w = step(ssl[i]);
          if (w > 0) {
            pfd[i].events = w;
            continue;
          }
          if (w < 0) {
            ERR_print_errors_fp(stderr);
            return 1;
          }
          pfd[i].fd = -pfd[i].fd - 1;  /* done: poll ignores negative fds */
          left--;
        }
      }
    }
    printf("%d idle connections open\n", conns);
    fflush(stdout);
    usleep((useconds_t)(secs * 1e6));
    return 0;
  }
  for (int i = 0; i < conns; i++) {
    ssl[i] = start(&pfd[i].fd);
    pfd[i].events = POLLOUT;
  }
  double t0 = now(), end = t0 + secs;
  while (now() < end) {
    if (poll(pfd, conns, 100) < 0 && errno != EINTR) return 1;
    for (int i = 0; i < conns; i++) {
      if (!pfd[i].revents) continue;
      int w = step(ssl[i]);
      if (w > 0) {
        pfd[i].events = w;
        continue;
      }
      if (w == 0) done++;
      else failed++;
      ERR_clear_error();
      SSL_free(ssl[i]);
      close(pfd[i].fd);
      ssl[i] = start(&pfd[i].fd);
      pfd[i].events = POLLOUT;
    }
  }
  double el = now() - t0;
  printf("handshakes/s %.0f (%ld in %.1f s, %ld failed)\n", done / el, done, el, failed);
  return failed > done / 100 ? 1 : 0;
}
