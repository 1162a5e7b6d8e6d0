// tests/nat/icmp_test.cpp — ICMP queries NATed by id, and ICMP errors translated through
// their quoted header (RFC 5508), every checksum recomputed in full.
#include <doctest/doctest.h>

#include "nat/nat_test_support.hpp"  // tests/nat/

using namespace aw::test::nat;
using aw::test::byte_vector;

namespace {

// The quoted datagram inside an ICMP error packet, and the checks on it.
struct quoted {
  ipv4_address outer_src, outer_dst;
  icmp_type type{};
  std::uint8_t code = 0;
  bool outer_ip_ok = false, icmp_ok = false;
  ipv4_address src, dst;
  bool inner_ip_ok = false;
  std::uint16_t sport = 0, dport = 0;
  byte_vector inner;  // the quoted bytes
};

quoted open_error(const packet& p) {
  auto b = contents(p);
  auto v = ipv4_view::make(b, ipv4_view::length_check::exact, ipv4_view::checksum_check::skip);
  REQUIRE(v);
  quoted q;
  q.outer_src = v->src();
  q.outer_dst = v->dst();
  q.outer_ip_ok = v->verify_checksum();
  auto i = icmpv4_view::make(v->payload());
  REQUIRE(i);
  q.type = i->type();
  q.code = i->code();
  q.icmp_ok = i->verify_checksum();
  auto in = i->embedded();
  q.src = in.src();
  q.dst = in.dst();
  q.inner_ip_ok = in.verify_checksum();
  bytes l4 = in.payload();
  if (in.protocol() == ip_protocol::icmp) {
    q.sport = q.dport = load16(l4.data() + icmp_field::id);
  } else {
    q.sport = load16(l4.data());
    q.dport = load16(l4.data() + 2);
  }
  q.inner.assign(i->data().begin(), i->data().end());
  return q;
}

}  // namespace

TEST_CASE("RFC 5508 REQ-1: echo requests are mapped by id (endpoint-independent), replies come back") {
  rig r;
  auto t1 = r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 0x4242, 1));
  auto t2 = r.out_new(icmp_query_bytes(client_a, remote_2, icmp_type::echo_request, 0x4242, 2));
  REQUIRE(t1);
  REQUIRE(t2);
  seen s = look(t1->pkt);
  CHECK(s.src == external);
  CHECK(s.l4_checksum_ok);
  CHECK(s.ip_checksum_ok);
  CHECK(look(t2->pkt).sport == s.sport);
  // A second client using the same id gets another external id.
  auto t3 = r.out_new(icmp_query_bytes(client_b, remote_1, icmp_type::echo_request, 0x4242));
  REQUIRE(t3);
  CHECK(look(t3->pkt).sport != s.sport);

  auto reply = r.in(icmp_query_bytes(remote_1, external, icmp_type::echo_reply, s.sport, 1));
  REQUIRE(reply);
  CHECK(reply->client == client_a);
  seen back = look(reply->pkt);
  CHECK(back.dst == client_a);
  CHECK(back.sport == 0x4242);
  CHECK(back.l4_checksum_ok);
  CHECK(back.ip_checksum_ok);
}

TEST_CASE("RFC 5508 REQ-1: timestamp queries are mapped like echo") {
  rig r;
  auto t = r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::timestamp, 99));
  REQUIRE(t);
  auto reply = r.in(icmp_query_bytes(remote_1, external, icmp_type::timestamp_reply, look(t->pkt).sport));
  REQUIRE(reply);
  CHECK(look(reply->pkt).sport == 99);
  CHECK(look(reply->pkt).l4_checksum_ok);
}

TEST_CASE("inbound echo requests to the external address are not the NAT's (icmp_unsupported)") {
  rig r;
  auto t = r.in(icmp_query_bytes(remote_1, external, icmp_type::echo_request, 1));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::icmp_unsupported);
}

