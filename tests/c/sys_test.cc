// Black-box tests of the endpoint, socket, fs and misc sections of levee.h.
// Loopback and unix sockets in a temp dir only; every test checks that it
// leaves no fd behind.
#include <gtest/gtest.h>
#include <levee.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

class Sys : public ::testing::Test {
 protected:
  void SetUp() override {
    before = levee_sys_fdcount();
    char tmpl[] = "/tmp/levee-sys-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
    EXPECT_EQ(before, levee_sys_fdcount()) << "leaked fds";
  }
  int before = 0;
  std::string dir;
};

std::string fmt(const levee_endpoint &ep) {
  char buf[128];
  int n = levee_endpoint_format(&ep, buf, sizeof buf);
  return n < 0 ? std::string("error") : std::string(buf, n);
}

// A connected pair over loopback TCP: listener fd, client fd, server fd.
void tcp_pair(const char *host, int *c, int *s) {
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

TEST(Endpoint, FormatsV4V6AndUnix) {
  levee_endpoint ep;
  ASSERT_EQ(0, levee_endpoint_in(&ep, "1.2.3.4", 80));
  EXPECT_EQ("1.2.3.4:80", fmt(ep));
  EXPECT_EQ(80, levee_endpoint_port(&ep));
  ASSERT_EQ(0, levee_endpoint_in(&ep, "::1", 8080));
  EXPECT_EQ("[::1]:8080", fmt(ep));
  EXPECT_EQ(AF_INET6, ep.af);
  ASSERT_EQ(0, levee_endpoint_unix(&ep, "/tmp/sock", 9));
  EXPECT_EQ("/tmp/sock", fmt(ep));
  EXPECT_EQ(LEVEE_EAFNOSUPPORT, levee_endpoint_port(&ep));
  ASSERT_EQ(0, levee_endpoint_in(&ep, nullptr, 0));
  EXPECT_EQ("127.0.0.1:0", fmt(ep));
}

TEST(Endpoint, ParseRoundTripsAndRejectsGarbage) {
  const char *good[] = {"127.0.0.1:1", "[::1]:65535", "/a/b", "@abstract", "[fe80::1]:0"};
  for (const char *g : good) {
    levee_endpoint ep;
    ASSERT_EQ(0, levee_endpoint_parse(&ep, g)) << g;
    EXPECT_EQ(g, fmt(ep));
  }
  const char *bad[] = {"", "1.2.3.4", "::1:80", "[::1]80", "host:80", "1.2.3.4:65536", "1.2.3.4:-1",
                       "1.2.3.4:x", "[::1:80", "999.1.1.1:1"};
  for (const char *b : bad) {
    levee_endpoint ep;
    EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_parse(&ep, b)) << b;
  }
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_parse(nullptr, "1.2.3.4:1"));
  EXPECT_EQ(LEVEE_EINVAL, levee_endpoint_in(nullptr, "1.2.3.4", 1));
  levee_endpoint ep;
  std::string longpath(200, 'x');
  EXPECT_EQ(LEVEE_ENAMETOOLONG, levee_endpoint_unix(&ep, longpath.c_str(), longpath.size()));
}

TEST(Endpoint, CompareOrdersByFamilyAddressPort) {
  levee_endpoint a, b, c, d;
  levee_endpoint_in(&a, "127.0.0.1", 1);
  levee_endpoint_in(&b, "127.0.0.1", 2);
  levee_endpoint_in(&c, "::1", 1);
  levee_endpoint_in(&d, "127.0.0.1", 1);
  EXPECT_EQ(0, levee_endpoint_compare(&a, &d));
  EXPECT_LT(levee_endpoint_compare(&a, &b), 0);
  EXPECT_GT(levee_endpoint_compare(&b, &a), 0);
  EXPECT_NE(0, levee_endpoint_compare(&a, &c));
}

