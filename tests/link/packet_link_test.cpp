// tests/link/packet_link_test.cpp — AF_PACKET links on a veth end inside a namespace: frames
// from the peer's stack arrive (batched, with offload state), frames sent reach the peer.
#include "link/packet_link.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "link/netns.hpp"
#include "link_lab.hpp"
#include "protocol/checksum.hpp"
#include "protocol/dissect.hpp"
#include "protocol/udp.hpp"
#include "relay.hpp"

using namespace aw;
using namespace aw::test;
using proto::checksum_state;

namespace {

// A namespace with a veth pair: "aw-up" (actorwall's side, no address) and
// "aw-peer" (10.200.3.1/24, the kernel stack that talks to it).
struct veth_lab {
  link::netns ns;
  std::unique_ptr<link::packet_link> up;

  explicit veth_lab(const std::string& tag, link::packet_link_config config = {}) : ns(make_ns(tag)) {
    ok(ns.ip({"link", "add", "aw-up", "type", "veth", "peer", "name", "aw-peer"}));
    ok(ns.set_up("aw-up"));
    ok(ns.set_up("aw-peer"));
    ok(ns.add_address("aw-peer", "10.200.3.1/24"));
    config.interface = "aw-up";
    auto opened = ns.run([&] { return link::packet_link::open(config); });
    REQUIRE(opened);
    if (!*opened) FAIL("AF_PACKET open: " << opened->error().what);
    up = std::move(**opened);
    // The peer reaches 10.200.3.2 (actorwall) at the up end's MAC without ARP.
    ok(ns.ip({"neigh", "add", "10.200.3.2", "lladdr", up->mac().to_string(), "dev", "aw-peer"}));
  }
};

}  // namespace

