// Messages per second from one OS thread to another, in the same run:
//   levee   levee_chan_send (an int64 message) / levee_chan_recv in batches,
//           the consumer sleeping in poll(2) on the channel's fd when empty
//   pipe    one write(2) of 8 bytes per message; the consumer reads what
//           is there (up to 4096 bytes) with blocking read(2)
//   condvar a std::deque behind a mutex; the producer notifies a condition
//           variable, the consumer pops one message at a time
// Each figure is the median of RUNS runs of N messages.
//   chan RUNS N
#include <levee.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double run_levee(long n) {
  levee_chan *c = nullptr;
  if (levee_chan_new(&c) != 0 || levee_chan_bind(c, 1) != 0) std::abort();
  int fd = levee_chan_watch_fd(c);
  levee_chan_sender *s = nullptr;
  if (levee_chan_sender_new(&s, c, 1) != 0) std::abort();
  auto t0 = Clock::now();
  std::thread producer([&] {
    for (long i = 0; i < n; ++i) {
      if (levee_chan_send(s, 0, LEVEE_VAL_INT64, i, 0, nullptr, 0) != 0) std::abort();
    }
    levee_chan_sender_free(s);
  });
  std::vector<levee_chan_msg> msgs(256);
  long got = 0;
  bool closed = false;
  while (!closed) {
    int k = levee_chan_recv(c, msgs.data(), 256);
    if (k == 0) {
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, -1);
      continue;
    }
    for (int j = 0; j < k; ++j) {
      if (msgs[j].type == LEVEE_CHAN_CLOSED) closed = true;
      else if (msgs[j].i != got++) std::abort();
    }
  }
  double t = seconds_since(t0);
  producer.join();
  close(fd);
  levee_chan_free(c);
  return double(n) / t;
}

double run_pipe(long n) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  auto t0 = Clock::now();
  std::thread producer([&] {
    for (long i = 0; i < n; ++i) {
      int64_t v = i;
      if (write(fds[1], &v, sizeof v) != sizeof v) std::abort();
    }
    close(fds[1]);
  });
  std::vector<int64_t> buf(512);
  long got = 0;
  size_t carry = 0;  // bytes of a message cut by the previous read
  for (;;) {
    ssize_t r = read(fds[0], reinterpret_cast<char *>(buf.data()) + carry, 4096 - carry);
    if (r <= 0) break;
    size_t have = carry + size_t(r);
    size_t whole = have / 8;
    for (size_t j = 0; j < whole; ++j)
      if (buf[j] != got++) std::abort();
    carry = have % 8;
    if (carry) std::copy_n(reinterpret_cast<char *>(buf.data()) + whole * 8, carry,
                           reinterpret_cast<char *>(buf.data()));
  }
  double t = seconds_since(t0);
  producer.join();
  close(fds[0]);
  if (got != n) std::abort();
  return double(n) / t;
}

double run_condvar(long n) {
  std::mutex m;
  std::condition_variable cv;
  std::deque<int64_t> q;
  bool done = false;
  auto t0 = Clock::now();
  std::thread producer([&] {
    for (long i = 0; i < n; ++i) {
      {
        std::lock_guard<std::mutex> lock(m);
        q.push_back(i);
      }
      cv.notify_one();
    }
    std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_one();
  });
  long got = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return !q.empty() || done; });
    if (q.empty()) break;
    int64_t v = q.front();
    q.pop_front();
    lock.unlock();
    if (v != got++) std::abort();
  }
  double t = seconds_since(t0);
  producer.join();
  return double(n) / t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  long n = argc > 2 ? std::atol(argv[2]) : 2000000;
  std::vector<double> lv, pp, cv;
  for (int r = 0; r < runs; ++r) {  // interleaved, so load hits all three alike
    lv.push_back(run_levee(n));
    pp.push_back(run_pipe(n));
    cv.push_back(run_condvar(n));
  }
  std::printf("C: %ld int64 messages, one producer thread, one consumer; median of %d runs\n", n,
              runs);
  std::printf("  %-34s %14.0f msg/s\n", "levee channel (C API)", median(lv));
  std::printf("  %-34s %14.0f msg/s   levee/pipe %.2fx\n", "pipe, one write(2) per message",
              median(pp), median(lv) / median(pp));
  std::printf("  %-34s %14.0f msg/s   levee/condvar %.2fx\n", "mutex + condvar queue", median(cv),
              median(lv) / median(cv));
  std::printf("REF pipe %.0f\nREF condvar %.0f\n", median(pp), median(cv));
  return 0;
}