TEST(Endpoint, ResolveLiteralsAndLocalhost) {
  levee_endpoint out[8];
  int n = levee_endpoint_resolve("127.0.0.1", "80", 0, 0, out, 8);
  ASSERT_EQ(1, n);
  EXPECT_EQ("127.0.0.1:80", fmt(out[0]));
  n = levee_endpoint_resolve("localhost", "http", AF_INET, 0, out, 8);
  ASSERT_GE(n, 1);
  EXPECT_EQ("127.0.0.1:80", fmt(out[0]));
  EXPECT_LT(levee_endpoint_resolve("1.2.3.4", "no-such-service-x", 0, 0, out, 8), 0);
  EXPECT_EQ(LEVEE_EAFNOSUPPORT, levee_endpoint_resolve("127.0.0.1", nullptr, AF_UNIX, 0, out, 8));
}

TEST_F(Sys, TcpV4AndV6RoundTripWithNames) {
  for (const char *host : {"127.0.0.1", "::1"}) {
    int c, s;
    tcp_pair(host, &c, &s);
    EXPECT_EQ(5, levee_fd_write(c, "hello", 5));
    char buf[16];
    int64_t n;
    for (int i = 0; i < 1000 && (n = levee_fd_read(s, buf, sizeof buf)) == LEVEE_EAGAIN; ++i) usleep(1000);
    ASSERT_EQ(5, n);
    EXPECT_EQ(0, memcmp(buf, "hello", 5));
    levee_endpoint a, b;
    ASSERT_EQ(0, levee_socket_sockname(c, &a));
    ASSERT_EQ(0, levee_socket_peername(s, &b));
    EXPECT_EQ(0, levee_endpoint_compare(&a, &b));
    char h[64];
    ASSERT_GT(levee_endpoint_host(&a, h, sizeof h), 0);
    EXPECT_STREQ(host, h);
    levee_fd_close(c);
    levee_fd_close(s);
  }
}

TEST_F(Sys, EmptyNonBlockingReadIsEAGAIN) {
  int fds[2];
  ASSERT_EQ(0, levee_fd_pipe(fds, 1));
  char buf[4];
  EXPECT_EQ(LEVEE_EAGAIN, levee_fd_read(fds[0], buf, 4));
  EXPECT_EQ(1, levee_fd_is_nonblock(fds[0]));
  ASSERT_EQ(0, levee_fd_nonblock(fds[0], 0));
  EXPECT_EQ(0, levee_fd_is_nonblock(fds[0]));
  levee_fd_close(fds[0]);
  levee_fd_close(fds[1]);
  EXPECT_EQ(LEVEE_EBADF, levee_fd_close(fds[0]));
}

TEST_F(Sys, WriteToClosedPeerIsEPIPENotASignal) {
  // SIGPIPE stays at its default here: send/MSG_NOSIGNAL must not raise it.
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  levee_fd_close(sv[1]);
  EXPECT_EQ(LEVEE_EPIPE, levee_socket_send(sv[0], "x", 1, 0));
  levee_fd_close(sv[0]);
}

TEST_F(Sys, ReadvWritevGather) {
  int fds[2];
  ASSERT_EQ(0, levee_fd_pipe(fds, 1));
  char a[] = "ab", b[] = "cde";
  levee_iovec_entry w[2] = {{a, 2}, {b, 3}};
  EXPECT_EQ(5, levee_fd_writev(fds[1], w, 2));
  char x[3], y[8];
  levee_iovec_entry r[2] = {{x, 3}, {y, 8}};
  EXPECT_EQ(5, levee_fd_readv(fds[0], r, 2));
  EXPECT_EQ(0, memcmp(x, "abc", 3));
  EXPECT_EQ(0, memcmp(y, "de", 2));
  EXPECT_EQ(LEVEE_EINVAL, levee_fd_writev(fds[1], nullptr, 1));
  levee_fd_close(fds[0]);
  levee_fd_close(fds[1]);
}

