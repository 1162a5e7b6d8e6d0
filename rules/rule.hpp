// rules/rule.hpp — one Qubes firewall rule line: its value and its strict parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/named_enum.hpp"
#include "protocol/result.hpp"

namespace aw::rules {

enum class action : std::uint8_t { accept, drop };
enum class rule_protocol : std::uint8_t { any, tcp, udp, icmp };
std::string_view to_string(action a) noexcept;
std::string_view to_string(rule_protocol p) noexcept;

struct port_range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  [[nodiscard]] constexpr bool contains(std::uint16_t p) const noexcept { return p >= first && p <= last; }
  friend constexpr bool operator==(const port_range&, const port_range&) = default;
};

// The keys of a rule line, in the order dom0 writes them.
struct rule {
  action act = action::drop;
  // At most one destination.
  std::optional<proto::ipv4_prefix> dst4;
  std::optional<proto::ipv6_prefix> dst6;
  std::optional<std::string> dsthost;
  rule_protocol protocol = rule_protocol::any;
  bool special_dns = false;  // specialtarget=dns
  std::optional<port_range> dstports;
  std::optional<std::uint8_t> icmp_type;

  [[nodiscard]] std::string to_string() const;  // back to the QubesDB line form
  friend bool operator==(const rule&, const rule&) = default;
};

#define AW_RULE_ERRORS(X)                                       \
  X(empty_rule, "empty_rule")                                   \
  X(malformed_token, "malformed_token")                         \
  X(unknown_key, "unknown_key")                                 \
  X(duplicate_key, "duplicate_key")                             \
  X(wrong_order, "wrong_key_order")                             \
  X(bad_value, "bad_value")                                     \
  X(missing_action, "missing_action")                           \
  X(conflicting_keys, "conflicting_keys")                       \
  X(unsupported, "unsupported_key")                             \
  X(missing_policy, "missing_policy")                           \
  X(bad_policy, "bad_policy")                                   \
  X(bad_rule_number, "bad_rule_number")

AW_NAMED_ENUM(rule_error_kind, AW_RULE_ERRORS)

struct rule_error {
  rule_error_kind kind = rule_error_kind::bad_value;
  std::string key;     // the offending key (or rule number), for the log line
  std::string detail;  // why, in words
  [[nodiscard]] std::string to_string() const;
};

// Parses one line as dom0 writes it: space-separated key=value pairs in the
// order action, dst4|dst6|dsthost, proto, specialtarget, dstports, icmptype,
// dpi; each key at most once. Anything else is an error naming the key.
result<rule, rule_error> parse_rule(std::string_view line);

}  // namespace aw::rules
