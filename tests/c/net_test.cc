// Black-box tests of endpoints and non-blocking sockets (loopback only).
#include <gtest/gtest.h>
#include <levee.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

namespace {

std::string fmt(const levee_endpoint &ep) {
  char buf[128];
  int n = levee_endpoint_format(&ep, buf, sizeof buf);
  return n < 0 ? "error" : std::string(buf, n);
}

TEST(Endpoint, ParsesAndFormatsEveryFamily) {
  levee_endpoint ep;
  ASSERT_EQ(0, levee_endpoint_parse(&ep, "127.0.0.1:8080", 0));
  EXPECT_EQ("127.0.0.1:8080", fmt(ep));
  EXPECT_EQ(AF_INET, levee_endpoint_family(&ep));
  EXPECT_EQ(8080, levee_endpoint_port(&ep));
  ASSERT_EQ(0, levee_endpoint_parse(&ep, "[::1]:443", 0));
  EXPECT_EQ("[::1]:443", fmt(ep));
  ASSERT_EQ(0, levee_endpoint_parse(&ep, "fe80::1", 7));
  EXPECT_EQ("[fe80::1]:7", fmt(ep));
  ASSERT_EQ(0, levee_endpoint_parse(&ep, "/run/x.sock", 0));
  EXPECT_EQ("/run/x.sock", fmt(ep));
  EXPECT_EQ(-1, levee_endpoint_port(&ep));
  ASSERT_EQ(0, levee_endpoint_parse(&ep, "@abstract", 0));
  EXPECT_EQ("@abstract", fmt(ep));
}

TEST(Endpoint, RejectsBadInput) {
  levee_endpoint ep;
  EXPECT_EQ(LEVEE_EAI_NONAME, levee_endpoint_in(&ep, "example.com", 80));
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_in(&ep, "1.2.3.4", 70000));
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_parse(&ep, "1.2.3.4:x", 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_parse(&ep, "1.2.3.4:123456", 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_parse(nullptr, "1.2.3.4", 0));
  EXPECT_EQ(LEVEE_ENAMETOOLONG, levee_endpoint_unix(&ep, std::string(200, 'x').c_str()));
  levee_endpoint_in(&ep, "1.2.3.4", 80);
  char small[4];
  EXPECT_EQ(LEVEE_ENOSPC, levee_endpoint_format(&ep, small, sizeof small));
  levee_endpoint empty{};
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_format(&empty, small, sizeof small));
}

TEST(Endpoint, ResolvesHostsFileNamesAndLiterals) {
  levee_endpoint eps[8];
  int n = levee_resolve("localhost", "80", 0, SOCK_STREAM, eps, 8);
  ASSERT_GT(n, 0);
  EXPECT_EQ(80, levee_endpoint_port(&eps[0]));
  n = levee_resolve("127.0.0.1", "http", AF_INET, SOCK_STREAM, eps, 8);
  ASSERT_EQ(1, n);
  EXPECT_EQ("127.0.0.1:80", fmt(eps[0]));
  EXPECT_EQ(LEVEE_EAI_SERVICE, levee_resolve("localhost", "no-such-service", 0, SOCK_STREAM, eps, 8));
  EXPECT_EQ(LEVEE_EINVAL, levee_resolve("localhost", "80", 0, SOCK_STREAM, eps, 0));
}

TEST(Socket, ConnectAcceptAndNames) {
  int lfd = levee_socket_open(AF_INET, SOCK_STREAM);
  ASSERT_GE(lfd, 0);
  levee_endpoint ep;
  levee_endpoint_in(&ep, "127.0.0.1", 0);
  ASSERT_EQ(0, levee_socket_bind(lfd, &ep));
  ASSERT_EQ(0, levee_socket_listen(lfd, 16));
  EXPECT_EQ(LEVEE_EAGAIN, levee_socket_accept(lfd, nullptr));
  levee_endpoint bound;
  ASSERT_EQ(0, levee_endpoint_sockname(lfd, &bound));
  int cfd = levee_socket_open(AF_INET, SOCK_STREAM);
  int rc = levee_socket_connect(cfd, &bound);
  EXPECT_TRUE(rc == 0 || rc == LEVEE_EINPROGRESS);
  usleep(20000);
  EXPECT_EQ(0, levee_socket_error(cfd));
  levee_endpoint peer;
  int afd = levee_socket_accept(lfd, &peer);
  ASSERT_GE(afd, 0);
  levee_endpoint local;
  ASSERT_EQ(0, levee_endpoint_sockname(cfd, &local));
  EXPECT_EQ(fmt(local), fmt(peer));
  EXPECT_EQ(0, levee_socket_shutdown(cfd, 1));
  char c;
  EXPECT_EQ(0, read(afd, &c, 1));  // EOF after the peer's half-close
  close(afd);
  close(cfd);
  close(lfd);
}

