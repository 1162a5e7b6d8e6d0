// tests/nat/timers_test.cpp — RFC timers, refresh rules, TCP state tracking and expiry.
#include <doctest/doctest.h>

#include "nat/nat_test_support.hpp"  // tests/nat/

using namespace aw::test::nat;
using namespace std::chrono;

namespace {
// An established TCP flow: SYN out, SYN-ACK in, ACK out; returns the external port.
std::uint16_t establish(rig& r, std::uint16_t sport) {
  auto syn = r.out_new(tcp_bytes(client_a, sport, remote_1, 443, tcp_flag::syn));
  REQUIRE(syn);
  auto ext = look(syn->pkt).sport;
  REQUIRE(r.in(tcp_bytes(remote_1, 443, external, ext, tcp_flag::syn | tcp_flag::ack)));
  REQUIRE(r.out(tcp_bytes(client_a, sport, remote_1, 443, tcp_flag::ack)));
  return ext;
}
}  // namespace

TEST_CASE("RFC 4787 REQ-5: a UDP mapping survives 4 min 59 s idle, expires at 5 min, its port freed") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  r.now += minutes{4} + seconds{59};
  CHECK(r.engine.expire(r.now) == 0);
  CHECK(r.in(udp_bytes(remote_1, 53, external, ext)));
  r.now += minutes{5};  // idle again for 5 min after that inbound refresh
  CHECK(r.engine.expire(r.now) == 1);
  CHECK(r.engine.mapping_count() == 0);
  CHECK(r.engine.is_port_free(nat_protocol::udp, ext));
  CHECK(r.in(udp_bytes(remote_1, 53, external, ext)).error() == nat_drop::no_mapping);
  CHECK(r.engine.counters()[nat_event::sessions_expired] == 1);
}

