// Black-box tests of the stream section of levee.h: every function, end of
// input, broken pipes and resets, closed streams, short writes on a full
// socket buffer (plain and gathered), zero-length calls. Unix socket pairs,
// pipes, loopback TCP and temp files only; every test checks that it leaves
// no fd behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <levee.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

class Stream : public ::testing::Test {
 protected:
  void SetUp() override { before = levee_sys_fdcount(); }
  void TearDown() override {
    for (levee_stream *s : streams) levee_stream_free(s);
    for (int fd : fds) close(fd);
    EXPECT_EQ(before, levee_sys_fdcount()) << "leaked fds";
  }

  // A stream over fd, freed at the end of the test.
  levee_stream *wrap(int fd) {
    levee_stream *s = nullptr;
    EXPECT_EQ(0, levee_stream_new(&s, fd));
    streams.push_back(s);
    return s;
  }

  // A connected unix stream socket pair: a and b as streams.
  void pair(levee_stream **a, levee_stream **b, int sndbuf = 0) {
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    if (sndbuf) {
      ASSERT_EQ(0, levee_socket_setopt(sv[0], "sndbuf", sndbuf));
      ASSERT_EQ(0, levee_socket_setopt(sv[1], "rcvbuf", sndbuf));
    }
    *a = wrap(sv[0]);
    *b = wrap(sv[1]);
  }

  // A connected loopback TCP pair as plain fds (closed at the end unless
  // handed to a stream).
  void tcp(int *c, int *s) {
    levee_endpoint ep, bound, peer;
    ASSERT_EQ(0, levee_endpoint_in(&ep, "127.0.0.1", 0));
    int l = levee_socket_new(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(l, 0);
    ASSERT_EQ(0, levee_socket_bind(l, &ep));
    ASSERT_EQ(0, levee_socket_listen(l, 4));
    ASSERT_EQ(0, levee_socket_sockname(l, &bound));
    *c = levee_socket_new(AF_INET, SOCK_STREAM, 0);
    int rc = levee_socket_connect(*c, &bound);
    ASSERT_TRUE(rc == 0 || rc == LEVEE_EINPROGRESS) << rc;
    for (int i = 0; i < 2000 && (*s = levee_socket_accept(l, &peer)) == LEVEE_EAGAIN; ++i) usleep(1000);
    ASSERT_GE(*s, 0);
    levee_fd_close(l);
  }

  // Reads from s until want bytes arrived (retrying WANT_READ).
  std::string read_all(levee_stream *s, size_t want) {
    std::string out;
    char buf[65536];
    for (int spins = 0; out.size() < want && spins < 100000; ++spins) {
      int64_t n = levee_stream_read(s, buf, std::min(sizeof buf, want - out.size()));
      if (n == LEVEE_WANT_READ) {
        usleep(100);
        continue;
      }
      EXPECT_GT(n, 0);
      if (n <= 0) break;
      out.append(buf, n);
    }
    return out;
  }

  int before = 0;
  std::vector<levee_stream *> streams;
  std::vector<int> fds;
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 23);
  return s;
}

TEST_F(Stream, NewRejectsBadArgumentsAndClosedFds) {
  levee_stream *s = nullptr;
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_new(nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_new(&s, -1));
  int p[2];
  ASSERT_EQ(0, pipe(p));
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(LEVEE_EBADF, levee_stream_new(&s, p[0]));
  EXPECT_EQ(nullptr, s);
}

TEST_F(Stream, NewMakesTheFdNonBlockingAndReportsIt) {
  int p[2];
  ASSERT_EQ(0, pipe(p));
  fds.push_back(p[1]);
  EXPECT_EQ(0, levee_fd_is_nonblock(p[0]));
  levee_stream *s = wrap(p[0]);
  EXPECT_EQ(1, levee_fd_is_nonblock(p[0]));
  EXPECT_EQ(p[0], levee_stream_fd(s));
  EXPECT_EQ(-1, levee_stream_fd(nullptr));
  // A blocking fd would have hung here; the stream answers WANT_READ.
  char c;
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(s, &c, 1));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(s));
}

TEST_F(Stream, ReadGivesDataThenClosedAtEndOfInput) {
  levee_stream *a, *b;
  pair(&a, &b);
  ASSERT_EQ(5, levee_stream_write(a, "hello", 5));
  EXPECT_EQ(0, levee_stream_want(a));
  char buf[16];
  ASSERT_EQ(5, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(0, memcmp(buf, "hello", 5));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(b, buf, sizeof buf));
  ASSERT_EQ(0, levee_stream_close(a));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_want(b));
  // End of input stays end of input.
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(b, buf, sizeof buf));
}

