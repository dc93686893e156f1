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
