// firewall/firewall.cpp — the per-packet decision, client side and uplink side.
#include "firewall/firewall.hpp"

#include <algorithm>

#include "firewall/icmp_reply.hpp"
#include "firewall/l4_validity.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::firewall {
using namespace aw::proto;

namespace {

nat::nat_config with_external(nat::nat_config c, ipv4_address external) {
  c.external_address = external;
  return c;
}

// Addresses no packet should be forwarded to (RFC 1812 5.3.7, 4.2.2.11).
bool martian(ipv4_address a) noexcept {
  return (a.value >> 24) == 0 || a.is_loopback() || a.is_multicast() || a.is_broadcast() || (a.value >> 28) == 0xf;
}

// The fields a rule looks at; nullopt when the L4 header cannot be read.
std::optional<rules::flow_query> query_of(const ipv4_view& v) noexcept {
  rules::flow_query q{v.dst(), v.protocol(), std::nullopt, std::nullopt};
  bytes l4 = v.payload();
  switch (v.protocol()) {
    case ip_protocol::tcp:
    case ip_protocol::udp:
      if (l4.size() < 4) return std::nullopt;
      q.dst_port = load16(l4.data() + 2);
      break;
    case ip_protocol::icmp:
      if (l4.empty()) return std::nullopt;
      q.icmp_type = l4[0];
      break;
    default: break;
  }
  return q;
}

drop_reason invalid_reason(l4_defect d) noexcept {
  switch (d) {
    case l4_defect::tcp_invalid_flags: return drop_reason::tcp_invalid_flags;
    case l4_defect::tcp_bad_data_offset: return drop_reason::tcp_bad_data_offset;
    case l4_defect::udp_bad_length:
    case l4_defect::none: break;
  }
  return drop_reason::udp_bad_length;
}

bool is_echo_request(const ipv4_view& v) noexcept {
  return v.protocol() == ip_protocol::icmp && !v.is_fragment() && !v.payload().empty() &&
         icmp_type{v.payload()[0]} == icmp_type::echo_request;
}

}  // namespace

firewall::firewall(firewall_config config)
    : config_(std::move(config)),
      nat_(with_external(config_.nat, config_.uplink_address)),
      hosts_(std::make_shared<const rules::host_addresses>()),
      uplink_icmp_budget_(config_.icmp_per_second, config_.icmp_burst),
      uplink_echo_budget_(config_.icmp_per_second, config_.icmp_burst) {
  config_.nat.external_address = config_.uplink_address;
  released_.reserve(64);
  for (auto port : config_.resolver_ports)
    if (nat_.reserve_port(nat::nat_protocol::udp, port)) resolver_ports_.push_back(port);
  std::sort(resolver_ports_.begin(), resolver_ports_.end());
}

void firewall::add_client(ipv4_address ip) {
  if (clients_.contains(ip)) return;
  client_state c{std::make_shared<const rules::ruleset>(
                     rules::deny_all({rules::rule_error_kind::missing_policy, "policy", "rules not read yet"})),
                 {}, token_bucket{config_.icmp_per_second, config_.icmp_burst}};
  clients_.emplace(ip, std::move(c));
}

void firewall::remove_client(ipv4_address ip) {
  nat_.remove_client(ip);
  clients_.erase(ip);
}

void firewall::set_connected_ips(std::span<const ipv4_address> ips) {
  connected_ips_ = {ips.begin(), ips.end()};
}

rules::match_context firewall::match_context() const {
  return {config_.dns_servers, [this](std::string_view name) -> std::optional<std::span<const ipv4_address>> {
            auto it = hosts_->find(name);
            if (it == hosts_->end() || it->second.empty()) return std::nullopt;
            return std::span<const ipv4_address>{it->second};
          }};
}

bool firewall::flow_allowed(const rules::ruleset& rules, const nat::session_info& s) const {
  rules::flow_query q{s.remote, ip_protocol::udp, std::nullopt, std::nullopt};
  switch (s.proto) {
    case nat::nat_protocol::tcp: q.protocol = ip_protocol::tcp; q.dst_port = s.remote_port; break;
    case nat::nat_protocol::udp: q.protocol = ip_protocol::udp; q.dst_port = s.remote_port; break;
    case nat::nat_protocol::icmp:
      // An ICMP session is an echo (ping) query; its first packet's type is not kept.
      q.protocol = ip_protocol::icmp;
      q.icmp_type = static_cast<std::uint8_t>(icmp_type::echo_request);
      break;
  }
  return rules::match(rules, q, match_context()).act == rules::action::accept;
}

std::size_t firewall::set_rules(ipv4_address ip, rules::ruleset_ptr rules) {
  auto it = clients_.find(ip);
  if (it == clients_.end()) return 0;
  it->second.rules = std::move(rules);
  const rules::ruleset& r = *it->second.rules;
  return nat_.retain_sessions([&](const nat::session_info& s) { return s.client != ip || flow_allowed(r, s); });
}

