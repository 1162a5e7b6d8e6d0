// rules/host_table.cpp — dsthost resolution bookkeeping.
#include "rules/host_table.hpp"

#include <algorithm>

namespace aw::rules {

void host_table::set_wanted(const std::vector<std::string>& names) {
  std::map<std::string, entry, std::less<>> next;
  for (const auto& n : names) {
    if (next.size() >= config_.max_names) break;
    auto it = entries_.find(n);
    next.emplace(n, it != entries_.end() ? std::move(it->second) : entry{});
  }
  entries_ = std::move(next);
}

bool host_table::is_due(const entry& e, clock_time now) const {
  switch (e.st) {
    case state::unasked: return true;
    case state::resolved: return now >= e.expires;
    case state::failed: return now >= e.retry_at;
    case state::in_flight: return now >= e.asked_at + config_.query_timeout;
  }
  return false;
}

std::vector<std::string> host_table::due(clock_time now) {
  std::vector<std::string> out;
  for (auto& [name, e] : entries_) {
    if (!is_due(e, now)) continue;
    if (e.st == state::in_flight) {  // timed out: a failure, retried later
      failed(name, now);
      continue;
    }
    e.st = state::in_flight;
    e.asked_at = now;
    out.push_back(name);
  }
  return out;
}

void host_table::resolved(std::string_view name, std::vector<proto::ipv4_address> addresses,
                          std::chrono::seconds ttl, clock_time now) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;  // no longer wanted
  if (addresses.empty()) return failed(name, now);
  ttl = std::clamp(ttl, config_.min_ttl, config_.max_ttl);
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  it->second.st = state::resolved;
  it->second.addresses = std::move(addresses);
  it->second.expires = now + ttl;
}

void host_table::failed(std::string_view name, clock_time now) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  // A failed refresh keeps the last good answer (the Linux agent resolves once,
  // when rules load, and keeps it): one lost reply must not block every client
  // whose rules name this host. A name never answered stays without addresses.
  it->second.st = state::failed;
  it->second.retry_at = now + config_.retry_after_failure;
}

std::optional<std::span<const proto::ipv4_address>> host_table::lookup(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.addresses.empty()) return std::nullopt;
  return std::span<const proto::ipv4_address>{it->second.addresses};
}

host_addresses host_table::addresses() const {
  host_addresses out;
  for (const auto& [name, e] : entries_)
    if (!e.addresses.empty()) out.emplace(name, e.addresses);
  return out;
}

std::optional<clock_time> host_table::next_due() const {
  std::optional<clock_time> best;
  for (const auto& [name, e] : entries_) {
    clock_time t{};
    switch (e.st) {
      case state::unasked: t = clock_time{0}; break;
      case state::resolved: t = e.expires; break;
      case state::failed: t = e.retry_at; break;
      case state::in_flight: t = e.asked_at + config_.query_timeout; break;
    }
    if (!best || t < *best) best = t;
  }
  return best;
}

}  // namespace aw::rules
