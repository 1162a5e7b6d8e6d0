// tests/nat/fragment_test.cpp — fragments follow their first fragment's translation, in
// and out of order (RFC 4787 REQ-14), through a bounded, time-limited table.
#include <doctest/doctest.h>

#include "nat/nat_test_support.hpp"  // tests/nat/

using namespace aw::test::nat;
using aw::test::byte_vector;

namespace {
ip_options id(std::uint16_t i) {
  ip_options o;
  o.id = i;
  return o;
}
}  // namespace

TEST_CASE("RFC 4787 REQ-14: outbound fragments in order follow the first fragment's translation") {
  rig r;
  auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(7)), 40);
  auto t1 = r.out_new(first);
  REQUIRE(t1);
  seen s1 = look(t1->pkt);
  CHECK(s1.src == external);
  CHECK(s1.ip_checksum_ok);
  auto t2 = r.out(rest);
  REQUIRE(t2);
  seen s2 = look(t2->pkt);
  CHECK(t2->to == destination::uplink);
  CHECK(s2.src == external);
  CHECK(s2.dst == remote_1);
  CHECK(s2.ip_checksum_ok);
  CHECK(r.engine.counters()[nat_event::fragments_translated] == 1);
  // Reassembled, the translated datagram carries a valid UDP checksum.
  auto a = contents(t1->pkt), b = contents(t2->pkt);
  byte_vector whole(a.begin(), a.end());
  whole.insert(whole.end(), b.begin() + 20, b.end());
  store16(whole.data() + 2, static_cast<std::uint16_t>(whole.size()));
  store16(whole.data() + 6, 0);
  store16(whole.data() + 10, 0);
  store16(whole.data() + 10, checksum::internet(bytes{whole}.first(20)));
  auto u = udp_view::make(bytes{whole}.subspan(20));
  REQUIRE(u);
  CHECK(u->verify_checksum(external, remote_1));
}

TEST_CASE("RFC 4787 REQ-14: inbound fragments are translated to the client") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  auto [first, rest] = split(udp_bytes(remote_1, 53, external, ext, 100, id(9)), 48);
  auto t1 = r.in(first);
  REQUIRE(t1);
  CHECK(look(t1->pkt).dport == 40000);
  auto t2 = r.in(rest);
  REQUIRE(t2);
  CHECK(t2->client == client_a);
  CHECK(look(t2->pkt).dst == client_a);
  CHECK(look(t2->pkt).ip_checksum_ok);
}

TEST_CASE("RFC 4787 REQ-14: out of order: a later fragment is held until its first arrives") {
  rig r;
  auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(11)), 32);
  auto held = r.out(rest);
  REQUIRE_FALSE(held);
  CHECK(held.error() == nat_drop::fragment_held);
  CHECK(r.engine.held_fragments() == 1);
  std::vector<translation> released;
  CHECK(r.engine.take_released(released) == 0);
  REQUIRE(r.out_new(first));
  CHECK(r.engine.take_released(released) == 1);
  REQUIRE(released.size() == 1);
  CHECK(look(released[0].pkt).src == external);
  CHECK(look(released[0].pkt).ip_checksum_ok);
  CHECK(r.engine.held_fragments() == 0);
}

TEST_CASE("fragments: the hold is bounded, overflow is dropped and counted") {
  auto c = test_config();
  c.max_held_fragments = 4;
  rig r{c};
  for (std::uint16_t i = 0; i < 6; ++i) {
    auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(static_cast<std::uint16_t>(100 + i))), 32);
    auto t = r.out(rest);
    REQUIRE_FALSE(t);
    CHECK(t.error() == (i < 4 ? nat_drop::fragment_held : nat_drop::fragment_hold_full));
  }
  CHECK(r.engine.held_fragments() == 4);
  CHECK(r.engine.counters()[nat_drop::fragment_hold_full] == 2);
}