TEST_F(Stream, AShortReadOfAPlainFdSaysItDrainedTheFd) {
  levee_stream *a, *b;
  pair(&a, &b);
  ASSERT_EQ(6, levee_stream_write(a, "abcdef", 6));
  char buf[16];
  // All that was asked for: maybe more is there.
  EXPECT_EQ(4, levee_stream_read(b, buf, 4));
  EXPECT_EQ(0, levee_stream_want(b));
  // Less than asked: the fd is drained, wait before reading again.
  EXPECT_EQ(2, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(b));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(b, buf, sizeof buf));
  levee_buffer *lb;
  ASSERT_EQ(0, levee_buffer_new(&lb, 0));
  ASSERT_EQ(3, levee_stream_write(a, "xyz", 3));
  EXPECT_EQ(3, levee_stream_read_buffer(b, lb, 0));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(b));
  ASSERT_EQ(3, levee_stream_write(a, "xyz", 3));
  EXPECT_EQ(3, levee_stream_read_buffer(b, lb, 3));
  EXPECT_EQ(0, levee_stream_want(b));
  levee_buffer_free(lb);
}

TEST_F(Stream, DrainedHoldsFromAShortReadUntilTheNextReadAcrossWrites) {
  levee_stream *a, *b;
  pair(&a, &b);
  char buf[16];
  EXPECT_EQ(0, levee_stream_drained(b)) << "nothing was read yet";
  ASSERT_EQ(6, levee_stream_write(a, "abcdef", 6));
  EXPECT_EQ(4, levee_stream_read(b, buf, 4));
  EXPECT_EQ(0, levee_stream_drained(b)) << "a full read may have left bytes";
  EXPECT_EQ(2, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(1, levee_stream_drained(b));
  // A write (the echo's) does not make the fd readable: still drained.
  ASSERT_EQ(2, levee_stream_write(b, "ef", 2));
  EXPECT_EQ(1, levee_stream_drained(b));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(1, levee_stream_drained(b));
  // Bytes that arrive since do not change it (they come with an edge);
  // the read that takes them does.
  ASSERT_EQ(3, levee_stream_write(a, "xyz", 3));
  EXPECT_EQ(1, levee_stream_drained(b));
  EXPECT_EQ(3, levee_stream_read(b, buf, 3));
  EXPECT_EQ(0, levee_stream_drained(b));
  // A zero-length read forgets a drained state (the fd was read another way).
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(1, levee_stream_drained(b));
  EXPECT_EQ(0, levee_stream_read(b, nullptr, 0));
  EXPECT_EQ(0, levee_stream_drained(b));
  // So does reading into a buffer that the bytes fill.
  levee_buffer *lb;
  ASSERT_EQ(0, levee_buffer_new(&lb, 0));
  ASSERT_EQ(1, levee_stream_write(a, "q", 1));
  EXPECT_EQ(1, levee_stream_read_buffer(b, lb, 0));
  EXPECT_EQ(1, levee_stream_drained(b));
  ASSERT_EQ(2, levee_stream_write(a, "qq", 2));
  EXPECT_EQ(1, levee_stream_read_buffer(b, lb, 1));
  EXPECT_EQ(0, levee_stream_drained(b));
  levee_buffer_free(lb);
  // End of input is not drained: the next read answers at once.
  EXPECT_EQ(2, levee_stream_read(a, buf, sizeof buf));  // the echo, or closing resets b
  ASSERT_EQ(0, levee_stream_close(a));
  EXPECT_EQ(1, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_drained(b));
  ASSERT_EQ(0, levee_stream_close(b));
  EXPECT_EQ(0, levee_stream_drained(b)) << "closed";
  EXPECT_EQ(0, levee_stream_drained(nullptr));
}

TEST_F(Stream, DrainedHoldsForTcpAndPipesOnly) {
  char buf[16];
  // A loopback TCP connection and a pipe: a short read drains them.
  int c, sfd;
  tcp(&c, &sfd);
  levee_stream *tc = wrap(c), *ts = wrap(sfd);
  ASSERT_EQ(2, levee_stream_write(tc, "hi", 2));
  ASSERT_EQ("hi", read_all(ts, 2));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(ts, buf, sizeof buf));
  EXPECT_EQ(1, levee_stream_drained(ts));
  int p[2];
  ASSERT_EQ(0, pipe(p));
  levee_stream *pr = wrap(p[0]), *pw = wrap(p[1]);
  ASSERT_EQ(3, levee_stream_write(pw, "abc", 3));
  EXPECT_EQ(3, levee_stream_read(pr, buf, sizeof buf));
  EXPECT_EQ(1, levee_stream_drained(pr));
  // A datagram socket gives one message per read: a short read says
  // nothing about the next message.
  int dv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, dv));
  levee_stream *da = wrap(dv[0]), *db = wrap(dv[1]);
  ASSERT_EQ(1, levee_stream_write(da, "1", 1));
  ASSERT_EQ(2, levee_stream_write(da, "22", 2));
  EXPECT_EQ(1, levee_stream_read(db, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_drained(db)) << "the second message is there";
  EXPECT_EQ(2, levee_stream_read(db, buf, sizeof buf));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(db, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_drained(db));
  // A tty in canonical mode gives one line per read.
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(m, 0);
  fds.push_back(m);
  ASSERT_EQ(0, grantpt(m));
  ASSERT_EQ(0, unlockpt(m));
  int t = open(ptsname(m), O_RDWR | O_NOCTTY);
  ASSERT_GE(t, 0);
  levee_stream *tty = wrap(t);
  ASSERT_EQ(4, write(m, "a\nb\n", 4));
  std::string line;
  for (int i = 0; i < 2000 && line.empty(); ++i) {
    int64_t n = levee_stream_read(tty, buf, sizeof buf);
    if (n > 0) line.assign(buf, n);
    else usleep(1000);
  }
  EXPECT_EQ("a\n", line);
  EXPECT_EQ(0, levee_stream_drained(tty)) << "the second line is there";
  EXPECT_EQ(2, levee_stream_read(tty, buf, sizeof buf));
  // A regular file: a short read is its end, not a drain.
  char path[] = "/tmp/levee-drained-XXXXXX";
  int f = mkstemp(path);
  ASSERT_GE(f, 0);
  unlink(path);
  ASSERT_EQ(3, write(f, "abc", 3));
  ASSERT_EQ(0, lseek(f, 0, SEEK_SET));
  levee_stream *fs = wrap(f);
  EXPECT_EQ(3, levee_stream_read(fs, buf, sizeof buf));
  EXPECT_EQ(0, levee_stream_drained(fs));
}

