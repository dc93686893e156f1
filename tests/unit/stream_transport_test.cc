// White-box tests of the place TLS plugs into: a levee_stream over a
// scripted levee::Transport. The stream must add its loops on top of the
// transport's single steps and pass every answer through (a read that
// wants the fd writable, a write that wants it readable), keep raw-fd
// shortcuts away from transports that are not raw, and end the transport
// on shutdown, close, release and free.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <string>

#include "stream.h"

namespace {

struct Script : levee::Transport {
  std::deque<int64_t> reads, writes, handshakes;  // answers; > 0: bytes taken
  std::string written;
  int *ended, *ended_write;

  Script(int *e, int *ew) : ended(e), ended_write(ew) {}

  static int64_t next(std::deque<int64_t> &q) {
    if (q.empty()) return LEVEE_WANT_READ;
    int64_t a = q.front();
    q.pop_front();
    return a;
  }
  int handshake(int) override { return static_cast<int>(next(handshakes)); }
  int64_t read(int, void *dst, size_t n) override {
    int64_t a = next(reads);
    if (a <= 0) return a;
    size_t k = std::min<size_t>(a, n);
    memset(dst, 'r', k);
    return static_cast<int64_t>(k);
  }
  int64_t write(int, const void *src, size_t n) override {
    int64_t a = next(writes);
    if (a <= 0) return a;
    size_t k = std::min<size_t>(a, n);
    written.append(static_cast<const char *>(src), k);
    return static_cast<int64_t>(k);
  }
  void end_write(int) override { ++*ended_write; }
  void end(int) override { ++*ended; }
};

struct Fixture : ::testing::Test {
  levee_stream *s = nullptr;
  Script *t = nullptr;
  int ended = 0, ended_write = 0, peer = -1;

  void SetUp() override {
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    peer = sv[1];
    ASSERT_EQ(0, levee_stream_new(&s, sv[0]));
    auto script = std::make_unique<Script>(&ended, &ended_write);
    t = script.get();
    levee::stream_set_transport(s, std::move(script));
    ASSERT_EQ(t, levee::stream_transport(s));
  }
  void TearDown() override {
    levee_stream_free(s);
    close(peer);
  }
};

TEST_F(Fixture, AReadThatWantsTheFdWritableSaysSo) {
  t->reads = {LEVEE_WANT_WRITE, 4};
  char buf[8];
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_read(s, buf, sizeof buf));
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(s));
  EXPECT_EQ(4, levee_stream_read(s, buf, sizeof buf));
  // A short read of a transport that may hold more does not say "drained".
  EXPECT_EQ(0, levee_stream_want(s));
  t->reads = {LEVEE_CLOSED};
  EXPECT_EQ(LEVEE_CLOSED, levee_stream_read(s, buf, sizeof buf));
}

TEST_F(Fixture, WritesLoopOverShortStepsAndStopAtAWantReadOfTheTransport) {
  t->writes = {3, 2, LEVEE_WANT_READ};
  EXPECT_EQ(5, levee_stream_write(s, "abcdefgh", 8));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(s));
  EXPECT_EQ("abcde", t->written);
  t->writes = {LEVEE_WANT_READ};
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_write(s, "fgh", 3));
  t->writes = {10};
  EXPECT_EQ(3, levee_stream_write(s, "fgh", 3));
  EXPECT_EQ("abcdefgh", t->written);
  t->writes = {LEVEE_ECONNRESET};
  EXPECT_EQ(LEVEE_ECONNRESET, levee_stream_write(s, "x", 1));
}

TEST_F(Fixture, WritevGoesEntryByEntryThroughATransportThatCannotGather) {
  t->writes = {100, 100, 1, LEVEE_WANT_WRITE};
  levee_iovec_entry v[4] = {{"abc", 3}, {"", 0}, {"de", 2}, {"fg", 2}};
  EXPECT_EQ(6, levee_stream_writev(s, v, 4));
  EXPECT_EQ("abcdef", t->written);
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_want(s));
  EXPECT_EQ(1u, v[3].len);  // stopped short: advanced in place
  t->writes = {100};
  EXPECT_EQ(1, levee_stream_writev(s, v, 4));
  EXPECT_EQ("abcdefg", t->written);
}

TEST_F(Fixture, RawShortcutsAreRefusedForATransportThatIsNotRaw) {
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_sendfile(s, 0, 0, 10));
  levee_stream *plain;
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_EQ(0, levee_stream_new(&plain, sv[0]));
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_splice(s, plain, 10));
  EXPECT_EQ(LEVEE_ENOTSUP, levee_stream_splice(plain, s, 10));
  levee_stream_free(plain);
  close(sv[1]);
}

TEST_F(Fixture, HandshakeStepsPassTheirAnswersThrough) {
  t->handshakes = {LEVEE_WANT_READ, LEVEE_WANT_WRITE, 0};
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_handshake(s));
  EXPECT_EQ(LEVEE_WANT_READ, levee_stream_want(s));
  EXPECT_EQ(LEVEE_WANT_WRITE, levee_stream_handshake(s));
  EXPECT_EQ(0, levee_stream_handshake(s));
  EXPECT_EQ(0, levee_stream_want(s));
}

TEST_F(Fixture, ShutdownEndsTheWritingSideAndCloseEndsTheTransport) {
  EXPECT_EQ(0, levee_stream_shutdown(s, 0));
  EXPECT_EQ(0, ended_write);  // reading side only
  EXPECT_EQ(0, levee_stream_shutdown(s, 1));
  EXPECT_EQ(1, ended_write);
  EXPECT_EQ(0, ended);
  EXPECT_EQ(0, levee_stream_close(s));
  EXPECT_EQ(1, ended);
  EXPECT_EQ(nullptr, levee::stream_transport(s));
}

TEST_F(Fixture, ReleaseEndsTheTransportAndKeepsTheFd) {
  int fd = levee_stream_fd(s);
  EXPECT_EQ(fd, levee_stream_release(s));
  EXPECT_EQ(1, ended);
  EXPECT_EQ(0, close(fd));
}

TEST(StreamTransport, FreeEndsTheTransport) {
  int ended = 0, ended_write = 0, sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  levee_stream *s;
  ASSERT_EQ(0, levee_stream_new(&s, sv[0]));
  levee::stream_set_transport(s, std::make_unique<Script>(&ended, &ended_write));
  levee_stream_free(s);
  EXPECT_EQ(1, ended);
  close(sv[1]);
}

}  // namespace
