// tests/protocol/udp_test.cpp — UDP datagrams (RFC 768): parse, emit, checksums, malformed input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "protocol/udp.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::hex;

namespace {

constexpr ipv4_address client = ipv4_address::from_octets(10, 137, 0, 5);
constexpr ipv4_address qubes_dns = ipv4_address::from_octets(10, 139, 1, 1);
constexpr ipv4_address gateway = ipv4_address::from_octets(10, 137, 0, 1);

// A client VM's DNS query for qubes-os.org A to the Qubes virtual DNS server,
// 10.137.0.5:53000 -> 10.139.1.1:53.
constexpr std::uint8_t dns_query[] = {
    0xcf, 0x08,  // source port 53000
    0x00, 0x35,  // destination port 53
    0x00, 0x26,  // length 38
    0x00, 0x2c,  // checksum (pseudo-header 10.137.0.5 -> 10.139.1.1, protocol 17, length 38)
    // payload: DNS
    0xbe, 0xef,                                      // ID 0xbeef
    0x01, 0x00,                                      // flags: standard query, RD
    0x00, 0x01,                                      // 1 question
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,              // 0 answer, authority, additional records
    0x08, 'q', 'u', 'b', 'e', 's', '-', 'o', 's',    // label "qubes-os"
    0x03, 'o', 'r', 'g',                             // label "org"
    0x00,                                            // root label
    0x00, 0x01,                                      // QTYPE A
    0x00, 0x01,                                      // QCLASS IN
};
constexpr std::size_t dns_payload_offset = 8;

// An odd-length datagram: "hello" to the echo port, 10.137.0.5:40002 -> 10.137.0.1:7.
constexpr std::uint8_t echo_hello[] = {
    0x9c, 0x42,               // source port 40002
    0x00, 0x07,               // destination port 7 (echo)
    0x00, 0x0d,               // length 13
    0x0a, 0xa1,               // checksum (pseudo-header 10.137.0.5 -> 10.137.0.1, protocol 17, length 13)
    'h', 'e', 'l', 'l', 'o',  // payload
};

byte_vector copy(bytes b) { return {b.begin(), b.end()}; }

// The datagram with its header overwritten by 0xcc, payload kept in place.
byte_vector blank_header(bytes b) {
  byte_vector out = copy(b);
  std::fill_n(out.begin(), udp_view::header_len, std::uint8_t{0xcc});
  return out;
}

}  // namespace

TEST_CASE("udp: parses every field of a datagram") {
  auto v = udp_view::make(dns_query);
  REQUIRE(v.has_value());
  CHECK(v->src_port() == 53000);
  CHECK(v->dst_port() == 53);
  CHECK(v->length() == 38);
  CHECK(v->checksum() == 0x002c);
  CHECK(v->has_checksum());
  CHECK(v->payload().size() == 30);
  CHECK(v->payload().data() == dns_query + dns_payload_offset);
  CHECK(v->raw().size() == 38);
}

TEST_CASE("udp: a correct checksum verifies") {
  auto v = udp_view::make(dns_query);
  REQUIRE(v.has_value());
  CHECK(v->verify_checksum(client, qubes_dns));
}

TEST_CASE("udp: a correct checksum over an odd-length datagram verifies") {
  auto v = udp_view::make(echo_hello);
  REQUIRE(v.has_value());
  CHECK(v->length() == 13);
  CHECK(hex(v->payload()) == "68656c6c6f");
  CHECK(v->verify_checksum(client, gateway));
}

TEST_CASE("udp: the checksum fails after one payload byte flips") {
  auto b = copy(dns_query);
  b[dns_payload_offset + 13] ^= 0x20;  // 'q' -> 'Q'
  auto v = udp_view::make(b);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->verify_checksum(client, qubes_dns));
  auto odd = copy(echo_hello);
  odd[12] ^= 0x01;  // the last, unpaired byte
  auto w = udp_view::make(odd);
  REQUIRE(w.has_value());
  CHECK_FALSE(w->verify_checksum(client, gateway));
}

TEST_CASE("udp: the checksum fails against a different pseudo-header address") {
  auto v = udp_view::make(dns_query);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->verify_checksum(ipv4_address::from_octets(10, 137, 0, 6), qubes_dns));
  CHECK_FALSE(v->verify_checksum(client, ipv4_address::from_octets(10, 139, 1, 2)));
}

