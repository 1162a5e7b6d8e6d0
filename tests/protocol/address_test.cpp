// tests/protocol/address_test.cpp — IPv4, IPv6 and MAC address text forms and IPv4 prefixes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "protocol/address.hpp"

using namespace aw::proto;

namespace {

// The canonical text of an IPv6 address given in any accepted form.
std::string v6(std::string_view text) {
  auto a = ipv6_address::parse(text);
  REQUIRE(a.has_value());
  return a->to_string();
}

ipv6_address v6_bytes(std::initializer_list<std::uint8_t> b) {
  ipv6_address a;
  std::copy(b.begin(), b.end(), a.bytes.begin());
  return a;
}

}  // namespace

// --- IPv4 addresses ---------------------------------------------------------

TEST_CASE("ipv4 address: parses a dotted quad into host byte order") {
  auto a = ipv4_address::parse("10.137.0.1");
  REQUIRE(a.has_value());
  CHECK(a->value == 0x0a890001u);
  CHECK(*a == ipv4_address::from_octets(10, 137, 0, 1));
}

TEST_CASE("ipv4 address: parses the extremes 0.0.0.0 and 255.255.255.255") {
  CHECK(ipv4_address::parse("0.0.0.0") == ipv4_address{0});
  CHECK(ipv4_address::parse("255.255.255.255") == ipv4_address{0xffffffffu});
}

TEST_CASE("ipv4 address: formats as a dotted quad") {
  CHECK(ipv4_address{0x0a890001u}.to_string() == "10.137.0.1");
  CHECK(ipv4_address{0}.to_string() == "0.0.0.0");
  CHECK(ipv4_address{0xffffffffu}.to_string() == "255.255.255.255");
  CHECK(ipv4_address::from_octets(192, 0, 2, 53).to_string() == "192.0.2.53");
}

TEST_CASE("ipv4 address: text round-trips") {
  for (std::string_view t : {"1.2.3.4", "10.139.1.1", "100.64.0.0", "224.0.0.251", "0.0.0.0"}) {
    auto a = ipv4_address::parse(t);
    REQUIRE(a.has_value());
    CHECK(a->to_string() == t);
  }
}

TEST_CASE("ipv4 address: rejects leading zeros in an octet") {
  CHECK_FALSE(ipv4_address::parse("010.137.0.1"));
  CHECK_FALSE(ipv4_address::parse("10.137.00.1"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.01"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.0001"));
}

