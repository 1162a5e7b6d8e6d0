// tests/link/vnet_header_test.cpp — virtio_net_hdr <-> packet_meta, both ways, and the checks
// on what the kernel hands over (no kernel needed).
#include "link/vnet_header.hpp"

#include <doctest/doctest.h>

#include "link/frame_layout.hpp"
#include "link/tx_frame.hpp"
#include "link_lab.hpp"
#include "protocol/checksum.hpp"
#include "protocol/ipv6.hpp"

using namespace aw;
using namespace aw::test;
using link::vnet_header;
using proto::checksum_state;
using proto::gso_type;

namespace {

const proto::mac_address a_mac = mac("02:00:00:00:00:01"), b_mac = mac("02:00:00:00:00:02");

byte_vector tcp_frame(std::size_t payload = 100) {
  return ethernet_frame(b_mac, a_mac, proto::ethertype::ipv4,
                        tcp_packet({}, 40000, 80, proto::tcp_flag::ack, payload_of(payload)));
}
byte_vector udp_frame(std::size_t payload = 100) {
  return ethernet_frame(b_mac, a_mac, proto::ethertype::ipv4, udp_packet({}, 40000, 53, payload_of(payload)));
}

vnet_header needs_csum(std::uint16_t start, std::uint16_t offset) {
  vnet_header h;
  h.flags = link::vnet::f_needs_csum;
  h.csum_start = start;
  h.csum_offset = offset;
  return h;
}

}  // namespace

TEST_CASE("the vnet header is the 10-byte legacy virtio_net_hdr") { CHECK(link::vnet_header_size == 10); }

TEST_CASE("locate_l4 finds TCP and UDP after Ethernet + IPv4, and nothing in ARP or ICMP") {
  auto t = link::locate_l4(tcp_frame());
  REQUIRE(t);
  CHECK(t->l3_offset == 14);
  CHECK(t->l4_offset == 34);  // 14 Ethernet + 20 IPv4
  CHECK(t->l4_header_length == 20);
  CHECK(t->checksum_field() == 16);
  auto u = link::locate_l4(udp_frame());
  REQUIRE(u);
  CHECK(u->checksum_field() == 6);
  CHECK_FALSE(link::locate_l4(ethernet_frame(b_mac, a_mac, proto::ethertype::ipv4,
                                             icmp_echo({}, proto::icmp_type::echo_request, 1, 1, {}))));
  CHECK_FALSE(link::locate_l4(byte_vector(13, 0)));
}

TEST_CASE("receive: NEEDS_CSUM at the TCP/UDP checksum field maps to partial") {
  auto f = tcp_frame();
  auto r = link::decode_vnet_header(needs_csum(34, 16), f, f.size());
  REQUIRE(r);
  CHECK(r->meta.l4_checksum == checksum_state::partial);
  CHECK_FALSE(r->complete_in_software);
  auto g = udp_frame();
  auto ru = link::decode_vnet_header(needs_csum(34, 6), g, g.size());
  REQUIRE(ru);
  CHECK(ru->meta.l4_checksum == checksum_state::partial);
}

TEST_CASE("receive: DATA_VALID maps to verified, no flag to unverified") {
  auto f = tcp_frame();
  vnet_header h;
  h.flags = link::vnet::f_data_valid;
  CHECK(link::decode_vnet_header(h, f, f.size())->meta.l4_checksum == checksum_state::verified);
  CHECK(link::decode_vnet_header(vnet_header{}, f, f.size())->meta.l4_checksum == checksum_state::unverified);
}

TEST_CASE("receive: rejects csum_start before the end of the Ethernet header") {
  auto f = tcp_frame();
  auto r = link::decode_vnet_header(needs_csum(10, 16), f, f.size());
  REQUIRE_FALSE(r);
  CHECK(r.error() == link::link_error::bad_vnet_header);
}

TEST_CASE("receive: rejects a checksum field beyond the frame") {
  auto f = tcp_frame(0);  // 54 bytes
  auto r = link::decode_vnet_header(needs_csum(50, 16), f, f.size());
  REQUIRE_FALSE(r);
  CHECK(r.error() == link::link_error::bad_vnet_header);
  CHECK_FALSE(link::decode_vnet_header(needs_csum(0xffff, 0xffff), f, f.size()));
}

TEST_CASE("receive: a partial sum elsewhere is completed in software and marked verified") {
  // csum_start at the IPv4 header of an ICMP message (not a TCP/UDP field).
  auto f = ethernet_frame(b_mac, a_mac, proto::ethertype::ipv4,
                          icmp_echo({}, proto::icmp_type::echo_request, 7, 1, payload_of(33)));
  const std::uint16_t good = proto::load16(f.data() + 34 + 2);
  f[36] = 0;
  f[37] = 0;  // the ICMP checksum has no pseudo-header: a blank field is its "partial" sum
  auto r = link::decode_vnet_header(needs_csum(34, 2), f, f.size());
  REQUIRE(r);
  CHECK(r->complete_in_software);
  CHECK(r->meta.l4_checksum == checksum_state::verified);
  // Split across head and tail at an odd offset, as a two-slice receive would.
  proto::mutable_bytes all{f};
  link::complete_checksum(all.first(51), all.subspan(51), r->csum_start, r->csum_offset);
  CHECK(proto::load16(f.data() + 36) == good);
}

