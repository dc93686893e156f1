// Black-box tests of signals as hub events: every subscribed hub counts
// every delivery, unsubscribing restores the previous action, bad signal
// numbers are refused, and a hub used after fork() is refused.
#include <gtest/gtest.h>
#include <levee.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>
#include <vector>

namespace {

struct Hub {
  levee_hub *h = nullptr;
  Hub() { EXPECT_EQ(0, levee_hub_new(&h)); }
  ~Hub() { levee_hub_free(h); }
  // signal number -> deliveries seen in one poll
  std::map<int, int> poll(double ms) {
    std::vector<levee_event> ev(64);
    int n = levee_hub_poll(h, ms, ev.data(), 64);
    EXPECT_GE(n, 0);
    std::map<int, int> got;
    for (int i = 0; i < n; ++i) {
      if (ev[i].kind == LEVEE_HUB_SIGNAL) got[int(ev[i].token)] += ev[i].value;
    }
    return got;
  }
};

TEST(Signal, ADeliveryIsAHubEventWithItsCount) {
  Hub hub;
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 1));
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 1));  // twice: no-op
  EXPECT_EQ(0, levee_hub_registered(hub.h));  // signals are not fds
  EXPECT_EQ(0, levee_signal_send(getpid(), LEVEE_SIGUSR1));
  auto got = hub.poll(5000);
  EXPECT_EQ(1, got[LEVEE_SIGUSR1]);
  EXPECT_TRUE(hub.poll(0).empty());
  EXPECT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 0));
}

TEST(Signal, EveryDeliveryIsCountedWhenEachIsDeliveredBeforeTheNext) {
  Hub hub;
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR2, 1));
  int total = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(0, levee_signal_send(getpid(), LEVEE_SIGUSR2));
    while (true) {
      auto got = hub.poll(5000);
      if (got.count(LEVEE_SIGUSR2)) {
        total += got[LEVEE_SIGUSR2];
        break;
      }
    }
  }
  EXPECT_EQ(1000, total);
  EXPECT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR2, 0));
}

TEST(Signal, QueuedRealTimeSignalsAreAllCounted) {
  Hub hub;
  int rt = levee_signal_rtmin() + 2;
  ASSERT_EQ(0, levee_hub_signal(hub.h, rt, 1));
  // a burst without waiting: real-time signals queue
  for (int i = 0; i < 500; ++i) ASSERT_EQ(0, levee_signal_queue(getpid(), rt, i));
  int total = 0;
  while (total < 500) {
    auto got = hub.poll(5000);
    ASSERT_FALSE(got.empty());
    total += got[rt];
  }
  EXPECT_EQ(500, total);
  EXPECT_EQ(0, levee_hub_signal(hub.h, rt, 0));
}

TEST(Signal, HubsOnOtherThreadsEachSeeEveryDelivery) {
  Hub a;
  ASSERT_EQ(0, levee_hub_signal(a.h, LEVEE_SIGHUP, 1));
  int seen_b = 0;
  std::thread t([&] {
    Hub b;
    ASSERT_EQ(0, levee_hub_signal(b.h, LEVEE_SIGHUP, 1));
    ASSERT_EQ(0, levee_signal_send(getpid(), LEVEE_SIGHUP));
    while (seen_b == 0) seen_b += b.poll(5000)[LEVEE_SIGHUP];
    ASSERT_EQ(0, levee_hub_signal(b.h, LEVEE_SIGHUP, 0));
  });
  t.join();
  int seen_a = 0;
  while (seen_a == 0) seen_a += a.poll(5000)[LEVEE_SIGHUP];
  EXPECT_EQ(1, seen_a);
  EXPECT_EQ(1, seen_b);
  EXPECT_EQ(0, levee_hub_signal(a.h, LEVEE_SIGHUP, 0));
}

int g_handled = 0;
void count_handler(int) { g_handled++; }

TEST(Signal, TheLastUnsubscribeRestoresThePreviousAction) {
  struct sigaction mine{}, old{};
  mine.sa_handler = count_handler;
  sigaction(SIGUSR1, &mine, &old);
  {
    Hub a, b;
    ASSERT_EQ(0, levee_hub_signal(a.h, LEVEE_SIGUSR1, 1));
    ASSERT_EQ(0, levee_hub_signal(b.h, LEVEE_SIGUSR1, 1));
    ASSERT_EQ(0, levee_hub_signal(a.h, LEVEE_SIGUSR1, 0));
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(1, b.poll(5000)[LEVEE_SIGUSR1]);
    EXPECT_EQ(0, g_handled);
    // b is freed still subscribed: that unsubscribes it too
  }
  kill(getpid(), SIGUSR1);
  EXPECT_EQ(1, g_handled);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST(Signal, UnsubscribingDropsDeliveriesNotYetPulled) {
  Hub hub;
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 1));
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR2, 1));
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  levee_event ev[1];
  ASSERT_EQ(1, levee_hub_poll(hub.h, 5000, ev, 1));  // the other stays queued
  int first = int(ev[0].token);
  int other = first == LEVEE_SIGUSR1 ? LEVEE_SIGUSR2 : LEVEE_SIGUSR1;
  EXPECT_EQ(0, levee_hub_signal(hub.h, other, 0));
  EXPECT_TRUE(hub.poll(0).empty());
  EXPECT_EQ(0, levee_hub_signal(hub.h, first, 0));
}

