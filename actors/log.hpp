// actors/log.hpp — leveled log lines to stderr (journald picks them up with their
// <N> priority prefix), with per-key rate limiting so no client can flood the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "firewall/token_bucket.hpp"

namespace aw::actors {

enum class log_level : std::uint8_t { error = 3, warning = 4, info = 6, debug = 7 };  // syslog priorities

class logger {
 public:
  static logger& instance();

  void set_level(log_level l) noexcept { level_ = l; }
  [[nodiscard]] bool enabled(log_level l) const noexcept { return l <= level_; }
  // journald-style prefix "<N>" when stderr is the journal, plain otherwise.
  void set_journal_prefix(bool on) noexcept { journal_ = on; }

  void write(log_level l, std::string_view message);
  // At most `per_second` lines per key (e.g. "client 10.137.0.10 bad_checksum"),
  // a burst of 5; suppressed lines are counted and reported with the next one.
  void write_limited(log_level l, const std::string& key, std::string_view message, double per_second = 1.0);
  [[nodiscard]] std::uint64_t suppressed_total() const noexcept { return suppressed_total_; }

 private:
  struct limiter {
    firewall::token_bucket bucket;
    std::uint64_t suppressed = 0;
  };
  log_level level_ = log_level::info;
  bool journal_ = false;
  std::mutex mutex_;
  std::unordered_map<std::string, limiter> limiters_;
  std::uint64_t suppressed_total_ = 0;
};

inline void log_error(std::string_view m) { logger::instance().write(log_level::error, m); }
inline void log_warning(std::string_view m) { logger::instance().write(log_level::warning, m); }
inline void log_info(std::string_view m) { logger::instance().write(log_level::info, m); }
inline void log_debug(std::string_view m) {
  if (logger::instance().enabled(log_level::debug)) logger::instance().write(log_level::debug, m);
}

}  // namespace aw::actors
