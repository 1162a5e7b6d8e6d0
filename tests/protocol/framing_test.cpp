// Ethernet at the edges: stripped on arrival (padding too), added on departure, payload shared.
#include <doctest/doctest.h>

#include "protocol/framing.hpp"
#include "protocol/rewrite.hpp"
#include "support/packets.hpp"

using namespace aw::proto;
using namespace aw::test;

namespace {
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
const mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};

byte_vector framed(const byte_vector& ip, std::size_t pad = 0) {
  byte_vector f(14 + ip.size() + pad, 0);
  ethernet_repr{fw_mac, client_mac, ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  return f;
}
byte_vector flat(const packet& p) {
  byte_vector v(p.size());
  p.copy_to(v);
  return v;
}
}  // namespace

TEST_CASE("framing: stripping Ethernet keeps exactly the IPv4 datagram, padding removed, bytes shared") {
  buffer_pool pool;
  auto ip = udp_packet({}, 1, 2, payload_of(4));  // 32 bytes: a padded minimum-size frame
  auto frame = *make_packet(pool, framed(ip, 14));
  auto u = strip_ethernet(frame);
  REQUIRE(u);
  CHECK(u->link.src == client_mac);
  CHECK(u->link.type == ethertype::ipv4);
  CHECK(flat(u->payload) == ip);
  CHECK(u->payload.shares_buffer_with(frame));
}

TEST_CASE("framing: a datagram longer than its frame is refused") {
  buffer_pool pool;
  auto ip = udp_packet({}, 1, 2, payload_of(40));
  auto f = framed(ip);
  f.resize(f.size() - 10);
  CHECK(strip_ethernet(*make_packet(pool, f)).error() == wire_error::total_exceeds_buffer);
  CHECK(strip_ethernet(*make_packet(pool, byte_vector(10))).error() == wire_error::truncated);
}

TEST_CASE("framing: non-IPv4 payloads are handed over whole") {
  buffer_pool pool;
  byte_vector f(60, 0);
  ethernet_repr{fw_mac, client_mac, ethertype::arp, std::nullopt}.emit(f);
  auto u = strip_ethernet(*make_packet(pool, f));
  REQUIRE(u);
  CHECK(u->payload.size() == 46);
}

TEST_CASE("framing: adding Ethernet to a contiguous packet puts its headers in the head, shares the rest") {
  buffer_pool pool;
  auto ip = udp_packet({}, 1, 2, payload_of(1000));
  auto p = *make_packet(pool, ip);
  auto f = add_ethernet(p, {fw_mac, client_mac, ethertype::ipv4, std::nullopt}, pool);
  REQUIRE(f);
  CHECK(f->head().size() == 14 + small_packet_copy);
  CHECK(f->shares_buffer_with(p));
  CHECK(flat(*f) == framed(ip));
  // A small packet becomes one contiguous frame.
  auto small = *make_packet(pool, udp_packet({}, 1, 2, payload_of(10)));
  auto g = add_ethernet(small, {fw_mac, client_mac, ethertype::ipv4, std::nullopt}, pool);
  REQUIRE(g);
  CHECK(g->contiguous());
  CHECK(g->size() == 14 + 38);
}

TEST_CASE("framing: adding Ethernet to a rewritten (two-slice) packet keeps two slices") {
  buffer_pool pool;
  auto ip = udp_packet({}, 1, 2, payload_of(1000));
  auto nat = rewrite_ipv4(*make_packet(pool, ip), {.src_port = 9}, pool);
  REQUIRE(nat);
  REQUIRE_FALSE(nat->contiguous());
  auto f = add_ethernet(*nat, {fw_mac, client_mac, ethertype::ipv4, std::nullopt}, pool);
  REQUIRE(f);
  CHECK(f->head().size() == 14 + 28);
  CHECK(f->tail().size() == 1000);
  CHECK(flat(*f) == framed(flat(*nat)));
}
