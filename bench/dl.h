// Loading a build of liblevee by path for the A/B benchmarks
// (bench/json/ab.cc, bench/http/ab.cc): dlopen with RTLD_LOCAL |
// RTLD_DEEPBIND, so two builds loaded in one process keep their symbols
// apart; any failure ends the process with the loader's message.
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace bench {

inline void *open_build(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    exit(1);
  }
  return h;
}

template <class F>
void sym(void *h, const char *name, F *out) {
  *out = reinterpret_cast<F>(dlsym(h, name));
  if (!*out) {
    fprintf(stderr, "%s: %s\n", name, dlerror());
    exit(1);
  }
}

}  // namespace bench
