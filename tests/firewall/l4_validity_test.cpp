// tests/firewall/l4_validity_test.cpp — conntrack's transport-layer "invalid": the decision
// table on its own and through the firewall, both directions.
#include <doctest/doctest.h>

#include <set>

#include "firewall/l4_validity.hpp"
#include "protocol/checksum.hpp"
#include "support/packets.hpp"

using namespace aw::firewall;
using namespace aw::proto;
using namespace aw::test;

namespace {
const ipv4_address a = ipv4_address::from_octets(10, 137, 0, 10);
const ipv4_address b = ipv4_address::from_octets(192, 0, 2, 80);

l4_defect check(const byte_vector& packet) {
  auto v = ipv4_view::make(bytes{packet}, ipv4_view::length_check::truncated_ok);
  REQUIRE(v);
  return check_l4(*v);
}

void set_flags_frag(byte_vector& p, std::uint16_t value) {
  store16(p.data() + ipv4_field::flags_frag, value);
  store16(p.data() + ipv4_field::checksum, 0);
  store16(p.data() + ipv4_field::checksum, checksum::internet(bytes{p}.first(20)));
}

// A UDP datagram with its length field replaced (no checksum, so only the length is wrong).
byte_vector udp_with_length(std::uint16_t length, std::size_t payload, bool more_fragments = false) {
  auto p = udp_packet({.src = a, .dst = b, .df = !more_fragments}, 5000, 53, payload_of(payload));
  store16(p.data() + 20 + udp_field::length, length);
  store16(p.data() + 20 + udp_field::checksum, 0);
  if (more_fragments) set_flags_frag(p, 0x2000);
  return p;
}
}  // namespace

TEST_CASE("conntrack tcp_valid_flags: of the 256 flag bytes exactly the 9 combinations a TCP sends are valid, with any PSH, ECE, CWR") {
  const std::set<int> sent = {tcp_flag::syn, tcp_flag::syn | tcp_flag::urg, tcp_flag::syn | tcp_flag::ack, tcp_flag::rst,
                              tcp_flag::rst | tcp_flag::ack, tcp_flag::fin | tcp_flag::ack,
                              tcp_flag::fin | tcp_flag::ack | tcp_flag::urg, tcp_flag::ack, tcp_flag::ack | tcp_flag::urg};
  int valid = 0;
  for (int f = 0; f < 256; ++f) {
    const bool expected = sent.contains(f & ~(tcp_flag::psh | tcp_flag::ece | tcp_flag::cwr));
    CHECK_MESSAGE(tcp_flags_valid(static_cast<std::uint8_t>(f)) == expected, "flags " << f);
    valid += expected;
  }
  CHECK(valid == 9 * 8);
  CHECK_FALSE(tcp_flags_valid(tcp_flag::syn | tcp_flag::fin));
  CHECK_FALSE(tcp_flags_valid(0));
  CHECK_FALSE(tcp_flags_valid(tcp_flag::fin | tcp_flag::psh | tcp_flag::urg));  // nmap's Xmas scan
  CHECK_FALSE(tcp_flags_valid(tcp_flag::fin));                                  // nmap's FIN scan
  CHECK(tcp_flags_valid(tcp_flag::ack | tcp_flag::psh | tcp_flag::ece));
}

TEST_CASE("l4 validity: a TCP segment with an invalid flag combination is a defect, a valid one is not") {
  CHECK(check(tcp_packet({.src = a, .dst = b}, 1, 2, tcp_flag::syn | tcp_flag::fin, {})) == l4_defect::tcp_invalid_flags);
  CHECK(check(tcp_packet({.src = a, .dst = b}, 1, 2, 0, {})) == l4_defect::tcp_invalid_flags);
  CHECK(check(tcp_packet({.src = a, .dst = b}, 1, 2, tcp_flag::syn, {})) == l4_defect::none);
  CHECK(check(tcp_packet({.src = a, .dst = b}, 1, 2, tcp_flag::ack | tcp_flag::psh, payload_of(10))) == l4_defect::none);
}

TEST_CASE("RFC 768: a UDP length field under 8 or over the IP payload is a defect, and bytes past it are left to the checksum as Linux does") {
  CHECK(check(udp_with_length(8 + 20, 20)) == l4_defect::none);
  CHECK(check(udp_with_length(8 + 21, 20)) == l4_defect::udp_bad_length);  // tshark: BAD UDP LENGTH
  CHECK(check(udp_with_length(7, 20)) == l4_defect::udp_bad_length);
  CHECK(check(udp_with_length(0, 20)) == l4_defect::udp_bad_length);
  CHECK(check(udp_with_length(8 + 10, 20)) == l4_defect::none);
}

TEST_CASE("RFC 768 with fragments: a first fragment's UDP length may exceed the fragment but not fall short of it, later fragments carry none") {
  CHECK(check(udp_with_length(8 + 3000, 1472, true)) == l4_defect::none);
  CHECK(check(udp_with_length(8 + 1000, 1472, true)) == l4_defect::udp_bad_length);
  auto later = udp_with_length(3, 100, true);
  set_flags_frag(later, 185);  // offset 1480, no MF: not a UDP header at all
  CHECK(check(later) == l4_defect::none);
}

TEST_CASE("conntrack truncated: a TCP data offset under 5 words or past the segment is a defect, a header split over fragments too (RFC 1858)") {
  auto seg = tcp_packet({.src = a, .dst = b}, 1, 2, tcp_flag::syn, {});
  seg[20 + tcp_field::offset] = 4 << 4;
  CHECK(check(seg) == l4_defect::tcp_bad_data_offset);
  seg[20 + tcp_field::offset] = 15 << 4;  // 60 bytes of header in a 20-byte segment
  CHECK(check(seg) == l4_defect::tcp_bad_data_offset);
  seg[20 + tcp_field::offset] = 5 << 4;
  CHECK(check(seg) == l4_defect::none);
}
