// tests/nat/mapping_test.cpp — mappings, filtering, port choice, bounds, hairpinning,
// client removal and selective flush, each named after the requirement it checks.
#include <doctest/doctest.h>

#include <set>

#include "nat/nat_test_support.hpp"  // tests/nat/

using namespace aw::test::nat;
using aw::test::byte_vector;

TEST_CASE("outbound UDP: source becomes the external endpoint, checksums verify, input unchanged") {
  rig r;
  auto t = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(t);
  CHECK(t->to == destination::uplink);
  seen s = look(t->pkt);
  CHECK(s.src == external);
  CHECK(s.dst == remote_1);
  CHECK(s.dport == 53);
  CHECK(s.sport >= 1024);
  CHECK(s.ip_checksum_ok);
  CHECK(s.l4_checksum_ok);
  CHECK(r.engine.counters()[nat_event::translated_out] == 1);
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("outbound on a miss is no_session (the firewall then checks its rules), counted") {
  rig r;
  auto t = r.out(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::no_session);
  CHECK(r.engine.counters()[nat_drop::no_session] == 1);
  CHECK(r.engine.session_count() == 0);
  REQUIRE(r.out_new(udp_bytes(client_a, 40000, remote_1, 53)));
  CHECK(r.out(udp_bytes(client_a, 40000, remote_1, 53)));
}

TEST_CASE("RFC 4787 REQ-1: same internal endpoint keeps its external port to two destinations") {
  rig r;
  auto p1 = r.udp_out(client_a, 40000, remote_1, 53);
  auto p2 = r.udp_out(client_a, 40000, remote_2, 443);
  CHECK(p1 == p2);
  CHECK(r.engine.mapping_count() == 1);
  CHECK(r.engine.session_count() == 2);
}

TEST_CASE("RFC 5382 REQ-1: TCP endpoint-independent mapping") {
  rig r;
  auto a = r.out_new(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn));
  auto b = r.out_new(tcp_bytes(client_a, 50000, remote_2, 80, tcp_flag::syn));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(look(a->pkt).sport == look(b->pkt).sport);
  CHECK(look(a->pkt).l4_checksum_ok);
  CHECK(look(b->pkt).src == external);
}

TEST_CASE("inbound reply is translated back to the client, checksums verify") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  auto t = r.in(udp_bytes(remote_1, 53, external, ext));
  REQUIRE(t);
  CHECK(t->to == destination::client);
  CHECK(t->client == client_a);
  seen s = look(t->pkt);
  CHECK(s.src == remote_1);
  CHECK(s.dst == client_a);
  CHECK(s.sport == 53);
  CHECK(s.dport == 40000);
  CHECK(s.ip_checksum_ok);
  CHECK(s.l4_checksum_ok);
}

TEST_CASE("RFC 4787 REQ-8: address-dependent filtering (default) admits only contacted addresses") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  CHECK(r.in(udp_bytes(remote_1, 9999, external, ext)));  // same address, other port
  auto t = r.in(udp_bytes(remote_2, 53, external, ext));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::filtered);
  CHECK(r.engine.counters()[nat_drop::filtered] == 1);
}

TEST_CASE("RFC 4787 REQ-8: filtering is exact on a mapping with many remotes - each contacted address admitted, others not, expired ones not") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  // The same internal endpoint talks to 2,000 addresses (a DHT node, say): one mapping.
  for (std::uint32_t i = 1; i <= 2000; ++i)
    CHECK(r.udp_out(client_a, 40000, ipv4_address{ipv4_address::from_octets(198, 18, 0, 0).value + i}, 6881) == ext);
  CHECK(r.engine.mapping_count() == 1);
  CHECK(r.in(udp_bytes(ipv4_address{ipv4_address::from_octets(198, 18, 0, 0).value + 1234}, 6881, external, ext)));
  auto spoofed = r.in(udp_bytes(ipv4_address::from_octets(203, 0, 113, 66), 6881, external, ext));
  REQUIRE_FALSE(spoofed);
  CHECK(spoofed.error() == nat_drop::filtered);
  // Once remote_1's session has expired (UDP: 300 s) and others were refreshed, it is out.
  r.now += std::chrono::seconds{200};
  for (std::uint32_t i = 1; i <= 2000; ++i)
    (void)r.udp_out(client_a, 40000, ipv4_address{ipv4_address::from_octets(198, 18, 0, 0).value + i}, 6881);
  r.now += std::chrono::seconds{150};
  auto late = r.in(udp_bytes(remote_1, 53, external, ext));
  REQUIRE_FALSE(late);
  CHECK(late.error() == nat_drop::filtered);
  CHECK(r.engine.audit() == nullptr);
}