TEST_CASE("ipv4 address: rejects an octet above 255") {
  CHECK_FALSE(ipv4_address::parse("256.0.0.1"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.256"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.999"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.1000"));
}

TEST_CASE("ipv4 address: rejects missing octets") {
  CHECK_FALSE(ipv4_address::parse(""));
  CHECK_FALSE(ipv4_address::parse("10"));
  CHECK_FALSE(ipv4_address::parse("10.137.1"));
  CHECK_FALSE(ipv4_address::parse("10.137..1"));
  CHECK_FALSE(ipv4_address::parse("10.137.0."));
  CHECK_FALSE(ipv4_address::parse(".10.137.0"));
}

TEST_CASE("ipv4 address: rejects trailing junk") {
  CHECK_FALSE(ipv4_address::parse("10.137.0.1."));
  CHECK_FALSE(ipv4_address::parse("10.137.0.1.5"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.1 "));
  CHECK_FALSE(ipv4_address::parse("10.137.0.1/32"));
  CHECK_FALSE(ipv4_address::parse("10.137.0.1x"));
}

TEST_CASE("ipv4 address: rejects signs, spaces and non-decimal octets") {
  CHECK_FALSE(ipv4_address::parse("+10.137.0.1"));
  CHECK_FALSE(ipv4_address::parse("10.-1.0.1"));
  CHECK_FALSE(ipv4_address::parse(" 10.137.0.1"));
  CHECK_FALSE(ipv4_address::parse("10. 137.0.1"));
  CHECK_FALSE(ipv4_address::parse("0x0a.137.0.1"));
  CHECK_FALSE(ipv4_address::parse("a.b.c.d"));
}

TEST_CASE("ipv4 address: classifies unspecified, broadcast, multicast and loopback") {
  CHECK(ipv4_address{0}.is_unspecified());
  CHECK_FALSE(ipv4_address::from_octets(10, 137, 0, 1).is_unspecified());
  CHECK(ipv4_address::from_octets(255, 255, 255, 255).is_broadcast());
  CHECK_FALSE(ipv4_address::from_octets(10, 137, 0, 255).is_broadcast());
  CHECK(ipv4_address::from_octets(224, 0, 0, 251).is_multicast());
  CHECK(ipv4_address::from_octets(239, 255, 255, 255).is_multicast());
  CHECK_FALSE(ipv4_address::from_octets(240, 0, 0, 1).is_multicast());
  CHECK_FALSE(ipv4_address::from_octets(223, 255, 255, 255).is_multicast());
  CHECK(ipv4_address::from_octets(127, 0, 0, 1).is_loopback());
  CHECK(ipv4_address::from_octets(127, 255, 0, 9).is_loopback());
  CHECK_FALSE(ipv4_address::from_octets(128, 0, 0, 1).is_loopback());
}

TEST_CASE("ipv4 address: orders by numeric value") {
  CHECK(ipv4_address::from_octets(9, 255, 255, 255) < ipv4_address::from_octets(10, 0, 0, 0));
  CHECK(ipv4_address::from_octets(10, 137, 0, 2) > ipv4_address::from_octets(10, 137, 0, 1));
}

// --- IPv4 prefixes ------------------------------------------------------------

TEST_CASE("ipv4 prefix: parses a network and its length") {
  auto p = ipv4_prefix::parse("10.137.0.0/16");
  REQUIRE(p.has_value());
  CHECK(p->address == ipv4_address::from_octets(10, 137, 0, 0));
  CHECK(p->length == 16);
  CHECK(p->mask() == 0xffff0000u);
  CHECK(p->to_string() == "10.137.0.0/16");
}

TEST_CASE("ipv4 prefix: rejects host bits unless allowed") {
  CHECK_FALSE(ipv4_prefix::parse("10.137.0.5/24"));
  auto p = ipv4_prefix::parse("10.137.0.5/24", /*allow_host_bits=*/true);
  REQUIRE(p.has_value());
  CHECK(p->address == ipv4_address::from_octets(10, 137, 0, 0));  // host bits cleared
  CHECK(p->length == 24);
  CHECK(p->to_string() == "10.137.0.0/24");
}

TEST_CASE("ipv4 prefix: /0 contains every address") {
  auto p = ipv4_prefix::parse("0.0.0.0/0");
  REQUIRE(p.has_value());
  CHECK(p->mask() == 0u);
  CHECK(p->contains(ipv4_address{0}));
  CHECK(p->contains(ipv4_address::from_octets(10, 137, 0, 5)));
  CHECK(p->contains(ipv4_address{0xffffffffu}));
  CHECK_FALSE(ipv4_prefix::parse("1.2.3.4/0"));  // every bit is a host bit
  auto q = ipv4_prefix::parse("1.2.3.4/0", true);
  REQUIRE(q.has_value());
  CHECK(*q == *p);
}

TEST_CASE("ipv4 prefix: /32 contains exactly its address") {
  auto p = ipv4_prefix::parse("10.137.0.5/32");
  REQUIRE(p.has_value());
  CHECK(p->mask() == 0xffffffffu);
  CHECK(p->contains(ipv4_address::from_octets(10, 137, 0, 5)));
  CHECK_FALSE(p->contains(ipv4_address::from_octets(10, 137, 0, 4)));
  CHECK_FALSE(p->contains(ipv4_address::from_octets(10, 137, 0, 6)));
  CHECK(p->to_string() == "10.137.0.5/32");
}

TEST_CASE("ipv4 prefix: contains the addresses inside its boundaries only") {
  auto p = ipv4_prefix::parse("192.168.4.0/22");
  REQUIRE(p.has_value());
  CHECK(p->contains(ipv4_address::from_octets(192, 168, 4, 0)));
  CHECK(p->contains(ipv4_address::from_octets(192, 168, 7, 255)));
  CHECK_FALSE(p->contains(ipv4_address::from_octets(192, 168, 3, 255)));
  CHECK_FALSE(p->contains(ipv4_address::from_octets(192, 168, 8, 0)));
}

TEST_CASE("ipv4 prefix: rejects a length above 32") {
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/33"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/128"));
}

TEST_CASE("ipv4 prefix: rejects a missing, signed, zero-padded or trailing-junk length") {
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/-8"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/+8"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/08"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/8 "));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.0/8/8"));
}

TEST_CASE("ipv4 prefix: rejects an invalid address") {
  CHECK_FALSE(ipv4_prefix::parse("10.0.0/8"));
  CHECK_FALSE(ipv4_prefix::parse("10.0.0.256/32"));
  CHECK_FALSE(ipv4_prefix::parse("/8"));
}