TEST_CASE("fragments: once the first fragment is refused, the others are dropped at once, held ones too") {
  auto c = test_config();
  c.hairpinning = false;  // a first fragment the NAT itself refuses
  rig r{c};
  auto [first, rest] = split(udp_bytes(client_a, 40000, external, 53, 64, id(21)), 32);
  auto early = r.out(rest);  // before its first: held
  REQUIRE_FALSE(early);
  CHECK(early.error() == nat_drop::fragment_held);
  CHECK(r.engine.held_fragments() == 1);
  REQUIRE_FALSE(r.out_new(first));
  CHECK(r.engine.held_fragments() == 0);
  auto late = r.out(rest);
  REQUIRE_FALSE(late);
  CHECK(late.error() == nat_drop::fragment_refused);
  CHECK(r.engine.held_fragments() == 0);
  CHECK(r.engine.counters()[nat_drop::fragment_refused] == 2);
  // The caller's own refusal (its rules) does the same.
  auto [first2, rest2] = split(udp_bytes(client_a, 40001, remote_1, 53, 64, id(22)), 32);
  REQUIRE(r.out(first2).error() == nat_drop::no_session);
  r.engine.refuse_fragments(make(r.pool, first2), direction::outbound, r.now);
  CHECK(r.out(rest2).error() == nat_drop::fragment_refused);
}

TEST_CASE("RFC 1858: a TCP fragment at offset 8 (over the first fragment's ports and flags) is refused") {
  rig r;
  auto whole = tcp_bytes(client_a, 40000, remote_1, 80, tcp_flag::syn);
  auto [first, rest] = split(whole, 8);  // the second fragment starts 8 bytes into TCP
  auto t = r.out(rest);
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::malformed);
  CHECK(r.engine.held_fragments() == 0);
}

TEST_CASE("fragments: a held fragment whose first never comes times out, counted") {
  rig r;
  auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(12)), 32);
  REQUIRE_FALSE(r.out(rest));
  r.now += std::chrono::seconds{30};
  r.engine.expire(r.now);
  CHECK(r.engine.held_fragments() == 0);
  CHECK(r.engine.counters()[nat_drop::fragment_timeout] == 1);
  (void)first;
}

TEST_CASE("fragments: the learnt translation is time-limited and bounded") {
  auto c = test_config();
  c.max_fragment_flows = 2;
  rig r{c};
  for (std::uint16_t i = 0; i < 3; ++i) {
    auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(static_cast<std::uint16_t>(200 + i))), 32);
    REQUIRE(r.out_new(first));
  }
  CHECK(r.engine.fragment_flows() == 2);  // the oldest went
  auto [f0, rest0] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(200)), 32);
  CHECK(r.out(rest0).error() == nat_drop::fragment_held);
  auto [f2, rest2] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(202)), 32);
  CHECK(r.out(rest2));
  r.now += std::chrono::seconds{30};
  r.engine.expire(r.now);
  CHECK(r.engine.fragment_flows() == 0);
  (void)f0;
  (void)f2;
}

TEST_CASE("fragments of a removed client are not translated any more") {
  rig r;
  auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(13)), 32);
  REQUIRE(r.out_new(first));
  r.engine.remove_client(client_a);
  auto t = r.out(rest);
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::no_session);
}

// The engine leaves the header checksum to its caller (the firewall verifies it before any
// NAT call) and updates it incrementally: an error in it stays, for the receiver to see.
TEST_CASE("RFC 1624: a held fragment's bad header checksum is carried through its release, not repaired") {
  auto [first, rest] = split(udp_bytes(client_a, 40000, remote_1, 53, 64, id(31)), 32);
  byte_vector broken = rest;
  const std::uint16_t good = load16(rest.data() + ipv4_field::checksum);
  const std::uint16_t bad = static_cast<std::uint16_t>(good ^ 0x0f0f);
  store16(broken.data() + ipv4_field::checksum, bad);
  auto release = [&](const byte_vector& held) {
    rig r;
    REQUIRE(r.out(held).error() == nat_drop::fragment_held);
    REQUIRE(r.out_new(first));
    std::vector<translation> released;
    REQUIRE(r.engine.take_released(released) == 1);
    CHECK(look(released[0].pkt).src == external);
    CHECK(r.engine.held_fragments() == 0);
    return contents(released[0].pkt);
  };
  const byte_vector out_good = release(rest), out_bad = release(broken);
  CHECK(ipv4_view::make(out_good));                  // checksum verified
  CHECK_FALSE(ipv4_view::make(out_bad));             // still detectably broken downstream
  // Byte for byte the same rewrite; the checksum is off by exactly the input's error.
  byte_vector a = out_good, b = out_bad;
  store16(a.data() + ipv4_field::checksum, 0);
  store16(b.data() + ipv4_field::checksum, 0);
  CHECK(a == b);
  CHECK(checksum::update(load16(out_bad.data() + ipv4_field::checksum), good, bad) ==
        load16(out_good.data() + ipv4_field::checksum));
}
