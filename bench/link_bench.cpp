// bench/link_bench.cpp — frames/s through the kernel's links: a TAP written by actorwall and
// read back by an AF_PACKET link on the same device inside a namespace (and the reverse),
// and TCP throughput between two namespaces relayed through two TAPs. Needs root.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "link/netns.hpp"
#include "link/packet_link.hpp"
#include "link/tap_link.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/packet.hpp"
#include "protocol/udp.hpp"

namespace {
using namespace aw;

std::string bench_ns_name(const char* tag) { return "aw-bench-" + std::to_string(::getpid()) + "-" + tag; }

// A UDP frame with `payload` bytes from 10.200.9.2 to 10.200.9.1 (full checksums).
std::vector<std::uint8_t> udp_frame(std::size_t payload) {
  std::vector<std::uint8_t> f(14 + 20 + 8 + payload);
  proto::ethernet_repr{proto::mac_address::broadcast(), proto::mac_address{{2, 0, 0, 0xc8, 9, 2}},
                       proto::ethertype::ipv4, std::nullopt}
      .emit(f);
  proto::ipv4_repr ip;
  ip.src = proto::ipv4_address::from_octets(10, 200, 9, 2);
  ip.dst = proto::ipv4_address::from_octets(10, 200, 9, 1);
  ip.protocol = proto::ip_protocol::udp;
  ip.payload_length = static_cast<std::uint16_t>(8 + payload);
  ip.emit(proto::mutable_bytes{f}.subspan(14));
  proto::udp_repr{40000, 9}.emit(proto::mutable_bytes{f}.subspan(34), ip.src, ip.dst);
  return f;
}

// A namespace holding a TAP (as eth0, up, no address: frames stop at the
// stack) and an AF_PACKET link on that eth0.
struct tap_and_packet {
  std::optional<link::netns> ns;
  std::unique_ptr<link::tap_link> tap;
  std::unique_ptr<link::packet_link> packet;

  bool open(benchmark::State& state) {
    auto n = link::netns::create(bench_ns_name("tp"));
    if (!n) return state.SkipWithError(n.error().what.c_str()), false;
    ns.emplace(std::move(*n));
    auto t = link::tap_link::open({});
    if (!t) return state.SkipWithError(t.error().what.c_str()), false;
    tap = std::move(*t);
    if (auto e = link::move_link_to_netns(tap->ifindex(), ns->fd(), "eth0"))
      return state.SkipWithError(e->what.c_str()), false;
    if (auto e = ns->set_up("eth0")) return state.SkipWithError(e->what.c_str()), false;
    auto p = ns->run([] { return link::packet_link::open({.interface = "eth0", .socket_buffer = 4 << 20}); });
    if (!p || !*p) return state.SkipWithError("AF_PACKET open failed"), false;
    packet = std::move(**p);
    return true;
  }
};

bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 1000) > 0;
}

