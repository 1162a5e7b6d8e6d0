// tests/protocol/arp_test.cpp — ARP for IPv4 over Ethernet (RFC 826): parse, emit, malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <iterator>

#include "protocol/arp.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::hex;

namespace {

// A client VM asking for its gateway: who has 10.137.0.1? Tell 10.137.0.5.
constexpr std::uint8_t request[] = {
    0x00, 0x01,                          // hardware type 1: Ethernet
    0x08, 0x00,                          // protocol type 0x0800: IPv4
    0x06,                                // hardware address length 6
    0x04,                                // protocol address length 4
    0x00, 0x01,                          // operation 1: request
    0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05,  // sender MAC 00:16:3e:5e:6c:05
    0x0a, 0x89, 0x00, 0x05,              // sender IP 10.137.0.5
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC unknown (zero)
    0x0a, 0x89, 0x00, 0x01,              // target IP 10.137.0.1
};

// The gateway's answer: 10.137.0.1 is at fe:ff:ff:ff:ff:ff.
constexpr std::uint8_t reply[] = {
    0x00, 0x01,                          // hardware type 1: Ethernet
    0x08, 0x00,                          // protocol type 0x0800: IPv4
    0x06,                                // hardware address length 6
    0x04,                                // protocol address length 4
    0x00, 0x02,                          // operation 2: reply
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,  // sender MAC fe:ff:ff:ff:ff:ff
    0x0a, 0x89, 0x00, 0x01,              // sender IP 10.137.0.1
    0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05,  // target MAC 00:16:3e:5e:6c:05
    0x0a, 0x89, 0x00, 0x05,              // target IP 10.137.0.5
};

const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05}};
const mac_address gateway_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
constexpr ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 5);
constexpr ipv4_address gateway_ip = ipv4_address::from_octets(10, 137, 0, 1);

byte_vector emit(const arp_repr& r) {
  byte_vector out(arp_view::length, 0xcc);  // 0xcc: any byte left unwritten shows up
  r.emit(out);
  return out;
}

// request with one byte replaced.
byte_vector request_with(std::size_t offset, std::uint8_t value) {
  byte_vector b(std::begin(request), std::end(request));
  b[offset] = value;
  return b;
}

}  // namespace

TEST_CASE("arp: parses every field of a request") {
  auto v = arp_view::make(request);
  REQUIRE(v.has_value());
  CHECK(v->operation() == arp_operation::request);
  CHECK(v->sender_mac() == client_mac);
  CHECK(v->sender_ip() == client_ip);
  CHECK(v->target_mac() == mac_address{});
  CHECK(v->target_ip() == gateway_ip);
}

TEST_CASE("arp: parses every field of a reply") {
  auto v = arp_view::make(reply);
  REQUIRE(v.has_value());
  CHECK(v->operation() == arp_operation::reply);
  CHECK(v->sender_mac() == gateway_mac);
  CHECK(v->sender_ip() == gateway_ip);
  CHECK(v->target_mac() == client_mac);
  CHECK(v->target_ip() == client_ip);
}

TEST_CASE("arp: emits a request byte for byte") {
  arp_repr r{arp_operation::request, client_mac, client_ip, mac_address{}, gateway_ip};
  CHECK(hex(emit(r)) == hex(request));
}

TEST_CASE("arp: emits a reply byte for byte") {
  arp_repr r{arp_operation::reply, gateway_mac, gateway_ip, client_mac, client_ip};
  CHECK(hex(emit(r)) == hex(reply));
}

TEST_CASE("arp: parse then emit reproduces the packet") {
  for (bytes packet : {bytes{request}, bytes{reply}}) {
    auto v = arp_view::make(packet);
    REQUIRE(v.has_value());
    CHECK(hex(emit(arp_repr::parse(*v))) == hex(packet));
  }
}

TEST_CASE("arp: emit then parse gives back the repr") {
  arp_repr r{arp_operation::reply, gateway_mac, gateway_ip, client_mac, client_ip};
  auto out = emit(r);
  auto v = arp_view::make(out);
  REQUIRE(v.has_value());
  CHECK(arp_repr::parse(*v) == r);
}

TEST_CASE("arp: ignores the Ethernet padding after the 28-byte packet") {
  byte_vector padded(std::begin(request), std::end(request));
  padded.resize(46, 0x00);  // minimum Ethernet payload
  auto v = arp_view::make(padded);
  REQUIRE(v.has_value());
  auto r = arp_repr::parse(*v);
  CHECK(hex(emit(r)) == hex(request));
}

TEST_CASE("arp: a gratuitous ARP announces the sender's own address") {
  constexpr std::uint8_t announcement[] = {
      0x00, 0x01,                          // hardware type 1: Ethernet
      0x08, 0x00,                          // protocol type 0x0800: IPv4
      0x06,                                // hardware address length 6
      0x04,                                // protocol address length 4
      0x00, 0x01,                          // operation 1: request
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05,  // sender MAC 00:16:3e:5e:6c:05
      0x0a, 0x89, 0x00, 0x05,              // sender IP 10.137.0.5
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // target MAC ff:ff:ff:ff:ff:ff
      0x0a, 0x89, 0x00, 0x05,              // target IP 10.137.0.5 (= sender IP)
  };
  auto v = arp_view::make(announcement);
  REQUIRE(v.has_value());
  auto r = arp_repr::parse(*v);
  CHECK(r.is_gratuitous());
  CHECK(r.target_mac == mac_address::broadcast());
  auto q = arp_view::make(request);
  REQUIRE(q.has_value());
  CHECK_FALSE(arp_repr::parse(*q).is_gratuitous());
}

TEST_CASE("arp: an unknown operation keeps its value") {
  auto packet = request_with(7, 0x03);  // operation 3: RARP request (RFC 903)
  auto v = arp_view::make(packet);
  REQUIRE(v.has_value());
  CHECK(static_cast<std::uint16_t>(v->operation()) == 3);
  auto r = arp_repr::parse(*v);
  CHECK(hex(emit(r)) == hex(packet));
}

TEST_CASE("arp: rejects a packet shorter than 28 bytes as truncated") {
  auto v = arp_view::make(bytes{request}.first(27));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("arp: rejects an empty buffer as truncated") {
  auto v = arp_view::make(bytes{});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("arp: rejects a hardware type other than Ethernet as unsupported") {
  auto packet = request_with(1, 0x06);  // hardware type 6: IEEE 802
  auto v = arp_view::make(packet);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::unsupported_format);
}

TEST_CASE("arp: rejects a protocol type other than IPv4 as unsupported") {
  auto packet = request_with(2, 0x86);  // protocol type 0x8600
  packet[3] = 0xdd;                     // ... 0x86dd: IPv6
  auto v = arp_view::make(packet);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::unsupported_format);
}

TEST_CASE("arp: rejects a hardware address length other than 6 as unsupported") {
  auto packet = request_with(4, 0x08);  // hardware address length 8 (EUI-64)
  auto v = arp_view::make(packet);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::unsupported_format);
}

TEST_CASE("arp: rejects a protocol address length other than 4 as unsupported") {
  auto packet = request_with(5, 0x10);  // protocol address length 16
  auto v = arp_view::make(packet);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::unsupported_format);
}
