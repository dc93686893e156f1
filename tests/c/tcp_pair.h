// A connected pair of sockets over loopback TCP for the black-box tests
// (included by several tests/c/*_test.cc; header-only, gtest assertions).
#pragma once

#include <gtest/gtest.h>
#include <levee.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// *c and *s: the client and the accepted server fd (non-blocking, the
// caller closes them); host is an IPv4 or IPv6 literal.
inline void tcp_pair(const char *host, int *c, int *s) {
  levee_endpoint ep, bound;
  int domain = strchr(host, ':') ? AF_INET6 : AF_INET;
  ASSERT_EQ(0, levee_endpoint_in(&ep, host, 0));
  int l = levee_socket_new(domain, SOCK_STREAM, 0);
  ASSERT_GE(l, 0);
  ASSERT_EQ(0, levee_socket_bind(l, &ep));
  ASSERT_EQ(0, levee_socket_listen(l, 8));
  ASSERT_EQ(0, levee_socket_sockname(l, &bound));
  *c = levee_socket_new(domain, SOCK_STREAM, 0);
  int rc = levee_socket_connect(*c, &bound);
  ASSERT_TRUE(rc == 0 || rc == LEVEE_EINPROGRESS) << rc;
  levee_endpoint peer;
  for (int i = 0; i < 1000 && (*s = levee_socket_accept(l, &peer)) == LEVEE_EAGAIN; ++i) usleep(1000);
  ASSERT_GE(*s, 0);
  EXPECT_EQ(0, levee_socket_error(*c));
  levee_fd_close(l);
}