// Writes `batch` frames into `from`, reads them all back from `to`.
void pump(benchmark::State& state, link::link& from, link::link& to) {
  const auto payload = static_cast<std::size_t>(state.range(0));
  const std::size_t batch = 32;
  proto::buffer_pool pool;
  auto frame = udp_frame(payload);
  std::vector<proto::packet> out(batch, *proto::make_packet(pool, frame));
  std::vector<proto::packet> in;
  in.reserve(256);
  std::size_t frames = 0, lost = 0;
  for (auto _ : state) {
    std::size_t sent = 0;
    while (sent < batch) sent += from.send(std::span{out}.subspan(sent));
    std::size_t got = 0;
    while (got < batch) {
      in.clear();
      std::size_t n = to.receive(in, 256, pool);
      if (n == 0 && !wait_readable(to.fd())) {
        lost += batch - got;  // dropped by the kernel: give up on this batch
        break;
      }
      got += n;
    }
    frames += got;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
  state.SetBytesProcessed(static_cast<std::int64_t>(frames * frame.size()));
  state.counters["lost"] = static_cast<double>(lost);
}

void BM_tap_write_to_af_packet(benchmark::State& state) {
  tap_and_packet lab;
  if (!lab.open(state)) return;
  pump(state, *lab.tap, *lab.packet);
}
BENCHMARK(BM_tap_write_to_af_packet)->Arg(64)->Arg(1458)->UseRealTime();

void BM_af_packet_send_to_tap(benchmark::State& state) {
  tap_and_packet lab;
  if (!lab.open(state)) return;
  pump(state, *lab.packet, *lab.tap);
}
BENCHMARK(BM_af_packet_send_to_tap)->Arg(64)->Arg(1458)->UseRealTime();

// Streams TCP from namespace a to 10.200.9.2:5201 in namespace b, 16 MiB
// per iteration, and reports the rate.
void measure_tcp(benchmark::State& state, const link::netns& na, const link::netns& nb) {
  auto listener = nb.run([] { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
  auto client = na.run([] { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(5201);
  server.sin_addr.s_addr = htonl(proto::ipv4_address::from_octets(10, 200, 9, 2).value);
  link::unique_fd lfd{*listener}, cfd{*client};
  const timeval timeout{5, 0};
  ::setsockopt(lfd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(cfd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  ::bind(lfd.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server);
  ::listen(lfd.get(), 1);
  std::atomic<bool> done{false};
  std::thread sender([&] {
    if (::connect(cfd.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) return;
    std::vector<std::uint8_t> chunk(1 << 20, 0x5a);
    while (!done && ::send(cfd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
    }
  });
  link::unique_fd conn{::accept(lfd.get(), nullptr, nullptr)};
  std::vector<std::uint8_t> buf(1 << 20);
  std::size_t bytes = 0;
  if (!conn) state.SkipWithError("TCP connection failed");
  for (auto _ : state) {
    for (std::size_t got = 0; conn && got < (16u << 20);) {
      const ssize_t n = ::recv(conn.get(), buf.data(), buf.size(), 0);
      if (n <= 0) {
        state.SkipWithError("recv failed");
        break;
      }
      got += static_cast<std::size_t>(n);
      bytes += static_cast<std::size_t>(n);
    }
  }
  done = true;
  ::shutdown(cfd.get(), SHUT_RDWR);
  conn.reset();
  sender.join();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["Gbit/s"] = benchmark::Counter(static_cast<double>(bytes) * 8 / 1e9, benchmark::Counter::kIsRate);
}

// TCP from namespace a to namespace b, every frame relayed by a thread
// through two TAPs (with checksum offload and GSO): the link layer's share
// of the lab's data path, without firewall or NAT.
void BM_tcp_through_tap_relay(benchmark::State& state) {
  auto na = link::netns::create(bench_ns_name("ra"));
  auto nb = link::netns::create(bench_ns_name("rb"));
  if (!na || !nb) return state.SkipWithError("cannot create namespaces (root needed)");
  const bool gso = state.range(0) != 0;
  const link::tap_config config{.name = {}, .checksum_offload = gso, .gso = gso};
  std::unique_ptr<link::tap_link> taps[2];
  const char* cidr[2] = {"10.200.9.1/24", "10.200.9.2/24"};
  link::netns* nss[2] = {&*na, &*nb};
  for (int i = 0; i < 2; ++i) {
    auto t = link::tap_link::open(config);
    if (!t) return state.SkipWithError(t.error().what.c_str());
    taps[i] = std::move(*t);
    if (link::move_link_to_netns(taps[i]->ifindex(), nss[i]->fd(), "eth0") || nss[i]->set_up("eth0") ||
        nss[i]->add_address("eth0", cidr[i]))
      return state.SkipWithError("namespace set-up failed");
  }
  std::atomic<bool> stop{false};
  std::thread wire([&] {
    proto::buffer_pool pool;
    std::vector<proto::packet> frames;
    while (!stop) {
      pollfd fds[2] = {{taps[0]->fd(), POLLIN, 0}, {taps[1]->fd(), POLLIN, 0}};
      if (::poll(fds, 2, 20) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        frames.clear();
        taps[i]->receive(frames, 64, pool);
        taps[1 - i]->send(frames);
      }
    }
  });
  measure_tcp(state, *na, *nb);
  stop = true;
  wire.join();
}
BENCHMARK(BM_tcp_through_tap_relay)->Arg(1)->Arg(0)->ArgName("offload")->UseRealTime()->Unit(benchmark::kMillisecond);

// The reference: the same two namespaces joined by a veth pair, the kernel
// alone on the path (no userspace hop).
void BM_tcp_through_kernel_veth(benchmark::State& state) {
  auto na = link::netns::create(bench_ns_name("va"));
  auto nb = link::netns::create(bench_ns_name("vb"));
  if (!na || !nb) return state.SkipWithError("cannot create namespaces (root needed)");
  if (na->ip({"link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nb->name()}) ||
      na->set_up("eth0") || nb->set_up("eth0") || na->add_address("eth0", "10.200.9.1/24") ||
      nb->add_address("eth0", "10.200.9.2/24"))
    return state.SkipWithError("veth set-up failed");
  measure_tcp(state, *na, *nb);
}
BENCHMARK(BM_tcp_through_kernel_veth)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