std::size_t firewall::recheck_flows() {
  return nat_.retain_sessions([&](const nat::session_info& s) {
    auto it = clients_.find(s.client);
    return it != clients_.end() && flow_allowed(*it->second.rules, s);
  });
}

void firewall::set_host_addresses(rules::host_addresses_ptr hosts) {
  hosts_ = hosts ? std::move(hosts) : std::make_shared<const rules::host_addresses>();
}

const counters* firewall::client_counters(ipv4_address ip) const noexcept {
  auto it = clients_.find(ip);
  return it == clients_.end() ? nullptr : &it->second.stats;
}

std::vector<ipv4_address> firewall::client_addresses() const {
  std::vector<ipv4_address> ips;
  ips.reserve(clients_.size());
  for (const auto& [ip, c] : clients_) ips.push_back(ip);
  std::sort(ips.begin(), ips.end());
  return ips;
}

void firewall::drop(counters* c, drop_reason r) noexcept {
  totals_.drop(r);
  if (c != nullptr) c->drop(r);
}

void firewall::emit_nat(const nat::nat_result& r, counters* c, std::vector<outgoing>& out) {
  if (!r) {
    if (r.error() != nat::nat_drop::fragment_held) drop(c, drop_reason::nat);
    return;
  }
  if (r->to == nat::destination::client && !clients_.contains(r->client)) {
    drop(c, drop_reason::unknown_client);
    return;
  }
  out.push_back({r->to == nat::destination::uplink ? egress::uplink : egress::client, r->client, r->pkt});
  ++totals_.forwarded;
  if (c != nullptr) ++c->forwarded;
}

void firewall::answer(const packet& offending, const icmp_answer& a, const answer_path& path, clock_time now,
                      buffer_pool& pool, std::vector<outgoing>& out) {
  auto v = ipv4_view::make(offending.head(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v || !may_answer_with_error(*v)) return;
  if (!path.budget.allow(now)) return drop(path.stats, drop_reason::icmp_rate_limited);
  auto reply = make_icmp_error(offending, a.type, a.code, a.rest, a.from, pool);
  if (!reply) return drop(path.stats, drop_reason::pool_exhausted);
  out.push_back({path.to, path.client, std::move(*reply)});
  ++totals_.icmp_sent;
  if (path.stats != nullptr) ++path.stats->icmp_sent;
}

void firewall::from_client(ipv4_address client, std::span<const packet> batch, clock_time now, buffer_pool& pool,
                           std::vector<outgoing>& out) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    for (std::size_t i = 0; i < batch.size(); ++i) drop(nullptr, drop_reason::unknown_client);
    return;
  }
  for (const packet& p : batch) client_packet(it->second, client, p, now, pool, out);
}

void firewall::client_packet(client_state& c, ipv4_address client, const packet& p, clock_time now,
                             buffer_pool& pool, std::vector<outgoing>& out) {
  counters* stats = &c.stats;
  bytes head = p.head();
  if (!head.empty() && (head[0] >> 4) == 6) return drop(stats, drop_reason::ipv6_unsupported);
  auto v = ipv4_view::make(head, ipv4_view::length_check::truncated_ok);
  if (!v || v->total_length() != p.size()) return drop(stats, drop_reason::malformed);
  if (v->src() != client) return drop(stats, drop_reason::spoofed_source);
  if (check_l4_checksum(p, config_.checksums) == checksum_verdict::invalid)
    return drop(stats, drop_reason::bad_checksum);
  if (auto d = check_l4(*v); d != l4_defect::none) {
    nat_.refuse_fragments(p, nat::direction::outbound, now);  // its later fragments, if it is a first
    return drop(stats, invalid_reason(d));
  }

  const ipv4_address dst = v->dst();
  if (martian(dst)) return drop(stats, drop_reason::martian_destination);
  if (dst == config_.gateway || dst == config_.uplink_address) {
    // The firewall itself answers pings to the clients' gateway (and its own uplink
    // address, where the two differ) and refuses the rest: nothing reaches the NAT's
    // hairpin, through which two clients could otherwise talk to each other.
    if (is_echo_request(*v)) {
      if (!c.icmp_budget.allow(now)) return drop(stats, drop_reason::icmp_rate_limited);
      auto reply = make_echo_reply(p, pool);
      if (!reply) return drop(stats, drop_reason::malformed);
      out.push_back({egress::client, client, std::move(*reply)});
      ++totals_.icmp_sent;
      ++stats->icmp_sent;
      return;
    }
    drop(stats, drop_reason::to_firewall);
    return answer(p, icmp_answer::host_prohibited(dst), to_client(c, client), now, pool, out);
  }
  if (connected_ips_.contains(dst) || clients_.contains(dst)) return drop(stats, drop_reason::client_to_client);
  if (v->ttl() <= 1) {
    drop(stats, drop_reason::ttl_expired);
    return answer(p, icmp_answer::ttl_exceeded(config_.gateway), to_client(c, client), now, pool, out);
  }
  if (p.meta().gso == gso_type::none && p.size() > config_.uplink_mtu && v->dont_fragment()) {
    drop(stats, drop_reason::too_big);
    return answer(p, icmp_answer::fragmentation_needed(config_.uplink_mtu, config_.gateway), to_client(c, client), now,
                  pool, out);
  }

  // The flow table first; the rules only on a miss (a TCP FIN or reset with no session is
  // refused by the lookup itself, conntrack's NONE + FIN/RST: no reject answers a probe).
  auto known = nat_.outbound(p, now, pool);
  if (known || known.error() != nat::nat_drop::no_session || !v->is_first_fragment_or_whole())
    return emit_nat(known, stats, out);
  auto q = query_of(*v);
  if (!q) return drop(stats, drop_reason::malformed);
  auto m = rules::match(*c.rules, *q, match_context());
  if (m.act == rules::action::accept) return emit_nat(nat_.outbound_new(p, now, pool), stats, out);
  nat_.refuse_fragments(p, nat::direction::outbound, now);
  drop(stats, m.reason == rules::match_reason::failed_closed        ? drop_reason::rules_failed_closed
              : m.reason == rules::match_reason::dsthost_unresolved ? drop_reason::dsthost_unresolved
                                                                    : drop_reason::rule_drop);
  if (config_.reject_with_icmp)
    answer(p, icmp_answer::admin_prohibited(config_.gateway), to_client(c, client), now, pool, out);
}