TEST_CASE("RFC 5508 REQ-3: an inbound error about UDP is translated through its quoted header") {
  rig r;
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53, 12));
  REQUIRE(sent);
  const auto ext = look(sent->pkt).sport;
  const ipv4_address router = ip(198, 51, 100, 254);
  auto err = icmp_error_bytes(router, external, icmp_type::dest_unreachable, icmp_unreach::port, contents(sent->pkt));
  auto t = r.in(err);
  REQUIRE(t);
  CHECK(t->to == destination::client);
  CHECK(t->client == client_a);
  quoted q = open_error(t->pkt);
  CHECK(q.outer_src == router);
  CHECK(q.outer_dst == client_a);
  CHECK(q.type == icmp_type::dest_unreachable);
  CHECK(q.code == icmp_unreach::port);
  CHECK(q.outer_ip_ok);
  CHECK(q.icmp_ok);
  CHECK(q.src == client_a);
  CHECK(q.dst == remote_1);
  CHECK(q.sport == 40000);
  CHECK(q.dport == 53);
  CHECK(q.inner_ip_ok);
  // The whole datagram was quoted: its UDP checksum must verify again.
  auto inner = ipv4_view::make(q.inner);
  REQUIRE(inner);
  auto u = udp_view::make(inner->payload());
  REQUIRE(u);
  CHECK(u->verify_checksum(inner->src(), inner->dst()));
  // The client's original datagram, byte for byte, as forwarded (TTL - 1).
  CHECK(q.inner == with_ttl(udp_bytes(client_a, 40000, remote_1, 53, 12), 63));
  CHECK(r.engine.counters()[nat_event::icmp_errors_translated] == 1);
  (void)ext;
}

TEST_CASE("RFC 5508 REQ-3: an inbound error quoting only 8 bytes of TCP (checksum not quoted)") {
  rig r;
  auto sent = r.out_new(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn));
  REQUIRE(sent);
  auto err = icmp_error_bytes(remote_1, external, icmp_type::dest_unreachable, icmp_unreach::frag_needed,
                              contents(sent->pkt), 28);
  auto t = r.in(err);
  REQUIRE(t);
  quoted q = open_error(t->pkt);
  CHECK(q.outer_ip_ok);
  CHECK(q.icmp_ok);
  CHECK(q.inner_ip_ok);
  CHECK(q.src == client_a);
  CHECK(q.sport == 50000);
}

TEST_CASE("RFC 5508 REQ-3: an inbound error quoting a whole TCP header updates the quoted TCP checksum") {
  rig r;
  auto sent = r.out_new(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn));
  REQUIRE(sent);
  auto t = r.in(icmp_error_bytes(remote_1, external, icmp_type::time_exceeded, 0, contents(sent->pkt)));
  REQUIRE(t);
  quoted q = open_error(t->pkt);
  CHECK(q.icmp_ok);
  CHECK(q.inner == with_ttl(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn), 63));
}

TEST_CASE("RFC 5508 REQ-3: traceroute with ping: time exceeded quoting an echo request") {
  rig r;
  auto sent = r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 0x77));
  REQUIRE(sent);
  const ipv4_address hop = ip(192, 0, 2, 1);
  auto t = r.in(icmp_error_bytes(hop, external, icmp_type::time_exceeded, icmp_time_exceeded::ttl, contents(sent->pkt)));
  REQUIRE(t);
  quoted q = open_error(t->pkt);
  CHECK(q.outer_dst == client_a);
  CHECK(q.src == client_a);
  CHECK(q.sport == 0x77);
  CHECK(q.icmp_ok);
  CHECK(q.inner_ip_ok);
  CHECK(q.inner == with_ttl(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 0x77), 63));
}

TEST_CASE("RFC 5508 REQ-5: an outbound error from a client about inbound traffic is translated") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  auto in = r.in(udp_bytes(remote_1, 53, external, ext));
  REQUIRE(in);
  // The client answers port unreachable about what it received.
  auto err = icmp_error_bytes(client_a, remote_1, icmp_type::dest_unreachable, icmp_unreach::port, contents(in->pkt));
  auto t = r.out(err);
  REQUIRE(t);
  CHECK(t->to == destination::uplink);
  quoted q = open_error(t->pkt);
  CHECK(q.outer_src == external);
  CHECK(q.outer_dst == remote_1);
  CHECK(q.dst == external);
  CHECK(q.dport == ext);
  CHECK(q.src == remote_1);
  CHECK(q.outer_ip_ok);
  CHECK(q.icmp_ok);
  CHECK(q.inner_ip_ok);
  CHECK(q.inner == with_ttl(udp_bytes(remote_1, 53, external, ext), 63));
}

