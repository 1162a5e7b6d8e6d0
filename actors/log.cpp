// actors/log.cpp — the logger.
#include "actors/log.hpp"

#include <cstdio>

namespace aw::actors {
namespace {
const char* level_name(log_level l) {
  switch (l) {
    case log_level::error: return "error";
    case log_level::warning: return "warning";
    case log_level::info: return "info";
    case log_level::debug: return "debug";
  }
  return "?";
}
firewall::token_bucket::clock_time now() {
  return std::chrono::duration_cast<firewall::token_bucket::clock_time>(
      std::chrono::steady_clock::now().time_since_epoch());
}
// A bounded number of rate-limit keys: past it, new keys share one limiter.
constexpr std::size_t max_keys = 4096;
}  // namespace

logger& logger::instance() {
  static logger l;
  return l;
}

void logger::write(log_level l, std::string_view message) {
  if (!enabled(l)) return;
  std::string line;
  if (journal_) {  // appended piecewise: GCC 12 -O3 warns falsely on "<" + s + ">" (PR 105329)
    line += '<';
    line += std::to_string(static_cast<int>(l));
    line += '>';
  }
  line += "actorwall ";
  line += level_name(l);
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void logger::write_limited(log_level l, const std::string& key, std::string_view message, double per_second) {
  if (!enabled(l)) return;
  std::uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> g{mutex_};
    const std::string& k = limiters_.size() < max_keys || limiters_.contains(key) ? key : std::string{"(other)"};
    auto it = limiters_.try_emplace(k, limiter{firewall::token_bucket{per_second, 5}, 0}).first;
    if (!it->second.bucket.allow(now())) {
      ++it->second.suppressed;
      ++suppressed_total_;
      return;
    }
    suppressed = it->second.suppressed;
    it->second.suppressed = 0;
  }
  if (suppressed == 0) return write(l, message);
  write(l, std::string{message} + " (" + std::to_string(suppressed) + " similar lines suppressed)");
}

}  // namespace aw::actors
