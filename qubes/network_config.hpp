// qubes/network_config.hpp — QubesDB keys to values: the network config, per-client firewall rule lines, the commit signal.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/result.hpp"
#include "qubes/qdb_client.hpp"

namespace aw::qubes {

// A snapshot of QubesDB keys: path -> value.
using qdb_map = std::map<std::string, std::string>;
qdb_map to_map(qdb_entries entries);

// Why a key was refused; the message names the key.
struct config_error {
  std::string key;
  std::string reason;
  [[nodiscard]] std::string message() const { return key + ": " + reason; }
  friend bool operator==(const config_error&, const config_error&) = default;
};

struct network_config {
  // The firewall's own uplink (to its netvm).
  proto::ipv4_address ip;                        // /qubes-ip
  proto::ipv4_address netmask;                   // /qubes-netmask
  proto::ipv4_address gateway;                   // /qubes-gateway
  std::optional<proto::ipv4_address> primary_dns;    // /qubes-primary-dns
  std::optional<proto::ipv4_address> secondary_dns;  // /qubes-secondary-dns
  std::optional<proto::mac_address> mac;             // /qubes-mac
  // As the netvm of its clients.
  proto::ipv4_address netvm_gateway;                       // /qubes-netvm-gateway
  proto::ipv4_address netvm_netmask;                       // /qubes-netvm-netmask
  std::optional<proto::ipv4_address> netvm_primary_dns;    // /qubes-netvm-primary-dns
  std::optional<proto::ipv4_address> netvm_secondary_dns;  // /qubes-netvm-secondary-dns
  std::vector<proto::ipv4_address> connected_ips;          // /connected-ips; absent = none
  friend bool operator==(const network_config&, const network_config&) = default;
};

// Required: /qubes-ip, /qubes-netmask, /qubes-gateway, /qubes-netvm-gateway,
// /qubes-netvm-netmask. Addresses are strict dotted quads, netmasks
// contiguous, /connected-ips single-space-separated without duplicates, the
// MAC aa:bb:cc:dd:ee:ff. The first bad or missing key is the error.
result<network_config, config_error> read_network_config(const qdb_map& keys);

// Firewall rules as dom0 writes them under /qubes-firewall/<ip>/.
inline constexpr std::string_view firewall_prefix = "/qubes-firewall/";

// What the rules parser consumes: the rule lines in numeric key order, then the policy.
struct client_rule_lines {
  std::string policy;               // /qubes-firewall/<ip>/policy, as written
  std::vector<std::string> lines;   // /qubes-firewall/<ip>/NNNN values, sorted by NNNN (gaps allowed)
  std::vector<unsigned> numbers;    // the NNNN of each line, for error messages
  friend bool operator==(const client_rule_lines&, const client_rule_lines&) = default;
};

// The keys of one client: /qubes-firewall/<ip> itself (the commit marker),
// `policy` (required) and 4-digit rule numbers; any other key below is an
// error naming it. The caller turns an error into a deny-all rule set.
result<client_rule_lines, config_error> firewall_rules_for(const qdb_map& keys, std::string_view client_ip);

// Every client that has keys under /qubes-firewall/, each with its own result.
// A client name that is not an IPv4 or IPv6 address is reported under its name.
std::map<std::string, result<client_rule_lines, config_error>> firewall_rules(const qdb_map& keys);

// The commit-signal rule: a watch event whose path is exactly
// /qubes-firewall/<ip> (two '/') means "reload that client's rules now".
// Returns <ip>; nullopt for every other path (the per-key writes before it).
std::optional<std::string> commit_signal_client(std::string_view watch_path);

}  // namespace aw::qubes
