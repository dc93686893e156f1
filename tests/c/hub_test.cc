// Black-box tests of the hub ABI: timer order, cancellation, fd readiness,
// hang-up, cross-thread wake-up and bad input.
#include <gtest/gtest.h>
#include <levee.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace {

struct Hub {
  levee_hub *h = nullptr;
  Hub() { EXPECT_EQ(0, levee_hub_new(&h)); }
  ~Hub() { levee_hub_free(h); }
  std::vector<levee_event> poll(double ms, int max = 64) {
    std::vector<levee_event> ev(max);
    int n = levee_hub_poll(h, ms, ev.data(), max);
    EXPECT_GE(n, 0);
    ev.resize(n < 0 ? 0 : n);
    return ev;
  }
};

TEST(Hub, TimersFireInDeadlineThenInsertionOrder) {
  Hub hub;
  double now = levee_hub_now(hub.h);
  ASSERT_GE(levee_hub_timer_add(hub.h, now + 5, 3), 0);
  ASSERT_GE(levee_hub_timer_add(hub.h, now + 1, 1), 0);
  ASSERT_GE(levee_hub_timer_add(hub.h, now + 5, 4), 0);
  ASSERT_GE(levee_hub_timer_add(hub.h, now + 1, 2), 0);
  std::vector<uint64_t> got;
  while (got.size() < 4) {
    for (auto &e : hub.poll(-1)) {
      EXPECT_EQ(LEVEE_HUB_TIMER, e.kind);
      got.push_back(e.token);
    }
  }
  EXPECT_EQ((std::vector<uint64_t>{1, 2, 3, 4}), got);
  EXPECT_GE(levee_hub_now(hub.h), now + 5);
  EXPECT_EQ(0, levee_hub_timers(hub.h));
}

TEST(Hub, CancelledTimersNeverFire) {
  Hub hub;
  double now = levee_hub_now(hub.h);
  int a = levee_hub_timer_add(hub.h, now, 10);
  int b = levee_hub_timer_add(hub.h, now, 11);
  ASSERT_GE(a, 0);
  EXPECT_EQ(0, levee_hub_timer_cancel(hub.h, a, 10));
  EXPECT_EQ(LEVEE_ENOENT, levee_hub_timer_cancel(hub.h, a, 10));
  EXPECT_EQ(LEVEE_ENOENT, levee_hub_timer_cancel(hub.h, b, 999));
  auto ev = hub.poll(0);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(11u, ev[0].token);
}

TEST(Hub, ManyTimersComeOutSorted) {
  Hub hub;
  double now = levee_hub_now(hub.h);
  srand(3);
  for (int i = 0; i < 2000; i++) levee_hub_timer_add(hub.h, now - (rand() % 100), uint64_t(i));
  std::vector<levee_event> all;
  while (levee_hub_timers(hub.h)) {
    auto ev = hub.poll(0, 100);
    all.insert(all.end(), ev.begin(), ev.end());
  }
  ASSERT_EQ(2000u, all.size());
}

TEST(Hub, ReportsReadabilityWritabilityAndHangUp) {
  Hub hub;
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
  ASSERT_EQ(0, levee_hub_register(hub.h, sv[0], LEVEE_HUB_R | LEVEE_HUB_W, 100, 101));
  EXPECT_EQ(LEVEE_EEXIST, levee_hub_register(hub.h, sv[0], LEVEE_HUB_R, 1, 2));
  auto ev = hub.poll(100);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(101u, ev[0].token);
  EXPECT_EQ(LEVEE_HUB_WRITE, ev[0].kind);
  ASSERT_EQ(1, write(sv[1], "x", 1));
  ev = hub.poll(100);
  bool readable = false;
  for (auto &e : ev) readable |= e.token == 100 && e.kind == LEVEE_HUB_READ && e.value == 1;
  EXPECT_TRUE(readable);
  EXPECT_EQ(0u, hub.poll(0).size());  // edge-triggered: no repeat
  close(sv[1]);
  ev = hub.poll(100);
  ASSERT_GE(ev.size(), 1u);
  bool hangup = false;
  for (auto &e : ev) hangup |= e.token == 100 && e.value == -1;
  EXPECT_TRUE(hangup);
  EXPECT_EQ(1, levee_hub_registered(hub.h));
  EXPECT_EQ(0, levee_hub_unregister(hub.h, sv[0]));
  EXPECT_EQ(LEVEE_ENOENT, levee_hub_unregister(hub.h, sv[0]));
  EXPECT_EQ(0, levee_hub_registered(hub.h));
  close(sv[0]);
}

TEST(Hub, APipesLastWriterClosingIsAHangUpOnTheReadSide) {
  for (int flags : {int(LEVEE_HUB_R | LEVEE_HUB_W), int(LEVEE_HUB_R)}) {
    Hub hub;
    int p[2];
    ASSERT_EQ(0, pipe(p));
    ASSERT_EQ(0, levee_hub_register(hub.h, p[0], flags, 200, 201));
    ASSERT_EQ(1, write(p[1], "x", 1));
    bool readable = false;
    for (auto &e : hub.poll(100)) readable |= e.token == 200 && e.value == 1;
    EXPECT_TRUE(readable) << flags;  // data, writer still there: plain readability
    close(p[1]);
    bool hangup = false;
    for (auto &e : hub.poll(100)) hangup |= e.token == 200 && e.kind == LEVEE_HUB_READ && e.value == -1;
    EXPECT_TRUE(hangup) << flags;
    EXPECT_EQ(0, levee_hub_unregister(hub.h, p[0]));
    close(p[0]);
  }
}

