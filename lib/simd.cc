// levee_simd_*: which vector level the tokenizers use (lib/simd.h).
#include "simd.h"

#include <cstdlib>
#include <cstring>

namespace levee::simd {

std::atomic<int> g_level{kPortable};

int detected() noexcept {
#if LEVEE_SIMD_X86
  // libgcc's checks include the OS's consent (XGETBV) for the AVX state.
  __builtin_cpu_init();
  // The AVX2 kernels also use BMI1 and PCLMULQDQ (every AVX2 CPU has them).
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("pclmul")) return kAVX2;
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3")) return kSSE42;
#endif
  return kPortable;
}

namespace {

// LEVEE_SIMD=portable|sse4.2|avx2 lowers the level for the process (a level
// the CPU lacks, or an unknown name, leaves the detected one).
__attribute__((constructor)) void choose() {
  int best = detected(), want = best;
  if (const char *env = getenv("LEVEE_SIMD")) {
    if (!strcmp(env, "portable")) want = kPortable;
    else if (!strcmp(env, "sse4.2") || !strcmp(env, "sse42")) want = kSSE42;
    else if (!strcmp(env, "avx2")) want = kAVX2;
  }
  g_level.store(want <= best ? want : best, std::memory_order_relaxed);
}

}  // namespace

}  // namespace levee::simd

extern "C" {

int levee_simd_level(void) { return levee::simd::level(); }

int levee_simd_detected(void) { return levee::simd::detected(); }

int levee_simd_set_level(int32_t level) {
  if (level < LEVEE_SIMD_PORTABLE || level > LEVEE_SIMD_AVX512) return LEVEE_EINVAL;
  if (level > levee::simd::detected()) return LEVEE_ENOTSUP;
  levee::simd::g_level.store(level, std::memory_order_relaxed);
  return level;
}

}  // extern "C"