TEST_F(Stream, ReadOfAPipeAfterTheWriterClosedIsClosed) {
  int p[2];
  ASSERT_EQ(0, pipe(p));
  levee_stream *r = wrap(p[0]);
  levee_stream *w = wrap(p[1]);
  ASSERT_EQ(3, levee_stream_write(w, "abc", 3));
  ASSERT_EQ(0, levee_stream_close(w));
  char buf[8];
  EXPECT_EQ(3, levee_stream_read(r, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(r, buf, sizeof buf));
}

TEST_F(Stream, ZeroLengthCallsDoNothing) {
  levee_stream *a, *b;
  pair(&a, &b);
  EXPECT_EQ(0, levee_stream_read(b, nullptr, 0));
  EXPECT_EQ(0, levee_stream_write(a, nullptr, 0));
  EXPECT_EQ(0, levee_stream_writev(a, nullptr, 0));
  levee_iovec_entry empty[3] = {{"x", 0}, {"y", 0}, {"z", 0}};
  EXPECT_EQ(0, levee_stream_writev(a, empty, 3));
  EXPECT_EQ(0, levee_stream_sendfile(a, 0, 0, 0));
  EXPECT_EQ(0, levee_stream_splice(a, b, 0));
  levee_buffer *buf;
  ASSERT_EQ(0, levee_buffer_new(&buf, 0));
  EXPECT_EQ(0, levee_stream_write_buffer(a, buf, 100));
  levee_iovec *iov;
  ASSERT_EQ(0, levee_iovec_new(&iov, 0));
  EXPECT_EQ(0, levee_stream_write_iovec(a, iov));
  levee_iovec_free(iov);
  levee_buffer_free(buf);
  // Nothing was sent: the peer has nothing to read.
  char c;
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read(b, &c, 1));
}

