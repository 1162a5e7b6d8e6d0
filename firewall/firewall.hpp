// firewall/firewall.hpp — the pure forwarding decision for batches of IP packets: classify,
// anti-spoofing, flow table (NAT) first and rules only on a miss, ICMP answers, counters.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "firewall/drop_reason.hpp"
#include "firewall/icmp_reply.hpp"
#include "firewall/token_bucket.hpp"
#include "nat/nat_engine.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/packet.hpp"
#include "rules/host_table.hpp"
#include "rules/match.hpp"
#include "rules/ruleset.hpp"

namespace aw::firewall {

using clock_time = nat::clock_time;

struct firewall_config {
  proto::ipv4_address gateway;         // what clients see as their gateway (/qubes-netvm-gateway)
  proto::ipv4_address uplink_address;  // the firewall's own address towards the netvm (/qubes-ip): the NAT's
  std::vector<proto::ipv4_address> dns_servers;  // specialtarget=dns (/qubes-netvm-primary-dns, -secondary-dns)
  bool reject_with_icmp = true;        // a rule's drop answers ICMP 3/13, as the Linux sys-firewall
  std::uint16_t uplink_mtu = 1500;
  std::uint16_t client_mtu = 1500;
  proto::checksum_policy checksums;
  double icmp_per_second = 10;         // ICMP answers per source (client, or the uplink)
  double icmp_burst = 20;
  nat::nat_config nat;                 // external_address is set to uplink_address
  // UDP ports of uplink_address the DNS resolver queries from: kept out of the NAT,
  // and datagrams to them go to the resolver (egress::resolver).
  std::vector<std::uint16_t> resolver_ports;
};

enum class egress : std::uint8_t { uplink, client, resolver };

struct outgoing {
  egress to = egress::uplink;
  proto::ipv4_address client;  // egress::client: which one
  proto::packet pkt;           // an IP packet
};

struct counters {
  std::array<std::uint64_t, drop_reason_count> drops{};
  std::uint64_t forwarded = 0;
  std::uint64_t icmp_sent = 0;
  void drop(drop_reason r) noexcept { ++drops[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t dropped(drop_reason r) const noexcept { return drops[static_cast<std::size_t>(r)]; }
};

class firewall {
 public:
  explicit firewall(firewall_config config);

  // A client vif came up (its rules refuse everything until set_rules).
  void add_client(proto::ipv4_address ip);
  // It went away: its NAT mappings and sessions go, in both directions.
  void remove_client(proto::ipv4_address ip);
  // Every client address this firewall serves, running or not (/connected-ips):
  // none of them may appear as a source from the uplink or a destination.
  void set_connected_ips(std::span<const proto::ipv4_address> ips);
  // New rules for a client; existing flows the new rules refuse are removed.
  // Returns how many sessions were removed.
  std::size_t set_rules(proto::ipv4_address ip, rules::ruleset_ptr rules);
  // Re-applies every client's rules to existing flows (after dsthost answers change).
  std::size_t recheck_flows();
  // The resolver's answers for dsthost rules (an immutable snapshot), for new flows.
  // Open flows are not re-checked: a name served round-robin or by a CDN changes its
  // addresses at every refresh, and that must not cut the connections it already has.
  void set_host_addresses(rules::host_addresses_ptr hosts);

  // Packets from client `client` / from the uplink: what to send where is
  // appended to out; everything else is counted as dropped.
  void from_client(proto::ipv4_address client, std::span<const proto::packet> batch, clock_time now,
                   proto::buffer_pool& pool, std::vector<outgoing>& out);
  void from_uplink(std::span<const proto::packet> batch, clock_time now, proto::buffer_pool& pool,
                   std::vector<outgoing>& out);
  // Timers: NAT expiry, held fragments released or dropped.
  void tick(clock_time now, std::vector<outgoing>& out);

  [[nodiscard]] const counters& totals() const noexcept { return totals_; }
  // Per client; nullptr for an unknown client.
  [[nodiscard]] const counters* client_counters(proto::ipv4_address ip) const noexcept;
  [[nodiscard]] const nat::nat_engine& nat() const noexcept { return nat_; }
  [[nodiscard]] const firewall_config& config() const noexcept { return config_; }
  [[nodiscard]] bool has_client(proto::ipv4_address ip) const noexcept { return clients_.contains(ip); }
  // The connected clients, sorted.
  [[nodiscard]] std::vector<proto::ipv4_address> client_addresses() const;

 private:
  struct client_state {
    rules::ruleset_ptr rules;
    counters stats;
    token_bucket icmp_budget;
  };

  void client_packet(client_state& c, proto::ipv4_address client, const proto::packet& p, clock_time now,
                     proto::buffer_pool& pool, std::vector<outgoing>& out);
  void uplink_packet(const proto::packet& p, clock_time now, proto::buffer_pool& pool, std::vector<outgoing>& out);
  // A datagram to one of the resolver's reserved ports.
  bool to_resolver(const proto::ipv4_view& v) const noexcept;
  void emit_nat(const nat::nat_result& r, counters* c, std::vector<outgoing>& out);
  // Where an answer goes back and whose budget and counters it is charged to: the client
  // that sent the offending packet, or the uplink.
  struct answer_path {
    egress to;
    proto::ipv4_address client;  // with egress::client
    token_bucket& budget;
    counters* stats;             // nullptr: the uplink's, totals only
  };
  answer_path to_client(client_state& c, proto::ipv4_address client) noexcept {
    return {egress::client, client, c.icmp_budget, &c.stats};
  }
  answer_path to_uplink() noexcept { return {egress::uplink, {}, uplink_icmp_budget_, nullptr}; }
  // Sends the answer about `offending` if the path's budget allows; counts either way.
  void answer(const proto::packet& offending, const icmp_answer& a, const answer_path& path, clock_time now,
              proto::buffer_pool& pool, std::vector<outgoing>& out);
  void drop(counters* c, drop_reason r) noexcept;
  rules::match_context match_context() const;
  bool flow_allowed(const rules::ruleset& rules, const nat::session_info& s) const;

  firewall_config config_;
  nat::nat_engine nat_;
  rules::host_addresses_ptr hosts_;
  std::vector<std::uint16_t> resolver_ports_;  // sorted; those the NAT let us reserve
  std::unordered_map<proto::ipv4_address, client_state> clients_;
  std::unordered_set<proto::ipv4_address> connected_ips_;
  token_bucket uplink_icmp_budget_;  // errors towards the uplink (time exceeded, frag needed)
  token_bucket uplink_echo_budget_;  // replies to pings of the uplink address: apart, so a ping
                                     // flood from anywhere cannot silence path-MTU discovery
  counters totals_;
  std::vector<nat::translation> released_;  // scratch for held fragments
};

}  // namespace aw::firewall
