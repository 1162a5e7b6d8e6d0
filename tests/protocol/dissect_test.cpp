// Layered parsing and one-line descriptions of frames.
#include <doctest/doctest.h>

#include "protocol/dissect.hpp"
#include "support/packets.hpp"

using namespace aw::proto;
using namespace aw::test;

namespace {
byte_vector frame(std::uint16_t type, const byte_vector& payload) {
  byte_vector f = {
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination: the firewall's vif MAC
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00,  // source: a Qubes client
      static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
  };
  f.resize(14 + payload.size());
  std::copy(payload.begin(), payload.end(), f.begin() + 14);
  return f;
}
}  // namespace

TEST_CASE("dissect: an Ethernet frame down to UDP") {
  auto d = dissect_frame(frame(0x0800, udp_packet({}, 40000, 53, payload_of(32))));
  REQUIRE(d.ethernet);
  REQUIRE(d.ipv4);
  REQUIRE(d.udp);
  CHECK_FALSE(d.error);
  CHECK(d.l4_payload_length == 32);
  CHECK(describe(d) == "00:16:3e:5e:6c:00 > fe:ff:ff:ff:ff:ff ipv4 10.137.0.5 > 192.0.2.10 ttl 64 udp 40000 > 53 len 32");
}

TEST_CASE("dissect: TCP flags and ICMP queries are described") {
  auto t = dissect_ip(tcp_packet({}, 1234, 80, tcp_flag::syn | tcp_flag::ack, {}));
  CHECK(describe(t) == "ipv4 10.137.0.5 > 192.0.2.10 ttl 64 tcp 1234 > 80 [SA] len 0");
  auto i = dissect_ip(icmp_echo({}, icmp_type::echo_request, 9, 3, payload_of(8)));
  CHECK(describe(i) == "ipv4 10.137.0.5 > 192.0.2.10 ttl 64 icmp echo-request code 0 id 9 seq 3");
}

TEST_CASE("dissect: the first failing layer is named") {
  auto b = udp_packet({}, 1, 2, {});
  b[10] ^= 0xff;
  auto d = dissect_frame(frame(0x0800, b));
  CHECK(d.error == wire_error::bad_checksum);
  CHECK(d.error_layer == "ipv4");
  CHECK(describe(d).ends_with("malformed ipv4: bad_checksum"));
  auto short_frame = dissect_frame(byte_vector(10));
  CHECK(short_frame.error_layer == "ethernet");
}

TEST_CASE("dissect: ARP and unknown ethertypes") {
  byte_vector arp = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,  // Ethernet/IPv4, request
                     0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00, 10, 137, 0, 5,  // sender
                     0, 0, 0, 0, 0, 0, 10, 137, 0, 1};                    // target
  CHECK(describe(dissect_frame(frame(0x0806, arp))).ends_with("arp who-has 10.137.0.1 tell 10.137.0.5"));
  CHECK(describe(dissect_frame(frame(0x88b5, payload_of(4)))).ends_with("ethertype 0x88b5"));
}
