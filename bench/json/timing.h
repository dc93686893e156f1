// Thread-CPU-time rates for the C++ JSON benchmarks (tokenizer.cc, ab.cc):
// other load on the machine does not count towards a run.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace bench {

inline double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// GB/s of f() over `bytes`, repeated for at least `seconds` of CPU time.
template <class F>
double rate(size_t bytes, F f, double seconds) {
  double t0 = cpu_seconds(), dt = 0;
  long n = 0;
  do {
    f();
    n++;
    dt = cpu_seconds() - t0;
  } while (dt < seconds);
  return double(bytes) * double(n) / dt / 1e9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench
