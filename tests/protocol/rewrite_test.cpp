// NAT-style header rewrites: new packets, shared payloads, incremental checksums.
#include <doctest/doctest.h>

#include <random>

#include "protocol/checksum.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/rewrite.hpp"
#include "support/packets.hpp"

using namespace aw::proto;
using namespace aw::test;

namespace {
const checksum_policy strict{.trust_data_validated = false, .accept_partial = false};
const auto wan = ipv4_address::from_octets(198, 51, 100, 7);

byte_vector flat(const packet& p) {
  byte_vector v(p.size());
  p.copy_to(v);
  return v;
}

// Recomputes the L4 checksum of a flat IPv4 packet from scratch.
std::uint16_t full_l4_checksum(byte_vector v) {
  auto ip = *ipv4_view::make(v);
  std::size_t ihl = ip.header_length();
  std::size_t field = ip.protocol() == ip_protocol::tcp ? 16 : ip.protocol() == ip_protocol::udp ? 6 : 2;
  store16(&v[ihl + field], 0);
  bytes l4 = bytes{v}.subspan(ihl);
  std::uint16_t init = ip.protocol() == ip_protocol::icmp
                           ? 0
                           : checksum::pseudo_header_v4(ip.src(), ip.dst(), static_cast<std::uint8_t>(ip.protocol()),
                                                        static_cast<std::uint16_t>(l4.size()));
  std::uint16_t c = checksum::finish(checksum::sum(l4, init));
  return ip.protocol() == ip_protocol::udp ? checksum::udp_field(c) : c;
}

std::uint16_t l4_field(const byte_vector& v) {
  auto ip = *ipv4_view::make(v);
  std::size_t field = ip.protocol() == ip_protocol::tcp ? 16 : ip.protocol() == ip_protocol::udp ? 6 : 2;
  return load16(&v[ip.header_length() + field]);
}
}  // namespace

