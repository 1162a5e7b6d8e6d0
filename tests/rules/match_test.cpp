// First-match evaluation: predicates, specialtarget=dns, dsthost fail-closed, policy.
#include <doctest/doctest.h>

#include <map>

#include "rules/match.hpp"

using namespace aw::rules;
using aw::proto::ip_protocol;
using aw::proto::ipv4_address;
using lines = std::vector<std::pair<std::string, std::string>>;

namespace {
const ipv4_address dns_servers[] = {ipv4_address::from_octets(10, 139, 1, 1), ipv4_address::from_octets(10, 139, 1, 2)};
const ipv4_address example = ipv4_address::from_octets(93, 184, 216, 34);
const ipv4_address other = ipv4_address::from_octets(192, 0, 2, 1);

flow_query tcp_to(ipv4_address dst, std::uint16_t port) { return {dst, ip_protocol::tcp, port, std::nullopt}; }
flow_query udp_to(ipv4_address dst, std::uint16_t port) { return {dst, ip_protocol::udp, port, std::nullopt}; }
flow_query icmp_to(ipv4_address dst, std::uint8_t type) { return {dst, ip_protocol::icmp, std::nullopt, type}; }

ruleset rules_of(std::string policy, lines l) { return compile_ruleset(policy, l); }
match_context ctx() { return {dns_servers, {}}; }
}  // namespace

TEST_CASE("match: first match wins") {
  auto s = rules_of("accept", {{"0000", "action=drop proto=tcp dstports=25-25"}, {"0001", "action=accept proto=tcp"}});
  auto m = match(s, tcp_to(other, 25), ctx());
  CHECK(m.act == action::drop);
  CHECK(m.reason == match_reason::rule);
  CHECK(m.index == 0);
  CHECK(match(s, tcp_to(other, 80), ctx()).index == 1);
}

TEST_CASE("match: the policy ends the list") {
  auto s = rules_of("drop", {{"0000", "action=accept proto=udp"}});
  auto m = match(s, tcp_to(other, 80), ctx());
  CHECK(m.act == action::drop);
  CHECK(m.reason == match_reason::policy);
}

TEST_CASE("match: a rule matches only when all its predicates match") {
  auto s = rules_of("drop", {{"0000", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443"}});
  CHECK(match(s, tcp_to(other, 443), ctx()).act == action::accept);
  CHECK(match(s, tcp_to(other, 80), ctx()).act == action::drop);
  CHECK(match(s, udp_to(other, 443), ctx()).act == action::drop);
  CHECK(match(s, tcp_to(example, 443), ctx()).act == action::drop);
}

TEST_CASE("match: dstports without proto means TCP and UDP, never ICMP") {
  auto s = rules_of("drop", {{"0000", "action=accept dstports=53-53"}});
  CHECK(match(s, tcp_to(other, 53), ctx()).act == action::accept);
  CHECK(match(s, udp_to(other, 53), ctx()).act == action::accept);
  CHECK(match(s, icmp_to(other, 8), ctx()).act == action::drop);
}

TEST_CASE("match: specialtarget=dns is a DNS server, port 53, TCP or UDP") {
  auto s = rules_of("drop", {{"0000", "action=accept specialtarget=dns"}});
  CHECK(match(s, udp_to(dns_servers[0], 53), ctx()).act == action::accept);
  CHECK(match(s, tcp_to(dns_servers[1], 53), ctx()).act == action::accept);
  CHECK(match(s, udp_to(dns_servers[0], 5353), ctx()).act == action::drop);
  CHECK(match(s, udp_to(other, 53), ctx()).act == action::drop);
  CHECK(match(s, icmp_to(dns_servers[0], 8), ctx()).act == action::drop);
}

TEST_CASE("match: specialtarget=dns with ports other than exactly 53 is skipped, as the Linux agent skips it") {
  auto s = rules_of("drop", {{"0000", "action=accept specialtarget=dns dstports=1-1000"},
                             {"0001", "action=accept proto=udp specialtarget=dns dstports=53-53"}});
  CHECK(match(s, udp_to(dns_servers[0], 53), ctx()).index == 1);
  CHECK(match(s, tcp_to(dns_servers[0], 53), ctx()).act == action::drop);  // rule 0 never matches
}

TEST_CASE("match: specialtarget=dns with proto=udp does not open TCP") {
  auto s = rules_of("drop", {{"0000", "action=accept proto=udp specialtarget=dns"}});
  CHECK(match(s, udp_to(dns_servers[0], 53), ctx()).act == action::accept);
  CHECK(match(s, tcp_to(dns_servers[0], 53), ctx()).act == action::drop);
}

TEST_CASE("match: icmptype compares the ICMP type") {
  auto s = rules_of("drop", {{"0000", "action=accept proto=icmp icmptype=8"}});
  CHECK(match(s, icmp_to(other, 8), ctx()).act == action::accept);
  CHECK(match(s, icmp_to(other, 13), ctx()).act == action::drop);
}

TEST_CASE("match: a dst6 rule never matches an IPv4 packet") {
  auto s = rules_of("drop", {{"0000", "action=accept dst6=::/0"}});
  CHECK(match(s, tcp_to(other, 80), ctx()).act == action::drop);
}

TEST_CASE("match: a failed rule set refuses everything") {
  auto s = rules_of("accept", {{"0000", "action=accept proto=bogus"}});
  auto m = match(s, tcp_to(other, 80), ctx());
  CHECK(m.act == action::drop);
  CHECK(m.reason == match_reason::failed_closed);
}

TEST_CASE("match: dsthost matches the resolved addresses") {
  auto s = rules_of("drop", {{"0000", "action=accept dsthost=example.com proto=tcp dstports=443-443"}});
  std::vector<ipv4_address> answer{example};
  match_context c{dns_servers, [&](std::string_view name) -> std::optional<std::span<const ipv4_address>> {
                    if (name == "example.com") return std::span<const ipv4_address>{answer};
                    return std::nullopt;
                  }};
  CHECK(match(s, tcp_to(example, 443), c).act == action::accept);
  CHECK(match(s, tcp_to(other, 443), c).act == action::drop);
}

TEST_CASE("match: an unresolved dsthost refuses all of the client's traffic (fail closed, like Linux)") {
  auto s = rules_of("accept", {{"0000", "action=drop dsthost=ads.example"}});
  auto m = match(s, tcp_to(other, 80), ctx());
  CHECK(m.act == action::drop);
  CHECK(m.reason == match_reason::dsthost_unresolved);
}
