// bench/nat_bench.cpp — NAT engine speed with 100k live mappings: translating an
// established flow (one hot flow, and spread over the table), creating mappings (normal
// and with 99 % of the ports taken), expiry, and memory per mapping.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "nat/nat_engine.hpp"
#include "protocol/buffer.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/packet.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace {
using namespace aw::proto;
using namespace aw::nat;

constexpr ipv4_address external = ipv4_address::from_octets(192, 168, 1, 2);
constexpr ipv4_address remote = ipv4_address::from_octets(198, 51, 100, 1);

ipv4_address client(std::uint32_t i) { return {ipv4_address::from_octets(10, 137, 0, 0).value + i}; }

// An IPv4 + UDP (or TCP ACK) packet with `payload` bytes, checksums correct.
packet make(buffer_pool& pool, bool tcp, ipv4_address src, std::uint16_t sport, ipv4_address dst,
            std::uint16_t dport, std::size_t payload = 64) {
  std::vector<std::uint8_t> b(20 + (tcp ? 20 : 8) + payload, 0x42);
  ipv4_repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.protocol = tcp ? ip_protocol::tcp : ip_protocol::udp;
  ip.payload_length = static_cast<std::uint16_t>(b.size() - 20);
  ip.dont_fragment = true;
  ip.emit(b);
  if (tcp) {
    tcp_repr t;
    t.src_port = sport;
    t.dst_port = dport;
    t.flags = tcp_flag::ack;
    t.window = 65535;
    t.emit(mutable_bytes{b}.subspan(20), src, dst);
  } else {
    udp_repr{sport, dport}.emit(mutable_bytes{b}.subspan(20), src, dst);
  }
  return *make_packet(pool, b);
}

nat_config big_config() {
  nat_config c;
  c.external_address = external;
  c.max_sessions = 131072;
  c.max_mappings = 131072;
  c.max_mappings_per_client = 65536;
  c.seed = 1;
  return c;
}

constexpr std::uint32_t live_mappings = 100000;
constexpr std::uint32_t per_client = 1000;  // 500 UDP + 500 TCP

// 100k live mappings (one session each): clients 0..99, ports 20000+.
struct loaded {
  std::unique_ptr<nat_engine> engine = std::make_unique<nat_engine>(big_config());
  buffer_pool pool;
  clock_time now{std::chrono::hours{1}};
  loaded() {
    for (std::uint32_t i = 0; i < live_mappings; ++i) {
      const bool tcp = (i % per_client) >= per_client / 2;
      auto p = make(pool, tcp, client(i / per_client), static_cast<std::uint16_t>(20000 + i % per_client), remote, 443);
      if (!engine->outbound_new(p, now, pool)) std::abort();
    }
    if (engine->mapping_count() != live_mappings) std::abort();
  }
};

loaded& shared_table() {
  static loaded l;
  return l;
}