void firewall::from_uplink(std::span<const packet> batch, clock_time now, buffer_pool& pool,
                           std::vector<outgoing>& out) {
  for (const packet& p : batch) uplink_packet(p, now, pool, out);
}

void firewall::uplink_packet(const packet& p, clock_time now, buffer_pool& pool, std::vector<outgoing>& out) {
  bytes head = p.head();
  if (!head.empty() && (head[0] >> 4) == 6) return drop(nullptr, drop_reason::ipv6_unsupported);
  auto v = ipv4_view::make(head, ipv4_view::length_check::truncated_ok);
  if (!v || v->total_length() != p.size()) return drop(nullptr, drop_reason::malformed);
  const ipv4_address src = v->src();
  if (connected_ips_.contains(src) || clients_.contains(src) || src == config_.gateway ||
      src == config_.uplink_address)
    return drop(nullptr, drop_reason::spoofed_from_uplink);
  if (v->dst() != config_.uplink_address) return drop(nullptr, drop_reason::not_for_us);
  if (check_l4_checksum(p, config_.checksums) == checksum_verdict::invalid)
    return drop(nullptr, drop_reason::bad_checksum);
  if (auto d = check_l4(*v); d != l4_defect::none) {
    nat_.refuse_fragments(p, nat::direction::inbound, now);
    return drop(nullptr, invalid_reason(d));
  }
  if (to_resolver(*v)) {
    out.push_back({egress::resolver, {}, p});
    return;
  }

  auto r = nat_.inbound(p, now, pool);
  if (!r && is_echo_request(*v)) {
    // A ping of the firewall's own uplink address (no client's mapping).
    if (!uplink_echo_budget_.allow(now)) return drop(nullptr, drop_reason::icmp_rate_limited);
    auto reply = make_echo_reply(p, pool);
    if (!reply) return drop(nullptr, drop_reason::malformed);
    out.push_back({egress::uplink, {}, std::move(*reply)});
    ++totals_.icmp_sent;
    return;
  }
  if (r && v->ttl() <= 1) {
    // Forwarding to the client would take the TTL to zero.
    drop(nullptr, drop_reason::ttl_expired);
    return answer(p, icmp_answer::ttl_exceeded(config_.uplink_address), to_uplink(), now, pool, out);
  }
  if (r && p.meta().gso == gso_type::none && p.size() > config_.client_mtu && v->dont_fragment()) {
    drop(nullptr, drop_reason::too_big);
    return answer(p, icmp_answer::fragmentation_needed(config_.client_mtu, config_.uplink_address), to_uplink(), now,
                  pool, out);
  }
  counters* stats = nullptr;
  if (r) {
    auto it = clients_.find(r->client);
    if (it != clients_.end()) stats = &it->second.stats;
  }
  emit_nat(r, stats, out);
}

bool firewall::to_resolver(const ipv4_view& v) const noexcept {
  if (resolver_ports_.empty() || v.protocol() != ip_protocol::udp || v.is_fragment()) return false;
  bytes l4 = v.payload();
  return l4.size() >= 4 && std::binary_search(resolver_ports_.begin(), resolver_ports_.end(), load16(l4.data() + 2));
}

void firewall::tick(clock_time now, std::vector<outgoing>& out) {
  nat_.expire(now);
  released_.clear();
  nat_.take_released(released_);
  for (auto& t : released_) emit_nat(nat::nat_result{std::move(t)}, nullptr, out);
}

}  // namespace aw::firewall