TEST_CASE("RFC 4787 REQ-5: UDP timeout is configurable") {
  auto c = test_config();
  c.timeouts.udp = minutes{2};
  rig r{c};
  r.udp_out(client_a, 40000, remote_1, 53);
  r.now += minutes{2};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("RFC 4787 REQ-6: outbound traffic refreshes the mapping") {
  rig r;
  r.udp_out(client_a, 40000, remote_1, 53);
  for (int i = 0; i < 5; ++i) {
    r.now += minutes{4};
    REQUIRE(r.out(udp_bytes(client_a, 40000, remote_1, 53)));
    CHECK(r.engine.expire(r.now) == 0);
  }
  CHECK(r.engine.session_count() == 1);
}

TEST_CASE("RFC 4787 REQ-6: inbound refresh is configurable (off: inbound does not keep a mapping alive)") {
  auto c = test_config();
  c.inbound_refresh = false;
  rig r{c};
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  r.now += minutes{4};
  REQUIRE(r.in(udp_bytes(remote_1, 53, external, ext)));
  r.now += minutes{1};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("RFC 5382 REQ-5: established TCP survives 2 h 3 min idle and goes at 2 h 4 min") {
  rig r;
  auto ext = establish(r, 50000);
  r.now += hours{2} + minutes{3};
  CHECK(r.engine.expire(r.now) == 0);
  CHECK(r.in(tcp_bytes(remote_1, 443, external, ext, tcp_flag::ack)));
  r.now += hours{2} + minutes{4};
  CHECK(r.engine.expire(r.now) == 1);
  CHECK(r.engine.is_port_free(nat_protocol::tcp, ext));
}

TEST_CASE("RFC 5382 REQ-5: a SYN-only connection is transitory: gone after 4 min") {
  rig r;
  auto syn = r.out_new(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn));
  REQUIRE(syn);
  r.now += minutes{3} + seconds{59};
  CHECK(r.engine.expire(r.now) == 0);
  r.now += seconds{1};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("RFC 5382 REQ-5: after FIN in both directions the connection is transitory") {
  rig r;
  auto ext = establish(r, 50000);
  REQUIRE(r.out(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::fin | tcp_flag::ack)));
  r.now += minutes{5};  // half closed: still established
  CHECK(r.engine.expire(r.now) == 0);
  REQUIRE(r.in(tcp_bytes(remote_1, 443, external, ext, tcp_flag::fin | tcp_flag::ack)));
  r.now += minutes{4};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("RFC 7857 §2.1: RST makes the connection transitory") {
  rig r;
  auto ext = establish(r, 50000);
  REQUIRE(r.in(tcp_bytes(remote_1, 443, external, ext, tcp_flag::rst)));
  r.now += minutes{4};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("TCP: a new SYN on a closed connection starts it over") {
  rig r;
  auto ext = establish(r, 50000);
  REQUIRE(r.out(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::rst)));
  REQUIRE(r.out(tcp_bytes(client_a, 50000, remote_1, 443, tcp_flag::syn)));
  REQUIRE(r.in(tcp_bytes(remote_1, 443, external, ext, tcp_flag::syn | tcp_flag::ack)));
  r.now += hours{1};
  CHECK(r.engine.expire(r.now) == 0);  // established again
}

TEST_CASE("RFC 5508 REQ-2: an ICMP query mapping lasts 60 s") {
  rig r;
  REQUIRE(r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 7)));
  r.now += seconds{59};
  CHECK(r.engine.expire(r.now) == 0);
  r.now += seconds{1};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("a looked-up but expired session is absent even before expire() runs") {
  rig r;
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  r.now += minutes{5};
  CHECK(r.out(udp_bytes(client_a, 40000, remote_1, 53)).error() == nat_drop::no_session);
  CHECK(r.engine.mapping_count() == 0);  // reaped on the lookup
  CHECK(r.engine.is_port_free(nat_protocol::udp, ext));
  AW_CHECK_AUDIT(r.engine);
}

TEST_CASE("an expired mapping is not reachable inbound before expire() runs") {
  auto c = test_config();
  c.filtering = filtering_mode::endpoint_independent;
  rig r{c};
  auto ext = r.udp_out(client_a, 40000, remote_1, 53);
  r.now += minutes{5};
  CHECK(r.in(udp_bytes(remote_2, 53, external, ext)).error() == nat_drop::filtered);
  CHECK(r.in(udp_bytes(remote_1, 53, external, ext)).error() == nat_drop::no_mapping);
}

TEST_CASE("expiry walks only what is due: the oldest of each class first") {
  rig r;
  r.udp_out(client_a, 1, remote_1, 53);
  r.now += minutes{1};
  r.udp_out(client_a, 2, remote_1, 53);
  REQUIRE(r.out_new(icmp_query_bytes(client_a, remote_1, icmp_type::echo_request, 9)));
  r.now += minutes{4};  // t = 5 min: the first UDP and the ICMP query are due
  CHECK(r.engine.expire(r.now) == 2);
  CHECK(r.engine.session_count() == 1);
  CHECK(r.engine.external_port(nat_protocol::udp, client_a, 2));
}

TEST_CASE("time going backwards is clamped: nothing expires early or late") {
  rig r;
  r.udp_out(client_a, 40000, remote_1, 53);
  r.now -= minutes{10};
  REQUIRE(r.out(udp_bytes(client_a, 40000, remote_1, 53)));
  r.now += minutes{10} + minutes{5};
  CHECK(r.engine.expire(r.now) == 1);
}

TEST_CASE("RFC 5382 REQ-5: a connection the client accepted (its SYN-ACK creates the session) is established") {
  auto c = test_config();
  c.filtering = filtering_mode::endpoint_independent;
  rig r{c};
  auto out = r.out_new(tcp_bytes(client_a, 8080, remote_1, 443, tcp_flag::syn));
  REQUIRE(out);
  const auto tcp_ext = look(out->pkt).sport;
  // An inbound SYN from another host reaches the mapping (EIF); the client answers.
  REQUIRE(r.in(tcp_bytes(remote_2, 5555, external, tcp_ext, tcp_flag::syn)));
  REQUIRE(r.out_new(tcp_bytes(client_a, 8080, remote_2, 5555, tcp_flag::syn | tcp_flag::ack)));
  REQUIRE(r.in(tcp_bytes(remote_2, 5555, external, tcp_ext, tcp_flag::ack)));
  r.now += minutes{30};
  r.engine.expire(r.now);
  CHECK(r.out(tcp_bytes(client_a, 8080, remote_2, 5555, tcp_flag::ack)));  // still there after 30 min idle
}
