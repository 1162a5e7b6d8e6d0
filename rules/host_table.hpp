// rules/host_table.hpp — resolution state of dsthost names: answers with TTLs supplied
// from outside, what is due for (re)resolution, fail-closed lookups. Pure; time passed in.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"

namespace aw::rules {

// The addresses of every resolved name: an immutable snapshot the firewall matches against.
using host_addresses = std::map<std::string, std::vector<proto::ipv4_address>, std::less<>>;
using host_addresses_ptr = std::shared_ptr<const host_addresses>;

using clock_time = std::chrono::nanoseconds;  // since an arbitrary epoch

struct host_table_config {
  std::chrono::seconds min_ttl{30};       // floor for very short TTLs (no re-resolution storms)
  std::chrono::seconds max_ttl{86400};    // ceiling: names are re-checked at least daily
  std::chrono::seconds retry_after_failure{10};
  std::chrono::seconds query_timeout{5};  // an unanswered query counts as failed
  std::size_t max_names = 1024;           // bound on distinct names tracked
};

class host_table {
 public:
  explicit host_table(host_table_config config = {}) : config_(config) {}

  // The names the current rule sets use; others are forgotten. Names beyond
  // max_names are not tracked (and so stay unresolved: fail closed).
  void set_wanted(const std::vector<std::string>& names);

  // Names to query now: never asked, expired, failed with the retry time
  // reached, or whose query timed out. Marks them in flight.
  std::vector<std::string> due(clock_time now);

  // An answer: A records with the smallest TTL among them. No addresses
  // counts as a failure.
  void resolved(std::string_view name, std::vector<proto::ipv4_address> addresses, std::chrono::seconds ttl,
                clock_time now);
  void failed(std::string_view name, clock_time now);

  // The addresses for name, or nullopt while it has none (never answered).
  // The last good answer stays usable while its refresh is in flight and after
  // a refresh fails (retried later), so open connections are not cut by a
  // refresh, nor every client naming the host blocked by one lost reply.
  [[nodiscard]] std::optional<std::span<const proto::ipv4_address>> lookup(std::string_view name) const;

  // Every name with addresses (as lookup answers them).
  [[nodiscard]] host_addresses addresses() const;

  // Earliest time something becomes due (for the owner's timer), if any.
  [[nodiscard]] std::optional<clock_time> next_due() const;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  enum class state : std::uint8_t { unasked, in_flight, resolved, failed };
  struct entry {
    state st = state::unasked;
    std::vector<proto::ipv4_address> addresses;  // empty unless resolved (or refreshing)
    clock_time expires{};                        // resolved: when to refresh
    clock_time retry_at{};                       // failed: when to ask again
    clock_time asked_at{};                       // in flight: for the timeout
  };
  [[nodiscard]] bool is_due(const entry& e, clock_time now) const;

  host_table_config config_;
  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace aw::rules
