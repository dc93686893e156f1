// A copy of a string that ends right before an unreadable page, so a read
// past the end faults instead of passing unnoticed (the tokenizer tests).
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

struct Guarded {
  uint8_t *page = nullptr;
  size_t total = 0;
  const uint8_t *data = nullptr;
  explicit Guarded(const std::string &s) {
    size_t ps = size_t(sysconf(_SC_PAGESIZE));
    size_t body = (s.size() + ps - 1) / ps * ps + ps;
    total = body + ps;
    void *m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(MAP_FAILED, m);
    page = static_cast<uint8_t *>(m);
    EXPECT_EQ(0, mprotect(page + body, ps, PROT_NONE));
    uint8_t *d = page + body - s.size();
    memcpy(d, s.data(), s.size());
    data = d;
  }
  Guarded(const Guarded &) = delete;
  Guarded &operator=(const Guarded &) = delete;
  ~Guarded() { munmap(page, total); }
};