TEST_F(Stream, NullArgumentsAreEinval) {
  levee_stream *a, *b;
  pair(&a, &b);
  char c;
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_read(nullptr, &c, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_read(a, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_write(a, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_writev(a, nullptr, 1));
  levee_iovec_entry e = {"x", 1};
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_writev(a, &e, -1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_read_buffer(a, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_write_buffer(a, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_write_iovec(a, nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_shutdown(a, 3));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_shutdown(a, -1));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_close(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_release(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_handshake(nullptr));
  EXPECT_EQ(0, levee_stream_want(nullptr));
  EXPECT_EQ(0, levee_stream_inflight(nullptr));
  levee_stream_free(nullptr);
}

TEST_F(Stream, WriteToAVanishedReaderIsEPIPEWithoutASignal) {
  // No SIGPIPE handler is installed: a signal would kill the test binary.
  levee_stream *a, *b;
  pair(&a, &b);
  ASSERT_EQ(0, levee_stream_close(b));
  EXPECT_EQ(LEVEE_EPIPE, levee_stream_write(a, "x", 1));
  levee_iovec_entry v[2] = {{"ab", 2}, {"cd", 2}};
  EXPECT_EQ(LEVEE_EPIPE, levee_stream_writev(a, v, 2));

  // A pipe is not a socket: the stream falls back to write(2), where
  // SIGPIPE is the caller's to ignore.
  int p[2];
  ASSERT_EQ(0, pipe(p));
  levee_stream *r = wrap(p[0]);
  levee_stream *w = wrap(p[1]);
  ASSERT_EQ(2, levee_stream_write(w, "ok", 2));
  char buf[4];
  EXPECT_EQ(2, levee_stream_read(r, buf, 4));
}

TEST_F(Stream, ResetByThePeerIsECONNRESET) {
  int c = -1, s = -1;
  tcp(&c, &s);
  levee_stream *cs = wrap(c);
  // The server leaves unread bytes and closes with SO_LINGER 0: a reset.
  ASSERT_EQ(4, levee_stream_write(cs, "data", 4));
  usleep(20000);
  ASSERT_EQ(0, levee_socket_setopt(s, "linger", 0));
  close(s);
  char buf[8];
  int64_t n = LEVEE_WANT_READ;
  for (int i = 0; i < 1000 && n == LEVEE_WANT_READ; ++i) {
    n = levee_stream_read(cs, buf, sizeof buf);
    if (n == LEVEE_WANT_READ) usleep(1000);
  }
  EXPECT_EQ(LEVEE_ECONNRESET, n);
  // Writing after the reset fails too, without a signal.
  int64_t w = levee_stream_write(cs, "more", 4);
  EXPECT_TRUE(w == LEVEE_EPIPE || w == LEVEE_ECONNRESET) << w;
}

TEST_F(Stream, ShortWriteOnAFullSocketReportsHowFarAndWantWrite) {
  levee_stream *a, *b;
  pair(&a, &b, 4096);
  std::string big = pattern(1 << 20);
  int64_t n = levee_stream_write(a, big.data(), big.size());
  ASSERT_GT(n, 0);
  ASSERT_LT(n, static_cast<int64_t>(big.size()));
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(a));
  // Nothing more fits: nothing written, WANT_WRITE.
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_write(a, big.data() + n, big.size() - n));
  // The reader drains, the writer goes on where it stopped.
  size_t sent = n;
  std::string got;
  char buf[65536];
  while (got.size() < big.size()) {
    int64_t r = levee_stream_read(b, buf, sizeof buf);
    if (r > 0) got.append(buf, r);
    else ASSERT_EQ(LEVEE_WANT_READ, r);
    if (sent < big.size()) {
      int64_t w = levee_stream_write(a, big.data() + sent, big.size() - sent);
      if (w > 0) sent += w;
      else ASSERT_EQ(LEVEE_WANT_WRITE, w);
    }
  }
  EXPECT_EQ(big, got);
}

TEST_F(Stream, WritevAdvancesEntriesInPlaceAcrossShortWrites) {
  levee_stream *a, *b;
  pair(&a, &b, 4096);
  std::string x = pattern(300000), y = "middle", z = pattern(200000);
  levee_iovec_entry v[4] = {{x.data(), x.size()}, {"", 0}, {y.data(), y.size()}, {z.data(), z.size()}};
  size_t total = x.size() + y.size() + z.size(), sent = 0;
  std::string got;
  char buf[65536];
  int shorts = 0;
  while (got.size() < total) {
    if (sent < total) {
      int64_t w = levee_stream_writev(a, v, 4);
      if (w > 0) {
        sent += w;
        if (sent < total) {
          ++shorts;
          EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(a));
        }
      } else {
        ASSERT_EQ(LEVEE_WANT_WRITE, w);
      }
      size_t left = 0;
      for (auto &e : v) left += e.len;
      // While the writes stop short the entries hold exactly what is left.
      if (sent < total) {
        ASSERT_EQ(total - sent, left);
      }
    }
    int64_t r = levee_stream_read(b, buf, sizeof buf);
    if (r > 0) got.append(buf, r);
  }
  EXPECT_GT(shorts, 0);
  EXPECT_EQ(x + y + z, got);
}

TEST_F(Stream, WritevLeavesTheEntriesAloneWhenEverythingWent) {
  levee_stream *a, *b;
  pair(&a, &b);
  levee_iovec_entry v[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
  ASSERT_EQ(5, levee_stream_writev(a, v, 3));
  EXPECT_EQ(2u, v[0].len);
  EXPECT_EQ(3u, v[2].len);
  EXPECT_EQ(0, memcmp(v[2].base, "cde", 3));
  // The same entries again: the same bytes again.
  ASSERT_EQ(5, levee_stream_writev(a, v, 3));
  EXPECT_EQ("abcdeabcde", read_all(b, 10));
}

TEST_F(Stream, WritevTakesMoreEntriesThanIovMax) {
  levee_stream *a, *b;
  pair(&a, &b);
  std::vector<std::string> parts;
  std::vector<levee_iovec_entry> v;
  std::string want;
  for (int i = 0; i < IOV_MAX * 2 + 7; ++i) parts.push_back(std::to_string(i) + ",");
  for (auto &p : parts) {
    v.push_back({p.data(), p.size()});
    want += p;
  }
  ASSERT_EQ(static_cast<int64_t>(want.size()), levee_stream_writev(a, v.data(), static_cast<int32_t>(v.size())));
  EXPECT_EQ(want, read_all(b, want.size()));
}

TEST_F(Stream, ReadBufferCommitsOnlyWhatArrived) {
  levee_stream *a, *b;
  pair(&a, &b);
  levee_buffer *buf;
  ASSERT_EQ(0, levee_buffer_new(&buf, 0));
  // Nothing there: nothing committed (the room made stays free).
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_read_buffer(b, buf, 100));
  EXPECT_EQ(0u, levee_buffer_len(buf));
  EXPECT_GE(levee_buffer_available(buf), 100u);
  ASSERT_EQ(10, levee_stream_write(a, "0123456789", 10));
  // At most n.
  EXPECT_EQ(4, levee_stream_read_buffer(b, buf, 4));
  EXPECT_EQ(4u, levee_buffer_len(buf));
  // n 0: as much as the tail holds, at least 4 KiB made free.
  levee_buffer *empty;
  ASSERT_EQ(0, levee_buffer_new(&empty, 0));
  EXPECT_EQ(6, levee_stream_read_buffer(b, empty, 0));
  EXPECT_GE(levee_buffer_cap(empty), 4096u);
  EXPECT_EQ(0, memcmp(levee_buffer_value(buf), "0123", 4));
  EXPECT_EQ(0, memcmp(levee_buffer_value(empty), "456789", 6));
  ASSERT_EQ(0, levee_stream_close(a));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read_buffer(b, buf, 0));
  EXPECT_EQ(4u, levee_buffer_len(buf));
  levee_buffer_free(buf);
  levee_buffer_free(empty);
}

TEST_F(Stream, ReadBufferGrowsForLargeReads) {
  levee_stream *a, *b;
  pair(&a, &b);
  std::string data = pattern(100000);
  levee_buffer *buf;
  ASSERT_EQ(0, levee_buffer_new(&buf, 0));
  size_t sent = 0;
  while (levee_buffer_len(buf) < data.size()) {
    if (sent < data.size()) {
      int64_t w = levee_stream_write(a, data.data() + sent, data.size() - sent);
      if (w > 0) sent += w;
    }
    int64_t r = levee_stream_read_buffer(b, buf, data.size() - levee_buffer_len(buf));
    ASSERT_TRUE(r > 0 || r == LEVEE_WANT_READ) << r;
  }
  EXPECT_EQ(data, std::string(reinterpret_cast<char *>(levee_buffer_value(buf)), levee_buffer_len(buf)));
  levee_buffer_free(buf);
}

TEST_F(Stream, WriteBufferTrimsWhatWasWritten) {
  levee_stream *a, *b;
  pair(&a, &b, 4096);
  levee_buffer *buf;
  ASSERT_EQ(0, levee_buffer_new(&buf, 0));
  std::string data = pattern(500000);
  ASSERT_EQ(0, levee_buffer_write(buf, data.data(), data.size()));
  // n beyond the length: all of it, as far as the socket takes.
  int64_t n = levee_stream_write_buffer(a, buf, SIZE_MAX);
  ASSERT_GT(n, 0);
  ASSERT_LT(n, static_cast<int64_t>(data.size()));
  EXPECT_EQ(data.size() - n, levee_buffer_len(buf));
  EXPECT_EQ(0, memcmp(levee_buffer_value(buf), data.data() + n, 16));
  std::string got = read_all(b, n);
  EXPECT_EQ(data.substr(0, n), got);
  // n smaller than the length: only n.
  EXPECT_EQ(3, levee_stream_write_buffer(a, buf, 3));
  EXPECT_EQ(data.substr(n, 3), read_all(b, 3));
  levee_buffer_free(buf);
}

TEST_F(Stream, WriteIovecConsumesWhatWasWritten) {
  levee_stream *a, *b;
  pair(&a, &b, 4096);
  levee_iovec *iov;
  ASSERT_EQ(0, levee_iovec_new(&iov, 0));
  std::string x = pattern(400000), y = "tail";
  ASSERT_EQ(0, levee_iovec_append(iov, x.data(), x.size()));
  ASSERT_EQ(0, levee_iovec_append(iov, y.data(), y.size()));
  size_t total = x.size() + y.size();
  int64_t n = levee_stream_write_iovec(a, iov);
  ASSERT_GT(n, 0);
  ASSERT_LT(n, static_cast<int64_t>(total));
  EXPECT_EQ(total - n, levee_iovec_bytes(iov));
  std::string got;
  char buf[65536];
  while (got.size() < total) {
    int64_t r = levee_stream_read(b, buf, sizeof buf);
    if (r > 0) got.append(buf, r);
    if (levee_iovec_bytes(iov)) {
      int64_t w = levee_stream_write_iovec(a, iov);
      ASSERT_TRUE(w > 0 || w == LEVEE_WANT_WRITE) << w;
    }
  }
  EXPECT_EQ(x + y, got);
  EXPECT_EQ(0u, levee_iovec_count(iov));
  levee_iovec_free(iov);
}

TEST_F(Stream, WriteIovecSkipsEmptyEntriesCommittedByBump) {
  levee_stream *a, *b;
  pair(&a, &b);
  levee_iovec *iov;
  ASSERT_EQ(0, levee_iovec_new(&iov, IOV_MAX + 8));
  levee_iovec_entry *e = levee_iovec_entries(iov);
  for (int i = 0; i < IOV_MAX + 4; ++i) e[i] = {"", 0};
  e[IOV_MAX + 4] = {"end", 3};
  ASSERT_EQ(0, levee_iovec_bump(iov, IOV_MAX + 5, SIZE_MAX));
  EXPECT_EQ(3, levee_stream_write_iovec(a, iov));
  EXPECT_EQ(0u, levee_iovec_count(iov));
  EXPECT_EQ("end", read_all(b, 3));
  levee_iovec_free(iov);
}

TEST_F(Stream, SendfileCopiesAFileFromAnOffsetOrItsPosition) {
  char path[] = "/tmp/levee-stream-XXXXXX";
  int f = mkstemp(path);
  ASSERT_GE(f, 0);
  unlink(path);
  fds.push_back(f);
  std::string data = pattern(10000);
  ASSERT_EQ(static_cast<ssize_t>(data.size()), write(f, data.data(), data.size()));
  levee_stream *a, *b;
  pair(&a, &b);
  // From an offset: the file position stays where it is (at the end).
  EXPECT_EQ(100, levee_stream_sendfile(a, f, 50, 100));
  EXPECT_EQ(data.substr(50, 100), read_all(b, 100));
  EXPECT_EQ(static_cast<off_t>(data.size()), lseek(f, 0, SEEK_CUR));
  // From the position, which advances; 0 at the end of the file.
  ASSERT_EQ(9990, lseek(f, 9990, SEEK_SET));
  EXPECT_EQ(10, levee_stream_sendfile(a, f, -1, 100));
  EXPECT_EQ(0, levee_stream_sendfile(a, f, -1, 100));
  EXPECT_EQ(data.substr(9990), read_all(b, 10));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_sendfile(a, -1, 0, 10));
}

