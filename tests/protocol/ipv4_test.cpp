// IPv4 header view and repr (RFC 791).
#include <doctest/doctest.h>

#include <vector>

#include "protocol/ipv4.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;

namespace {
// A UDP datagram's IPv4 header (the RFC 1071-style example header) + 95 payload bytes.
const std::uint8_t header[] = {
    0x45,                    // version 4, IHL 5 (20 bytes)
    0x00,                    // DSCP 0, ECN 0
    0x00, 0x73,              // total length 115
    0x00, 0x00,              // identification 0
    0x40, 0x00,              // flags DF, fragment offset 0
    0x40,                    // TTL 64
    0x11,                    // protocol 17 (UDP)
    0xb8, 0x61,              // header checksum
    0xc0, 0xa8, 0x00, 0x01,  // source 192.168.0.1
    0xc0, 0xa8, 0x00, 0xc7,  // destination 192.168.0.199
};

byte_vector datagram() {
  byte_vector d(header, header + sizeof header);
  d.resize(0x73, 0xab);
  return d;
}

// A fragment with options: IHL 6, one 4-byte option (NOP, NOP, NOP, EOL).
byte_vector fragment_with_options() {
  byte_vector d = {
      0x46,                    // version 4, IHL 6 (24 bytes)
      0xb8,                    // DSCP 46 (EF), ECN 0
      0x00, 0x20,              // total length 32
      0x12, 0x34,              // identification 0x1234
      0x20, 0x05,              // flags MF, fragment offset 5 (40 bytes)
      0x01,                    // TTL 1
      0x06,                    // protocol 6 (TCP)
      0x00, 0x00,              // header checksum (filled below)
      0x0a, 0x89, 0x00, 0x05,  // source 10.137.0.5
      0x08, 0x08, 0x08, 0x08,  // destination 8.8.8.8
      0x01, 0x01, 0x01, 0x00,  // options: NOP NOP NOP EOL
      1, 2, 3, 4, 5, 6, 7, 8,  // 8 bytes of fragment data
  };
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < 24; i += 2) s += static_cast<std::uint32_t>((d[i] << 8) | d[i + 1]);
  while (s >> 16) s = (s & 0xffffu) + (s >> 16);
  store16(&d[10], static_cast<std::uint16_t>(~s));
  return d;
}
}  // namespace

TEST_CASE("ipv4: parses every header field") {
  auto d = datagram();
  auto v = ipv4_view::make(d);
  REQUIRE(v);
  CHECK(v->version() == 4);
  CHECK(v->header_length() == 20);
  CHECK(v->dscp_ecn() == 0);
  CHECK(v->total_length() == 115);
  CHECK(v->identification() == 0);
  CHECK(v->dont_fragment());
  CHECK_FALSE(v->more_fragments());
  CHECK(v->fragment_offset() == 0);
  CHECK_FALSE(v->is_fragment());
  CHECK(v->ttl() == 64);
  CHECK(v->protocol() == ip_protocol::udp);
  CHECK(v->header_checksum() == 0xb861);
  CHECK(v->src() == ipv4_address::from_octets(192, 168, 0, 1));
  CHECK(v->dst() == ipv4_address::from_octets(192, 168, 0, 199));
  CHECK(v->options().empty());
  CHECK(v->payload().size() == 95);
  CHECK(v->complete());
}

TEST_CASE("ipv4: exposes options and fragment fields") {
  auto d = fragment_with_options();
  auto v = ipv4_view::make(d);
  REQUIRE(v);
  CHECK(v->header_length() == 24);
  CHECK(v->dscp_ecn() == 0xb8);
  CHECK(v->identification() == 0x1234);
  CHECK(v->more_fragments());
  CHECK_FALSE(v->dont_fragment());
  CHECK(v->fragment_offset() == 40);
  CHECK(v->is_fragment());
  CHECK_FALSE(v->is_first_fragment_or_whole());
  CHECK(v->options().size() == 4);
  CHECK(v->options()[0] == 0x01);
  CHECK(v->payload().size() == 8);
}