TEST_CASE("receive: GSO TCPv4 with a partial checksum maps to gso tcpv4 and gso_size") {
  auto f = tcp_frame(3000);
  vnet_header h = needs_csum(34, 16);
  h.gso_type = link::vnet::gso_tcpv4;
  h.gso_size = 1448;
  h.hdr_len = 54;
  auto r = link::decode_vnet_header(h, f, f.size());
  REQUIRE(r);
  CHECK(r->meta.gso == gso_type::tcpv4);
  CHECK(r->meta.gso_size == 1448);
  CHECK(r->meta.l4_checksum == checksum_state::partial);
  SUBCASE("the ECN bit is accepted") {
    h.gso_type = link::vnet::gso_tcpv4 | link::vnet::gso_ecn;
    CHECK(link::decode_vnet_header(h, f, f.size()));
  }
}

TEST_CASE("receive: rejects GSO without a partial checksum, with gso_size 0, or the wrong IP version") {
  auto f = tcp_frame(3000);
  vnet_header h = needs_csum(34, 16);
  h.gso_type = link::vnet::gso_tcpv4;
  h.gso_size = 1448;
  SUBCASE("no NEEDS_CSUM") { h.flags = 0; }
  SUBCASE("gso_size 0") { h.gso_size = 0; }
  SUBCASE("TCPv6 on an IPv4 frame") { h.gso_type = link::vnet::gso_tcpv6; }
  SUBCASE("hdr_len beyond the frame") { h.hdr_len = 0xffff; }
  SUBCASE("GSO on UDP") {
    f = udp_frame(3000);
    h = needs_csum(34, 6);
    h.gso_type = link::vnet::gso_tcpv4;
    h.gso_size = 1448;
  }
  auto r = link::decode_vnet_header(h, f, f.size());
  REQUIRE_FALSE(r);
  CHECK(r.error() == link::link_error::bad_vnet_header);
}

TEST_CASE("receive: UDP GSO and unknown GSO types are refused") {
  auto f = udp_frame();
  vnet_header h = needs_csum(34, 6);
  h.gso_type = link::vnet::gso_udp_l4;
  h.gso_size = 1000;
  CHECK(link::decode_vnet_header(h, f, f.size()).error() == link::link_error::unsupported_gso);
  h.gso_type = 9;
  CHECK(link::decode_vnet_header(h, f, f.size()).error() == link::link_error::bad_vnet_header);
}

TEST_CASE("send: partial fills csum_start/csum_offset from the frame's IPv4 + TCP/UDP headers") {
  proto::buffer_pool pool;
  auto h = link::encode_vnet_header(packet_of(pool, tcp_frame(), {.l4_checksum = checksum_state::partial}));
  REQUIRE(h);
  CHECK(h->flags == link::vnet::f_needs_csum);
  CHECK(h->csum_start == 34);
  CHECK(h->csum_offset == 16);
  CHECK(h->gso_type == link::vnet::gso_none);
  auto u = link::encode_vnet_header(packet_of(pool, udp_frame(), {.l4_checksum = checksum_state::partial}));
  REQUIRE(u);
  CHECK(u->csum_offset == 6);
}

TEST_CASE("send: verified maps to DATA_VALID, unverified to no flags") {
  proto::buffer_pool pool;
  CHECK(link::encode_vnet_header(packet_of(pool, tcp_frame(), {.l4_checksum = checksum_state::verified}))->flags ==
        link::vnet::f_data_valid);
  CHECK(link::encode_vnet_header(packet_of(pool, tcp_frame()))->flags == 0);
}

TEST_CASE("send: gso tcpv4 fills the GSO type, gso_size and hdr_len") {
  proto::buffer_pool pool;
  auto h = link::encode_vnet_header(packet_of(
      pool, tcp_frame(4000), {.l4_checksum = checksum_state::partial, .gso = gso_type::tcpv4, .gso_size = 1448}));
  REQUIRE(h);
  CHECK(h->gso_type == link::vnet::gso_tcpv4);
  CHECK(h->gso_size == 1448);
  CHECK(h->hdr_len == 54);
}

TEST_CASE("send: refuses offload meta the frame cannot carry") {
  proto::buffer_pool pool;
  auto icmp = ethernet_frame(b_mac, a_mac, proto::ethertype::ipv4,
                             icmp_echo({}, proto::icmp_type::echo_request, 1, 1, {}));
  CHECK(link::encode_vnet_header(packet_of(pool, icmp, {.l4_checksum = checksum_state::partial})).error() ==
        link::link_error::bad_offload);
  CHECK(link::encode_vnet_header(packet_of(pool, tcp_frame(), {.gso = gso_type::tcpv4, .gso_size = 1448})).error() ==
        link::link_error::bad_offload);  // GSO needs a partial checksum
  CHECK(link::encode_vnet_header(packet_of(pool, udp_frame(),
                                           {.l4_checksum = checksum_state::partial, .gso = gso_type::tcpv4,
                                            .gso_size = 1448}))
            .error() == link::link_error::bad_offload);
  CHECK(link::encode_vnet_header(packet_of(pool, tcp_frame(),
                                           {.l4_checksum = checksum_state::partial, .gso = gso_type::tcpv6,
                                            .gso_size = 1448}))
            .error() == link::link_error::bad_offload);
}

