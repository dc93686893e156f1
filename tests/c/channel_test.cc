// Black-box tests of levee_chan_* (values of every type, order, close
// rules, moved buffers, senders inside messages, a 4-producer stress) and
// of levee_thread_lua with stand-in Lua entry points.
#include <gtest/gtest.h>
#include <levee.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Chan {
  levee_chan *c = nullptr;
  int fd = -1;
  Chan() {
    EXPECT_EQ(0, levee_chan_new(&c));
    fd = levee_chan_watch_fd(c);
    EXPECT_GE(fd, 0);
  }
  ~Chan() {
    levee_chan_free(c);
    close(fd);
  }
  bool wait(int ms = 5000) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
  }
  std::vector<levee_chan_msg> recv(int max = 64) {
    std::vector<levee_chan_msg> out(max);
    int n = levee_chan_recv(c, out.data(), max);
    EXPECT_GE(n, 0);
    out.resize(n < 0 ? 0 : n);
    return out;
  }
};

levee_chan_sender *sender(levee_chan *c, uint64_t id) {
  levee_chan_sender *s = nullptr;
  EXPECT_EQ(0, levee_chan_sender_new(&s, c, id));
  return s;
}

TEST(Chan, CarriesEveryValueTypeInOrder) {
  Chan ch;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 5));
  levee_chan_sender *s = sender(ch.c, 5);
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_BOOL, 1, 0, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_NUMBER, 0, 2.5, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_INT64, INT64_MIN, 0, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_UINT64, -1, 0, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_BYTES, 0, 0, "a\0b", 3));
  EXPECT_EQ(0, levee_chan_send(s, LEVEE_TIMEOUT, LEVEE_VAL_ERROR, LEVEE_EPIPE, 0, nullptr, 0));
  void *mem = std::malloc(4);
  std::memcpy(mem, "data", 4);
  EXPECT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_DATA, 0, 0, mem, 4));
  ASSERT_TRUE(ch.wait());
  auto m = ch.recv();
  ASSERT_EQ(8u, m.size());
  for (auto &x : m) EXPECT_EQ(5u, x.recver);
  EXPECT_EQ(LEVEE_VAL_NIL, m[0].type);
  EXPECT_EQ(LEVEE_VAL_BOOL, m[1].type);
  EXPECT_EQ(1, m[1].i);
  EXPECT_EQ(2.5, m[2].num);
  EXPECT_EQ(INT64_MIN, m[3].i);
  EXPECT_EQ(UINT64_MAX, uint64_t(m[4].i));
  EXPECT_EQ(std::string("a\0b", 3), std::string(static_cast<char *>(m[5].ptr), m[5].len));
  EXPECT_EQ(LEVEE_TIMEOUT, m[6].err);
  EXPECT_EQ(LEVEE_EPIPE, m[6].i);
  EXPECT_EQ(mem, m[7].ptr);  // moved, not copied
  std::free(m[7].ptr);
  levee_chan_sender_free(s);
}

TEST(Chan, BufferBytesMoveAndTheSendersBufferIsLeftEmpty) {
  Chan ch;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 1));
  levee_chan_sender *s = sender(ch.c, 1);
  levee_buffer *b = nullptr;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  ASSERT_EQ(0, levee_buffer_write(b, "payload", 7));
  const uint8_t *bytes = levee_buffer_value(b);
  ASSERT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_BUFFER, 0, 0, b, 0));
  EXPECT_EQ(0u, levee_buffer_len(b));
  auto m = ch.recv();
  ASSERT_EQ(1u, m.size());
  auto *got = static_cast<levee_buffer *>(m[0].ptr);
  EXPECT_EQ(7u, levee_buffer_len(got));
  EXPECT_EQ(bytes, levee_buffer_value(got));  // the same storage
  levee_buffer_free(got);
  // a refused send leaves the buffer untouched
  ASSERT_EQ(0, levee_buffer_write(b, "again", 5));
  ASSERT_EQ(0, levee_chan_unbind(ch.c, 1));
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_send(s, 0, LEVEE_VAL_BUFFER, 0, 0, b, 0));
  EXPECT_EQ(5u, levee_buffer_len(b));
  levee_buffer_free(b);
  levee_chan_sender_free(s);
}