TEST_CASE("ipv4: emit writes the literal header, checksum included") {
  ipv4_repr r;
  r.src = ipv4_address::from_octets(192, 168, 0, 1);
  r.dst = ipv4_address::from_octets(192, 168, 0, 199);
  r.protocol = ip_protocol::udp;
  r.payload_length = 95;
  r.ttl = 64;
  r.dont_fragment = true;
  byte_vector out(20);
  r.emit(out);
  CHECK(aw::test::hex(out) == aw::test::hex(header));
}

TEST_CASE("ipv4: parse then emit round-trips headers with options and fragments") {
  for (const auto& d : {datagram(), fragment_with_options()}) {
    auto v = ipv4_view::make(d);
    REQUIRE(v);
    auto r = ipv4_repr::parse(*v);
    byte_vector out(r.header_length());
    r.emit(out);
    CHECK(aw::test::hex(out) == aw::test::hex(v->header()));
    auto again = ipv4_view::make(out, ipv4_view::length_check::truncated_ok);
    REQUIRE(again);
    CHECK(ipv4_repr::parse(*again) == r);
  }
}

TEST_CASE("ipv4: trailing bytes (Ethernet padding) are outside the view") {
  auto d = datagram();
  d.resize(d.size() + 10, 0);
  auto v = ipv4_view::make(d);
  REQUIRE(v);
  CHECK(v->payload().size() == 95);
}

TEST_CASE("ipv4: rejects fewer than 20 bytes as truncated") {
  auto d = datagram();
  CHECK(ipv4_view::make(bytes{d}.first(19)).error() == wire_error::truncated);
  CHECK(ipv4_view::make(bytes{}).error() == wire_error::truncated);
}

TEST_CASE("ipv4: rejects a version other than 4") {
  auto d = datagram();
  d[0] = 0x65;
  CHECK(ipv4_view::make(d).error() == wire_error::bad_version);
}

TEST_CASE("ipv4: rejects IHL < 5") {
  auto d = datagram();
  d[0] = 0x44;
  CHECK(ipv4_view::make(d).error() == wire_error::bad_header_length);
}

TEST_CASE("ipv4: rejects an IHL running past the buffer as truncated") {
  auto d = datagram();
  d[0] = 0x4f;  // 60-byte header
  CHECK(ipv4_view::make(bytes{d}.first(40)).error() == wire_error::truncated);
}

TEST_CASE("ipv4: rejects a header length greater than the total length") {
  auto d = datagram();
  store16(&d[2], 19);
  CHECK(ipv4_view::make(d, ipv4_view::length_check::exact, ipv4_view::checksum_check::skip).error() ==
        wire_error::header_exceeds_total);
}

TEST_CASE("ipv4: rejects a total length beyond the buffer, unless truncation is allowed") {
  auto d = datagram();
  bytes short_buf = bytes{d}.first(60);
  CHECK(ipv4_view::make(short_buf).error() == wire_error::total_exceeds_buffer);
  auto v = ipv4_view::make(short_buf, ipv4_view::length_check::truncated_ok);
  REQUIRE(v);
  CHECK_FALSE(v->complete());
  CHECK(v->payload().size() == 40);
}

TEST_CASE("ipv4: rejects a bad header checksum unless told to skip it") {
  auto d = datagram();
  d[11] ^= 1;
  CHECK(ipv4_view::make(d).error() == wire_error::bad_checksum);
  auto v = ipv4_view::make(d, ipv4_view::length_check::exact, ipv4_view::checksum_check::skip);
  REQUIRE(v);
  CHECK_FALSE(v->verify_checksum());
}

TEST_CASE("ipv4: an unknown protocol number is kept and named unknown") {
  auto d = datagram();
  d[9] = 132;  // SCTP
  d[10] = d[11] = 0;
  ipv4_repr r = ipv4_repr::parse(*ipv4_view::make(d, ipv4_view::length_check::exact, ipv4_view::checksum_check::skip));
  CHECK(static_cast<unsigned>(r.protocol) == 132);
  CHECK(to_string(r.protocol) == "unknown");
  CHECK(to_string(ip_protocol::tcp) == "tcp");
}
