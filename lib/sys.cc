// Process facts: rusage, rss, hostname, open fd listing.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <vector>

#include "internal.h"

using namespace levee;

extern "C" int levee_sys_getrusage(int32_t who, levee_rusage *out) {
  if (!out) return LEVEE_EINVAL;
  rusage r{};
  if (getrusage(who, &r) < 0) return last_errno_code();
  out->utime = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
  out->stime = r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
  out->maxrss = r.ru_maxrss;
  out->minflt = r.ru_minflt;
  out->majflt = r.ru_majflt;
  out->inblock = r.ru_inblock;
  out->oublock = r.ru_oublock;
  out->nvcsw = r.ru_nvcsw;
  out->nivcsw = r.ru_nivcsw;
  return 0;
}

extern "C" int64_t levee_sys_rss(void) {
  FILE *f = std::fopen("/proc/self/statm", "re");
  if (!f) return last_errno_code();
  long size = 0, resident = 0;
  int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (got != 2) return LEVEE_EIO;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

extern "C" int levee_sys_gethostname(char *dst, size_t cap) {
  if (!dst || cap == 0) return LEVEE_EINVAL;
  if (gethostname(dst, cap) < 0) return last_errno_code();
  dst[cap - 1] = 0;
  return static_cast<int>(std::strlen(dst));
}

extern "C" int levee_sys_fds(int32_t *out, size_t cap) {
  if (!out && cap) return LEVEE_EINVAL;
  return guard([&]() -> int {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return last_errno_code();
    int self = dirfd(d);
    std::vector<int32_t> fds;
    try {
      while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd != self) fds.push_back(fd);
      }
    } catch (...) {
      closedir(d);
      throw;
    }
    closedir(d);
    std::sort(fds.begin(), fds.end());
    std::copy_n(fds.begin(), std::min(cap, fds.size()), out);
    return static_cast<int>(fds.size());
  });
}

extern "C" int levee_sys_fdcount(void) { return levee_sys_fds(nullptr, 0); }