TEST_CASE("RFC 5508: a client's error goes only to the remote its quote came from (no way past the rules)") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  auto in = r.in(udp_bytes(remote_1, 53, external, ext));
  REQUIRE(in);
  // The quote is genuine; the outer destination is another host.
  auto err = icmp_error_bytes(client_a, remote_2, icmp_type::dest_unreachable, icmp_unreach::port, contents(in->pkt));
  auto t = r.out(err);
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::icmp_error_no_mapping);
}

TEST_CASE("RFC 5508 REQ-3: an error with a bad ICMP checksum is dropped") {
  rig r;
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(sent);
  auto err = icmp_error_bytes(remote_1, external, icmp_type::dest_unreachable, 3, contents(sent->pkt));
  err[20 + 2] ^= 0x01;  // ICMP checksum
  auto t = r.in(err);
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::icmp_error_bad_checksum);
  CHECK(r.engine.counters()[nat_drop::icmp_error_bad_checksum] == 1);
}

TEST_CASE("RFC 5508 REQ-3: an error whose quoted IP header checksum fails is dropped") {
  rig r;
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(sent);
  auto quoted_bytes = contents(sent->pkt);
  quoted_bytes[10] ^= 0x10;  // quoted IP checksum
  auto err = icmp_error_bytes(remote_1, external, icmp_type::dest_unreachable, 3, quoted_bytes);
  auto t = r.in(err);
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::icmp_error_bad_checksum);
}

TEST_CASE("RFC 5508 REQ-4: error without mapping is dropped") {
  rig r;
  auto stray = udp_bytes(external, 33333, remote_1, 53);
  auto t = r.in(icmp_error_bytes(remote_1, external, icmp_type::dest_unreachable, 3, stray));
  REQUIRE_FALSE(t);
  CHECK(t.error() == nat_drop::icmp_error_no_mapping);
  CHECK(r.engine.counters()[nat_drop::icmp_error_no_mapping] == 1);
  // A mapping exists, but the quote names another remote: still no session.
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(sent);
  auto forged = udp_bytes(external, look(sent->pkt).sport, remote_2, 53);
  CHECK(r.in(icmp_error_bytes(remote_2, external, icmp_type::dest_unreachable, 3, forged)).error() ==
        nat_drop::icmp_error_no_mapping);
  // Outbound: a client's error about something it never received.
  auto fake_in = udp_bytes(remote_1, 53, client_a, 41000);
  CHECK(r.out(icmp_error_bytes(client_a, remote_1, icmp_type::dest_unreachable, 3, fake_in)).error() ==
        nat_drop::icmp_error_no_mapping);
}

TEST_CASE("RFC 4787 REQ-12 / RFC 5508: an ICMP error never creates, refreshes or deletes a mapping") {
  rig r;
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(sent);
  const auto before = r.engine.sessions();
  r.now += std::chrono::minutes{4};
  for (int code : {0, 1, 3, 13}) {
    REQUIRE(r.in(icmp_error_bytes(remote_1, external, icmp_type::dest_unreachable, static_cast<std::uint8_t>(code), contents(sent->pkt))));
  }
  CHECK(r.engine.session_count() == 1);
  CHECK(r.engine.sessions()[0].last_refresh == before[0].last_refresh);  // not refreshed
  // outbound_new with an error creates nothing either.
  auto fake_in = udp_bytes(remote_1, 53, client_b, 41000);
  CHECK_FALSE(r.out_new(icmp_error_bytes(client_b, remote_1, icmp_type::dest_unreachable, 3, fake_in)));
  CHECK(r.engine.mapping_count() == 1);
  r.now += std::chrono::minutes{1};
  CHECK(r.engine.expire(r.now) == 1);  // expires on the original schedule
}

TEST_CASE("RFC 5508 REQ-3: every error type (3, 4, 5, 11, 12) is translated, type and code kept") {
  rig r;
  auto sent = r.out_new(udp_bytes(client_a, 40000, remote_1, 53));
  REQUIRE(sent);
  for (icmp_type type : {icmp_type::dest_unreachable, icmp_type::source_quench, icmp_type::redirect,
                         icmp_type::time_exceeded, icmp_type::parameter_problem}) {
    CAPTURE(to_string(type));
    auto t = r.in(icmp_error_bytes(remote_1, external, type, 1, contents(sent->pkt)));
    REQUIRE(t);
    quoted q = open_error(t->pkt);
    CHECK(q.type == type);
    CHECK(q.code == 1);
    CHECK(q.icmp_ok);
    CHECK(q.inner_ip_ok);
    CHECK(q.sport == 40000);
  }
}