TEST_CASE("an AF_PACKET link on a veth end sees the peer's frames, batched, with their offload state") {
  if (!have_kernel_lab()) return;
  veth_lab lab("pkt");
  CHECK(lab.up->ifindex() > 0);
  CHECK(lab.up->has_vnet_header());
  CHECK(lab.up->offloads() == link::link_offloads{.partial_checksum = true, .gso = true});

  auto sock = socket_in(lab.ns, SOCK_DGRAM, 0);
  auto to = sockaddr_of(ip("10.200.3.2"), 9000);
  constexpr int sent = 10;
  for (int i = 0; i < sent; ++i) {
    auto data = payload_of(200, static_cast<std::uint8_t>(i));
    REQUIRE(::sendto(sock.get(), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
            200);
  }
  REQUIRE(readable(lab.up->fd(), 1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  proto::buffer_pool pool;
  std::vector<proto::packet> frames;
  const std::size_t n = lab.up->receive(frames, 64, pool);
  CHECK(n >= 2);  // one call, several frames
  int udp = 0;
  for (const auto& f : frames) {
    auto d = proto::dissect_frame(f.head());
    if (!d.udp || d.udp->dst_port != 9000) continue;
    ++udp;
    CHECK(f.size() == 14 + 20 + 8 + 200);
    CHECK(d.ethernet->dst == lab.up->mac());
    // The peer's stack left the UDP sum to "hardware": veth passes it on as partial.
    CHECK(f.meta().l4_checksum == checksum_state::partial);
  }
  // The rest, if the first call did not take them all.
  frames.clear();
  lab.up->receive(frames, 64, pool);
  for (const auto& f : frames) {
    auto d = proto::dissect_frame(f.head());
    if (d.udp && d.udp->dst_port == 9000) ++udp;
  }
  CHECK(udp == sent);
  for (std::size_t e = 0; e < link::link_error_count; ++e) CHECK(lab.up->counters().errors[e] == 0);
}

TEST_CASE("an AF_PACKET link sends frames the peer's stack receives, and does not see them itself") {
  if (!have_kernel_lab()) return;
  veth_lab lab("pktsend");
  auto sock = socket_in(lab.ns, SOCK_DGRAM, 0);
  auto local = sockaddr_of(ip("10.200.3.1"), 7000);
  REQUIRE(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0);

  proto::buffer_pool pool;
  auto peer_mac = lab.ns.run([] { return link::packet_link::open({.interface = "aw-peer"}); });
  REQUIRE(peer_mac);
  REQUIRE(*peer_mac);
  const proto::mac_address dst = (**peer_mac)->mac();
  peer_mac->value().reset();

  const ip_params p{.src = ip("10.200.3.2"), .dst = ip("10.200.3.1"), .ttl = 64, .id = 9, .df = true};
  auto full = udp_packet(p, 7001, 7000, payload_of(300));
  auto partial = full;
  proto::store16(partial.data() + 20 + proto::udp_field::checksum,
                 proto::checksum::pseudo_header_v4(p.src, p.dst, 17, 8 + 300));
  const proto::mac_address src = lab.up->mac();
  std::vector<proto::packet> out{
      packet_of(pool, ethernet_frame(dst, src, proto::ethertype::ipv4, full)),
      packet_of(pool, ethernet_frame(dst, src, proto::ethertype::ipv4, partial),
                {.l4_checksum = checksum_state::partial}),
  };
  CHECK(lab.up->send(out) == 2);
  CHECK(lab.up->counters().tx_frames == 2);

  std::array<std::uint8_t, 512> buf{};
  for (int i = 0; i < 2; ++i) {
    REQUIRE(readable(sock.get(), 1000));
    CHECK(::recv(sock.get(), buf.data(), buf.size(), 0) == 300);
  }
  // PACKET_IGNORE_OUTGOING: our own frames do not come back.
  std::vector<proto::packet> frames;
  lab.up->receive(frames, 64, pool);
  for (const auto& f : frames) CHECK(proto::dissect_frame(f.head()).ipv4->src != p.src);
}

TEST_CASE("an AF_PACKET link without vnet headers refuses partial frames and receives finished ones") {
  if (!have_kernel_lab()) return;
  veth_lab lab("pktplain", {.interface = {}, .vnet_header = false, .large_frames = false});
  CHECK_FALSE(lab.up->has_vnet_header());
  CHECK(lab.up->offloads() == link::link_offloads{});
  proto::buffer_pool pool;
  auto tcp = ethernet_frame(mac("02:00:00:00:00:01"), lab.up->mac(), proto::ethertype::ipv4,
                            tcp_packet({}, 1, 2, proto::tcp_flag::syn, {}));
  CHECK(lab.up->send(std::vector{packet_of(pool, tcp, {.l4_checksum = checksum_state::partial})}) == 1);
  CHECK(lab.up->counters()[link::link_error::bad_offload] == 1);

  auto sock = socket_in(lab.ns, SOCK_DGRAM, 0);
  auto to = sockaddr_of(ip("10.200.3.2"), 9000);
  auto data = payload_of(50);
  REQUIRE(::sendto(sock.get(), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 50);
  REQUIRE(readable(lab.up->fd(), 1000));
  std::vector<proto::packet> frames;
  REQUIRE(lab.up->receive(frames, 8, pool) >= 1);
  auto d = proto::dissect_frame(frames[0].head());
  REQUIRE(d.udp);
  CHECK(frames[0].meta().l4_checksum == checksum_state::unverified);
}

TEST_CASE("TCP between two namespaces through two AF_PACKET links: GRO/GSO super-packets pass both ways") {
  if (!have_kernel_lab()) return;
  // Each namespace's stack sits on a veth whose other end is an AF_PACKET link.
  auto ns_a = make_ns("gsoa");
  auto ns_b = make_ns("gsob");
  auto wire_end = [](const link::netns& ns, const std::string& cidr) {
    ok(ns.ip({"link", "add", "aw-up", "type", "veth", "peer", "name", "eth0"}));
    ok(ns.set_up("aw-up"));
    ok(ns.set_up("eth0"));
    ok(ns.add_address("eth0", cidr));
    auto opened = ns.run([] { return link::packet_link::open({.interface = "aw-up"}); });
    REQUIRE(opened);
    if (!*opened) FAIL("AF_PACKET open: " << opened->error().what);
    return std::move(**opened);
  };
  auto a = wire_end(ns_a, "10.200.4.1/24");
  auto b = wire_end(ns_b, "10.200.4.2/24");
  std::atomic<bool> stop{false};
  relay_stats stats;
  std::thread wire([&] { relay(*a, *b, stop, stats); });
  constexpr std::size_t total = 4 << 20;
  auto r = tcp_transfer(ns_a, ns_b, ip("10.200.4.2"), 5003, total);
  stop = true;
  wire.join();
  CHECK(r.received == total);
  CHECK(r.mismatches == 0);
  MESSAGE("relayed " << stats.frames << " frames, " << stats.partial << " partial, " << stats.gso_tcpv4
                     << " GSO tcpv4, largest " << stats.largest << " bytes");
  CHECK(stats.partial > 0);
  CHECK(stats.gso_tcpv4 > 0);
  CHECK(stats.largest > 1514);
  for (const auto* l : {a.get(), b.get()})
    for (std::size_t e = 0; e < link::link_error_count; ++e) CHECK(l->counters().errors[e] == 0);
}