TEST(Signal, SignalsLeveeCannotTakeAreEinval) {
  Hub hub;
  for (int sig : std::initializer_list<int>{0, -1, LEVEE_SIGKILL, LEVEE_SIGSTOP, LEVEE_SIGSEGV, LEVEE_SIGBUS, LEVEE_SIGFPE,
                  LEVEE_SIGILL, 32, 65, 1000}) {
    EXPECT_EQ(LEVEE_EINVAL, levee_hub_signal(hub.h, sig, 1)) << sig;
  }
  EXPECT_EQ(LEVEE_EINVAL, levee_hub_signal(nullptr, LEVEE_SIGUSR1, 1));
  EXPECT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 0));  // not subscribed: no-op
}

TEST(Signal, NamesAndNumbers) {
  EXPECT_STREQ("SIGTERM", levee_signal_name(LEVEE_SIGTERM));
  EXPECT_STREQ("SIGUSR1", levee_signal_name(SIGUSR1));
  EXPECT_STREQ("SIGRTMIN", levee_signal_name(levee_signal_rtmin()));
  EXPECT_STREQ("SIGRTMIN+3", levee_signal_name(levee_signal_rtmin() + 3));
  EXPECT_EQ(nullptr, levee_signal_name(0));
  EXPECT_EQ(nullptr, levee_signal_name(99));
  EXPECT_EQ(SIGRTMIN, levee_signal_rtmin());
  EXPECT_EQ(SIGRTMAX, levee_signal_rtmax());
  EXPECT_EQ(LEVEE_SIGTERM, SIGTERM);
  EXPECT_EQ(LEVEE_SIGCHLD, SIGCHLD);
  EXPECT_EQ(LEVEE_ESRCH, levee_signal_send(999999, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_signal_send(getpid(), 999));
}

TEST(Signal, AHubUsedInAForkedChildIsRefused) {
  Hub hub;
  ASSERT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 1));
  pid_t pid = fork();
  if (pid == 0) {
    levee_event ev[4];
    int code = 0;
    if (levee_hub_poll(hub.h, 0, ev, 4) != LEVEE_EFORKED) code |= 1;
    if (levee_hub_register(hub.h, 0, LEVEE_HUB_R, 1, 2) != LEVEE_EFORKED) code |= 2;
    if (levee_hub_signal(hub.h, LEVEE_SIGUSR2, 1) != LEVEE_EFORKED) code |= 4;
    // a new hub in the child works
    levee_hub *fresh = nullptr;
    if (levee_hub_new(&fresh) != 0 || levee_hub_poll(fresh, 0, ev, 4) != 0) code |= 8;
    if (levee_hub_signal(fresh, LEVEE_SIGUSR2, 1) != 0) code |= 16;
    kill(getpid(), SIGUSR2);
    int n = levee_hub_poll(fresh, 5000, ev, 4);
    if (n != 1 || ev[0].kind != LEVEE_HUB_SIGNAL || ev[0].token != LEVEE_SIGUSR2) code |= 32;
    // the parent's subscription did not survive: SIGUSR1 has its default
    struct sigaction sa;
    sigaction(SIGUSR1, nullptr, &sa);
    if (sa.sa_handler != SIG_DFL) code |= 64;
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
  levee_event ev[4];
  EXPECT_GE(levee_hub_poll(hub.h, 0, ev, 4), 0);  // the parent's hub is fine
  EXPECT_EQ(0, levee_hub_signal(hub.h, LEVEE_SIGUSR1, 0));
}

TEST(Signal, PrivateFdsAreNotCounted) {
  Hub hub;
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  ASSERT_EQ(0, levee_hub_register(hub.h, fds[0], int(LEVEE_HUB_R) | int(LEVEE_HUB_PRIVATE), 7, 0));
  EXPECT_EQ(0, levee_hub_registered(hub.h));
  ASSERT_EQ(0, levee_hub_register(hub.h, fds[1], LEVEE_HUB_W, 0, 8));
  EXPECT_EQ(1, levee_hub_registered(hub.h));
  EXPECT_EQ(1, write(fds[1], "x", 1));
  bool readable = false;
  for (int i = 0; i < 10 && !readable; ++i) {
    std::vector<levee_event> ev(8);
    int n = levee_hub_poll(hub.h, 1000, ev.data(), 8);
    for (int j = 0; j < n; ++j) readable |= ev[j].token == 7;
  }
  EXPECT_TRUE(readable);
  EXPECT_EQ(0, levee_hub_unregister(hub.h, fds[0]));
  EXPECT_EQ(1, levee_hub_registered(hub.h));
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
