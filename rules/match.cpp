// rules/match.cpp — rule predicates and first-match evaluation.
#include "rules/match.hpp"

#include <algorithm>

namespace aw::rules {

std::string_view to_string(match_reason r) noexcept {
  switch (r) {
    case match_reason::rule: return "rule";
    case match_reason::policy: return "policy";
    case match_reason::failed_closed: return "failed_closed";
    case match_reason::dsthost_unresolved: return "dsthost_unresolved";
  }
  return "unknown";
}

namespace {
bool is_tcp_or_udp(proto::ip_protocol p) { return p == proto::ip_protocol::tcp || p == proto::ip_protocol::udp; }

bool protocol_matches(rule_protocol want, proto::ip_protocol got) {
  switch (want) {
    case rule_protocol::any: return true;
    case rule_protocol::tcp: return got == proto::ip_protocol::tcp;
    case rule_protocol::udp: return got == proto::ip_protocol::udp;
    case rule_protocol::icmp: return got == proto::ip_protocol::icmp;
  }
  return false;
}
}  // namespace

bool rule_matches(const rule& r, const flow_query& q, const match_context& ctx) {
  if (r.dst6) return false;  // an IPv6 rule never matches an IPv4 packet
  if (!protocol_matches(r.protocol, q.protocol)) return false;
  if (r.dst4 && !r.dst4->contains(q.dst)) return false;
  if (r.dsthost) {
    auto addrs = ctx.hosts ? ctx.hosts(*r.dsthost) : std::nullopt;
    if (!addrs || std::find(addrs->begin(), addrs->end(), q.dst) == addrs->end()) return false;
  }
  if (r.special_dns) {
    // The Linux agent skips a dns rule whose ports are anything but exactly 53.
    if (r.dstports && (r.dstports->first != 53 || r.dstports->last != 53)) return false;
    if (!is_tcp_or_udp(q.protocol) || q.dst_port != 53) return false;
    if (std::find(ctx.dns_servers.begin(), ctx.dns_servers.end(), q.dst) == ctx.dns_servers.end()) return false;
  }
  if (r.dstports) {
    if (!is_tcp_or_udp(q.protocol) || !q.dst_port || !r.dstports->contains(*q.dst_port)) return false;
  }
  if (r.icmp_type && q.icmp_type != r.icmp_type) return false;
  return true;
}

match_result match(const ruleset& rules, const flow_query& q, const match_context& ctx) {
  if (rules.failed_closed()) return {action::drop, match_reason::failed_closed, 0};
  // Like the Linux agent, which blocks the client when a name fails to
  // resolve at load time: no answer for any name, no traffic at all.
  for (const auto& r : rules.rules) {
    if (r.dsthost && !(ctx.hosts && ctx.hosts(*r.dsthost)))
      return {action::drop, match_reason::dsthost_unresolved, 0};
  }
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    if (rule_matches(rules.rules[i], q, ctx)) return {rules.rules[i].act, match_reason::rule, i};
  }
  return {rules.policy, match_reason::policy, 0};
}

}  // namespace aw::rules