TEST_CASE("rewrite: source NAT of a TCP segment rewrites address and port with valid checksums") {
  buffer_pool pool;
  auto bytes_in = tcp_packet({}, 40000, 443, tcp_flag::syn, payload_of(600));
  auto in = make_packet(pool, bytes_in);
  auto out = rewrite_ipv4(*in, {.src = wan, .src_port = 61001}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  auto ip = ipv4_view::make(v);
  REQUIRE(ip);  // header checksum verified
  CHECK(ip->src() == wan);
  CHECK(ip->dst() == ipv4_address::from_octets(192, 0, 2, 10));
  auto tcp = tcp_view::make(ip->payload());
  CHECK(tcp->src_port() == 61001);
  CHECK(tcp->dst_port() == 443);
  CHECK(tcp->verify_checksum(ip->src(), ip->dst()));
  CHECK(l4_field(v) == full_l4_checksum(v));
  CHECK(check_l4_checksum(*out, strict) == checksum_verdict::valid);
}

TEST_CASE("rewrite: the input packet is never modified and the payload is shared") {
  buffer_pool pool;
  auto bytes_in = udp_packet({}, 5353, 53, payload_of(1000));
  auto in = make_packet(pool, bytes_in);
  auto out = rewrite_ipv4(*in, {.src = wan, .dst = wan, .src_port = 1, .dst_port = 2, .decrement_ttl = true}, pool);
  REQUIRE(out);
  CHECK(flat(*in) == bytes_in);
  CHECK(out->shares_buffer_with(*in));
  CHECK(out->head().size() == 28);  // fresh IP + UDP header only
  CHECK(out->tail().size() == 1000);
}

TEST_CASE("rewrite: destination NAT of a UDP reply and TTL decrement") {
  buffer_pool pool;
  ip_params p{.src = ipv4_address::from_octets(192, 0, 2, 10), .dst = wan, .ttl = 5};
  auto in = make_packet(pool, udp_packet(p, 53, 61001, payload_of(40)));
  auto client = ipv4_address::from_octets(10, 137, 0, 5);
  auto out = rewrite_ipv4(*in, {.dst = client, .dst_port = 5353, .decrement_ttl = true}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  auto ip = ipv4_view::make(v);
  REQUIRE(ip);
  CHECK(ip->dst() == client);
  CHECK(ip->ttl() == 4);
  CHECK(udp_view::make(ip->payload())->dst_port() == 5353);
  CHECK(l4_field(v) == full_l4_checksum(v));
}

TEST_CASE("RFC 768: a UDP datagram without checksum keeps a zero checksum after NAT") {
  buffer_pool pool;
  auto b = udp_packet({}, 1000, 2000, payload_of(30));
  store16(&b[26], 0);  // no checksum
  auto in = make_packet(pool, b);
  auto out = rewrite_ipv4(*in, {.src = wan, .src_port = 3000}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  CHECK(load16(&v[26]) == 0);
  CHECK(ipv4_view::make(v));
}

TEST_CASE("rewrite: ICMP echo identifier rewrite updates the ICMP checksum (no pseudo-header)") {
  buffer_pool pool;
  auto in = make_packet(pool, icmp_echo({}, icmp_type::echo_request, 0x1111, 7, payload_of(56)));
  auto out = rewrite_ipv4(*in, {.src = wan, .icmp_id = 0x2222}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  auto icmp = icmpv4_view::make(ipv4_view::make(v)->payload());
  CHECK(icmp->query_id() == 0x2222);
  CHECK(icmp->query_seq() == 7);
  CHECK(icmp->verify_checksum());
}

TEST_CASE("rewrite: a partial (csum_blank) checksum keeps holding the pseudo-header sum") {
  buffer_pool pool;
  auto b = tcp_packet({}, 40000, 443, tcp_flag::ack, payload_of(100));
  // What a sender with checksum offload puts in the field: the pseudo-header sum.
  auto src = ipv4_address::from_octets(10, 137, 0, 5), dst = ipv4_address::from_octets(192, 0, 2, 10);
  store16(&b[36], checksum::pseudo_header_v4(src, dst, 6, 120));
  auto in = make_packet(pool, b, {.l4_checksum = checksum_state::partial});
  auto out = rewrite_ipv4(*in, {.src = wan, .src_port = 61001}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  CHECK(load16(&v[36]) == checksum::pseudo_header_v4(wan, dst, 6, 120));
  CHECK(out->meta().l4_checksum == checksum_state::partial);
  // Completing it yields the full checksum of the rewritten segment.
  auto done = complete_l4_checksum(*out, pool);
  REQUIRE(done);
  auto w = flat(*done);
  CHECK(done->meta().l4_checksum == checksum_state::verified);
  CHECK(l4_field(w) == full_l4_checksum(w));
}

TEST_CASE("rewrite: a non-first fragment gets its addresses rewritten and no L4 edit") {
  buffer_pool pool;
  ip_params p;
  auto b = ipv4_with(p, ip_protocol::udp, payload_of(64));
  store16(&b[6], 0x0000 | (1480 / 8));  // offset 1480, last fragment
  store16(&b[10], 0);
  store16(&b[10], checksum::internet(bytes{b}.first(20)));
  auto in = make_packet(pool, b);
  auto out = rewrite_ipv4(*in, {.src = wan, .src_port = 9}, pool);
  REQUIRE(out);
  auto v = flat(*out);
  CHECK(ipv4_view::make(v)->src() == wan);
  CHECK(bytes{v}.subspan(20).size() == 64);
  CHECK(std::equal(v.begin() + 20, v.end(), b.begin() + 20));
}

TEST_CASE("rewrite: refuses ports on a protocol without ports and ids on non-query ICMP") {
  buffer_pool pool;
  auto echo = make_packet(pool, icmp_echo({}, icmp_type::echo_request, 1, 1, {}));
  CHECK(rewrite_ipv4(*echo, {.src_port = 5}, pool).error() == wire_error::unsupported_protocol);
  auto err = make_packet(pool, icmp_error({}, icmp_type::dest_unreachable, 3, udp_packet({}, 1, 2, payload_of(8))));
  CHECK(rewrite_ipv4(*err, {.icmp_id = 5}, pool).error() == wire_error::unsupported_protocol);
}

TEST_CASE("rewrite: refuses a packet whose size differs from its total length") {
  buffer_pool pool;
  auto b = udp_packet({}, 1, 2, payload_of(10));
  b.push_back(0);  // padding left on
  auto in = make_packet(pool, b);
  CHECK(rewrite_ipv4(*in, {.src = wan}, pool).error() == wire_error::bad_length);
}

TEST_CASE("rewrite: refuses a TCP header cut short") {
  buffer_pool pool;
  auto b = tcp_packet({}, 1, 2, tcp_flag::syn, {});
  b[32] = 0xf0;  // data offset 15 words: 60 bytes, only 20 present
  auto in = make_packet(pool, b);
  CHECK(rewrite_ipv4(*in, {.src_port = 3}, pool).error() == wire_error::truncated);
}

TEST_CASE("rewrite: a TTL of zero is not decremented below zero") {
  buffer_pool pool;
  auto in = make_packet(pool, udp_packet({.ttl = 0}, 1, 2, {}));
  auto out = rewrite_ipv4(*in, {.decrement_ttl = true}, pool);
  REQUIRE(out);
  CHECK(ipv4_view::make(out->head(), ipv4_view::length_check::truncated_ok)->ttl() == 0);
}

TEST_CASE("RFC 1624 property: incremental rewrites equal full recomputation on 5,000 random packets") {
  std::mt19937 rng{2024};
  buffer_pool pool;
  auto rand_addr = [&] { return ipv4_address{static_cast<std::uint32_t>(rng())}; };
  for (int i = 0; i < 5000; ++i) {
    ip_params p{.src = rand_addr(), .dst = rand_addr(), .ttl = static_cast<std::uint8_t>(1 + rng() % 255),
                .id = static_cast<std::uint16_t>(rng())};
    auto data = payload_of(rng() % 1600, static_cast<std::uint8_t>(rng()));
    byte_vector b;
    ipv4_rewrite r;
    switch (rng() % 3) {
      case 0:
        b = tcp_packet(p, static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()),
                       static_cast<std::uint8_t>(rng()), data);
        break;
      case 1: b = udp_packet(p, static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()), data); break;
      default:
        b = icmp_echo(p, icmp_type::echo_request, static_cast<std::uint16_t>(rng()), 1, data);
        if (rng() % 2) r.icmp_id = static_cast<std::uint16_t>(rng());
    }
    if (rng() % 2) r.src = rand_addr();
    if (rng() % 2) r.dst = rand_addr();
    if (b[9] != 1 && rng() % 2) r.src_port = static_cast<std::uint16_t>(rng());
    if (b[9] != 1 && rng() % 2) r.dst_port = static_cast<std::uint16_t>(rng());
    r.decrement_ttl = rng() % 2;
    auto in = make_packet(pool, b);
    REQUIRE(in);
    auto out = rewrite_ipv4(*in, r, pool);
    REQUIRE(out);
    auto v = flat(*out);
    REQUIRE(ipv4_view::make(v));  // incremental header checksum verifies
    REQUIRE(l4_field(v) == full_l4_checksum(v));
    REQUIRE(flat(*in) == b);
  }
}
