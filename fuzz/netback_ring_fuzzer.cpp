// fuzz/netback_ring_fuzzer.cpp — a hostile frontend's ring pages: the input becomes the shared
// tx ring page (indices and slots), then the rx ring page, then the contents of its buffer
// pages; the netback drains and delivers over the simulated hypervisor. Every consumed tx slot
// must be answered, no more than the ring holds; nothing may touch memory it does not own.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "xen/netback/connection.hpp"
#include "xen/sim/hypervisor.hpp"

namespace {
using namespace aw::xen;

void require(bool ok) {
  if (!ok) std::abort();
}

constexpr domid back_dom = 1, front_dom = 5;
constexpr std::size_t buffer_pages = 8;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto hv = sim::hypervisor::create();
  (void)hv->add_domain(back_dom);
  (void)hv->add_domain(front_dom);
  auto sharer = hv->open_grant_sharer(front_dom).value();
  auto events = hv->open_event_channels(front_dom).value();
  auto rings = sharer->share(back_dom, 2, true).value();
  auto buffers = sharer->share(back_dom, buffer_pages, true).value();
  // The input, page by page: tx ring, rx ring, buffers (what it does not cover stays zero).
  std::span<const std::uint8_t> in(data, size);
  for (std::size_t p = 0; p < 2 + buffer_pages && !in.empty(); ++p) {
    auto dst = p < 2 ? rings.page(p) : buffers.page(p - 2);
    const std::size_t n = std::min(in.size(), dst.size());
    std::memcpy(dst.data(), in.data(), n);
    in = in.subspan(n);
  }
  const std::uint32_t tx_rsp_before = netif::ring_view::make(rings.page(0), netif::tx_slot_size)->rsp_prod();
  // A frontend may post its own ring pages as rx buffers: the frames it is sent then land
  // on its ring (its own doing, as with Linux's netback), and its ring's indices say
  // nothing about ours. The response bound below is checked only when it did not.
  bool rings_posted_as_rx_buffers = false;
  {
    auto rx = netif::ring_view::make(rings.page(1), netif::rx_slot_size).value();
    for (std::uint32_t i = 0; i < netif::rx_ring_size; ++i) {
      const auto gref = netif::read_rx_request(rx.slot(i)).gref;
      rings_posted_as_rx_buffers |= gref == rings.refs()[0] || gref == rings.refs()[1];
    }
  }
  const auto port = events->bind_unbound_port(back_dom).value();
  netback::frontend_keys k;
  k.frontend = front_dom;
  k.tx_ring_ref = rings.refs()[0];
  k.rx_ring_ref = rings.refs()[1];
  k.tx_port = k.rx_port = port;
  k.sg = k.gso_tcpv4 = true;
  netback::connection_config cfg;
  cfg.tx_packets_per_call = 64;
  auto c = netback::connection::connect(hv->open_grant_mapper(back_dom).value(),
                                        hv->open_event_channels(back_dom).value(), k, cfg);
  if (!c) return 0;
  aw::proto::buffer_pool pool;
  std::vector<aw::proto::packet> got;
  for (int round = 0; round < 4 && !(*c)->closed(); ++round) {
    (*c)->receive(got, 64, pool);
    std::vector<std::uint8_t> frame(60 + static_cast<std::size_t>(round) * 3000, 0xab);
    auto p = aw::proto::make_packet(pool, frame).value();
    (void)(*c)->send(std::span(&p, 1));
  }
  for (const auto& p : got) require(p.size() >= 14 && p.size() <= 65535);
  if (!(*c)->closed() && !rings_posted_as_rx_buffers) {
    // Responses never run past the requests the frontend published.
    auto tx = netif::ring_view::make(rings.page(0), netif::tx_slot_size).value();
    require(static_cast<std::uint32_t>(tx.rsp_prod() - tx_rsp_before) <= netif::tx_ring_size);
  }
  (*c)->close();
  require(hv->mappings_held(back_dom) == 0);
  return 0;
}
