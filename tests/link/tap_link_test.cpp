// tests/link/tap_link_test.cpp — TAP links against the kernel's own stack in network
// namespaces: ARP/ICMP by hand, batched receive, TCP with checksum offload and GSO.
#include "link/tap_link.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "link/command.hpp"
#include "link/netns.hpp"
#include "link_lab.hpp"
#include "protocol/checksum.hpp"
#include "protocol/dissect.hpp"
#include "protocol/udp.hpp"
#include "relay.hpp"
#include "responder.hpp"

using namespace aw;
using namespace aw::test;
using proto::checksum_state;
using proto::gso_type;

TEST_CASE("a TAP opens with a kernel-chosen name or a given one, and closing it deletes it") {
  if (!have_kernel_lab()) return;
  auto chosen = link::tap_link::open({});
  REQUIRE_MESSAGE(chosen, (chosen ? "" : chosen.error().what));
  CHECK((*chosen)->name().starts_with("tap"));
  CHECK((*chosen)->ifindex() > 0);
  CHECK((*chosen)->fd() >= 0);
  CHECK((*chosen)->offloads() == link::link_offloads{.partial_checksum = true, .gso = true});

  const std::string name = "awt" + std::to_string(::getpid());
  auto named = link::tap_link::open({.name = name});
  REQUIRE_MESSAGE(named, (named ? "" : named.error().what));
  CHECK((*named)->name() == name);
  CHECK(link::run_command({"ip", "link", "show", "dev", name})->status == 0);
  named->reset();
  CHECK(link::run_command({"ip", "link", "show", "dev", name})->status != 0);
}

TEST_CASE("a TAP moved into a namespace keeps working through its fd and is gone when closed") {
  if (!have_kernel_lab()) return;
  auto ns = make_ns("move");
  auto tap = tap_into(ns, "eth0", "10.200.1.1/24");
  CHECK(ns.ip({"link", "show", "dev", "eth0"}) == std::nullopt);
  CHECK(link::run_command({"ip", "link", "show", "dev", tap->name()})->status != 0);  // no longer here
  tap.reset();
  CHECK(ns.ip({"link", "show", "dev", "eth0"}) != std::nullopt);
}

TEST_CASE("ping from a namespace reaches the TAP as ARP then ICMP, and replies written to it reach the stack") {
  if (!have_kernel_lab()) return;
  auto ns = make_ns("ping");
  auto tap = tap_into(ns, "eth0", "10.200.1.1/24");
  proto::buffer_pool pool;
  responder host{ip("10.200.1.2"), mac("02:00:00:c8:01:02")};

  // A raw ICMP socket inside the namespace plays ping.
  auto sock = socket_in(ns, SOCK_RAW, IPPROTO_ICMP);
  byte_vector echo(8 + 32);
  proto::icmpv4_repr::echo(proto::icmp_type::echo_request, 0x4157, 1, payload_of(32)).emit(echo);
  auto to = sockaddr_of(host.ip, 0);
  REQUIRE(::sendto(sock.get(), echo.data(), echo.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(echo.size()));

  bool replied = false;
  std::vector<proto::packet> frames;
  for (auto deadline = clock::now() + std::chrono::seconds(3); !replied && clock::now() < deadline;) {
    if (readable(tap->fd(), 10)) {
      frames.clear();
      tap->receive(frames, 64, pool);
      host.handle(*tap, pool, frames);
    }
    std::array<std::uint8_t, 256> buf{};
    const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
      auto v = proto::ipv4_view::make(proto::bytes{buf.data(), static_cast<std::size_t>(n)});
      REQUIRE(v);
      auto icmp = proto::icmpv4_view::make(v->payload());
      REQUIRE(icmp);
      replied = icmp->type() == proto::icmp_type::echo_reply && icmp->query_id() == 0x4157 && v->src() == host.ip;
    }
  }
  CHECK(host.arp_requests >= 1);
  CHECK(host.echo_requests == 1);
  CHECK(replied);
  CHECK(tap->counters().tx_frames >= 2);

  // The real ping, when installed, against the same hand-written host.
  auto ping = link::run_command({"ping", "-V"});
  if (!ping || ping->status != 0) {
    MESSAGE("ping not installed: the raw-socket echo above stands in for it");
    return;
  }
  std::atomic<bool> stop{false};
  std::thread serve([&] {
    proto::buffer_pool own_pool;  // acquire is single-threaded: the serving thread has its own
    std::vector<proto::packet> fs;
    while (!stop) {
      if (!readable(tap->fd(), 10)) continue;
      fs.clear();
      tap->receive(fs, 64, own_pool);
      host.handle(*tap, own_pool, fs);
    }
  });
  auto r = link::run_command({"ip", "netns", "exec", ns.name(), "ping", "-c1", "-W1", "10.200.1.2"});
  stop = true;
  serve.join();
  REQUIRE(r);
  CHECK_MESSAGE(r->status == 0, r->output);
}

