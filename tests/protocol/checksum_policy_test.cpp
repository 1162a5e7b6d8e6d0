// L4 checksum verification under the checksum policy (Xen csum_blank / data_validated).
#include <doctest/doctest.h>

#include "protocol/checksum.hpp"
#include "protocol/checksum_policy.hpp"
#include "support/packets.hpp"

using namespace aw::proto;
using namespace aw::test;

namespace {
const checksum_policy strict{.trust_data_validated = false, .accept_partial = false};
const checksum_policy xen_default{};
}  // namespace

TEST_CASE("checksum policy: valid TCP, UDP and ICMP checksums verify") {
  buffer_pool pool;
  for (auto b : {tcp_packet({}, 1, 2, tcp_flag::syn, payload_of(33)), udp_packet({}, 3, 4, payload_of(7)),
                 icmp_echo({}, icmp_type::echo_request, 1, 2, payload_of(56))}) {
    CHECK(check_l4_checksum(*make_packet(pool, b), strict) == checksum_verdict::valid);
  }
}

TEST_CASE("checksum policy: one flipped payload bit makes TCP, UDP and ICMP invalid") {
  buffer_pool pool;
  for (auto b : {tcp_packet({}, 1, 2, tcp_flag::syn, payload_of(33)), udp_packet({}, 3, 4, payload_of(7)),
                 icmp_echo({}, icmp_type::echo_request, 1, 2, payload_of(56))}) {
    b.back() ^= 0x10;
    CHECK(check_l4_checksum(*make_packet(pool, b), strict) == checksum_verdict::invalid);
  }
}

TEST_CASE("checksum policy: data_validated is trusted only when the policy says so") {
  buffer_pool pool;
  auto b = udp_packet({}, 3, 4, payload_of(7));
  b.back() ^= 1;
  auto p = make_packet(pool, b, {.l4_checksum = checksum_state::verified});
  CHECK(check_l4_checksum(*p, xen_default) == checksum_verdict::valid);
  CHECK(check_l4_checksum(*p, strict) == checksum_verdict::invalid);
}

TEST_CASE("checksum policy: csum_blank is accepted as partial or refused, by policy") {
  buffer_pool pool;
  auto p = make_packet(pool, tcp_packet({}, 1, 2, tcp_flag::ack, {}), {.l4_checksum = checksum_state::partial});
  CHECK(check_l4_checksum(*p, xen_default) == checksum_verdict::partial);
  CHECK(check_l4_checksum(*p, strict) == checksum_verdict::invalid);
}

TEST_CASE("checksum policy: a UDP checksum of zero means none and is valid") {
  buffer_pool pool;
  auto b = udp_packet({}, 3, 4, payload_of(7));
  store16(&b[26], 0);
  CHECK(check_l4_checksum(*make_packet(pool, b), strict) == checksum_verdict::valid);
}

TEST_CASE("checksum policy: fragments are not checked, other protocols neither") {
  buffer_pool pool;
  auto b = udp_packet({}, 3, 4, payload_of(7));
  store16(&b[6], 0x2000);  // MF
  store16(&b[10], 0);
  store16(&b[10], checksum::internet(bytes{b}.first(20)));
  CHECK(check_l4_checksum(*make_packet(pool, b), strict) == checksum_verdict::not_checked);
  auto gre = ipv4_with({}, ip_protocol{47}, payload_of(8));
  CHECK(check_l4_checksum(*make_packet(pool, gre), strict) == checksum_verdict::not_checked);
}

TEST_CASE("checksum policy: truncated or inconsistent packets are invalid") {
  buffer_pool pool;
  auto b = tcp_packet({}, 1, 2, tcp_flag::syn, {});
  b.push_back(0);  // size != total length
  CHECK(check_l4_checksum(*make_packet(pool, b), strict) == checksum_verdict::invalid);
  auto tiny = ipv4_with({}, ip_protocol::tcp, payload_of(10));  // shorter than a TCP header
  CHECK(check_l4_checksum(*make_packet(pool, tiny), strict) == checksum_verdict::invalid);
}

TEST_CASE("checksum policy: completing a partial UDP checksum gives the full one") {
  buffer_pool pool;
  auto good = udp_packet({}, 3, 4, payload_of(99));
  auto b = good;
  auto src = ipv4_address::from_octets(10, 137, 0, 5), dst = ipv4_address::from_octets(192, 0, 2, 10);
  store16(&b[26], checksum::pseudo_header_v4(src, dst, 17, 107));
  auto p = make_packet(pool, b, {.l4_checksum = checksum_state::partial});
  auto done = complete_l4_checksum(*p, pool);
  REQUIRE(done);
  byte_vector v(done->size());
  done->copy_to(v);
  CHECK(v == good);
  CHECK(check_l4_checksum(*done, strict) == checksum_verdict::valid);
}

TEST_CASE("checksum policy: completing a partial checksum on ICMP is refused") {
  buffer_pool pool;
  auto p = make_packet(pool, icmp_echo({}, icmp_type::echo_request, 1, 1, {}), {.l4_checksum = checksum_state::partial});
  CHECK(complete_l4_checksum(*p, pool).error() == wire_error::unsupported_protocol);
}
