// Run-time choice of the vector instruction level of the tokenizers (the
// simd section of levee.h). The hot paths read levee::simd::level() once per
// call and pick a kernel table entry; every level computes the same result.
//
// x86-64 kernels are compiled with GCC target attributes on separate
// functions (never on inline code shared with the portable path), so the
// library runs on any x86-64 and only calls a kernel whose instructions the
// CPU has. LEVEE_SIMD_X86 is 1 where those kernels are compiled at all.
#pragma once

#include <atomic>
#include <cstdint>

#include "levee.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LEVEE_SIMD_X86 1
#else
#define LEVEE_SIMD_X86 0
#endif

namespace levee::simd {

enum Level : int {
  kPortable = LEVEE_SIMD_PORTABLE,
  kSSE42 = LEVEE_SIMD_SSE42,
  kAVX2 = LEVEE_SIMD_AVX2,
  kLevels = LEVEE_SIMD_AVX2 + 1,  // kernel tables have this many entries
};

extern std::atomic<int> g_level;

// The level in force (LEVEE_SIMD_*); kPortable until the library's
// constructor has run.
inline int level() noexcept { return g_level.load(std::memory_order_relaxed); }

// The best level this CPU and build support.
int detected() noexcept;

}  // namespace levee::simd