TEST_F(Sys, UnixAndAbstractDatagrams) {
  std::string path = dir + "/u.sock";
  levee_endpoint ep;
  ASSERT_EQ(0, levee_endpoint_unix(&ep, path.c_str(), path.size()));
  int s = levee_socket_new(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_EQ(0, levee_socket_bind(s, &ep));
  int c = levee_socket_new(AF_UNIX, SOCK_DGRAM, 0);
  levee_endpoint cep;
  std::string abs = std::string(1, '\0') + "levee-sys-test-" + std::to_string(getpid());
  ASSERT_EQ(0, levee_endpoint_unix(&cep, abs.data(), abs.size()));
  ASSERT_EQ(0, levee_socket_bind(c, &cep));
  EXPECT_EQ(3, levee_socket_sendto(c, "abc", 3, &ep));
  char buf[8];
  levee_endpoint from;
  EXPECT_EQ(3, levee_socket_recvfrom(s, buf, sizeof buf, &from));
  EXPECT_EQ("@" + abs.substr(1), fmt(from));
  EXPECT_EQ(LEVEE_EAGAIN, levee_socket_recvfrom(s, buf, sizeof buf, &from));
  levee_endpoint got;
  ASSERT_EQ(0, levee_socket_sockname(s, &got));
  EXPECT_EQ(path, fmt(got));
  levee_fd_close(s);
  levee_fd_close(c);
}

TEST_F(Sys, UdpV4SendtoRecvfrom) {
  levee_endpoint ep;
  levee_endpoint_in(&ep, "127.0.0.1", 0);
  int s = levee_socket_new(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(0, levee_socket_bind(s, &ep));
  ASSERT_EQ(0, levee_socket_sockname(s, &ep));
  int c = levee_socket_new(AF_INET, SOCK_DGRAM, 0);
  EXPECT_EQ(2, levee_socket_sendto(c, "hi", 2, &ep));
  char buf[8];
  levee_endpoint from;
  int64_t n;
  for (int i = 0; i < 1000 && (n = levee_socket_recvfrom(s, buf, 8, &from)) == LEVEE_EAGAIN; ++i) usleep(1000);
  EXPECT_EQ(2, n);
  levee_endpoint cname;
  levee_socket_sockname(c, &cname);
  EXPECT_EQ(levee_endpoint_port(&cname), levee_endpoint_port(&from));
  levee_fd_close(s);
  levee_fd_close(c);
}

TEST_F(Sys, FdPassingBetweenProcesses) {
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  std::string file = dir + "/passed";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(sv[0]);
    int fd = levee_fs_open(file.c_str(), 0101 /* O_WRONLY|O_CREAT */, 0600);
    if (fd < 0) _exit(2);
    if (levee_socket_sendfd(sv[1], fd, "note", 4) != 4) _exit(3);
    _exit(0);
  }
  levee_fd_close(sv[1]);
  int32_t got = -1;
  char buf[16];
  int64_t n = levee_socket_recvfd(sv[0], &got, buf, sizeof buf);
  int status;
  waitpid(pid, &status, 0);
  EXPECT_EQ(0, WEXITSTATUS(status));
  ASSERT_EQ(4, n);
  EXPECT_EQ(0, memcmp(buf, "note", 4));
  ASSERT_GE(got, 0);
  EXPECT_EQ(6, levee_fd_write(got, "passed", 6));
  levee_fd_close(got);
  levee_stat st;
  ASSERT_EQ(0, levee_fs_stat(file.c_str(), &st));
  EXPECT_EQ(6, st.size);
  // EOF: no fd, zero bytes.
  EXPECT_EQ(0, levee_socket_recvfd(sv[0], &got, buf, sizeof buf));
  EXPECT_EQ(-1, got);
  levee_fd_close(sv[0]);
}

TEST_F(Sys, AcceptAtEMFILEReturnsEMFILE) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    levee_endpoint ep;
    levee_endpoint_in(&ep, "127.0.0.1", 0);
    int l = levee_socket_new(AF_INET, SOCK_STREAM, 0);
    if (levee_socket_bind(l, &ep) || levee_socket_listen(l, 8) || levee_socket_sockname(l, &ep)) _exit(2);
    int c = levee_socket_new(AF_INET, SOCK_STREAM, 0);
    int rc = levee_socket_connect(c, &ep);
    if (rc != 0 && rc != LEVEE_EINPROGRESS) _exit(3);
    usleep(20000);
    // Fill the table up to a low soft limit.
    rlimit rl{static_cast<rlim_t>(c + 1), 1024};
    if (setrlimit(RLIMIT_NOFILE, &rl)) _exit(4);
    int got = LEVEE_EAGAIN;
    for (int i = 0; i < 1000 && got == LEVEE_EAGAIN; ++i) {
      got = levee_socket_accept(l, nullptr);
      if (got == LEVEE_EAGAIN) usleep(1000);
    }
    _exit(got == LEVEE_EMFILE ? 0 : 5);
  }
  int status;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(Sys, SockoptsByName) {
  int s = levee_socket_new(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  int64_t v = -5;
  for (const char *name : {"reuseaddr", "reuseport", "nodelay", "keepalive", "v6only"}) {
    ASSERT_EQ(0, levee_socket_setopt(s, name, 1)) << name;
    ASSERT_EQ(0, levee_socket_getopt(s, name, &v)) << name;
    EXPECT_EQ(1, v) << name;
    ASSERT_EQ(0, levee_socket_setopt(s, name, 0)) << name;
    ASSERT_EQ(0, levee_socket_getopt(s, name, &v));
    EXPECT_EQ(0, v) << name;
  }
  ASSERT_EQ(0, levee_socket_setopt(s, "rcvbuf", 65536));
  ASSERT_EQ(0, levee_socket_getopt(s, "rcvbuf", &v));
  EXPECT_GE(v, 65536);
  ASSERT_EQ(0, levee_socket_getopt(s, "linger", &v));
  EXPECT_EQ(-1, v);
  ASSERT_EQ(0, levee_socket_setopt(s, "linger", 3));
  ASSERT_EQ(0, levee_socket_getopt(s, "linger", &v));
  EXPECT_EQ(3, v);
  EXPECT_EQ(LEVEE_ENOPROTOOPT, levee_socket_setopt(s, "bogus", 1));
  EXPECT_EQ(LEVEE_ENOPROTOOPT, levee_socket_getopt(s, nullptr, &v));
  EXPECT_EQ(LEVEE_EBADF, levee_socket_setopt(-1, "nodelay", 1));
  levee_fd_close(s);
}

TEST_F(Sys, ShutdownGivesPeerEOF) {
  int c, s;
  tcp_pair("127.0.0.1", &c, &s);
  ASSERT_EQ(0, levee_socket_shutdown(c, 1));
  char buf[4];
  int64_t n;
  for (int i = 0; i < 1000 && (n = levee_socket_recv(s, buf, 4, 0)) == LEVEE_EAGAIN; ++i) usleep(1000);
  EXPECT_EQ(0, n);
  levee_fd_close(c);
  levee_fd_close(s);
  levee_endpoint ep;
  EXPECT_EQ(LEVEE_EBADF, levee_socket_peername(c, &ep));
}

TEST_F(Sys, StatFollowsSymlinksLstatDoesNot) {
  std::string f = dir + "/file", l = dir + "/link";
  int fd = levee_fs_open(f.c_str(), 0101, 0640);
  ASSERT_GE(fd, 0);
  levee_fd_write(fd, "12345", 5);
  ASSERT_EQ(0, symlink(f.c_str(), l.c_str()));
  levee_stat st;
  ASSERT_EQ(0, levee_fs_stat(l.c_str(), &st));
  EXPECT_EQ(LEVEE_FILE_REG, levee_stat_kind(&st));
  EXPECT_EQ(5, st.size);
  EXPECT_EQ(0640u, st.mode & 0777);
  ASSERT_EQ(0, levee_fs_lstat(l.c_str(), &st));
  EXPECT_EQ(LEVEE_FILE_LNK, levee_stat_kind(&st));
  ASSERT_EQ(0, levee_fs_fstat(fd, &st));
  EXPECT_EQ(LEVEE_FILE_REG, levee_stat_kind(&st));
  ASSERT_EQ(0, levee_fs_stat(dir.c_str(), &st));
  EXPECT_EQ(LEVEE_FILE_DIR, levee_stat_kind(&st));
  EXPECT_EQ(LEVEE_ENOENT, levee_fs_stat((dir + "/none").c_str(), &st));
  EXPECT_EQ(LEVEE_EINVAL, levee_fs_stat(nullptr, &st));
  EXPECT_EQ(LEVEE_EBADF, levee_fs_fstat(-1, &st));
  levee_fd_close(fd);
}

TEST_F(Sys, SendfileSpliceTee) {
  std::string f = dir + "/src";
  int fd = levee_fs_open(f.c_str(), 0102 /* O_RDWR|O_CREAT */, 0600);
  levee_fd_write(fd, "0123456789", 10);
  int p[2], q[2];
  ASSERT_EQ(0, levee_fd_pipe(p, 1));
  ASSERT_EQ(0, levee_fd_pipe(q, 1));
  int64_t off = 2;
  EXPECT_EQ(4, levee_fd_sendfile(p[1], fd, &off, 4));
  EXPECT_EQ(6, off);
  EXPECT_EQ(4, levee_fd_tee(p[0], q[1], 100));
  EXPECT_EQ(4, levee_fd_splice(q[0], p[1], 100, 0));
  char buf[16];
  EXPECT_EQ(8, levee_fd_read(p[0], buf, sizeof buf));
  EXPECT_EQ(0, memcmp(buf, "23452345", 8));
  EXPECT_EQ(LEVEE_EAGAIN, levee_fd_splice(q[0], p[1], 100, 0));
  for (int x : {fd, p[0], p[1], q[0], q[1]}) levee_fd_close(x);
}

TEST_F(Sys, ProcessFacts) {
  int32_t fds[256];
  int n = levee_sys_fds(fds, 256);
  ASSERT_GE(n, 3);
  EXPECT_EQ(n, levee_sys_fdcount());
  int p[2];
  levee_fd_pipe(p, 0);
  EXPECT_EQ(n + 2, levee_sys_fdcount());
  levee_fd_close(p[0]);
  levee_fd_close(p[1]);
  char host[256];
  EXPECT_GT(levee_sys_gethostname(host, sizeof host), 0);
  levee_rusage ru;
  ASSERT_EQ(0, levee_sys_getrusage(0, &ru));
  EXPECT_GT(ru.maxrss, 0);
  EXPECT_GT(levee_sys_rss(), 0);
  EXPECT_EQ(LEVEE_EINVAL, levee_sys_getrusage(0, nullptr));
}

}  // namespace

