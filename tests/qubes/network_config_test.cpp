// tests/qubes/network_config_test.cpp — the network config keys, the firewall rule keys and the commit-signal rule.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "qubes/network_config.hpp"

using namespace aw::qubes;
using aw::proto::ipv4_address;

namespace {

// The keys dom0 writes for a sys-firewall with two clients (qubes.md).
const qdb_map firewall_qube = {
    {"/qubes-ip", "10.137.0.2"},
    {"/qubes-netmask", "255.255.255.255"},
    {"/qubes-gateway", "10.137.0.1"},
    {"/qubes-primary-dns", "10.139.1.1"},
    {"/qubes-secondary-dns", "10.139.1.2"},
    {"/qubes-mac", "00:16:3e:5e:6c:00"},
    {"/qubes-netvm-gateway", "10.137.0.2"},
    {"/qubes-netvm-netmask", "255.255.255.255"},
    {"/qubes-netvm-primary-dns", "10.139.1.1"},
    {"/qubes-netvm-secondary-dns", "10.139.1.2"},
    {"/connected-ips", "10.137.0.3 10.137.0.5"},
    {"/qubes-vm-type", "ProxyVM"},
};

qdb_map with(qdb_map m, const std::string& key, const std::string& value) {
  m[key] = value;
  return m;
}
qdb_map without(qdb_map m, const std::string& key) {
  m.erase(key);
  return m;
}

}  // namespace

TEST_CASE("network config: reads every key of a firewall qube") {
  auto c = read_network_config(firewall_qube);
  REQUIRE(c.has_value());
  CHECK(c->ip == ipv4_address::from_octets(10, 137, 0, 2));
  CHECK(c->netmask == ipv4_address::from_octets(255, 255, 255, 255));
  CHECK(c->gateway == ipv4_address::from_octets(10, 137, 0, 1));
  CHECK(c->primary_dns == ipv4_address::from_octets(10, 139, 1, 1));
  CHECK(c->secondary_dns == ipv4_address::from_octets(10, 139, 1, 2));
  CHECK(c->mac == aw::proto::mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}});
  CHECK(c->netvm_gateway == ipv4_address::from_octets(10, 137, 0, 2));
  CHECK(c->netvm_netmask == ipv4_address::from_octets(255, 255, 255, 255));
  CHECK(c->netvm_primary_dns == ipv4_address::from_octets(10, 139, 1, 1));
  CHECK(c->netvm_secondary_dns == ipv4_address::from_octets(10, 139, 1, 2));
  CHECK(c->connected_ips ==
        std::vector<ipv4_address>{ipv4_address::from_octets(10, 137, 0, 3), ipv4_address::from_octets(10, 137, 0, 5)});
}

TEST_CASE("network config: optional keys may be absent") {
  qdb_map m = firewall_qube;
  for (const char* k : {"/qubes-primary-dns", "/qubes-secondary-dns", "/qubes-mac", "/qubes-netvm-primary-dns",
                        "/qubes-netvm-secondary-dns", "/connected-ips"})
    m.erase(k);
  auto c = read_network_config(m);
  REQUIRE(c.has_value());
  CHECK_FALSE(c->primary_dns.has_value());
  CHECK_FALSE(c->mac.has_value());
  CHECK(c->connected_ips.empty());
  CHECK(read_network_config(with(firewall_qube, "/connected-ips", ""))->connected_ips.empty());
}

TEST_CASE("network config: a missing required key is named") {
  for (const char* k : {"/qubes-ip", "/qubes-netmask", "/qubes-gateway", "/qubes-netvm-gateway", "/qubes-netvm-netmask"}) {
    CAPTURE(k);
    auto c = read_network_config(without(firewall_qube, k));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error() == config_error{k, "missing"});
  }
}

TEST_CASE("network config: addresses are strict dotted quads") {
  for (const char* bad : {"10.137.0", "10.137.0.256", "010.137.0.2", " 10.137.0.2", "10.137.0.2 ", ""}) {
    CAPTURE(bad);
    auto c = read_network_config(with(firewall_qube, "/qubes-gateway", bad));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().key == "/qubes-gateway");
    CHECK(c.error().message().rfind("/qubes-gateway: not an IPv4 address", 0) == 0);
  }
  auto dns = read_network_config(with(firewall_qube, "/qubes-netvm-secondary-dns", "dns.example"));
  CHECK(dns.error().key == "/qubes-netvm-secondary-dns");
}

TEST_CASE("network config: netmasks must be contiguous") {
  CHECK(read_network_config(with(firewall_qube, "/qubes-netmask", "255.255.255.0")).has_value());
  CHECK(read_network_config(with(firewall_qube, "/qubes-netmask", "0.0.0.0")).has_value());
  auto c = read_network_config(with(firewall_qube, "/qubes-netvm-netmask", "255.0.255.0"));
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().key == "/qubes-netvm-netmask");
}

TEST_CASE("network config: /connected-ips is single-space separated without duplicates") {
  for (const char* bad : {"10.137.0.3  10.137.0.5", " 10.137.0.3", "10.137.0.3 ", "10.137.0.3,10.137.0.5",
                          "10.137.0.3 10.137.0.3", "10.137.0.3\t10.137.0.5"}) {
    CAPTURE(bad);
    auto c = read_network_config(with(firewall_qube, "/connected-ips", bad));
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().key == "/connected-ips");
  }
}

