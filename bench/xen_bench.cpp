// bench/xen_bench.cpp — frames/s and bytes/s through the netback data path over the simulated
// hypervisor, fed by the project's netfront: tx (frontend → backend) and rx (backend →
// frontend), 64-byte frames and 64 KiB GSO super-packets. The simulated grant copy is a
// memcpy under one lock, so these figures measure our ring and copy handling, not Xen's
// hypercall cost (see docs/performance.md).
#include <benchmark/benchmark.h>

#include <vector>

#include "support/ring_keys.hpp"
#include "xen/netback/connection.hpp"
#include "xen/netfront/connection.hpp"
#include "xen/sim/hypervisor.hpp"

namespace {
using namespace aw;
using namespace aw::xen;
constexpr domid back_dom = 1, front_dom = 5;

struct link_pair {
  std::shared_ptr<sim::hypervisor> hv = sim::hypervisor::create();
  std::unique_ptr<netfront::connection> front;
  std::unique_ptr<netback::connection> back;
  proto::buffer_pool front_pool, back_pool;
  link_pair() {
    (void)hv->add_domain(back_dom);
    (void)hv->add_domain(front_dom);
    front = netfront::connection::create(hv->open_grant_sharer(front_dom).value(),
                                         hv->open_event_channels(front_dom).value(), back_dom)
                .value();
    front->connect({true, true, true, true});
    back = netback::connection::connect(hv->open_grant_mapper(back_dom).value(),
                                        hv->open_event_channels(back_dom).value(),
                                        test::netback_keys_of(*front, front_dom))
               .value();
  }
};

std::vector<proto::packet> frames(proto::buffer_pool& pool, std::size_t n, std::size_t size, proto::packet_meta meta = {}) {
  std::vector<std::uint8_t> bytes(size, 0x5a);
  std::vector<proto::packet> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(proto::make_packet(pool, bytes, meta).value());
  return out;
}

void tx(benchmark::State& state, std::size_t size, std::size_t batch, proto::packet_meta meta) {
  link_pair l;
  auto batch_frames = frames(l.front_pool, batch, size, meta);
  std::vector<proto::packet> got;
  std::size_t delivered = 0;
  for (auto _ : state) {
    l.front->send(batch_frames);
    got.clear();
    l.back->receive(got, batch, l.back_pool);
    delivered += got.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered * size));
}

void rx(benchmark::State& state, std::size_t size, std::size_t batch, proto::packet_meta meta) {
  link_pair l;
  auto batch_frames = frames(l.back_pool, batch, size, meta);
  std::vector<proto::packet> got;
  std::size_t delivered = 0;
  for (auto _ : state) {
    l.back->send(batch_frames);
    got.clear();
    l.front->receive(got, batch, l.front_pool);
    delivered += got.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered * size));
}

const proto::packet_meta gso{0, proto::checksum_state::partial, proto::gso_type::tcpv4, 1448};

void BM_netback_tx_64B(benchmark::State& s) { tx(s, 64, 64, {}); }
void BM_netback_tx_1514B(benchmark::State& s) { tx(s, 1514, 64, {}); }
void BM_netback_tx_gso_64KiB(benchmark::State& s) { tx(s, 65535, 8, gso); }
void BM_netback_rx_64B(benchmark::State& s) { rx(s, 64, 64, {}); }
void BM_netback_rx_gso_64KiB(benchmark::State& s) { rx(s, 65535, 8, gso); }
}  // namespace

BENCHMARK(BM_netback_tx_64B);
BENCHMARK(BM_netback_tx_1514B);
BENCHMARK(BM_netback_tx_gso_64KiB);
BENCHMARK(BM_netback_rx_64B);
BENCHMARK(BM_netback_rx_gso_64KiB);
