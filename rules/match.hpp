// rules/match.hpp — first-match evaluation of a ruleset for one new flow.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/ipv4.hpp"
#include "rules/ruleset.hpp"

namespace aw::rules {

// What the rules look at in a packet that starts a flow.
struct flow_query {
  proto::ipv4_address dst;
  proto::ip_protocol protocol = proto::ip_protocol::udp;
  std::optional<std::uint16_t> dst_port;   // TCP/UDP
  std::optional<std::uint8_t> icmp_type;   // ICMP
};

// The resolved addresses of a dsthost name, or nullopt while unresolved or failed.
using host_lookup = std::function<std::optional<std::span<const proto::ipv4_address>>(std::string_view)>;

enum class match_reason : std::uint8_t {
  rule,                // rules[index] matched
  policy,              // no rule matched
  failed_closed,       // the rule set did not parse
  dsthost_unresolved,  // a name the rules need has no answer: the client is refused
};
std::string_view to_string(match_reason r) noexcept;

struct match_result {
  action act = action::drop;
  match_reason reason = match_reason::policy;
  std::size_t index = 0;  // the matching rule, for reason == rule
};

struct match_context {
  std::span<const proto::ipv4_address> dns_servers;  // specialtarget=dns (e.g. 10.139.1.1, 10.139.1.2)
  host_lookup hosts;                                 // dsthost answers; empty = none resolved
};

// First match wins; a rule matches when all its predicates match; the policy
// ends the list. dstports without proto means TCP or UDP; specialtarget=dns
// means a DNS server address, port 53, TCP or UDP; dst6 never matches IPv4.
match_result match(const ruleset& rules, const flow_query& q, const match_context& ctx);

// True when rule r matches q (dsthost names resolved through ctx).
bool rule_matches(const rule& r, const flow_query& q, const match_context& ctx);

}  // namespace aw::rules
