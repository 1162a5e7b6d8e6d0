// rules/rule.cpp — the strict rule-line parser.
#include "rules/rule.hpp"

#include <array>
#include <charconv>

namespace aw::rules {
namespace {

// Each key's position in dom0's order; the destination keys share one.
struct key_info {
  std::string_view name;
  int order;
};
constexpr std::array<key_info, 9> keys = {{{"action", 0},
                                           {"dst4", 1},
                                           {"dst6", 1},
                                           {"dsthost", 1},
                                           {"proto", 2},
                                           {"specialtarget", 3},
                                           {"dstports", 4},
                                           {"icmptype", 5},
                                           {"dpi", 6}}};

std::optional<std::uint32_t> parse_number(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

// A DNS name as Qubes accepts it: [a-z0-9-._], labels 1-63, at most 253 characters.
bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

rule_error error(rule_error_kind kind, std::string_view key, std::string detail) {
  return {kind, std::string{key}, std::move(detail)};
}

}  // namespace

std::string_view to_string(action a) noexcept { return a == action::accept ? "accept" : "drop"; }

std::string_view to_string(rule_protocol p) noexcept {
  switch (p) {
    case rule_protocol::any: return "any";
    case rule_protocol::tcp: return "tcp";
    case rule_protocol::udp: return "udp";
    case rule_protocol::icmp: return "icmp";
  }
  return "unknown";
}

std::string rule_error::to_string() const {
  std::string s{rules::to_string(kind)};
  if (!key.empty()) s += " '" + key + "'";
  if (!detail.empty()) s += ": " + detail;
  return s;
}

std::string rule::to_string() const {
  std::string s = "action=" + std::string{rules::to_string(act)};
  if (dst4) s += " dst4=" + dst4->to_string();
  if (dst6) s += " dst6=" + dst6->to_string();
  if (dsthost) s += " dsthost=" + *dsthost;
  if (protocol != rule_protocol::any) s += " proto=" + std::string{rules::to_string(protocol)};
  if (special_dns) s += " specialtarget=dns";
  if (dstports) s += " dstports=" + std::to_string(dstports->first) + "-" + std::to_string(dstports->last);
  if (icmp_type) s += " icmptype=" + std::to_string(*icmp_type);
  return s;
}

result<rule, rule_error> parse_rule(std::string_view line) {
  rule r;
  int last_order = -1;
  bool seen_action = false;
  if (line.empty()) return error(rule_error_kind::empty_rule, "", "the rule line is empty");
  while (!line.empty()) {
    auto space = line.find(' ');
    std::string_view token = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (space != std::string_view::npos && line.empty()) token = {};  // a trailing space
    if (token.empty()) return error(rule_error_kind::malformed_token, "", "two spaces in a row, or a leading/trailing space");
    auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return error(rule_error_kind::malformed_token, token, "expected key=value");
    std::string_view key = token.substr(0, eq), value = token.substr(eq + 1);

    const key_info* info = nullptr;
    for (const auto& k : keys)
      if (k.name == key) info = &k;
    if (info == nullptr) return error(rule_error_kind::unknown_key, key, "not a Qubes firewall rule key");
    if (info->order == last_order) {
      bool dest = info->order == 1;
      return error(dest ? rule_error_kind::conflicting_keys : rule_error_kind::duplicate_key, key,
                   dest ? "a rule has at most one of dst4, dst6 and dsthost" : "the key appears twice");
    }
    if (info->order < last_order) return error(rule_error_kind::wrong_order, key, "keys must follow dom0's order");
    last_order = info->order;

    if (key == "action") {
      if (value == "accept") r.act = action::accept;
      else if (value == "drop") r.act = action::drop;
      else return error(rule_error_kind::bad_value, key, "expected accept or drop, got '" + std::string{value} + "'");
      seen_action = true;
    } else if (key == "dst4") {
      // dom0 stores the prefix as the user typed it (192.168.1.5/24); nft, which the
      // Linux agent hands it to, masks the host bits, and so do we.
      r.dst4 = proto::ipv4_prefix::parse(value, /*allow_host_bits=*/true);
      if (!r.dst4) return error(rule_error_kind::bad_value, key, "expected a.b.c.d/len");
    } else if (key == "dst6") {
      r.dst6 = proto::ipv6_prefix::parse(value, /*allow_host_bits=*/true);
      if (!r.dst6) return error(rule_error_kind::bad_value, key, "expected an IPv6 prefix addr/len");
    } else if (key == "dsthost") {
      if (!valid_hostname(value)) return error(rule_error_kind::bad_value, key, "not a valid host name");
      r.dsthost = std::string{value};
    } else if (key == "proto") {
      if (value == "tcp") r.protocol = rule_protocol::tcp;
      else if (value == "udp") r.protocol = rule_protocol::udp;
      else if (value == "icmp") r.protocol = rule_protocol::icmp;
      else return error(rule_error_kind::bad_value, key, "expected tcp, udp or icmp");
    } else if (key == "specialtarget") {
      if (value != "dns") return error(rule_error_kind::bad_value, key, "the only special target is dns");
      r.special_dns = true;
    } else if (key == "dstports") {
      auto dash = value.find('-');
      if (dash == std::string_view::npos) return error(rule_error_kind::bad_value, key, "expected N-M");
      auto first = parse_number(value.substr(0, dash), 65535), last = parse_number(value.substr(dash + 1), 65535);
      // dom0 accepts 0-65536; nft (the Linux agent) takes 0-65535 and refuses 65536.
      if (!first || !last || *first > *last)
        return error(rule_error_kind::bad_value, key, "expected N-M with 0 <= N <= M <= 65535");
      r.dstports = port_range{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)};
    } else if (key == "icmptype") {
      auto t = parse_number(value, 255);
      if (!t) return error(rule_error_kind::bad_value, key, "expected 0-255");
      r.icmp_type = static_cast<std::uint8_t>(*t);
    } else {  // dpi
      // Deep packet inspection is not implemented, and the Linux agent refuses
      // the key too: the client is blocked rather than the rule weakened.
      return error(rule_error_kind::unsupported, key, "deep packet inspection is not supported");
    }
    if (!seen_action) return error(rule_error_kind::missing_action, key, "action must come first");
  }
  if (!seen_action) return error(rule_error_kind::missing_action, "action", "no action");
  // Combinations dom0 never writes.
  if (r.icmp_type && r.protocol != rule_protocol::icmp)
    return error(rule_error_kind::conflicting_keys, "icmptype", "icmptype needs proto=icmp");
  if (r.dstports && r.protocol == rule_protocol::icmp)
    return error(rule_error_kind::conflicting_keys, "dstports", "ICMP has no ports");
  return r;
}

}  // namespace aw::rules
