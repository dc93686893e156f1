/* Opens N connections to 127.0.0.1:PORT, sends one keep-alive GET on each,
 * reads each response (a body ending in "\n"), then holds the connections
 * open for SECONDS: the idle keep-alive memory figure of the HTTP issue.
 *   keepalive PORT [N=10000] [SECONDS=5] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: keepalive PORT [N] [SECONDS]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int n = argc > 2 ? atoi(argv[2]) : 10000;
  int seconds = argc > 3 ? atoi(argv[3]) : 5;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  char buf[4096];
  int *fds = calloc(n, sizeof *fds);
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0) {
      perror("connect");
      return 1;
    }
    if (write(fds[i], req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return 1;
    /* the response: headers, then a body ending with a newline */
    size_t got = 0;
    for (;;) {
      ssize_t r = read(fds[i], buf + got, sizeof buf - 1 - got);
      if (r <= 0) {
        fprintf(stderr, "connection %d closed before its response\n", i);
        return 1;
      }
      got += (size_t)r;
      buf[got] = 0;
      char *body = strstr(buf, "\r\n\r\n");
      if (body && got > 0 && buf[got - 1] == '\n' && body + 4 < buf + got) break;
    }
  }
  printf("%d keep-alive connections idle\n", n);
  fflush(stdout);
  sleep(seconds);
  return 0;
}
