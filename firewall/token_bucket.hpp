// firewall/token_bucket.hpp — a token-bucket rate limiter with time passed in (for ICMP
// answers and log lines).
#pragma once

#include <chrono>
#include <cstdint>

namespace aw::firewall {

class token_bucket {
 public:
  using clock_time = std::chrono::nanoseconds;

  // `per_second` tokens a second, at most `burst` saved up; starts full.
  constexpr token_bucket(double per_second, double burst) noexcept
      : rate_(per_second), burst_(burst), tokens_(burst) {}

  // Takes one token if there is one.
  bool allow(clock_time now) noexcept {
    if (now > last_) {
      tokens_ += rate_ * std::chrono::duration<double>(now - last_).count();
      if (tokens_ > burst_) tokens_ = burst_;
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  clock_time last_{};
};

}  // namespace aw::firewall
