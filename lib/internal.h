// Internal helpers shared by every lib/*.cc file. Never installed.
//
// Every exported function is a thin shim (the C declarations in levee.h
// cannot say noexcept; guard() is what keeps exceptions inside):
//
//   int levee_buffer_ensure(levee_buffer *b, size_t n) {
//     return levee::guard([&] { ...; return 0; });
//   }
//
// guard() maps levee::Error to its code, std::bad_alloc to LEVEE_ENOMEM and
// anything else to LEVEE_EINTERNAL, so no C++ exception crosses the ABI.
#pragma once

#include <cerrno>
#include <new>
#include <type_traits>
#include <utility>

#include "levee.h"

namespace levee {

// An error with a LEVEE_E* code; thrown inside the core, caught by guard().
struct Error {
  int code;
};

[[noreturn]] inline void fail(int code) { throw Error{code}; }

// Records a thread-local description of the error about to be returned
// (printf-style). It only describes; the return code signals.
void set_message(const char *fmt, ...) noexcept __attribute__((format(printf, 1, 2)));
void clear_message() noexcept;

// The LEVEE_E* code of an OS errno value.
int errno_code(int e) noexcept;

// The LEVEE_E* code of the current errno.
inline int last_errno_code() noexcept { return errno_code(errno); }

// Runs f and turns any exception into a failure value: the LEVEE_E* code
// for functions returning a signed integer, a zero value (NULL, 0) for
// functions returning pointers or sizes.
template <class F>
inline auto guard(F &&f) noexcept -> decltype(f()) {
  using R = decltype(f());
  auto failure = [](int code) -> R {
    if constexpr (std::is_integral_v<R> && std::is_signed_v<R>) {
      return static_cast<R>(code);
    } else {
      (void)code;
      return R{};
    }
  };
  try {
    return f();
  } catch (const Error &e) {
    return failure(e.code);
  } catch (const std::bad_alloc &) {
    return failure(LEVEE_ENOMEM);
  } catch (...) {
    return failure(LEVEE_EINTERNAL);
  }
}

// Aborts with a message: for broken invariants only, never for bad input.
[[noreturn]] void panic(const char *what) noexcept;

}  // namespace levee