TEST_CASE("RFC 4787 REQ-8: one mapping's thousands of sessions to one remote (its ports) keep filtering exact and the tables consistent") {
  rig r;
  std::uint16_t ext = 0;
  for (std::uint16_t port = 1; port <= 20000; ++port) ext = r.udp_out(client_a, 40000, remote_1, port);
  CHECK(r.engine.session_count() == 20000);
  CHECK(r.in(udp_bytes(remote_1, 60000, external, ext)));  // the same address, a port never used
  auto other = r.in(udp_bytes(remote_2, 1, external, ext));
  REQUIRE_FALSE(other);
  CHECK(other.error() == nat_drop::filtered);
  // Another client's flow beside them works, and everything expires cleanly.
  auto ext_b = r.udp_out(client_b, 5000, remote_2, 53);
  CHECK(r.in(udp_bytes(remote_2, 53, external, ext_b)));
  CHECK(r.engine.audit() == nullptr);
  r.now += std::chrono::minutes{10};
  r.engine.expire(r.now);
  CHECK(r.engine.session_count() == 0);
  CHECK(r.engine.audit() == nullptr);
  auto gone = r.in(udp_bytes(remote_1, 1, external, ext));
  REQUIRE_FALSE(gone);
}

TEST_CASE("RFC 4787 REQ-8 / RFC 5382 REQ-3: endpoint-independent filtering is an option") {
  auto c = test_config();
  c.filtering = filtering_mode::endpoint_independent;
  rig r{c};
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  auto t = r.in(udp_bytes(remote_2, 1234, external, ext));
  REQUIRE(t);
  CHECK(look(t->pkt).dst == client_a);
}

TEST_CASE("RFC 5382 REQ-4: unsolicited inbound (no mapping) is dropped and counted") {
  rig r;
  auto t = r.in(tcp_bytes(remote_1, 4444, external, 22, tcp_flag::syn));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::no_mapping);
  CHECK(r.engine.counters()[nat_drop::no_mapping] == 1);
  CHECK(r.engine.session_count() == 0);
  auto u = r.in(udp_bytes(remote_1, 53, ip(192, 168, 1, 3), 1234));
  REQUIRE_FALSE(u);
  CHECK(u.error() == nat_drop::not_external_destination);
}