TEST(Socket, RefusedConnectionIsReported) {
  int lfd = levee_socket_open(AF_INET, SOCK_STREAM);
  levee_endpoint ep;
  levee_endpoint_in(&ep, "127.0.0.1", 0);
  levee_socket_bind(lfd, &ep);
  levee_endpoint_sockname(lfd, &ep);
  close(lfd);  // bound, never listening: connections are refused
  int cfd = levee_socket_open(AF_INET, SOCK_STREAM);
  int rc = levee_socket_connect(cfd, &ep);
  if (rc == LEVEE_EINPROGRESS) {
    usleep(20000);
    rc = levee_socket_error(cfd);
  }
  EXPECT_EQ(LEVEE_ECONNREFUSED, rc);
  close(cfd);
}

TEST(Socket, OptionsByName) {
  int fd = levee_socket_open(AF_INET, SOCK_STREAM);
  int v = -1;
  EXPECT_EQ(0, levee_socket_setopt(fd, "nodelay", 1));
  EXPECT_EQ(0, levee_socket_getopt(fd, "nodelay", &v));
  EXPECT_EQ(1, v);
  EXPECT_EQ(0, levee_socket_setopt(fd, "linger", 5));
  EXPECT_EQ(0, levee_socket_getopt(fd, "linger", &v));
  EXPECT_EQ(5, v);
  EXPECT_EQ(0, levee_socket_getopt(fd, "error", &v));
  EXPECT_EQ(0, v);
  EXPECT_EQ(LEVEE_ENOENT, levee_socket_setopt(fd, "bogus", 1));
  EXPECT_EQ(LEVEE_ENOENT, levee_socket_getopt(fd, nullptr, &v));
  EXPECT_EQ(LEVEE_EBADF, levee_socket_setopt(-1, "nodelay", 1));
  close(fd);
}

TEST(Socket, PassesAnFdWithData) {
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
  int p[2];
  ASSERT_EQ(0, pipe(p));
  ASSERT_EQ(2, levee_socket_sendfd(sv[0], p[1], "hi", 2));
  char buf[8];
  int got = -1;
  ASSERT_EQ(2, levee_socket_recvfd(sv[1], buf, sizeof buf, &got));
  ASSERT_GE(got, 0);
  ASSERT_EQ(1, write(got, "z", 1));
  char c;
  ASSERT_EQ(1, read(p[0], &c, 1));
  EXPECT_EQ('z', c);
  EXPECT_EQ(LEVEE_EAGAIN, levee_socket_recvfd(sv[1], buf, sizeof buf, &got));
  EXPECT_EQ(LEVEE_EINVAL, levee_socket_sendfd(sv[0], p[1], nullptr, 0));
  for (int fd : {sv[0], sv[1], p[0], p[1], got}) close(fd);
}

TEST(Socket, AcceptAtTheFdLimitIsEmfileAndKeepsTheConnection) {
  int lfd = levee_socket_open(AF_INET, SOCK_STREAM);
  levee_endpoint ep;
  levee_endpoint_in(&ep, "127.0.0.1", 0);
  levee_socket_bind(lfd, &ep);
  levee_socket_listen(lfd, 4);
  levee_endpoint_sockname(lfd, &ep);
  int cfd = levee_socket_open(AF_INET, SOCK_STREAM);
  levee_socket_connect(cfd, &ep);
  usleep(20000);
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  int fds[4096];
  int n = 0;
  struct rlimit low = {64, old.rlim_max};
  setrlimit(RLIMIT_NOFILE, &low);
  for (int fd; n < 4096 && (fd = dup(0)) >= 0;) fds[n++] = fd;
  EXPECT_EQ(LEVEE_EMFILE, levee_socket_accept(lfd, nullptr));
  for (int i = 0; i < n; i++) close(fds[i]);
  setrlimit(RLIMIT_NOFILE, &old);
  int afd = levee_socket_accept(lfd, nullptr);
  EXPECT_GE(afd, 0);  // the connection waited in the queue
  close(afd);
  close(cfd);
  close(lfd);
}

}  // namespace