TEST(Chan, TheRecverClosesAfterItsLastSenderAndEveryEarlierMessage) {
  Chan ch;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 9));
  levee_chan_sender *a = sender(ch.c, 9), *b = sender(ch.c, 9);
  EXPECT_EQ(1, levee_chan_sender_same(a, b));
  EXPECT_EQ(0, levee_chan_send(a, 0, LEVEE_VAL_NUMBER, 0, 1, nullptr, 0));
  EXPECT_EQ(0, levee_chan_sender_close(a));
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_sender_close(a));
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_send(a, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  EXPECT_EQ(0, levee_chan_send(b, 0, LEVEE_VAL_NUMBER, 0, 2, nullptr, 0));
  auto m = ch.recv();
  ASSERT_EQ(2u, m.size());  // a's close is not the recver's: b remains
  levee_chan_sender_free(b);
  m = ch.recv();
  ASSERT_EQ(1u, m.size());
  EXPECT_EQ(LEVEE_CHAN_CLOSED, m[0].type);
  EXPECT_EQ(9u, m[0].recver);
  levee_chan_sender_free(a);
}

TEST(Chan, ASenderTravelsAsANewHandleToTheSameRecver) {
  Chan ch;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 1));
  ASSERT_EQ(0, levee_chan_bind(ch.c, 2));
  levee_chan_sender *to1 = sender(ch.c, 1), *to2 = sender(ch.c, 2);
  ASSERT_EQ(0, levee_chan_send(to1, 0, LEVEE_VAL_SENDER, 0, 0, to2, 0));
  levee_chan_sender_free(to2);  // the message holds its own handle
  auto m = ch.recv();
  ASSERT_EQ(1u, m.size());
  ASSERT_EQ(LEVEE_VAL_SENDER, m[0].type);
  auto *got = static_cast<levee_chan_sender *>(m[0].ptr);
  ASSERT_EQ(0, levee_chan_send(got, 0, LEVEE_VAL_BOOL, 0, 0, nullptr, 0));
  levee_chan_sender_free(got);
  m = ch.recv();
  ASSERT_EQ(2u, m.size());
  EXPECT_EQ(2u, m[0].recver);
  EXPECT_EQ(LEVEE_VAL_BOOL, m[0].type);
  EXPECT_EQ(LEVEE_CHAN_CLOSED, m[1].type);  // got was the last sender of 2
  levee_chan_sender_free(to1);
}

TEST(Chan, UnboundRecversAndClosedChannelsRefuseAndDropMessages) {
  Chan ch;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 1));
  EXPECT_EQ(LEVEE_EEXIST, levee_chan_bind(ch.c, 1));
  levee_chan_sender *s = nullptr;
  EXPECT_EQ(LEVEE_ENOENT, levee_chan_sender_new(&s, ch.c, 2));
  s = sender(ch.c, 1);
  levee_buffer *b = nullptr;
  ASSERT_EQ(0, levee_buffer_new(&b, 0));
  ASSERT_EQ(0, levee_buffer_write(b, "x", 1));
  ASSERT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_BUFFER, 0, 0, b, 0));  // queued, then dropped
  ASSERT_EQ(0, levee_chan_unbind(ch.c, 1));
  EXPECT_EQ(LEVEE_ENOENT, levee_chan_unbind(ch.c, 1));
  EXPECT_TRUE(ch.recv().empty());
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_send(s, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  ASSERT_EQ(0, levee_chan_bind(ch.c, 3));
  levee_chan_sender *t = sender(ch.c, 3);
  EXPECT_EQ(0, levee_chan_close(ch.c));
  EXPECT_EQ(0, levee_chan_close(ch.c));
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_send(t, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_bind(ch.c, 4));
  EXPECT_EQ(LEVEE_EINVAL, levee_chan_send(nullptr, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  levee_buffer_free(b);
  levee_chan_sender_free(s);
  levee_chan_sender_free(t);
}

TEST(Chan, SendersOutliveTheChannelHandle) {
  levee_chan *c = nullptr;
  ASSERT_EQ(0, levee_chan_new(&c));
  ASSERT_EQ(0, levee_chan_bind(c, 1));
  levee_chan_sender *s = sender(c, 1);
  ASSERT_EQ(0, levee_chan_send(s, 0, LEVEE_VAL_BYTES, 0, 0, "kept", 4));
  levee_chan_free(c);
  EXPECT_EQ(LEVEE_CLOSED, levee_chan_send(s, 0, LEVEE_VAL_NIL, 0, 0, nullptr, 0));
  levee_chan_sender_free(s);  // frees the channel
}

TEST(Chan, FourProducersAMillionMessagesNothingLostOrDuplicated) {
  Chan ch;
  const int producers = 4, per = 250000;
  ASSERT_EQ(0, levee_chan_bind(ch.c, 1));
  std::vector<levee_chan_sender *> senders;
  for (int p = 0; p < producers; ++p) senders.push_back(sender(ch.c, 1));
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per; ++i) {
        ASSERT_EQ(0, levee_chan_send(senders[p], 0, LEVEE_VAL_INT64, int64_t(p) << 32 | i, 0,
                                     nullptr, 0));
      }
      levee_chan_sender_free(senders[p]);
    });
  }
  std::vector<int> next(producers, 0);
  long total = 0;
  bool closed = false;
  std::vector<levee_chan_msg> buf(256);
  while (!closed) {
    int n = levee_chan_recv(ch.c, buf.data(), 256);
    ASSERT_GE(n, 0);
    if (n == 0) {
      ASSERT_TRUE(ch.wait(10000));
      continue;
    }
    for (int k = 0; k < n; ++k) {
      if (buf[k].type == LEVEE_CHAN_CLOSED) {
        closed = true;
        continue;
      }
      int p = int(buf[k].i >> 32), i = int(buf[k].i & 0xffffffff);
      ASSERT_EQ(next[p], i);  // each producer's messages in order, once
      next[p]++;
      total++;
    }
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(long(producers) * per, total);
}