TEST_F(Stream, SendfileToAFullSocketIsWantWrite) {
  char path[] = "/tmp/levee-stream-XXXXXX";
  int f = mkstemp(path);
  ASSERT_GE(f, 0);
  unlink(path);
  fds.push_back(f);
  std::string data = pattern(1 << 20);
  ASSERT_EQ(static_cast<ssize_t>(data.size()), write(f, data.data(), data.size()));
  levee_stream *a, *b;
  pair(&a, &b, 4096);
  int64_t off = 0, r;
  while ((r = levee_stream_sendfile(a, f, off, data.size() - off)) > 0) off += r;
  EXPECT_EQ(LEVEE_WANT_WRITE, r);
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(a));
  EXPECT_LT(off, static_cast<int64_t>(data.size()));
  EXPECT_EQ(data.substr(0, off), read_all(b, off));
}

TEST_F(Stream, SpliceMovesBytesBetweenSocketsThroughItsPipe) {
  levee_stream *in_w, *in_r, *out_w, *out_r;
  pair(&in_w, &in_r);
  pair(&out_w, &out_r);
  // Nothing to take yet.
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_splice(out_w, in_r, 100));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(out_w));
  std::string data = pattern(5000);
  ASSERT_EQ(5000, levee_stream_write(in_w, data.data(), data.size()));
  // At most n.
  EXPECT_EQ(1000, levee_stream_splice(out_w, in_r, 1000));
  EXPECT_EQ(0, levee_stream_inflight(out_w));
  EXPECT_EQ(4000, levee_stream_splice(out_w, in_r, 10000));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(out_w));
  EXPECT_EQ(data, read_all(out_r, 5000));
  ASSERT_EQ(0, levee_stream_close(in_w));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_splice(out_w, in_r, 10));
}

