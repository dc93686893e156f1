/* Echo load generator: C connections to 127.0.0.1:PORT, each sending a
 * SIZE-byte request and waiting for the whole echo before the next, for
 * SECONDS. Prints round trips per second. One thread, epoll.
 *   loadgen PORT [CONNS=50] [SECONDS=5] [SIZE=64]
 * With SIZE 0 the connections stay idle: it opens them, holds them for
 * SECONDS and exits (for the memory-per-connection figure). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loadgen PORT [CONNS] [SECONDS] [SIZE]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int conns = argc > 2 ? atoi(argv[2]) : 50;
  double seconds = argc > 3 ? atof(argv[3]) : 5;
  int size = argc > 4 ? atoi(argv[4]) : 64;
  char req[65536], buf[65536];
  memset(req, 'x', sizeof req);
  int ep = epoll_create1(0);
  int *got = calloc(conns, sizeof *got);
  int *fds = calloc(conns, sizeof *fds);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      perror("connect");
      return 1;
    }
    fds[i] = fd;
    if (size == 0) continue;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (write(fd, req, size) != size) return 1;
  }
  if (size == 0) {
    printf("%d idle connections open\n", conns);
    fflush(stdout);
    usleep((useconds_t)(seconds * 1e6));
    return 0;
  }
  long trips = 0;
  double start = now(), end = start + seconds;
  struct epoll_event evs[256];
  while (now() < end) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int k = 0; k < n; k++) {
      int i = evs[k].data.u32;
      ssize_t r = read(fds[i], buf, sizeof buf);
      if (r <= 0) {
        fprintf(stderr, "connection %d: %s\n", i, r == 0 ? "closed" : strerror(errno));
        return 1;
      }
      got[i] += r;
      while (got[i] >= size) {
        got[i] -= size;
        trips++;
        if (write(fds[i], req, size) != size) return 1;
      }
    }
  }
  printf("%.0f\n", trips / (now() - start));
  return 0;
}
