// tests/protocol/ethernet_test.cpp — Ethernet II frames, plain and 802.1Q tagged: parse, emit, malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>

#include "protocol/ethernet.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;
using aw::test::hex;

namespace {

// A client VM's IPv4 frame to the Qubes backend, as netfront sends it.
constexpr std::uint8_t untagged_frame[] = {
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination fe:ff:ff:ff:ff:ff (the Qubes gateway MAC)
    0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a,  // source 00:16:3e:5e:6c:0a (a Xen client MAC)
    0x08, 0x00,                          // ethertype 0x0800: IPv4
    0x45, 0x00, 0x00, 0x54,              // payload: the start of an IPv4 header
};

// An 802.1Q tagged ARP broadcast.
constexpr std::uint8_t tagged_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination ff:ff:ff:ff:ff:ff (broadcast)
    0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a,  // source 00:16:3e:5e:6c:0a
    0x81, 0x00,                          // TPID 0x8100: 802.1Q tag follows
    0x60, 0x64,                          // TCI: PCP 3, DEI 0, VID 100
    0x08, 0x06,                          // inner ethertype 0x0806: ARP
    0x00, 0x01, 0x08, 0x00,              // payload: the start of an ARP packet
};

const mac_address gateway_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a}};

byte_vector emit_header(const ethernet_repr& r) {
  byte_vector out(r.header_length(), 0xcc);  // 0xcc: any byte left unwritten shows up
  r.emit(out);
  return out;
}

}  // namespace

TEST_CASE("ethernet: parses every field of an untagged frame") {
  auto v = ethernet_view::make(untagged_frame);
  REQUIRE(v.has_value());
  CHECK(v->dst() == gateway_mac);
  CHECK(v->src() == client_mac);
  CHECK(v->type() == ethertype::ipv4);
  CHECK_FALSE(v->vlan_tci().has_value());
  CHECK(v->header_length() == 14);
  CHECK(hex(v->payload()) == "45000054");
  CHECK(v->raw().size() == sizeof untagged_frame);
  CHECK(v->raw().data() == untagged_frame);
}

TEST_CASE("ethernet: parses an 802.1Q tagged frame, exposing the tag and the inner ethertype") {
  auto v = ethernet_view::make(tagged_frame);
  REQUIRE(v.has_value());
  CHECK(v->dst() == mac_address::broadcast());
  CHECK(v->src() == client_mac);
  CHECK(v->type() == ethertype::arp);
  REQUIRE(v->vlan_tci().has_value());
  CHECK(*v->vlan_tci() == 0x6064);
  CHECK((*v->vlan_tci() & 0x0fffu) == 100);  // VID
  CHECK((*v->vlan_tci() >> 13) == 3);        // PCP
  CHECK(v->header_length() == 18);
  CHECK(hex(v->payload()) == "00010800");
}

TEST_CASE("ethernet: a header-only frame parses with an empty payload") {
  auto v = ethernet_view::make(bytes{untagged_frame}.first(14));
  REQUIRE(v.has_value());
  CHECK(v->payload().empty());
  auto t = ethernet_view::make(bytes{tagged_frame}.first(18));
  REQUIRE(t.has_value());
  CHECK(t->payload().empty());
  CHECK(t->type() == ethertype::arp);
}

TEST_CASE("ethernet: emits an untagged header byte for byte") {
  ethernet_repr r{gateway_mac, client_mac, ethertype::ipv4, std::nullopt};
  CHECK(r.header_length() == 14);
  CHECK(hex(emit_header(r)) == hex(bytes{untagged_frame}.first(14)));
}

TEST_CASE("ethernet: emits an 802.1Q tagged header byte for byte") {
  ethernet_repr r{mac_address::broadcast(), client_mac, ethertype::arp, std::uint16_t{0x6064}};
  CHECK(r.header_length() == 18);
  CHECK(hex(emit_header(r)) == hex(bytes{tagged_frame}.first(18)));
}