TEST_F(Stream, SpliceKeepsBytesInFlightWhenTheTargetIsFull) {
  levee_stream *in_w, *in_r, *out_w, *out_r;
  pair(&in_w, &in_r);
  pair(&out_w, &out_r, 4096);
  std::string data = pattern(300000);
  size_t written = 0, delivered = 0;
  std::string got;
  char buf[65536];
  bool saw_inflight = false, saw_full = false;
  while (got.size() < data.size()) {
    if (written < data.size()) {
      int64_t w = levee_stream_write(in_w, data.data() + written, data.size() - written);
      if (w > 0) written += w;
    }
    if (delivered < data.size()) {
      int64_t r = levee_stream_splice(out_w, in_r, data.size() - delivered);
      if (r > 0) delivered += r;
      else ASSERT_TRUE(r == LEVEE_WANT_READ || r == LEVEE_WANT_WRITE) << r;
      if (levee_stream_want(out_w) == LEVEE_WANT_WRITE) saw_full = true;
      if (levee_stream_inflight(out_w) > 0) saw_inflight = true;
    }
    // Drain the target slowly so it fills up now and then.
    int64_t r = levee_stream_read(out_r, buf, 1000);
    if (r > 0) got.append(buf, r);
  }
  EXPECT_TRUE(saw_full);
  EXPECT_TRUE(saw_inflight);
  EXPECT_EQ(data, got);
  EXPECT_EQ(0, levee_stream_inflight(out_w));
}