TEST(Hub, WakeFromAnotherThreadInterruptsAPoll) {
  Hub hub;
  std::thread t([&] {
    usleep(20000);
    levee_hub_wake(hub.h);
    levee_hub_wake(hub.h);
  });
  auto ev = hub.poll(-1);
  t.join();
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(LEVEE_HUB_WAKE, ev[0].kind);
}

TEST(Hub, EventsBeyondMaxWaitForTheNextPoll) {
  Hub hub;
  double now = levee_hub_now(hub.h);
  for (int i = 0; i < 5; i++) levee_hub_timer_add(hub.h, now, uint64_t(i));
  EXPECT_EQ(2u, hub.poll(0, 2).size());
  EXPECT_EQ(3u, hub.poll(-1, 10).size());
}

TEST(Hub, ManyFdsRegisterReportAndUnregisterEachByItsOwnTokens) {
  // fds registered in any order (the hub indexes them by number), each
  // reporting its own tokens; unregistered ones are gone, the others stay
  Hub hub;
  std::vector<int> mine, peers;
  for (int i = 0; i < 64; i++) {
    int sv[2];
    ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    mine.push_back(sv[0]);
    peers.push_back(sv[1]);
  }
  for (int i = 63; i >= 0; i--)
    ASSERT_EQ(0, levee_hub_register(hub.h, mine[i], LEVEE_HUB_R, 1000 + uint64_t(i), 5000 + uint64_t(i)));
  EXPECT_EQ(64, levee_hub_registered(hub.h));
  EXPECT_EQ(LEVEE_ENOENT, levee_hub_unregister(hub.h, 100000)) << "far beyond every fd seen";
  for (int i = 0; i < 64; i += 2) EXPECT_EQ(0, levee_hub_unregister(hub.h, mine[i]));
  EXPECT_EQ(32, levee_hub_registered(hub.h));
  for (int i = 0; i < 64; i++) ASSERT_EQ(1, write(peers[i], "x", 1));
  std::vector<int> seen(64, 0);
  for (int round = 0; round < 10; round++)
    for (auto &e : hub.poll(100)) {
      ASSERT_EQ(LEVEE_HUB_READ, e.kind);
      ASSERT_GE(e.token, 1000u);
      ASSERT_LT(e.token, 1064u);
      seen[e.token - 1000]++;
    }
  for (int i = 0; i < 64; i++) EXPECT_EQ(i % 2 ? 1 : 0, seen[i]) << "fd " << i;
  // a number given back registers again, with new tokens
  ASSERT_EQ(0, levee_hub_register(hub.h, mine[0], LEVEE_HUB_R, 7, 8));
  ASSERT_EQ(1, write(peers[0], "y", 1));
  auto ev = hub.poll(100);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(7u, ev[0].token);
  EXPECT_EQ(33, levee_hub_registered(hub.h));
  for (int i = 0; i < 64; i++) {
    close(mine[i]);
    close(peers[i]);
  }
}

TEST(Hub, BadInputIsAnErrorNotACrash) {
  Hub hub;
  levee_event ev[1];
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_new(nullptr));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_register(nullptr, 0, LEVEE_HUB_R, 0, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_register(hub.h, -1, LEVEE_HUB_R, 0, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_register(hub.h, 0, 0, 0, 0));
  EXPECT_EQ(LEVEE_EBADF, levee_hub_register(hub.h, 999, LEVEE_HUB_R, 0, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_poll(hub.h, 0, nullptr, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_poll(hub.h, 0, ev, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_poll(nullptr, 0, ev, 1));
  EXPECT_EQ(LEVEE_ENOENT, levee_hub_timer_cancel(hub.h, 12345, 1));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_wake(nullptr));
  levee_hub_free(nullptr);
}

TEST(Hub, ClocksAdvance) {
  double a = levee_clock_ms();
  usleep(3000);
  EXPECT_GE(levee_clock_ms(), a + 2);
  EXPECT_GT(levee_clock_wall_ms(), 1.6e12);
}

}  // namespace

TEST(Hub, ExpireCollectsTimersAndRefreshesTheClockWithoutPollingFds) {
  Hub hub;
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_EQ(0, levee_hub_register(hub.h, sv[0], LEVEE_HUB_R, 10, 11));
  ASSERT_EQ(1, write(sv[1], "x", 1));
  double before = levee_hub_now(hub.h);
  ASSERT_GE(levee_hub_timer_add(hub.h, before, 7), 0);
  ASSERT_GE(levee_hub_timer_add(hub.h, before + 60000, 8), 0);
  levee_event ev[8];
  // the due timer comes out; the fd is not asked about (no epoll_wait)
  ASSERT_EQ(1, levee_hub_expire(hub.h, ev, 8));
  EXPECT_EQ(uint64_t(7), ev[0].token);
  EXPECT_EQ(LEVEE_HUB_TIMER, ev[0].kind);
  EXPECT_GE(levee_hub_now(hub.h), before);
  EXPECT_EQ(0, levee_hub_expire(hub.h, ev, 8));
  // a poll then sees the readiness
  std::vector<levee_event> got = hub.poll(0);
  ASSERT_EQ(1u, got.size());
  EXPECT_EQ(uint64_t(10), got[0].token);
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_expire(nullptr, ev, 8));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_expire(hub.h, nullptr, 8));
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_expire(hub.h, ev, 0));
  levee_hub_unregister(hub.h, sv[0]);
  close(sv[0]);
  close(sv[1]);
}