// ---------------------------------------------------------------- dirs

namespace {

std::string make_tree() {
  char tmpl[] = "/tmp/levee-dir-XXXXXX";
  EXPECT_EQ(0, levee_fs_mkdtemp(tmpl));
  std::string root = tmpl;
  EXPECT_EQ(0, mkdir((root + "/b").c_str(), 0700));
  EXPECT_EQ(0, mkdir((root + "/b/c").c_str(), 0700));
  for (const char *f : {"/a", "/b/c/x", "/b/y"}) {
    int fd = open((root + f).c_str(), O_CREAT | O_WRONLY, 0600);
    EXPECT_GE(fd, 0);
    close(fd);
  }
  EXPECT_EQ(0, symlink("b", (root + "/l").c_str()));
  return root;
}

std::vector<std::string> walk(const std::string &root, int depth, bool follow, bool skip_b) {
  levee_dir *d = nullptr;
  EXPECT_EQ(0, levee_dir_open(&d, root.c_str(), depth));
  std::vector<std::string> seen;
  int rc;
  while ((rc = levee_dir_next(d)) == 1) {
    std::string p = levee_dir_path(d);
    seen.push_back(p.substr(root.size() + 1) + ":" + std::to_string(levee_dir_kind(d)) + ":" +
                   std::to_string(levee_dir_level(d)));
    if (follow && levee_dir_kind(d) == LEVEE_FILE_LNK) EXPECT_EQ(0, levee_dir_follow(d));
    if (skip_b && p == root + "/b") EXPECT_EQ(0, levee_dir_skip(d));
  }
  EXPECT_EQ(0, rc);
  EXPECT_EQ(nullptr, levee_dir_path(d));
  EXPECT_EQ(LEVEE_EINVAL, levee_dir_kind(d));
  levee_dir_free(d);
  return seen;
}

}  // namespace