TEST_F(Stream, HandshakeOfThePlainTransportIsDone) {
  levee_stream *a, *b;
  pair(&a, &b);
  EXPECT_EQ(0, levee_stream_handshake(a));
  EXPECT_EQ(0, levee_stream_want(a));
}

TEST_F(Stream, ShutdownHalfClosesTheSocket) {
  levee_stream *a, *b;
  pair(&a, &b);
  ASSERT_EQ(2, levee_stream_write(a, "hi", 2));
  ASSERT_EQ(0, levee_stream_shutdown(a, 1));
  char buf[8];
  EXPECT_EQ(2, levee_stream_read(b, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(b, buf, sizeof buf));
  // The other direction still works.
  ASSERT_EQ(3, levee_stream_write(b, "yes", 3));
  EXPECT_EQ("yes", read_all(a, 3));
  EXPECT_EQ(LEVEE_EPIPE, levee_stream_write(a, "x", 1));
  // A pipe has no half-close.
  int p[2];
  ASSERT_EQ(0, pipe(p));
  levee_stream *r = wrap(p[0]);
  wrap(p[1]);
  EXPECT_EQ(LEVEE_ENOTSOCK, levee_stream_shutdown(r, 0));
}

TEST_F(Stream, CloseClosesTheFdAndLeavesAStreamThatAnswersEBADF) {
  levee_stream *a, *b;
  pair(&a, &b);
  int fd = levee_stream_fd(a);
  ASSERT_EQ(0, levee_stream_close(a));
  EXPECT_EQ(-1, fcntl(fd, F_GETFD));
  EXPECT_EQ(-1, levee_stream_fd(a));
  char c;
  levee_iovec_entry e = {"x", 1};
  EXPECT_EQ(LEVEE_EBADF, levee_stream_read(a, &c, 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_write(a, "x", 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_writev(a, &e, 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_sendfile(a, 0, 0, 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_splice(a, b, 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_splice(b, a, 1));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_handshake(a));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_shutdown(a, 2));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_close(a));
  EXPECT_EQ(LEVEE_EBADF, levee_stream_release(a));
  // The peer sees the end of input.
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(b, &c, 1));
}

TEST_F(Stream, ReleaseGivesTheFdUpWithoutClosingIt) {
  levee_stream *a, *b;
  pair(&a, &b);
  int fd = levee_stream_fd(a);
  ASSERT_EQ(fd, levee_stream_release(a));
  EXPECT_EQ(-1, levee_stream_fd(a));
  EXPECT_NE(-1, fcntl(fd, F_GETFD));
  char c;
  EXPECT_EQ(LEVEE_EBADF, levee_stream_read(a, &c, 1));
  // Freeing the released stream leaves the fd alone.
  levee_stream_free(a);
  streams.erase(streams.begin());
  EXPECT_NE(-1, fcntl(fd, F_GETFD));
  EXPECT_EQ(1, levee_fd_write(fd, "z", 1));
  EXPECT_EQ("z", read_all(b, 1));
  close(fd);
}

TEST_F(Stream, FreeClosesTheFdAndEndsAnySplicePipe) {
  levee_stream *a, *b, *c, *d;
  pair(&a, &b);
  pair(&c, &d);
  ASSERT_EQ(1, levee_stream_write(a, "q", 1));
  ASSERT_EQ(1, levee_stream_splice(c, b, 1));  // c now holds a pipe
  int fd = levee_stream_fd(c);
  levee_stream_free(c);
  streams.erase(streams.begin() + 2);
  EXPECT_EQ(-1, fcntl(fd, F_GETFD));
  // The fd count check in TearDown proves the pipe went with it.
}

TEST_F(Stream, OpenMakesAStreamOverAFileWithoutBlockingOnAFifo) {
  char dir[] = "/tmp/levee-stream-XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(dir));
  std::string file = std::string(dir) + "/f", fifo = std::string(dir) + "/p";
  levee_stream *w = nullptr, *r = nullptr;
  EXPECT_EQ(LEVEE_ENOENT, levee_stream_open(&r, file.c_str(), levee_fs_open_mode("r"), 0644));
  EXPECT_EQ(LEVEE_EINVAL, levee_stream_open(&r, nullptr, 0, 0));
  ASSERT_EQ(0, levee_stream_open(&w, file.c_str(), levee_fs_open_mode("w+"), 0644));
  streams.push_back(w);
  EXPECT_EQ(1, levee_fd_is_nonblock(levee_stream_fd(w)));
  EXPECT_EQ(FD_CLOEXEC, fcntl(levee_stream_fd(w), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(4, levee_stream_write(w, "file", 4));
  ASSERT_EQ(0, levee_stream_open(&r, file.c_str(), levee_fs_open_mode("r"), 0));
  streams.push_back(r);
  char buf[8];
  EXPECT_EQ(4, levee_stream_read(r, buf, sizeof buf));
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(r, buf, sizeof buf));  // end of the file
  EXPECT_EQ(LEVEE_EEXIST, levee_stream_open(&r, file.c_str(), levee_fs_open_mode("wx"), 0644));
  // pread leaves the position alone.
  EXPECT_EQ(2, levee_fd_pread(levee_stream_fd(w), buf, 2, 1));
  EXPECT_EQ(0, memcmp(buf, "il", 2));
  EXPECT_EQ(0, levee_fd_pread(levee_stream_fd(w), buf, 2, 100));
  EXPECT_EQ(LEVEE_EINVAL, levee_fd_pread(levee_stream_fd(w), buf, 2, -1));
  // Opening a FIFO for reading returns at once, with no writer yet.
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  levee_stream *f = nullptr;
  ASSERT_EQ(0, levee_stream_open(&f, fifo.c_str(), levee_fs_open_mode("r"), 0));
  levee_stream_free(f);
  unlink(fifo.c_str());
  unlink(file.c_str());
  rmdir(dir);
}

TEST(StreamErrors, WantAnswersAreNotErrors) {
  // Distinct from every registered code, and from each other.
  EXPECT_NE(LEVEE_WANT_READ, LEVEE_WANT_WRITE);
  EXPECT_EQ(nullptr, levee_error_get(LEVEE_WANT_READ));
  EXPECT_EQ(nullptr, levee_error_get(LEVEE_WANT_WRITE));
  EXPECT_NE(LEVEE_WANT_READ, LEVEE_EAGAIN);
  EXPECT_NE(LEVEE_WANT_READ, LEVEE_CLOSED);
}

}  // namespace