void BM_translate_established_hot(benchmark::State& state) {
  loaded& l = shared_table();
  auto p = make(l.pool, false, client(42), 20007, remote, 443);
  for (auto _ : state) {
    auto t = l.engine->outbound(p, l.now, l.pool);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["live_mappings"] = static_cast<double>(l.engine->mapping_count());
}
BENCHMARK(BM_translate_established_hot);

// Round robin over 8192 flows spread over the whole table (cache misses included).
void BM_translate_established_spread(benchmark::State& state) {
  loaded& l = shared_table();
  const bool inbound = state.range(0) != 0;
  // The inputs stay alive; small blocks keep them as compact as freshly received packets.
  static buffer_pool inputs{buffer_pool_config{192, 65536 + 512, 16384, 4}};
  std::vector<packet> ps;
  std::mt19937 rng{7};
  for (int i = 0; i < 8192; ++i) {
    auto k = static_cast<std::uint32_t>(rng() % live_mappings);
    const bool tcp = (k % per_client) >= per_client / 2;
    auto c = client(k / per_client);
    auto port = static_cast<std::uint16_t>(20000 + k % per_client);
    if (inbound) {
      auto ext = l.engine->external_port(tcp ? nat_protocol::tcp : nat_protocol::udp, c, port);
      ps.push_back(make(inputs, tcp, remote, 443, external, *ext));
    } else {
      ps.push_back(make(inputs, tcp, c, port, remote, 443));
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto t = inbound ? l.engine->inbound(ps[i], l.now, l.pool) : l.engine->outbound(ps[i], l.now, l.pool);
    if (!t) state.SkipWithError("translation failed");
    benchmark::DoNotOptimize(t);
    i = (i + 1) & 8191;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_translate_established_spread)->ArgName("inbound")->Arg(0)->Arg(1);

// New mapping + session + translation, on top of 100k live mappings. Every
// 4096 creations the new clients are removed (untimed) to start over.
void BM_create_mapping(benchmark::State& state) {
  loaded& l = shared_table();
  constexpr std::uint32_t ring = 4096;
  std::vector<packet> ps;
  for (std::uint32_t i = 0; i < ring; ++i)
    ps.push_back(make(l.pool, i % 2 == 0, client(1000 + i / 512), static_cast<std::uint16_t>(30000 + i % 512), remote, 80));
  std::uint32_t i = 0;
  for (auto _ : state) {
    auto t = l.engine->outbound_new(ps[i], l.now, l.pool);
    if (!t) state.SkipWithError("creation failed");
    benchmark::DoNotOptimize(t);
    if (++i == ring) {
      state.PauseTiming();
      for (std::uint32_t c = 0; c < ring / 512; ++c) l.engine->remove_client(client(1000 + c));
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["live_mappings"] = static_cast<double>(l.engine->mapping_count());
}
BENCHMARK(BM_create_mapping);

// Creation when 99 % of the UDP ports (of the 1024-65535 class) are taken.
void BM_create_mapping_99pct_taken(benchmark::State& state) {
  auto c = big_config();
  nat_engine e{c};
  buffer_pool pool;
  clock_time now{std::chrono::hours{1}};
  const std::uint32_t taken = 64512 * 99 / 100;
  for (std::uint32_t i = 0; i < taken; ++i) {
    auto p = make(pool, false, client(i / 1000), static_cast<std::uint16_t>(20000 + i % 1000), remote, 53);
    if (!e.outbound_new(p, now, pool)) std::abort();
  }
  constexpr std::uint32_t ring = 256;
  std::vector<packet> ps;
  for (std::uint32_t i = 0; i < ring; ++i)
    ps.push_back(make(pool, false, client(2000), static_cast<std::uint16_t>(30000 + i), remote, 53));
  std::uint32_t i = 0;
  for (auto _ : state) {
    auto t = e.outbound_new(ps[i], now, pool);
    if (!t) state.SkipWithError("creation failed");
    benchmark::DoNotOptimize(t);
    if (++i == ring) {
      state.PauseTiming();
      e.remove_client(client(2000));
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["udp_ports_free_min"] = static_cast<double>(64512 - taken - ring);
}
BENCHMARK(BM_create_mapping_99pct_taken);

// Expiry: the cost per expired session with 100k sessions, all due at once.
void BM_expire(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto l = std::make_unique<loaded>();
    state.ResumeTiming();
    auto n = l->engine->expire(l->now + std::chrono::hours{3});
    benchmark::DoNotOptimize(n);
    state.PauseTiming();
    l.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * live_mappings);
}
BENCHMARK(BM_expire)->Iterations(3)->Unit(benchmark::kMillisecond);

// Inbound from an address the mapping never contacted (a spoofed or unsolicited source)
// to a mapping with `state.range(0)` sessions (to as many addresses, or all to one address's
// ports): filtered, at a cost that must not grow with the sessions (address-dependent
// filtering looks the (mapping, remote) pair up).
void BM_inbound_filtered_busy_mapping(benchmark::State& state) {
  nat_engine engine{big_config()};
  buffer_pool pool;
  clock_time now{std::chrono::hours{1}};
  const auto sessions = static_cast<std::uint32_t>(state.range(0));
  const bool one_remote = state.range(1) != 0;  // all to one address (its ports), or to as many addresses
  std::uint16_t ext = 0;
  for (std::uint32_t i = 0; i < sessions; ++i) {
    auto to = one_remote ? ipv4_address::from_octets(198, 18, 0, 1) : ipv4_address{ipv4_address::from_octets(198, 18, 0, 0).value + i};
    auto p = make(pool, false, client(0), 6881, to, static_cast<std::uint16_t>(one_remote ? 1 + i : 6881));
    auto t = engine.outbound_new(p, now, pool);
    if (!t) std::abort();
    auto u = udp_view::make(t->pkt.head().subspan(20));
    if (!u) std::abort();
    ext = u->src_port();
  }
  auto spoofed = make(pool, false, ipv4_address::from_octets(203, 0, 113, 66), 6881, external, ext);
  for (auto _ : state) {
    auto r = engine.inbound(spoofed, now, pool);
    if (r) std::abort();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_inbound_filtered_busy_mapping)
    ->ArgNames({"sessions", "one_remote"})
    ->Args({1, 0})->Args({1000, 0})->Args({60000, 0})->Args({60000, 1});

// Memory: all tables are allocated at construction, sized by the bounds.
void BM_memory_per_mapping(benchmark::State& state) {
  nat_config small = big_config();
  small.max_sessions = small.max_mappings = 1;
  nat_engine base{small};
  nat_engine& full = *shared_table().engine;
  const double fixed = static_cast<double>(base.memory_bytes());
  const double per = (static_cast<double>(full.memory_bytes()) - fixed) / full.config().max_mappings;
  for (auto _ : state) benchmark::DoNotOptimize(per);
  state.counters["fixed_bytes"] = fixed;
  state.counters["bytes_per_mapping_slot"] = per;
  state.counters["total_bytes_131072_slots"] = static_cast<double>(full.memory_bytes());
  state.counters["bytes_per_live_mapping_100k"] =
      static_cast<double>(full.memory_bytes()) / static_cast<double>(full.mapping_count());
}
BENCHMARK(BM_memory_per_mapping)->Iterations(1);

}  // namespace