TEST(Dir, WalksInNameOrderDepthFirstWithoutTheRoot) {
  std::string root = make_tree();
  std::vector<std::string> want = {"a:1:1", "b:2:1", "b/c:2:2", "b/c/x:1:3", "b/y:1:2", "l:3:1"};
  EXPECT_EQ(want, walk(root, 255, false, false));
  EXPECT_EQ((std::vector<std::string>{"a:1:1", "b:2:1", "l:3:1"}), walk(root, 1, false, false));
  // follow descends through the link; skip leaves b out
  EXPECT_EQ((std::vector<std::string>{"a:1:1", "b:2:1", "l:3:1", "l/c:2:2", "l/c/x:1:3", "l/y:1:2"}),
            walk(root, 255, true, true));
  EXPECT_EQ(LEVEE_ENOTEMPTY, levee_fs_remove(root.c_str(), 0));
  EXPECT_EQ(0, levee_fs_remove(root.c_str(), 1));
  EXPECT_EQ(LEVEE_ENOENT, levee_fs_remove(root.c_str(), 1));
}

TEST(Dir, RefusesWhatIsNotADirectoryAndBadArguments) {
  levee_dir *d = nullptr;
  EXPECT_EQ(LEVEE_ENOENT, levee_dir_open(&d, "/nonexistent-levee-dir", 1));
  EXPECT_EQ(LEVEE_ENOTDIR, levee_dir_open(&d, "/dev/null", 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_dir_open(&d, "/", 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_dir_open(nullptr, "/", 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_dir_next(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_dir_skip(nullptr));
  levee_dir_free(nullptr);
  char bad[] = "/tmp/levee-no-suffix";
  EXPECT_EQ(LEVEE_EINVAL, levee_fs_mkdtemp(bad));
  EXPECT_EQ(LEVEE_EINVAL, levee_fs_remove(nullptr, 0));
}

TEST(Fs, OpenModeStringsAsTheOriginal) {
  EXPECT_EQ(O_RDONLY, levee_fs_open_mode("r"));
  EXPECT_EQ(O_RDONLY, levee_fs_open_mode("rb"));
  EXPECT_EQ(O_RDWR, levee_fs_open_mode("r+"));
  EXPECT_EQ(O_WRONLY | O_TRUNC, levee_fs_open_mode("w"));  // no create
  EXPECT_EQ(O_RDWR | O_CREAT | O_TRUNC, levee_fs_open_mode("w+"));
  EXPECT_EQ(O_WRONLY | O_APPEND | O_CREAT, levee_fs_open_mode("a"));
  EXPECT_EQ(O_RDWR | O_APPEND | O_CREAT, levee_fs_open_mode("a+"));
  EXPECT_EQ(O_WRONLY | O_TRUNC | O_CREAT | O_EXCL, levee_fs_open_mode("wx"));
  EXPECT_EQ(O_RDWR | O_CREAT | O_EXCL, levee_fs_open_mode("r+x"));
  for (const char *bad : {"", "x", "rw", "q", "r++", "wxx", "rrrrrrrrrr"})
    EXPECT_EQ(LEVEE_EINVAL, levee_fs_open_mode(bad)) << bad;
  EXPECT_EQ(LEVEE_EINVAL, levee_fs_open_mode(nullptr));
}
