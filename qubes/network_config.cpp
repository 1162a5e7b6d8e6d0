// qubes/network_config.cpp — strict parsing of the Qubes network keys and the firewall rule keys.
#include "qubes/network_config.hpp"

#include <algorithm>
#include <bit>
#include <set>

namespace aw::qubes {
namespace {

using proto::ipv4_address;

result<std::optional<ipv4_address>, config_error> optional_address(const qdb_map& keys, const std::string& key) {
  auto it = keys.find(key);
  if (it == keys.end()) return std::optional<ipv4_address>{};
  auto a = ipv4_address::parse(it->second);
  if (!a) return config_error{key, "not an IPv4 address: \"" + it->second + "\""};
  return std::optional<ipv4_address>{*a};
}

result<ipv4_address, config_error> required_address(const qdb_map& keys, const std::string& key) {
  auto a = optional_address(keys, key);
  if (!a) return a.error();
  if (!*a) return config_error{key, "missing"};
  return **a;
}

result<ipv4_address, config_error> required_netmask(const qdb_map& keys, const std::string& key) {
  auto a = required_address(keys, key);
  if (!a) return a.error();
  std::uint32_t v = a->value;
  // Contiguous: ones then zeros.
  if (v != 0 && std::countl_one(v) + std::countr_zero(v) != 32)
    return config_error{key, "not a contiguous netmask: \"" + keys.at(key) + "\""};
  return *a;
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

qdb_map to_map(qdb_entries entries) {
  qdb_map out;
  for (auto& [k, v] : entries) out.insert_or_assign(std::move(k), std::move(v));
  return out;
}

result<network_config, config_error> read_network_config(const qdb_map& keys) {
  network_config c;
  // Each step stores its value or reports the key; the first failure wins.
  std::optional<config_error> error;
  auto required = [&](proto::ipv4_address& out, const char* key, bool netmask) {
    if (error) return;
    auto r = netmask ? required_netmask(keys, key) : required_address(keys, key);
    if (r) out = *r; else error = r.error();
  };
  auto optional = [&](std::optional<proto::ipv4_address>& out, const char* key) {
    if (error) return;
    auto r = optional_address(keys, key);
    if (r) out = *r; else error = r.error();
  };
  required(c.ip, "/qubes-ip", false);
  required(c.netmask, "/qubes-netmask", true);
  required(c.gateway, "/qubes-gateway", false);
  optional(c.primary_dns, "/qubes-primary-dns");
  optional(c.secondary_dns, "/qubes-secondary-dns");
  required(c.netvm_gateway, "/qubes-netvm-gateway", false);
  required(c.netvm_netmask, "/qubes-netvm-netmask", true);
  optional(c.netvm_primary_dns, "/qubes-netvm-primary-dns");
  optional(c.netvm_secondary_dns, "/qubes-netvm-secondary-dns");
  if (error) return *error;
  if (auto it = keys.find("/qubes-mac"); it != keys.end()) {
    auto m = proto::mac_address::parse(it->second);
    if (!m) return config_error{"/qubes-mac", "not a MAC address: \"" + it->second + "\""};
    c.mac = *m;
  }
  if (auto it = keys.find("/connected-ips"); it != keys.end() && !it->second.empty()) {
    std::string_view rest = it->second;
    std::set<ipv4_address> seen;
    for (;;) {
      std::size_t sp = rest.find(' ');
      std::string_view token = rest.substr(0, sp);
      auto a = ipv4_address::parse(token);
      if (!a) return config_error{"/connected-ips", "not an IPv4 address: \"" + std::string{token} + "\""};
      if (!seen.insert(*a).second) return config_error{"/connected-ips", "listed twice: " + std::string{token}};
      c.connected_ips.push_back(*a);
      if (sp == std::string_view::npos) break;
      rest = rest.substr(sp + 1);
    }
  }
  return c;
}

result<client_rule_lines, config_error> firewall_rules_for(const qdb_map& keys, std::string_view client_ip) {
  const std::string base = std::string{firewall_prefix} + std::string{client_ip};
  const std::string dir = base + "/";
  client_rule_lines out;
  bool have_policy = false;
  std::vector<std::pair<unsigned, const std::string*>> numbered;
  for (auto it = keys.lower_bound(dir); it != keys.end() && it->first.compare(0, dir.size(), dir) == 0; ++it) {
    std::string_view name = std::string_view{it->first}.substr(dir.size());
    if (name == "policy") {
      have_policy = true;
      out.policy = it->second;
    } else if (name.size() == 4 && all_digits(name)) {
      unsigned n = 0;
      for (char ch : name) n = n * 10 + static_cast<unsigned>(ch - '0');
      numbered.emplace_back(n, &it->second);
    } else {
      return config_error{it->first, "unexpected key (only policy and 4-digit rule numbers)"};
    }
  }
  if (!have_policy) return config_error{dir + "policy", "missing"};
  std::sort(numbered.begin(), numbered.end());
  out.lines.reserve(numbered.size());
  out.numbers.reserve(numbered.size());
  for (const auto& [n, line] : numbered) {
    out.lines.push_back(*line);
    out.numbers.push_back(n);
  }
  return out;
}

std::map<std::string, result<client_rule_lines, config_error>> firewall_rules(const qdb_map& keys) {
  std::map<std::string, result<client_rule_lines, config_error>> out;
  const std::string prefix{firewall_prefix};
  for (auto it = keys.lower_bound(prefix); it != keys.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    std::string_view rest = std::string_view{it->first}.substr(prefix.size());
    std::string client{rest.substr(0, rest.find('/'))};
    if (out.count(client) != 0) continue;
    if (client.empty()) {
      out.emplace(client, config_error{it->first, "no client address"});
      continue;
    }
    if (!proto::ipv4_address::parse(client) && !proto::ipv6_address::parse(client)) {
      out.emplace(client, config_error{prefix + client, "not an IPv4 or IPv6 address"});
      continue;
    }
    out.emplace(client, firewall_rules_for(keys, client));
  }
  return out;
}

std::optional<std::string> commit_signal_client(std::string_view watch_path) {
  if (watch_path.substr(0, firewall_prefix.size()) != firewall_prefix) return std::nullopt;
  std::string_view client = watch_path.substr(firewall_prefix.size());
  if (client.empty() || client.find('/') != std::string_view::npos) return std::nullopt;
  return std::string{client};
}

}  // namespace aw::qubes