TEST_CASE("batched receive returns several frames per call, bounded by max") {
  if (!have_kernel_lab()) return;
  auto ns = make_ns("batch");
  auto tap = tap_into(ns, "eth0", "10.200.1.1/24");
  // A permanent neighbour: the stack sends at once, without ARP.
  ok(ns.ip({"neigh", "add", "10.200.1.9", "lladdr", "02:00:00:c8:01:09", "dev", "eth0"}));
  auto sock = socket_in(ns, SOCK_DGRAM, 0);
  auto to = sockaddr_of(ip("10.200.1.9"), 9999);
  constexpr int sent = 20;
  for (int i = 0; i < sent; ++i) {
    auto data = payload_of(100, static_cast<std::uint8_t>(i));
    REQUIRE(::sendto(sock.get(), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
            100);
  }
  REQUIRE(readable(tap->fd(), 1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  proto::buffer_pool pool;
  std::vector<proto::packet> first, rest;
  CHECK(tap->receive(first, 5, pool) == 5);
  const std::size_t n = tap->receive(rest, 64, pool);
  CHECK(n >= sent - 5);
  int udp = 0;
  for (const auto* batch : {&first, &rest})
    for (const auto& f : *batch) {
      auto d = proto::dissect_frame(f.head());
      if (d.udp && d.udp->dst_port == 9999) {
        ++udp;
        CHECK(f.size() == 14 + 20 + 8 + 100);
        CHECK(f.contiguous());  // an MTU frame takes one small buffer
      }
    }
  CHECK(udp == sent);
  CHECK(tap->counters().rx_calls == 2);
  CHECK(tap->receive(rest, 64, pool) == 0);  // drained: EAGAIN is not an error
  for (std::size_t e = 0; e < link::link_error_count; ++e) CHECK(tap->counters().errors[e] == 0);
}

TEST_CASE("a partial-checksum UDP frame written to the TAP is accepted by the namespace's stack") {
  if (!have_kernel_lab()) return;
  auto ns = make_ns("csum");
  auto tap = tap_into(ns, "eth0", "10.200.1.1/24");
  auto sock = socket_in(ns, SOCK_DGRAM, 0);
  auto local = sockaddr_of(ip("10.200.1.1"), 7000);
  REQUIRE(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0);

  proto::buffer_pool pool;
  const ip_params p{.src = ip("10.200.1.2"), .dst = ip("10.200.1.1"), .ttl = 64, .id = 7, .df = true};
  auto frame_with = [&](std::uint16_t field) {
    auto datagram = udp_packet(p, 7001, 7000, payload_of(64));
    proto::store16(datagram.data() + 20 + proto::udp_field::checksum, field);
    return ethernet_frame(tap->device_mac(), mac("02:00:00:c8:01:02"), proto::ethertype::ipv4, datagram);
  };
  // csum_blank: the field holds the pseudo-header sum; the stack trusts it (it would fill it on egress).
  const std::uint16_t pseudo = proto::checksum::pseudo_header_v4(p.src, p.dst, 17, 8 + 64);
  std::array<std::uint8_t, 128> buf{};

  SUBCASE("partial is accepted") {
    CHECK(tap->send(std::vector{packet_of(pool, frame_with(pseudo), {.l4_checksum = checksum_state::partial})}) == 1);
    REQUIRE(readable(sock.get(), 1000));
    CHECK(::recv(sock.get(), buf.data(), buf.size(), 0) == 64);
  }
  SUBCASE("the same bytes as a finished checksum are dropped (the control)") {
    CHECK(tap->send(std::vector{packet_of(pool, frame_with(pseudo))}) == 1);
    CHECK_FALSE(readable(sock.get(), 300));
  }
  SUBCASE("partial on a frame that is not TCP/UDP is refused and counted, not sent") {
    auto icmp = ethernet_frame(tap->device_mac(), mac("02:00:00:c8:01:02"), proto::ethertype::ipv4,
                               icmp_echo(p, proto::icmp_type::echo_request, 1, 1, {}));
    CHECK(tap->send(std::vector{packet_of(pool, icmp, {.l4_checksum = checksum_state::partial})}) == 1);
    CHECK(tap->counters()[link::link_error::bad_offload] == 1);
    CHECK(tap->counters().tx_frames == 0);
  }
}

TEST_CASE("TCP between two namespaces through two TAPs: partial checksums and GSO super-packets pass both ways") {
  if (!have_kernel_lab()) return;
  auto ns_a = make_ns("tcpa");
  auto ns_b = make_ns("tcpb");
  auto tap_a = tap_into(ns_a, "eth0", "10.200.2.1/24");
  auto tap_b = tap_into(ns_b, "eth0", "10.200.2.2/24");
  std::atomic<bool> stop{false};
  relay_stats stats;
  std::thread wire([&] { relay(*tap_a, *tap_b, stop, stats); });
  constexpr std::size_t total = 4 << 20;
  auto r = tcp_transfer(ns_a, ns_b, ip("10.200.2.2"), 5001, total);
  stop = true;
  wire.join();

  CHECK(r.connected);
  CHECK(r.written == total);
  CHECK(r.received == total);
  CHECK(r.mismatches == 0);
  MESSAGE("relayed " << stats.frames << " frames, " << stats.partial << " partial, " << stats.gso_tcpv4
                     << " GSO tcpv4, largest " << stats.largest << " bytes, " << stats.two_slice << " in two slices");
  CHECK(stats.partial > 0);
  CHECK(stats.gso_tcpv4 > 0);
  CHECK(stats.largest > 1514);
  CHECK(stats.two_slice > 0);
  for (const auto* t : {tap_a.get(), tap_b.get()})
    for (std::size_t e = 0; e < link::link_error_count; ++e) CHECK(t->counters().errors[e] == 0);
}

TEST_CASE("without offloads a TAP hands over only finished checksums and MTU-sized frames") {
  if (!have_kernel_lab()) return;
  auto ns_a = make_ns("plaina");
  auto ns_b = make_ns("plainb");
  const link::tap_config plain{.name = {}, .checksum_offload = false, .gso = false};
  auto tap_a = tap_into(ns_a, "eth0", "10.200.2.1/24", plain);
  auto tap_b = tap_into(ns_b, "eth0", "10.200.2.2/24", plain);
  std::atomic<bool> stop{false};
  relay_stats stats;
  std::thread wire([&] { relay(*tap_a, *tap_b, stop, stats); });
  auto r = tcp_transfer(ns_a, ns_b, ip("10.200.2.2"), 5002, 1 << 20);
  stop = true;
  wire.join();
  CHECK(r.received == 1u << 20);
  CHECK(r.mismatches == 0);
  CHECK(stats.partial == 0);
  CHECK(stats.gso_tcpv4 == 0);
  CHECK(stats.largest <= 1514);
  CHECK(stats.two_slice == 0);
}

TEST_CASE("a moved-from namespace handle does not delete the namespace") {
  if (!have_kernel_lab()) return;
  auto ns = make_ns("owner");
  link::netns moved = std::move(ns);
  { link::netns other = std::move(moved); CHECK(other.ip({"link", "show", "lo"}) == std::nullopt); }
  const std::string name = "aw-test-" + std::to_string(::getpid()) + "-owner";
  CHECK(link::run_command({"ip", "netns", "exec", name, "true"})->status != 0);
}

TEST_CASE("deleting the namespace a TAP was moved to ends the link: counted as link_gone, never a crash") {
  if (!have_kernel_lab()) return;
  auto tap = [] {
    auto ns = make_ns("gone");
    return tap_into(ns, "eth0", "10.200.1.1/24");
  }();  // the namespace is deleted here, with the device in it
  proto::buffer_pool pool;
  std::vector<proto::packet> frames;
  // The kernel tears a namespace down asynchronously: wait for the device to go.
  pollfd p{tap->fd(), 0, 0};
  for (auto deadline = clock::now() + std::chrono::seconds(10); clock::now() < deadline;) {
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE_MESSAGE((p.revents & POLLERR) != 0, "the TAP outlived its namespace");
  CHECK_FALSE(tap->gone());  // not known before a read or write says so
  CHECK(tap->receive(frames, 8, pool) == 0);
  CHECK(tap->gone());
  CHECK(frames.empty());
  auto frame = ethernet_frame(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), proto::ethertype::ipv4,
                              udp_packet({}, 1, 2, payload_of(10)));
  CHECK(tap->send(std::vector{packet_of(pool, frame), packet_of(pool, frame)}) == 2);
  CHECK(tap->counters().tx_frames == 0);
  CHECK(tap->counters()[link::link_error::link_gone] >= 2);
}

TEST_CASE("a frame written to a TAP whose interface is not up yet is dropped and counted as link_down, not io_error") {
  if (!have_kernel_lab()) return;
  auto opened = link::tap_link::open({});
  REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().what));
  auto& tap = *opened;
  proto::buffer_pool pool;
  auto frame = ethernet_frame(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), proto::ethertype::ipv4,
                              udp_packet({}, 1, 2, payload_of(10)));
  CHECK(tap->send(std::vector{packet_of(pool, frame)}) == 1);  // taken: dropped, not retried
  CHECK(tap->counters().tx_frames == 0);
  CHECK(tap->counters()[link::link_error::link_down] == 1);
  CHECK(tap->counters()[link::link_error::io_error] == 0);
  CHECK_FALSE(tap->gone());
}
