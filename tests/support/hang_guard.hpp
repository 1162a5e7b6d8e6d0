// tests/support/hang_guard.hpp — turns a call that never returns (a loop a peer can keep
// going) into a failed test: the process is killed by SIGALRM after a deadline far beyond
// what the call needs, instead of the suite hanging until CTest's own timeout.
#pragma once

#include <unistd.h>

namespace aw::test {

class hang_guard {
 public:
  explicit hang_guard(unsigned seconds = 20) { ::alarm(seconds); }
  ~hang_guard() { ::alarm(0); }
  hang_guard(const hang_guard&) = delete;
  hang_guard& operator=(const hang_guard&) = delete;
};

}  // namespace aw::test