// --- IPv6 addresses ---------------------------------------------------------

TEST_CASE("ipv6 address: parses and formats the unspecified address ::") {
  auto a = ipv6_address::parse("::");
  REQUIRE(a.has_value());
  CHECK(*a == ipv6_address{});
  CHECK(a->to_string() == "::");
  CHECK(v6("0:0:0:0:0:0:0:0") == "::");
}

TEST_CASE("ipv6 address: parses and formats the loopback address ::1") {
  auto a = ipv6_address::parse("::1");
  REQUIRE(a.has_value());
  CHECK(*a == v6_bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  CHECK(a->to_string() == "::1");
  CHECK(v6("0:0:0:0:0:0:0:1") == "::1");
}

TEST_CASE("ipv6 address: parses the full eight-group form into network byte order") {
  auto a = ipv6_address::parse("2001:0db8:0000:0000:0000:ff00:0042:8329");
  REQUIRE(a.has_value());
  CHECK(*a == v6_bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29}));
  CHECK(a->to_string() == "2001:db8::ff00:42:8329");
}

TEST_CASE("ipv6 address: '::' at the start, middle or end stands for the missing groups") {
  CHECK(ipv6_address::parse("::2:3:4:5:6:7:8") ==
        v6_bytes({0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}));
  CHECK(ipv6_address::parse("fe80::1") ==
        v6_bytes({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  CHECK(ipv6_address::parse("2001:db8::") ==
        v6_bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  CHECK(ipv6_address::parse("1:2:3:4:5:6:7::") ==
        v6_bytes({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}));
}

TEST_CASE("ipv6 address: accepts hex digits in either case and formats in lower case (RFC 5952 4.3)") {
  auto a = ipv6_address::parse("2001:DB8::AbCd");
  REQUIRE(a.has_value());
  CHECK(a->to_string() == "2001:db8::abcd");
}

TEST_CASE("ipv6 address: formats without leading zeros in a group (RFC 5952 4.1)") {
  CHECK(v6("2001:0db8:0001:0000:0000:0000:0000:0001") == "2001:db8:1::1");
  CHECK(v6("fe80:0:0:0:0200:5eff:fe00:0053") == "fe80::200:5eff:fe00:53");
}

TEST_CASE("ipv6 address: compresses the longest run of zero groups (RFC 5952 4.2.1, 4.2.3)") {
  CHECK(v6("2001:db8:0:0:1:0:0:0") == "2001:db8:0:0:1::");
  CHECK(v6("1:0:0:1:0:0:0:1") == "1:0:0:1::1");
  CHECK(v6("0:0:0:1:0:0:0:0") == "0:0:0:1::");
}

TEST_CASE("ipv6 address: compresses the first of equally long zero runs (RFC 5952 4.2.3)") {
  CHECK(v6("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");
  CHECK(v6("1:0:0:2:3:0:0:4") == "1::2:3:0:0:4");
}

TEST_CASE("ipv6 address: does not compress a single zero group (RFC 5952 4.2.2)") {
  CHECK(v6("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");
  CHECK(v6("2001:db8::1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");
}

TEST_CASE("ipv6 address: parses an embedded IPv4 tail into the last two groups") {
  auto mapped = ipv6_address::parse("::ffff:192.0.2.1");
  REQUIRE(mapped.has_value());
  CHECK(*mapped == v6_bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}));
  CHECK(ipv6_address::parse("64:ff9b::198.51.100.7") ==
        v6_bytes({0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 198, 51, 100, 7}));
  CHECK(ipv6_address::parse("1:2:3:4:5:6:10.137.0.1") ==
        v6_bytes({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 10, 137, 0, 1}));
  CHECK(ipv6_address::parse("::10.137.0.1") ==
        v6_bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 137, 0, 1}));
  // The canonical text parses back to the same address.
  CHECK(ipv6_address::parse(mapped->to_string()) == mapped);
}

TEST_CASE("ipv6 address: rejects an invalid embedded IPv4 tail") {
  CHECK_FALSE(ipv6_address::parse("::ffff:192.0.2"));
  CHECK_FALSE(ipv6_address::parse("::ffff:192.0.2.256"));
  CHECK_FALSE(ipv6_address::parse("::ffff:192.0.02.1"));
  CHECK_FALSE(ipv6_address::parse("::ffff:192.0.2.1:1"));        // IPv4 must be last
  CHECK_FALSE(ipv6_address::parse("1:2:3:4:5:6:7:192.0.2.1"));   // nine groups' worth
  CHECK_FALSE(ipv6_address::parse("192.0.2.1"));                 // IPv4 alone
}

TEST_CASE("ipv6 address: rejects more than one '::'") {
  CHECK_FALSE(ipv6_address::parse("2001::db8::1"));
  CHECK_FALSE(ipv6_address::parse("::1::"));
}

TEST_CASE("ipv6 address: rejects a wrong number of groups") {
  CHECK_FALSE(ipv6_address::parse("1:2:3:4:5:6:7"));
  CHECK_FALSE(ipv6_address::parse("1:2:3:4:5:6:7:8:9"));
  CHECK_FALSE(ipv6_address::parse("1::2:3:4:5:6:7:8"));  // '::' must stand for at least one group
  CHECK_FALSE(ipv6_address::parse("::1:2:3:4:5:6:7:8"));
}

TEST_CASE("ipv6 address: rejects stray colons") {
  CHECK_FALSE(ipv6_address::parse(""));
  CHECK_FALSE(ipv6_address::parse(":"));
  CHECK_FALSE(ipv6_address::parse(":::"));
  CHECK_FALSE(ipv6_address::parse(":1::2"));
  CHECK_FALSE(ipv6_address::parse("1::2:"));
  CHECK_FALSE(ipv6_address::parse("1:2:3:4:5:6:7:8:"));
  CHECK_FALSE(ipv6_address::parse("1:::2"));
}

TEST_CASE("ipv6 address: rejects groups of more than four digits or non-hex digits") {
  CHECK_FALSE(ipv6_address::parse("2001:0db80::1"));
  CHECK_FALSE(ipv6_address::parse("12345::1"));
  CHECK_FALSE(ipv6_address::parse("2001:db8::g"));
  CHECK_FALSE(ipv6_address::parse("2001:db8::1 "));
  CHECK_FALSE(ipv6_address::parse("fe80::1%eth0"));  // zone indexes are not addresses
  CHECK_FALSE(ipv6_address::parse("2001:db8::/32"));
}

// --- MAC addresses ----------------------------------------------------------

TEST_CASE("mac address: parses colon-separated hex in either case") {
  auto m = mac_address::parse("00:16:3E:5e:6c:0A");
  REQUIRE(m.has_value());
  CHECK(*m == mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a}});
}

TEST_CASE("mac address: formats as lower-case colon-separated hex") {
  CHECK(mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a}}.to_string() == "00:16:3e:5e:6c:0a");
  CHECK(mac_address::broadcast().to_string() == "ff:ff:ff:ff:ff:ff");
  CHECK(mac_address{}.to_string() == "00:00:00:00:00:00");
}