// ---------------------------------------------------------------------
// levee_thread_lua with stand-in entry points: they record what the
// thread does with them.

struct FakeLua {
  std::string chunk, name;
  void *arg = nullptr;
  bool fail = false;
  bool closed = false;
};
FakeLua g_fake;
int g_state;

void *fake_newstate() { return &g_state; }
void fake_openlibs(void *) {}
int fake_loadbuffer(void *, const char *b, size_t n, const char *name) {
  g_fake.chunk.assign(b, n);
  g_fake.name = name;
  return 0;
}
void fake_pushlightuserdata(void *, void *p) { g_fake.arg = p; }
int fake_pcall(void *, int, int, int) { return g_fake.fail ? 2 : 0; }
const char *fake_tolstring(void *, int, size_t *len) {
  *len = 4;
  return "boom";
}
void fake_close(void *) { g_fake.closed = true; }

levee_lua_api fake_api() {
  levee_lua_api api;
  api.luaL_newstate = reinterpret_cast<void *>(fake_newstate);
  api.luaL_openlibs = reinterpret_cast<void *>(fake_openlibs);
  api.luaL_loadbuffer = reinterpret_cast<void *>(fake_loadbuffer);
  api.lua_pushlightuserdata = reinterpret_cast<void *>(fake_pushlightuserdata);
  api.lua_pcall = reinterpret_cast<void *>(fake_pcall);
  api.lua_tolstring = reinterpret_cast<void *>(fake_tolstring);
  api.lua_close = reinterpret_cast<void *>(fake_close);
  return api;
}

TEST(Thread, RunsTheChunkWithItsInboxAndSignalsTheEnd) {
  g_fake = FakeLua{};
  levee_lua_api api = fake_api();
  levee_chan *inbox = nullptr;
  ASSERT_EQ(0, levee_chan_new(&inbox));
  levee_thread *t = nullptr;
  ASSERT_EQ(0, levee_thread_lua(&t, &api, "return 1", 8, inbox));
  int fd = levee_thread_watch_fd(t);
  ASSERT_GE(fd, 0);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(1, poll(&p, 1, 10000));
  EXPECT_EQ(0, levee_thread_running(t));
  EXPECT_EQ(0, levee_thread_join(t));
  EXPECT_EQ(0, levee_thread_join(t));
  EXPECT_EQ("return 1", g_fake.chunk);
  EXPECT_EQ(inbox, g_fake.arg);
  EXPECT_TRUE(g_fake.closed);
  EXPECT_STREQ("", levee_thread_error(t));
  levee_thread_free(t);
  close(fd);
}

TEST(Thread, AFailingChunkReportsItsMessage) {
  g_fake = FakeLua{};
  g_fake.fail = true;
  levee_lua_api api = fake_api();
  levee_thread *t = nullptr;
  ASSERT_EQ(0, levee_thread_lua(&t, &api, "x", 1, nullptr));
  EXPECT_EQ(LEVEE_EUNKNOWN, levee_thread_join(t));
  EXPECT_STREQ("boom", levee_thread_error(t));
  levee_thread_free(t);
}

TEST(Thread, MissingEntryPointsAreEinval) {
  levee_lua_api api = fake_api();
  api.lua_pcall = nullptr;
  levee_thread *t = nullptr;
  levee_chan *inbox = nullptr;
  ASSERT_EQ(0, levee_chan_new(&inbox));
  EXPECT_EQ(LEVEE_EINVAL, levee_thread_lua(&t, &api, "x", 1, inbox));  // inbox freed
  EXPECT_EQ(nullptr, t);
  EXPECT_EQ(LEVEE_EINVAL, levee_thread_lua(&t, nullptr, "x", 1, nullptr));
}

}  // namespace