TEST_CASE("RFC 4787 REQ-3: no port overloading: distinct internal endpoints get distinct ports") {
  rig r;
  std::set<std::uint16_t> ports;
  for (std::uint16_t i = 0; i < 200; ++i) ports.insert(r.udp_out(client_a, static_cast<std::uint16_t>(30000 + i), remote_1, 53));
  for (std::uint16_t i = 0; i < 200; ++i) ports.insert(r.udp_out(client_b, static_cast<std::uint16_t>(30000 + i), remote_1, 53));
  CHECK(ports.size() == 400);
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("RFC 4787 REQ-3a: the port range class is preserved") {
  rig r;
  for (int pi : {1, 22, 123, 1023}) for (auto p = static_cast<std::uint16_t>(pi); p != 0; p = 0) CHECK(r.udp_out(client_a, p, remote_1, 53) < 1024);
  for (int pi : {1024, 5000, 65535}) for (auto p = static_cast<std::uint16_t>(pi); p != 0; p = 0) CHECK(r.udp_out(client_a, p, remote_1, 53) >= 1024);
}

TEST_CASE("RFC 4787 REQ-3a: with the low class full, a low source port still gets a mapping, from the high class") {
  auto c = test_config();
  c.max_mappings_per_client = 65536;
  rig r{c};
  for (std::uint16_t p = 1; p < 1024; ++p) CHECK(r.udp_out(client_a, p, remote_1, 53) < 1024);
  CHECK(r.udp_out(client_b, 123, remote_1, 123) >= 1024);  // another client's ntpd
}

TEST_CASE("RFC 4787 REQ-4: port parity is preserved") {
  rig r;
  for (std::uint16_t i = 0; i < 100; ++i) {
    auto p = static_cast<std::uint16_t>(20000 + i);
    CHECK((r.udp_out(client_a, p, remote_1, 53) & 1) == (p & 1));
  }
  for (int pi : {100, 101, 500, 501}) for (auto p = static_cast<std::uint16_t>(pi); p != 0; p = 0) CHECK((r.udp_out(client_a, p, remote_1, 53) & 1) == (p & 1));
}

TEST_CASE("RFC 4787 REQ-4: parity falls back to the other parity when one is exhausted") {
  auto c = test_config();
  c.max_mappings_per_client = 65536;
  rig r{c};
  // Take all 511 odd low ports (1..1023 odd) with odd client ports.
  for (std::uint16_t p = 1; p < 1024; p += 2) r.udp_out(client_a, p, remote_1, 53);
  auto ext = r.udp_out(client_b, 1, remote_1, 53);  // odd wanted, none left
  CHECK(ext < 1024);
  CHECK((ext & 1) == 0);
}

TEST_CASE("RFC 6056: port choice is randomised, and reproducible under a seed") {
  auto run = [](std::uint64_t seed) {
    auto c = test_config();
    c.seed = seed;
    rig r{c};
    std::vector<std::uint16_t> v;
    for (std::uint16_t i = 0; i < 50; ++i) v.push_back(r.udp_out(client_a, static_cast<std::uint16_t>(40000 + i), remote_1, 53));
    return v;
  };
  auto a = run(7), b = run(7), c = run(8);
  CHECK(a == b);
  CHECK(a != c);
  int sequential = 0;
  for (std::size_t i = 1; i < a.size(); ++i) sequential += (a[i] == a[i - 1] + 2) ? 1 : 0;
  CHECK(sequential < 5);
}

TEST_CASE("out_of_ports: all 65535 UDP ports exhausted (per-client cap raised), counted, and recovery as entries expire") {
  auto c = test_config();
  c.max_mappings_per_client = 65536;
  c.max_sessions_per_client = 65536;
  c.max_sessions = 65536;
  c.max_mappings = 65536;
  rig r{c};
  // Half the ports at t0, the other half three minutes later.
  for (std::uint32_t p = 1; p <= 65535; ++p) {
    if (p == 32768) r.now += std::chrono::minutes{3};
    auto t = r.out_new(udp_bytes(client_a, static_cast<std::uint16_t>(p), remote_1, 53, 0));
    REQUIRE(t);
  }
  CHECK(r.engine.free_ports(nat_protocol::udp) == 0);
  CHECK(r.engine.mapping_count() == 65535);
  AW_CHECK_AUDIT(r.engine);

  auto high = r.out_new(udp_bytes(client_b, 40000, remote_1, 53));
  REQUIRE_FALSE(high);
  CHECK(high.error() == nat_drop::out_of_ports);
  auto low = r.out_new(udp_bytes(client_b, 123, remote_1, 53));
  REQUIRE_FALSE(low);
  CHECK(low.error() == nat_drop::out_of_ports);
  CHECK(r.engine.counters()[nat_drop::out_of_ports] == 2);
  // The engine keeps working: existing flows and other protocols translate.
  CHECK(r.out(udp_bytes(client_a, 20000, remote_1, 53, 0)));  // refreshed: from the first half
  CHECK(r.out_new(tcp_bytes(client_b, 40000, remote_1, 80, tcp_flag::syn)));

  // Five minutes after t0 the first half (minus the refreshed 20000) expires.
  r.now += std::chrono::minutes{2};
  CHECK(r.engine.expire(r.now) == 32767 - 1);
  CHECK(r.engine.free_ports(nat_protocol::udp) == 32767 - 1);
  auto again = r.out_new(udp_bytes(client_b, 40000, remote_1, 53));
  REQUIRE(again);
  CHECK(r.engine.free_ports(nat_protocol::udp) == 32767 - 2);
  r.now += std::chrono::minutes{10};
  r.engine.expire(r.now);
  CHECK(r.engine.free_ports(nat_protocol::udp) == 65535);
  CHECK(r.engine.mapping_count() == 0);
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("per-client cap: one client cannot take every port, others are unaffected") {
  auto c = test_config();
  c.max_mappings_per_client = 10;
  rig r{c};
  for (std::uint16_t i = 0; i < 10; ++i) r.udp_out(client_a, static_cast<std::uint16_t>(1000 + 2 * i + 1024), remote_1, 53);
  auto t = r.out_new(udp_bytes(client_a, 60000, remote_1, 53));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::client_cap);
  CHECK(r.engine.counters()[nat_drop::client_cap] == 1);
  // A new session on an existing mapping is not a new mapping.
  CHECK(r.out_new(udp_bytes(client_a, 2024, remote_2, 53)));
  CHECK(r.out_new(udp_bytes(client_b, 60000, remote_1, 53)));
}

TEST_CASE("bounded table: at max_sessions the idlest UDP session is evicted for a new flow") {
  auto c = test_config();
  c.max_sessions = 4;
  rig r{c};
  auto first = r.udp_out(client_a, 1111, remote_1, 53);
  for (std::uint16_t i = 1; i < 4; ++i) {
    r.now += 1s;
    r.udp_out(client_a, static_cast<std::uint16_t>(1111 + i), remote_1, 53);
  }
  r.now += 1s;
  REQUIRE(r.out_new(udp_bytes(client_b, 5555, remote_1, 53)));
  CHECK(r.engine.session_count() == 4);
  CHECK(r.engine.counters()[nat_event::sessions_evicted] == 1);
  CHECK_FALSE(r.engine.external_port(nat_protocol::udp, client_a, 1111));  // the idlest went
  CHECK(r.engine.is_port_free(nat_protocol::udp, first));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("bounded table: established TCP is never evicted, a new flow is refused with table_full") {
  auto c = test_config();
  c.max_sessions = 2;
  rig r{c};
  for (int pi : {3000, 3001}) for (auto p = static_cast<std::uint16_t>(pi); p != 0; p = 0) {
    auto t = r.out_new(tcp_bytes(client_a, p, remote_1, 443, tcp_flag::syn));
    REQUIRE(t);
    REQUIRE(r.in(tcp_bytes(remote_1, 443, external, look(t->pkt).sport, tcp_flag::syn | tcp_flag::ack)));
  }
  auto t = r.out_new(udp_bytes(client_b, 5555, remote_1, 53));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::table_full);
  CHECK(r.engine.counters()[nat_drop::table_full] == 1);
  CHECK(r.engine.session_count() == 2);
}

TEST_CASE("per-client session cap: one client's established sessions cannot fill the table, others are unaffected") {
  auto c = test_config();
  c.max_sessions_per_client = 3;
  rig r{c};
  // One source port, three remotes' ports that answer: three established sessions.
  for (std::uint16_t p = 1; p <= 3; ++p) {
    auto t = r.out_new(tcp_bytes(client_a, 3000, remote_1, p, tcp_flag::syn));
    REQUIRE(t);
    REQUIRE(r.in(tcp_bytes(remote_1, p, external, look(t->pkt).sport, tcp_flag::syn | tcp_flag::ack)));
  }
  auto t = r.out_new(tcp_bytes(client_a, 3000, remote_1, 4, tcp_flag::syn));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::client_session_cap);
  CHECK(r.engine.counters()[nat_drop::client_session_cap] == 1);
  CHECK(r.out_new(udp_bytes(client_b, 5555, remote_1, 53)));
  // A session that goes makes room again.
  CHECK(r.out(tcp_bytes(client_a, 3000, remote_1, 1, tcp_flag::rst)));
  r.now += std::chrono::minutes{5};
  (void)r.engine.expire(r.now);
  CHECK(r.out_new(tcp_bytes(client_a, 3000, remote_1, 4, tcp_flag::syn)));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("per-client session cap: at the cap a client's own idlest UDP session makes room, not another client's") {
  auto c = test_config();
  c.max_sessions_per_client = 3;
  rig r{c};
  r.udp_out(client_b, 7000, remote_1, 53);  // the idlest of all: another client's
  r.now += 1s;
  for (std::uint16_t p = 1; p <= 3; ++p) {
    r.udp_out(client_a, 6000, remote_1, p);  // a's first one is its idlest
    r.now += 1s;
  }
  auto t = r.out_new(udp_bytes(client_a, 6000, remote_1, 4));
  REQUIRE(t);  // a torrent client at its cap still opens new flows
  CHECK(r.engine.counters()[nat_event::sessions_evicted] == 1);
  CHECK(r.engine.session_count() == 4);
  CHECK(r.out(udp_bytes(client_b, 7000, remote_1, 53)));        // b's session stays
  CHECK_FALSE(r.out(udp_bytes(client_a, 6000, remote_1, 1)));   // a's idlest went
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("an outbound RST that matches no session is dropped: it opens neither a session nor a mapping") {
  rig r;
  auto t = r.out_new(tcp_bytes(client_a, 3000, remote_1, 443, tcp_flag::rst | tcp_flag::ack));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::tcp_rst_without_session);
  CHECK(r.engine.session_count() == 0);
  CHECK(r.engine.mapping_count() == 0);
}

TEST_CASE("conntrack NONE + FIN is INVALID: an outbound FIN with no session opens neither a session nor a mapping") {
  rig r;
  for (std::uint8_t flags : {std::uint8_t(tcp_flag::fin | tcp_flag::ack), std::uint8_t(tcp_flag::fin | tcp_flag::ack | tcp_flag::psh)}) {
    auto t = r.out_new(tcp_bytes(client_a, 3000, remote_1, 443, flags));
    REQUIRE_FALSE(t);
    CHECK(t.error() == nat_drop::tcp_fin_without_session);
  }
  CHECK(r.engine.session_count() == 0);
  CHECK(r.engine.mapping_count() == 0);
  // The lookup (no new flow) refuses them as such, not as a miss the rules would decide.
  CHECK(r.out(tcp_bytes(client_a, 3001, remote_1, 443, tcp_flag::fin | tcp_flag::ack)).error() ==
        nat_drop::tcp_fin_without_session);
  CHECK(r.out(tcp_bytes(client_a, 3001, remote_1, 443, tcp_flag::rst)).error() == nat_drop::tcp_rst_without_session);
  CHECK(r.engine.counters()[nat_drop::no_session] == 0);
  // Within a session a FIN passes as ever.
  REQUIRE(r.out_new(tcp_bytes(client_a, 3000, remote_1, 443, tcp_flag::syn)));
  CHECK(r.out_new(tcp_bytes(client_a, 3000, remote_1, 443, tcp_flag::fin | tcp_flag::ack)));
}

TEST_CASE("TCP picked up mid-stream (no SYN) is transitory and evictable until the remote answers") {
  auto c = test_config();
  c.max_sessions = 2;
  rig r{c};
  // ACKs to nowhere: they must not fill the table with sessions that are never evicted.
  REQUIRE(r.out_new(tcp_bytes(client_a, 3000, remote_1, 1, tcp_flag::ack)));
  r.now += 1s;
  REQUIRE(r.out_new(tcp_bytes(client_a, 3000, remote_1, 2, tcp_flag::ack)));
  r.now += 1s;
  REQUIRE(r.out_new(udp_bytes(client_b, 5555, remote_1, 53)));
  CHECK(r.engine.counters()[nat_event::sessions_evicted] == 1);
  // One the remote answers is established: kept past the transitory 4 minutes.
  auto ext = r.engine.external_port(nat_protocol::tcp, client_a, 3000);
  REQUIRE(ext);
  REQUIRE(r.in(tcp_bytes(remote_1, 2, external, *ext, tcp_flag::ack)));
  r.now += std::chrono::minutes{5};
  (void)r.engine.expire(r.now);
  CHECK(r.engine.external_port(nat_protocol::tcp, client_a, 3000));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("bounded table: at max_mappings a mapping with a single idle session makes room") {
  auto c = test_config();
  c.max_mappings = 2;
  rig r{c};
  r.udp_out(client_a, 1111, remote_1, 53);
  r.udp_out(client_a, 1111, remote_2, 53);  // mapping 1 has two sessions
  r.now += 1s;
  r.udp_out(client_a, 2222, remote_1, 53);
  r.now += 1s;
  REQUIRE(r.out_new(udp_bytes(client_a, 3333, remote_1, 53)));
  CHECK(r.engine.mapping_count() == 2);
  CHECK(r.engine.external_port(nat_protocol::udp, client_a, 1111));
  CHECK_FALSE(r.engine.external_port(nat_protocol::udp, client_a, 2222));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("RFC 4787 REQ-9: hairpinning reaches another client's mapping, source = sender's external endpoint") {
  auto c = test_config();
  c.filtering = filtering_mode::endpoint_independent;
  rig r{c};
  auto ext_b = r.udp_out(client_b, 7000, remote_1, 3478);
  auto t = r.out_new(udp_bytes(client_a, 6000, external, ext_b));
  REQUIRE(t);
  CHECK(t->to == destination::client);
  CHECK(t->client == client_b);
  seen s = look(t->pkt);
  auto ext_a = r.engine.external_port(nat_protocol::udp, client_a, 6000);
  REQUIRE(ext_a);
  CHECK(s.src == external);
  CHECK(s.sport == *ext_a);
  CHECK(s.dst == client_b);
  CHECK(s.dport == 7000);
  CHECK(s.ip_checksum_ok);
  CHECK(s.l4_checksum_ok);
  CHECK(r.engine.counters()[nat_event::hairpinned] == 1);
  // And back: B answers A's external endpoint.
  auto back = r.out_new(udp_bytes(client_b, 7000, external, *ext_a));
  REQUIRE(back);
  CHECK(look(back->pkt).dst == client_a);
  CHECK(look(back->pkt).dport == 6000);
  CHECK(look(back->pkt).sport == ext_b);
}

TEST_CASE("RFC 5382 REQ-2: TCP hairpinning") {
  auto c = test_config();
  c.filtering = filtering_mode::endpoint_independent;
  rig r{c};
  auto b = r.out_new(tcp_bytes(client_b, 8080, remote_1, 443, tcp_flag::syn));
  REQUIRE(b);
  auto t = r.out_new(tcp_bytes(client_a, 5000, external, look(b->pkt).sport, tcp_flag::syn));
  REQUIRE(t);
  CHECK(look(t->pkt).dst == client_b);
  CHECK(look(t->pkt).dport == 8080);
  CHECK(look(t->pkt).l4_checksum_ok);
}

TEST_CASE("RFC 4787 REQ-9: hairpinning under address-dependent filtering works once both sides sent") {
  rig r;
  auto ext_b = r.udp_out(client_b, 7000, remote_1, 3478);
  auto ext_a = r.udp_out(client_a, 6000, remote_1, 3478);
  // A -> B first: B never sent to the external address, so B's filter refuses.
  auto first = r.out_new(udp_bytes(client_a, 6000, external, ext_b));
  REQUIRE_FALSE(first);
  CHECK(first.error() == nat_drop::filtered);
  // B -> A: A's mapping now has a session to the external address.
  auto second = r.out_new(udp_bytes(client_b, 7000, external, ext_a));
  REQUIRE(second);
  CHECK(look(second->pkt).dst == client_a);
  CHECK(r.out(udp_bytes(client_a, 6000, external, ext_b)));
}

TEST_CASE("hairpinning can be switched off, to an unmapped external port it is no_mapping") {
  auto c = test_config();
  c.hairpinning = false;
  rig r{c};
  auto ext_b = r.udp_out(client_b, 7000, remote_1, 3478);
  auto t = r.out_new(udp_bytes(client_a, 6000, external, ext_b));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::hairpin_disabled);
  rig r2;
  auto u = r2.out_new(udp_bytes(client_a, 6000, external, 4444));
  REQUIRE_FALSE(u);
  CHECK(u.error() == nat_drop::no_mapping);
}

TEST_CASE("remove_client removes every mapping and session of the client in both directions") {
  rig r;
  auto a1 = r.udp_out(client_a, 1111, remote_1, 53);
  auto a2 = r.out_new(tcp_bytes(client_a, 2222, remote_1, 443, tcp_flag::syn));
  REQUIRE(a2);
  auto a3 = r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 77));
  REQUIRE(a3);
  auto b1 = r.udp_out(client_b, 1111, remote_1, 53);
  CHECK(r.engine.mapping_count(client_a) == 3);

  CHECK(r.engine.remove_client(client_a) == 3);
  CHECK(r.engine.mapping_count(client_a) == 0);
  CHECK(r.engine.mapping_count() == 1);
  CHECK(r.engine.is_port_free(nat_protocol::udp, a1));
  CHECK(r.engine.is_port_free(nat_protocol::tcp, look(a2->pkt).sport));
  CHECK(r.engine.is_port_free(nat_protocol::icmp, look(a3->pkt).sport));
  // Outbound: gone; inbound: nothing left behind.
  CHECK(r.out(udp_bytes(client_a, 1111, remote_1, 53)).error() == nat_drop::no_session);
  CHECK(r.in(udp_bytes(remote_1, 53, external, a1)).error() == nat_drop::no_mapping);
  CHECK(r.in(tcp_bytes(remote_1, 443, external, look(a2->pkt).sport, tcp_flag::ack)).error() == nat_drop::no_mapping);
  // The other client keeps its flow.
  CHECK(r.in(udp_bytes(remote_1, 53, external, b1)));
  CHECK(r.engine.remove_client(client_a) == 0);
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("retain_sessions keeps only the flows a predicate allows, mappings left empty go") {
  rig r;
  auto a = r.udp_out(client_a, 1111, remote_1, 53);
  r.udp_out(client_a, 1111, remote_2, 53);
  auto b = r.udp_out(client_a, 2222, remote_2, 53);
  auto removed = r.engine.retain_sessions([](const session_info& s) { return s.remote == remote_1; });
  CHECK(removed == 2);
  CHECK(r.engine.session_count() == 1);
  CHECK(r.engine.mapping_count() == 1);
  CHECK_FALSE(r.engine.is_port_free(nat_protocol::udp, a));
  CHECK(r.engine.is_port_free(nat_protocol::udp, b));
  CHECK(r.out(udp_bytes(client_a, 1111, remote_1, 53)));
  CHECK(r.out(udp_bytes(client_a, 1111, remote_2, 53)).error() == nat_drop::no_session);
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("reserved ports are never handed out until released") {
  auto c = test_config();
  c.max_mappings_per_client = 65536;
  rig r{c};
  // Reserve all even low ports but 2; an even low request must get 2.
  for (std::uint16_t p = 4; p < 1024; p += 2) REQUIRE(r.engine.reserve_port(nat_protocol::udp, p));
  CHECK_FALSE(r.engine.reserve_port(nat_protocol::udp, 4));
  CHECK(r.udp_out(client_a, 100, remote_1, 53) == 2);
  CHECK((r.udp_out(client_a, 102, remote_1, 53) & 1) == 1);  // even exhausted: odd
  AW_CHECK_AUDIT(r.engine);
  r.engine.release_reserved_port(nat_protocol::udp, 500);
  CHECK(r.engine.is_port_free(nat_protocol::udp, 500));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("malformed and unsupported packets are refused with their reason") {
  rig r;
  auto good = udp_bytes(client_a, 1111, remote_1, 53);
  byte_vector cut(good.begin(), good.begin() + 24);  // total length says more
  CHECK(r.out_new(cut).error() == nat_drop::malformed);
  byte_vector gre = ipv4_wrap(client_a, remote_1, ip_protocol{47}, payload(8));
  CHECK(r.out_new(gre).error() == nat_drop::unsupported_protocol);
  byte_vector short_tcp = ipv4_wrap(client_a, remote_1, ip_protocol::tcp, payload(8));
  CHECK(r.out_new(short_tcp).error() == nat_drop::malformed);
  auto reply = icmp_query_bytes(client_a, remote_1, icmp_type::echo_reply, 5);
  CHECK(r.out_new(reply).error() == nat_drop::icmp_unsupported);
  CHECK(r.engine.counters()[nat_drop::malformed] == 2);
  CHECK(r.engine.session_count() == 0);
}

TEST_CASE("a large packet keeps its payload shared (only the headers are copied), checksums verify") {
  rig r;
  packet in = make(r.pool, udp_bytes(client_a, 40000, remote_1, 443, 1400));
  auto t = r.engine.outbound_new(in, r.now, r.pool);
  REQUIRE(t);
  CHECK(t->pkt.shares_buffer_with(in));
  CHECK_FALSE(t->pkt.contiguous());
  seen s = look(t->pkt);
  CHECK(s.l4_checksum_ok);
  CHECK(s.ip_checksum_ok);
  // And the reply of the same size comes back the same way.
  auto back = r.engine.inbound(make(r.pool, udp_bytes(remote_1, 443, external, s.sport, 1400)), r.now, r.pool);
  REQUIRE(back);
  CHECK(look(back->pkt).l4_checksum_ok);
}

TEST_CASE("forwarding decrements the TTL by one (configurable), header checksum kept valid") {
  rig r;
  auto t = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(t);
  auto b = contents(t->pkt);
  CHECK(b[ipv4_field::ttl] == 63);
  CHECK(look(t->pkt).ip_checksum_ok);
  auto back = r.in(udp_bytes(remote_1, 53, external, look(t->pkt).sport));
  REQUIRE(back);
  CHECK(contents(back->pkt)[ipv4_field::ttl] == 63);
  auto c = test_config();
  c.decrement_ttl = false;
  rig keep{c};
  auto u = keep.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(u);
  CHECK(contents(u->pkt)[ipv4_field::ttl] == 64);
}
