// tests/protocol/ipv6_test.cpp — the IPv6 fixed header (RFC 8200): parse, emit, malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <iterator>

#include "protocol/ipv6.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::hex;

namespace {

// A client VM's UDP probe to a DNS server, from its Qubes IPv6 address.
constexpr std::uint8_t packet[] = {
    0x6b,                    // version 6, traffic class high nibble 0xb
    0x81, 0x23, 0x45,        // traffic class low nibble 0x8 (0xb8: DSCP EF), flow label 0x12345
    0x00, 0x08,              // payload length 8
    0x11,                    // next header 17: UDP
    0x40,                    // hop limit 64
    0xfd, 0x09, 0x24, 0xef,  // source fd09:24ef:4179::a89:5
    0x41, 0x79, 0x00, 0x00,  //
    0x00, 0x00, 0x00, 0x00,  //
    0x0a, 0x89, 0x00, 0x05,  //
    0x20, 0x01, 0x0d, 0xb8,  // destination 2001:db8::35
    0x00, 0x00, 0x00, 0x00,  //
    0x00, 0x00, 0x00, 0x00,  //
    0x00, 0x00, 0x00, 0x35,  //
    // payload: a UDP header
    0x9c, 0x40,  // source port 40000
    0x00, 0x35,  // destination port 53
    0x00, 0x08,  // length 8
    0xc7, 0x7a,  // checksum over the IPv6 pseudo-header
};

ipv6_address addr(const char* text) {
  auto a = ipv6_address::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

ipv6_repr packet_repr() {
  ipv6_repr r;
  r.src = addr("fd09:24ef:4179::a89:5");
  r.dst = addr("2001:db8::35");
  r.next_header = ip_protocol::udp;
  r.payload_length = 8;
  r.hop_limit = 64;
  r.traffic_class = 0xb8;
  r.flow_label = 0x12345;
  return r;
}

byte_vector emit(const ipv6_repr& r) {
  byte_vector out(ipv6_view::header_len, 0xcc);  // 0xcc: any byte left unwritten shows up
  r.emit(out);
  return out;
}

byte_vector packet_with(std::size_t offset, std::uint8_t value) {
  byte_vector b(std::begin(packet), std::end(packet));
  b[offset] = value;
  return b;
}

}  // namespace

TEST_CASE("ipv6: parses every field of the fixed header") {
  auto v = ipv6_view::make(packet);
  REQUIRE(v.has_value());
  CHECK(v->traffic_class() == 0xb8);
  CHECK(v->flow_label() == 0x12345u);
  CHECK(v->payload_length() == 8);
  CHECK(v->next_header() == ip_protocol::udp);
  CHECK(v->hop_limit() == 64);
  CHECK(v->src() == addr("fd09:24ef:4179::a89:5"));
  CHECK(v->dst() == addr("2001:db8::35"));
  CHECK(hex(v->payload()) == "9c4000350008c77a");
}

TEST_CASE("ipv6: the payload ends at the payload length, ignoring trailing bytes") {
  byte_vector padded(std::begin(packet), std::end(packet));
  padded.insert(padded.end(), {0x00, 0x00, 0x00, 0x00});  // link-layer padding
  auto v = ipv6_view::make(padded);
  REQUIRE(v.has_value());
  CHECK(v->payload().size() == 8);
  CHECK(hex(v->payload()) == "9c4000350008c77a");
}

TEST_CASE("ipv6: a header with payload length 0 parses with an empty payload") {
  constexpr std::uint8_t header_only[] = {
      0x60, 0x00, 0x00, 0x00,  // version 6, traffic class 0, flow label 0
      0x00, 0x00,              // payload length 0
      0x3b,                    // next header 59: no next header
      0xff,                    // hop limit 255
      0xfe, 0x80, 0x00, 0x00,  // source fe80::1
      0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x01,  //
      0xff, 0x02, 0x00, 0x00,  // destination ff02::1
      0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x01,  //
  };
  auto v = ipv6_view::make(header_only);
  REQUIRE(v.has_value());
  CHECK(v->payload().empty());
  CHECK(v->traffic_class() == 0);
  CHECK(v->flow_label() == 0u);
  CHECK(v->hop_limit() == 255);
  CHECK(v->src() == addr("fe80::1"));
  CHECK(v->dst() == addr("ff02::1"));
  CHECK(hex(emit(ipv6_repr::parse(*v))) == hex(header_only));
}

TEST_CASE("ipv6: an unknown next header keeps its value") {
  auto b = packet_with(6, 0x3b);  // next header 59: no next header (not named)
  auto v = ipv6_view::make(b);
  REQUIRE(v.has_value());
  CHECK(static_cast<std::uint8_t>(v->next_header()) == 59);
  CHECK(to_string(v->next_header()) == "unknown");
  CHECK(hex(emit(ipv6_repr::parse(*v))) == hex(bytes{b}.first(40)));
}

TEST_CASE("ipv6: next header 58 is ICMPv6") {
  auto b = packet_with(6, 0x3a);  // next header 58: ICMPv6
  auto v = ipv6_view::make(b);
  REQUIRE(v.has_value());
  CHECK(v->next_header() == ip_protocol::ipv6_icmp);
}

TEST_CASE("ipv6: emits the fixed header byte for byte") {
  CHECK(hex(emit(packet_repr())) == hex(bytes{packet}.first(40)));
}

TEST_CASE("ipv6: emit keeps the traffic class and flow label in their bit fields") {
  ipv6_repr r = packet_repr();
  r.traffic_class = 0xff;
  r.flow_label = 0xfffff;
  auto out = emit(r);
  CHECK(hex(bytes{out}.first(4)) == "6fffffff");  // version 6, traffic class 0xff, flow label 0xfffff
  r.traffic_class = 0x01;
  r.flow_label = 0x00001;
  out = emit(r);
  CHECK(hex(bytes{out}.first(4)) == "60100001");  // the version nibble is untouched
  r.flow_label = 0xf00001;                          // more than 20 bits: only the low 20 are sent
  out = emit(r);
  CHECK(hex(bytes{out}.first(4)) == "60100001");
}

TEST_CASE("ipv6: parse then emit reproduces the header") {
  auto v = ipv6_view::make(packet);
  REQUIRE(v.has_value());
  auto r = ipv6_repr::parse(*v);
  CHECK(r == packet_repr());
  CHECK(hex(emit(r)) == hex(bytes{packet}.first(40)));
}

TEST_CASE("ipv6: emit then parse gives back the repr") {
  ipv6_repr r = packet_repr();
  r.payload_length = 0;
  r.traffic_class = 0x2e;
  r.flow_label = 0xabcde;
  r.hop_limit = 1;
  auto out = emit(r);
  auto v = ipv6_view::make(out);
  REQUIRE(v.has_value());
  CHECK(ipv6_repr::parse(*v) == r);
}

TEST_CASE("ipv6: rejects a packet shorter than the 40-byte header as truncated") {
  auto v = ipv6_view::make(bytes{packet}.first(39));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("ipv6: rejects an empty buffer as truncated") {
  auto v = ipv6_view::make(bytes{});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("ipv6: rejects version 4 in the version field") {
  auto b = packet_with(0, 0x4b);  // version 4, traffic class high nibble 0xb
  auto v = ipv6_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_version);
}

TEST_CASE("ipv6: rejects version 0 in the version field") {
  auto b = packet_with(0, 0x0b);  // version 0
  auto v = ipv6_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::bad_version);
}

TEST_CASE("ipv6: rejects a payload length beyond the buffer") {
  auto b = packet_with(5, 0x09);  // payload length 9, but 8 payload bytes follow
  auto v = ipv6_view::make(b);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::total_exceeds_buffer);
}

TEST_CASE("ipv6: rejects a header-only buffer whose payload length is not zero") {
  auto v = ipv6_view::make(bytes{packet}.first(40));  // payload length 8, no payload present
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::total_exceeds_buffer);
}
