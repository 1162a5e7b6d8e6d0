// bench/protocol_bench.cpp — packet-core speed: parsing, full checksum, NAT-style rewrite.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/checksum.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/packet.hpp"
#include "protocol/rewrite.hpp"
#include "protocol/tcp.hpp"

namespace {
using namespace aw::proto;

// An Ethernet + IPv4 + TCP frame with `payload` bytes, checksums correct.
std::vector<std::uint8_t> tcp_frame(std::size_t payload) {
  std::vector<std::uint8_t> f(14 + 20 + 20 + payload);
  ethernet_repr{mac_address{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}}, mac_address{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}},
                ethertype::ipv4, std::nullopt}
      .emit(f);
  for (std::size_t i = 0; i < payload; ++i) f[54 + i] = static_cast<std::uint8_t>(i * 7);
  ipv4_repr ip;
  ip.src = ipv4_address::from_octets(10, 137, 0, 5);
  ip.dst = ipv4_address::from_octets(192, 0, 2, 10);
  ip.protocol = ip_protocol::tcp;
  ip.payload_length = static_cast<std::uint16_t>(20 + payload);
  ip.dont_fragment = true;
  ip.emit(mutable_bytes{f}.subspan(14, 20));
  tcp_repr t;
  t.src_port = 40000;
  t.dst_port = 443;
  t.seq = 1;
  t.ack = 2;
  t.flags = tcp_flag::ack | tcp_flag::psh;
  t.window = 65535;
  t.emit(mutable_bytes{f}.subspan(34), ip.src, ip.dst);
  return f;
}

void BM_parse_ethernet_ipv4_tcp(benchmark::State& state) {
  auto frame = tcp_frame(64);
  for (auto _ : state) {
    auto eth = ethernet_view::make(frame);
    auto ip = ipv4_view::make(eth->payload());
    auto tcp = tcp_view::make(ip->payload());
    benchmark::DoNotOptimize(tcp->dst_port());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_parse_ethernet_ipv4_tcp);

void BM_checksum_full(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)));
  std::mt19937 rng{1};
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (auto _ : state) {
    benchmark::DoNotOptimize(checksum::sum(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_checksum_full)->Arg(1500)->Arg(65536);

// The NAT data path: a new packet with a fresh IP+TCP header (source address
// and port rewritten, TTL decremented, checksums updated incrementally), the
// payload shared.
void BM_rewrite_nat_header(benchmark::State& state) {
  auto frame = tcp_frame(static_cast<std::size_t>(state.range(0)));
  buffer_pool pool;
  auto in = make_packet(pool, bytes{frame}.subspan(14));
  ipv4_rewrite r;
  r.src = ipv4_address::from_octets(192, 168, 1, 2);
  r.src_port = 61000;
  r.decrement_ttl = true;
  for (auto _ : state) {
    auto out = rewrite_ipv4(*in, r, pool);
    benchmark::DoNotOptimize(out->head().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rewrite_nat_header)->Arg(64)->Arg(1460);

}  // namespace

namespace {
// The pool alone: one acquire, freeze and release per iteration.
void BM_pool_acquire_release(benchmark::State& state) {
  aw::proto::buffer_pool pool;
  for (auto _ : state) {
    auto b = pool.acquire(64);
    auto s = std::move(*b).freeze(64);
    benchmark::DoNotOptimize(s.data().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pool_acquire_release);
}  // namespace