TEST_CASE("udp: a zero checksum means none was computed and verifies (RFC 768)") {
  auto b = copy(dns_query);
  b[6] = 0x00;  // checksum 0x0000: not computed
  b[7] = 0x00;
  auto v = udp_view::make(b);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->has_checksum());
  CHECK(v->verify_checksum(client, qubes_dns));
  b[dns_payload_offset] ^= 0xff;  // no checksum: nothing can fail
  auto w = udp_view::make(b);
  REQUIRE(w.has_value());
  CHECK(w->verify_checksum(client, qubes_dns));
}

TEST_CASE("udp: emits the header and checksum byte for byte") {
  auto b = blank_header(dns_query);
  udp_repr{53000, 53}.emit(b, client, qubes_dns);
  CHECK(hex(b) == hex(dns_query));
  auto odd = blank_header(echo_hello);
  udp_repr{40002, 7}.emit(odd, client, gateway);
  CHECK(hex(odd) == hex(echo_hello));
}

TEST_CASE("udp: a computed checksum of zero is sent as 0xffff (RFC 768)") {
  // The payload is chosen so that the checksum computes to 0x0000.
  constexpr std::uint8_t datagram[] = {
      0x9c, 0x41,          // source port 40001
      0x00, 0x07,          // destination port 7 (echo)
      0x00, 0x0e,          // length 14
      0xff, 0xff,          // checksum: computed 0x0000, sent as 0xffff
      'p', 'i', 'n', 'g',  // payload
      0x6f, 0xa1,          // ... two bytes that bring the sum to 0xffff
  };
  auto b = blank_header(datagram);
  udp_repr{40001, 7}.emit(b, client, gateway);
  CHECK(hex(b) == hex(datagram));
  auto v = udp_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->has_checksum());
  CHECK(v->verify_checksum(client, gateway));
}

TEST_CASE("udp: parse then emit reproduces the datagram") {
  auto v = udp_view::make(dns_query);
  REQUIRE(v.has_value());
  auto r = udp_repr::parse(*v);
  CHECK(r == udp_repr{53000, 53});
  auto b = blank_header(dns_query);
  r.emit(b, client, qubes_dns);
  CHECK(hex(b) == hex(dns_query));
}

TEST_CASE("udp: emit then parse gives back the repr") {
  udp_repr r{68, 67};  // DHCP client -> server
  byte_vector b(8 + 3, 0x00);
  b[8] = 0x01;
  b[9] = 0x02;
  b[10] = 0x03;
  r.emit(b, ipv4_address{0}, ipv4_address{0xffffffffu});
  auto v = udp_view::make(b);
  REQUIRE(v.has_value());
  CHECK(udp_repr::parse(*v) == r);
  CHECK(v->length() == 11);
  CHECK(v->verify_checksum(ipv4_address{0}, ipv4_address{0xffffffffu}));
}

TEST_CASE("udp: ignores bytes past the length field") {
  auto b = copy(dns_query);
  b.insert(b.end(), {0x00, 0x00, 0x00, 0x00});  // link-layer padding
  auto v = udp_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->raw().size() == 38);
  CHECK(v->payload().size() == 30);
  CHECK(v->verify_checksum(client, qubes_dns));
}

TEST_CASE("udp: rejects a datagram shorter than the 8-byte header as truncated") {
  auto v = udp_view::make(bytes{dns_query}.first(7));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("udp: rejects an empty buffer as truncated") {
  auto v = udp_view::make(bytes{});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("udp: rejects a length field below 8 as bad_length") {
  auto b = copy(dns_query);
  b[4] = 0x00;  // length 7: shorter than the header itself
  b[5] = 0x07;
  auto v = udp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_length);
}

TEST_CASE("udp: rejects a length field of 0 as bad_length") {
  auto b = copy(dns_query);
  b[4] = 0x00;  // length 0 (only legal for IPv6 jumbograms)
  b[5] = 0x00;
  auto v = udp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_length);
}

TEST_CASE("udp: rejects a length field beyond the buffer") {
  auto b = copy(dns_query);
  b[5] = 0x27;  // length 39, one more than the 38 bytes present
  auto v = udp_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::total_exceeds_buffer);
}