TEST_CASE("ethernet: parse then emit reproduces the header of an untagged frame") {
  auto v = ethernet_view::make(untagged_frame);
  REQUIRE(v.has_value());
  auto r = ethernet_repr::parse(*v);
  CHECK(r == ethernet_repr{gateway_mac, client_mac, ethertype::ipv4, std::nullopt});
  CHECK(hex(emit_header(r)) == hex(bytes{untagged_frame}.first(v->header_length())));
}

TEST_CASE("ethernet: parse then emit reproduces the header of a tagged frame") {
  auto v = ethernet_view::make(tagged_frame);
  REQUIRE(v.has_value());
  auto r = ethernet_repr::parse(*v);
  CHECK(hex(emit_header(r)) == hex(bytes{tagged_frame}.first(v->header_length())));
}

TEST_CASE("ethernet: emit then parse gives back the repr, tagged or not") {
  for (auto tci : {std::optional<std::uint16_t>{}, std::optional<std::uint16_t>{0x0fff}}) {
    ethernet_repr r{client_mac, gateway_mac, ethertype::ipv6, tci};
    auto out = emit_header(r);
    auto v = ethernet_view::make(out);
    REQUIRE(v.has_value());
    CHECK(ethernet_repr::parse(*v) == r);
  }
}

TEST_CASE("ethernet: an unknown ethertype decodes as unknown and keeps its value") {
  constexpr std::uint8_t frame[] = {
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0b,  // destination 00:16:3e:5e:6c:0b
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a,  // source 00:16:3e:5e:6c:0a
      0x88, 0xb5,                          // ethertype 0x88b5: IEEE local experimental
      0xde, 0xad,                          // payload
  };
  auto v = ethernet_view::make(frame);
  REQUIRE(v.has_value());
  CHECK(static_cast<std::uint16_t>(v->type()) == 0x88b5);
  CHECK(to_string(v->type()) == "unknown");
  auto r = ethernet_repr::parse(*v);
  CHECK(hex(emit_header(r)) == hex(bytes{frame}.first(14)));
}

TEST_CASE("ethernet: an unknown ethertype inside an 802.1Q tag decodes as unknown") {
  constexpr std::uint8_t frame[] = {
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0b,  // destination 00:16:3e:5e:6c:0b
      0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x0a,  // source 00:16:3e:5e:6c:0a
      0x81, 0x00,                          // TPID 0x8100
      0x00, 0x02,                          // TCI: PCP 0, DEI 0, VID 2
      0x88, 0xcc,                          // inner ethertype 0x88cc: LLDP (not named)
  };
  auto v = ethernet_view::make(frame);
  REQUIRE(v.has_value());
  CHECK(v->vlan_tci() == std::uint16_t{2});
  CHECK(static_cast<std::uint16_t>(v->type()) == 0x88cc);
  CHECK(to_string(v->type()) == "unknown");
}

TEST_CASE("ethernet: names the known ethertypes") {
  CHECK(to_string(ethertype::ipv4) == "ipv4");
  CHECK(to_string(ethertype::arp) == "arp");
  CHECK(to_string(ethertype::vlan) == "vlan");
  CHECK(to_string(ethertype::ipv6) == "ipv6");
}

TEST_CASE("ethernet: rejects an empty buffer as truncated") {
  auto v = ethernet_view::make(bytes{});
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("ethernet: rejects a frame shorter than the 14-byte header as truncated") {
  auto v = ethernet_view::make(bytes{untagged_frame}.first(13));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
}

TEST_CASE("ethernet: rejects an 802.1Q frame that ends inside the tag as truncated") {
  // 14 bytes are present, but TPID 0x8100 announces 4 more.
  auto v = ethernet_view::make(bytes{tagged_frame}.first(17));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error() == wire_error::truncated);
  auto w = ethernet_view::make(bytes{tagged_frame}.first(14));
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error() == wire_error::truncated);
}