TEST_CASE("tx_iovecs sends both slices of a two-slice packet, never flattened") {
  proto::buffer_pool pool;
  auto f = tcp_frame(200);
  auto freeze = [&](proto::bytes b) {
    auto u = pool.acquire(b.size());
    REQUIRE(u);
    std::copy(b.begin(), b.end(), u->data().begin());
    return std::move(*u).freeze(b.size());
  };
  proto::bytes all{f};
  auto two = proto::packet::join(freeze(all.first(60)), 0, 60, freeze(all.subspan(60)), 0, f.size() - 60,
                                 {.l4_checksum = checksum_state::partial});
  REQUIRE_FALSE(two.contiguous());
  link::vnet_header hdr;
  std::array<iovec, 3> iov{};
  auto n = link::tx_iovecs(two, true, hdr, iov);
  REQUIRE(n);
  CHECK(*n == 3);
  CHECK(iov[0].iov_len == 10);
  CHECK(iov[1].iov_base == two.head().data());
  CHECK(iov[1].iov_len == 60);
  CHECK(iov[2].iov_base == two.tail().data());
  CHECK(iov[2].iov_len == f.size() - 60);
  CHECK(hdr.csum_start == 34);
}

TEST_CASE("tx_iovecs: without vnet headers, partial or GSO frames are refused, plain ones pass") {
  proto::buffer_pool pool;
  link::vnet_header hdr;
  std::array<iovec, 3> iov{};
  auto partial =
      link::tx_iovecs(packet_of(pool, tcp_frame(), {.l4_checksum = checksum_state::partial}), false, hdr, iov);
  CHECK(partial.error() == link::link_error::bad_offload);
  auto plain = link::tx_iovecs(packet_of(pool, tcp_frame()), false, hdr, iov);
  REQUIRE(plain);
  CHECK(*plain == 1);
  CHECK(link::tx_iovecs(packet_of(pool, byte_vector(10, 0)), true, hdr, iov).error() == link::link_error::runt);
}

namespace {
// Ethernet + IPv6 (no extension headers) + a 20-byte TCP header + payload.
byte_vector tcp6_frame(std::size_t payload) {
  proto::ipv6_repr ip6;
  ip6.src = *proto::ipv6_address::parse("fd00::1");
  ip6.dst = *proto::ipv6_address::parse("fd00::2");
  ip6.next_header = proto::ip_protocol::tcp;
  ip6.payload_length = static_cast<std::uint16_t>(20 + payload);
  byte_vector l3(40 + 20 + payload);
  ip6.emit(l3);
  l3[40 + proto::tcp_field::offset] = 5 << 4;  // data offset: 20 bytes
  return ethernet_frame(b_mac, a_mac, proto::ethertype::ipv6, l3);
}
}  // namespace

TEST_CASE("IPv6: NEEDS_CSUM after the 40-byte header and GSO TCPv6 map both ways") {
  auto f = tcp6_frame(3000);
  auto loc = link::locate_l4(f);
  REQUIRE(loc);
  CHECK(loc->ipv6);
  CHECK(loc->l4_offset == 54);  // 14 + 40
  vnet_header h = needs_csum(54, 16);
  h.gso_type = link::vnet::gso_tcpv6;
  h.gso_size = 1428;
  auto r = link::decode_vnet_header(h, f, f.size());
  REQUIRE(r);
  CHECK(r->meta.gso == gso_type::tcpv6);
  CHECK(r->meta.l4_checksum == checksum_state::partial);
  h.gso_type = link::vnet::gso_tcpv4;  // the wrong IP version
  CHECK(link::decode_vnet_header(h, f, f.size()).error() == link::link_error::bad_vnet_header);

  proto::buffer_pool pool;
  auto e = link::encode_vnet_header(
      packet_of(pool, f, {.l4_checksum = checksum_state::partial, .gso = gso_type::tcpv6, .gso_size = 1428}));
  REQUIRE(e);
  CHECK(e->gso_type == link::vnet::gso_tcpv6);
  CHECK(e->csum_start == 54);
  CHECK(e->hdr_len == 74);
}

TEST_CASE("every counter has a name, errors by their table names") {
  link::link_counters c;
  c.count(link::link_error::bad_vnet_header, 3);
  std::size_t names = 0;
  std::uint64_t bad = 0;
  link::for_each_counter(c, [&](std::string_view name, std::uint64_t v) {
    ++names;
    if (name == "bad_vnet_header") bad = v;
  });
  CHECK(names == 9 + link::link_error_count);
  CHECK(bad == 3);
  CHECK(link::to_string(link::link_error::pool_exhausted) == "buffer_pool_exhausted");
}
