// firewall/dns_resolver.hpp — resolves the rules' dsthost names for the firewall itself: A
// queries from reserved UDP ports of the uplink address to the DNS servers, answers checked
// against what was asked, TTL-driven refresh, failures retried on the next server, and an
// immutable snapshot of the answers. Pure: packets and time in, packets out.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/named_enum.hpp"
#include "protocol/packet.hpp"
#include "rules/host_table.hpp"

namespace aw::firewall {

struct dns_resolver_config {
  proto::ipv4_address source;                // the firewall's own address towards the netvm
  std::vector<proto::ipv4_address> servers;  // tried in order; a failure moves a name to the next
  std::vector<std::uint16_t> ports;          // local UDP ports reserved for queries (kept from the NAT)
  rules::host_table_config hosts;
  std::uint64_t seed = 0;                    // query ids and ports; 0: from std::random_device
};

// X(enumerator, counter name).
#define AW_RESOLVER_EVENTS(X)                                                          \
  X(queries_sent, "queries_sent")                                                      \
  X(answers, "answers")                   /* a name resolved (or refreshed) */         \
  X(name_errors, "name_errors")           /* NXDOMAIN */                               \
  X(server_failures, "server_failures")   /* another non-zero rcode */                 \
  X(no_address, "no_address")             /* NOERROR without an A record */            \
  X(timeouts, "timeouts")                                                              \
  X(truncated, "truncated")               /* TC set: the answers it holds are used */  \
  X(malformed, "malformed")               /* does not parse, or not the question asked */ \
  X(unexpected, "unexpected")             /* no query waiting for it, or another source */ \
  X(not_sent, "not_sent")                 /* no server configured, or no buffer */

AW_NAMED_ENUM(resolver_event, AW_RESOLVER_EVENTS)

class dns_resolver {
 public:
  explicit dns_resolver(dns_resolver_config config);

  // The names the rules use now; answers for others are forgotten.
  void set_wanted(const std::vector<std::string>& names);

  // Sends what is due at now (first questions, TTL refreshes, retries) as IPv4/UDP
  // packets appended to out; unanswered queries past their timeout fail first.
  // Returns true when the answers changed (a failure drops a name's addresses).
  bool poll(rules::clock_time now, proto::buffer_pool& pool, std::vector<proto::packet>& out);

  // True for a UDP packet to one of the reserved ports (the firewall hands those over).
  [[nodiscard]] bool is_query_port(std::uint16_t port) const noexcept;

  // A datagram that arrived for one of the reserved ports (an IPv4 packet, checksums
  // already checked). Returns true when the answers changed.
  bool on_response(const proto::packet& p, rules::clock_time now);

  // The answers now: the firewall matches dsthost rules against this.
  [[nodiscard]] rules::host_addresses_ptr snapshot() const { return snapshot_; }
  [[nodiscard]] std::optional<rules::clock_time> next_due() const { return hosts_.next_due(); }
  [[nodiscard]] std::uint64_t count(resolver_event e) const noexcept { return events_[static_cast<std::size_t>(e)]; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return pending_.size(); }
  [[nodiscard]] const dns_resolver_config& config() const noexcept { return config_; }

 private:
  struct pending_query {
    std::string name;
    proto::ipv4_address server;
    rules::clock_time sent_at{};
    std::uint16_t port = 0;
    std::uint16_t id = 0;
  };
  using query_key = std::pair<std::uint16_t, std::uint16_t>;  // (local port, DNS id)

  void note(resolver_event e) noexcept { ++events_[static_cast<std::size_t>(e)]; }
  void fail(const std::string& name, rules::clock_time now);
  bool send(const std::string& name, rules::clock_time now, proto::buffer_pool& pool, std::vector<proto::packet>& out);
  bool republish();

  dns_resolver_config config_;
  rules::host_table hosts_;
  std::map<query_key, pending_query> pending_;
  std::map<std::string, std::size_t, std::less<>> server_of_;  // index into servers, per name
  rules::host_addresses_ptr snapshot_;
  std::mt19937_64 random_;
  std::array<std::uint64_t, resolver_event_count> events_{};
};

}  // namespace aw::firewall