TEST_CASE("network config: /qubes-mac must be a MAC address") {
  auto c = read_network_config(with(firewall_qube, "/qubes-mac", "00:16:3e:5e:6c"));
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().key == "/qubes-mac");
}

namespace {

const qdb_map rules_keys = {
    {"/qubes-firewall/10.137.0.5", ""},
    {"/qubes-firewall/10.137.0.5/policy", "drop"},
    {"/qubes-firewall/10.137.0.5/0000", "action=accept dst4=8.8.8.8/32 proto=udp dstports=53-53"},
    {"/qubes-firewall/10.137.0.5/0002", "action=accept specialtarget=dns"},
    {"/qubes-firewall/10.137.0.5/0010", "action=accept proto=icmp icmptype=8"},
    {"/qubes-firewall/10.137.0.5/0007", "action=drop dsthost=example.com proto=tcp dstports=80-80"},
    {"/qubes-firewall/10.137.0.50/policy", "drop"},  // another client whose ip extends this one's
    {"/qubes-firewall/10.137.0.50/0000", "action=accept"},
};

}  // namespace

TEST_CASE("firewall keys: rule lines come in numeric order, gaps allowed, policy apart") {
  auto r = firewall_rules_for(rules_keys, "10.137.0.5");
  REQUIRE(r.has_value());
  CHECK(r->policy == "drop");
  CHECK(r->lines == std::vector<std::string>{
                        "action=accept dst4=8.8.8.8/32 proto=udp dstports=53-53",   // 0000
                        "action=accept specialtarget=dns",                          // 0002
                        "action=drop dsthost=example.com proto=tcp dstports=80-80",  // 0007
                        "action=accept proto=icmp icmptype=8",                      // 0010
                    });
}

TEST_CASE("firewall keys: a client with only a policy has no rule lines") {
  auto r = firewall_rules_for({{"/qubes-firewall/10.137.0.9/policy", "drop"}}, "10.137.0.9");
  REQUIRE(r.has_value());
  CHECK(r->lines.empty());
}

TEST_CASE("firewall keys: a missing policy is an error naming the key") {
  qdb_map m = rules_keys;
  m.erase("/qubes-firewall/10.137.0.5/policy");
  auto r = firewall_rules_for(m, "10.137.0.5");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == config_error{"/qubes-firewall/10.137.0.5/policy", "missing"});
  CHECK(firewall_rules_for({}, "10.137.0.5").error().reason == "missing");
}

TEST_CASE("firewall keys: any other key name is an error naming it") {
  for (const char* bad : {"/qubes-firewall/10.137.0.5/12", "/qubes-firewall/10.137.0.5/00001",
                          "/qubes-firewall/10.137.0.5/000a", "/qubes-firewall/10.137.0.5/Policy",
                          "/qubes-firewall/10.137.0.5/0001/x", "/qubes-firewall/10.137.0.5/comment",
                          "/qubes-firewall/10.137.0.5/-001"}) {
    CAPTURE(bad);
    auto r = firewall_rules_for(with(rules_keys, bad, "action=accept"), "10.137.0.5");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().key == bad);
  }
}

TEST_CASE("firewall keys: every client gets its own result") {
  qdb_map m = rules_keys;
  m["/qubes-firewall/10.137.0.7/0000"] = "action=accept";  // no policy: this client alone fails
  m["/qubes-firewall/not-an-ip/policy"] = "drop";
  m["/qubes-firewall/fd09:24ef:4179::a89:5/policy"] = "drop";
  auto all = firewall_rules(m);
  REQUIRE(all.size() == 5);
  CHECK(all.at("10.137.0.5").has_value());
  CHECK(all.at("10.137.0.50")->lines == std::vector<std::string>{"action=accept"});
  CHECK(all.at("10.137.0.7").error().key == "/qubes-firewall/10.137.0.7/policy");
  CHECK(all.at("not-an-ip").error().key == "/qubes-firewall/not-an-ip");
  CHECK(all.at("fd09:24ef:4179::a89:5").has_value());
}

TEST_CASE("commit signal: only /qubes-firewall/<ip> with exactly two slashes") {
  CHECK(commit_signal_client("/qubes-firewall/10.137.0.5") == "10.137.0.5");
  CHECK(commit_signal_client("/qubes-firewall/fd09:24ef:4179::a89:5") == "fd09:24ef:4179::a89:5");
  CHECK_FALSE(commit_signal_client("/qubes-firewall/10.137.0.5/policy"));
  CHECK_FALSE(commit_signal_client("/qubes-firewall/10.137.0.5/0001"));
  CHECK_FALSE(commit_signal_client("/qubes-firewall/10.137.0.5/"));  // dom0's rm of the dir
  CHECK_FALSE(commit_signal_client("/qubes-firewall/"));
  CHECK_FALSE(commit_signal_client("/qubes-firewall"));
  CHECK_FALSE(commit_signal_client("/qubes-ip"));
  CHECK_FALSE(commit_signal_client("/qubes-firewallx/10.137.0.5"));
}