TEST_CASE("mac address: text round-trips") {
  auto m = mac_address::parse("fe:ff:ff:ff:ff:ff");
  REQUIRE(m.has_value());
  CHECK(m->to_string() == "fe:ff:ff:ff:ff:ff");
}

TEST_CASE("mac address: rejects a wrong length") {
  CHECK_FALSE(mac_address::parse(""));
  CHECK_FALSE(mac_address::parse("00:16:3e:5e:6c"));
  CHECK_FALSE(mac_address::parse("00:16:3e:5e:6c:0"));
  CHECK_FALSE(mac_address::parse("00:16:3e:5e:6c:0a:"));
  CHECK_FALSE(mac_address::parse("00:16:3e:5e:6c:0a:01"));
  CHECK_FALSE(mac_address::parse("0:16:3e:5e:6c:0a"));
}

TEST_CASE("mac address: rejects other separators and non-hex digits") {
  CHECK_FALSE(mac_address::parse("00-16-3e-5e-6c-0a"));
  CHECK_FALSE(mac_address::parse("0016.3e5e.6c0a..."));
  CHECK_FALSE(mac_address::parse("00:16:3e:5e:6c:0g"));
  CHECK_FALSE(mac_address::parse("00:16:3e 5e:6c:0a"));
}

TEST_CASE("mac address: classifies broadcast and multicast") {
  CHECK(mac_address::broadcast().is_broadcast());
  CHECK(mac_address::broadcast().is_multicast());
  CHECK(mac_address{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}.is_multicast());  // 224.0.0.251
  CHECK_FALSE(mac_address{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}.is_broadcast());
  CHECK_FALSE(mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a}}.is_multicast());
  CHECK_FALSE(mac_address{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}}.is_multicast());
}
