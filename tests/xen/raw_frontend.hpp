// tests/xen/raw_frontend.hpp — a frontend whose ring slots the test writes by hand (well-behaved
// or hostile), over the simulated hypervisor, facing a netback connection in domain 1.
#pragma once

#include <poll.h>

#include <cstring>
#include <memory>
#include <vector>

#include "xen/netback/connection.hpp"
#include "xen/netif_ring.hpp"
#include "xen/sim/hypervisor.hpp"

namespace aw::test {

inline constexpr xen::domid netback_dom = 1;

struct sim_machine {
  std::shared_ptr<xen::sim::hypervisor> hv = xen::sim::hypervisor::create();
  explicit sim_machine(std::initializer_list<xen::domid> frontends = {5, 6}) {
    (void)hv->add_domain(xen::dom0);
    (void)hv->add_domain(netback_dom);
    for (auto d : frontends) (void)hv->add_domain(d);
  }
};

struct raw_frontend {
  xen::domid dom;
  std::unique_ptr<xen::grant_sharer> sharer;
  std::unique_ptr<xen::event_channels> events;
  xen::shared_pages tx_page, rx_page, buffers, readonly_buffers;
  xen::evtchn_port port = 0;
  xen::netif::front_ring tx_front, rx_front;

  raw_frontend(xen::sim::hypervisor& hv, xen::domid d, std::size_t buffer_pages = 64, std::uint32_t start_index = 0)
      : dom(d) {
    sharer = hv.open_grant_sharer(d).value();
    events = hv.open_event_channels(d).value();
    tx_page = sharer->share(netback_dom, 1, true).value();
    rx_page = sharer->share(netback_dom, 1, true).value();
    buffers = sharer->share(netback_dom, buffer_pages, true).value();
    readonly_buffers = sharer->share(netback_dom, 2, false).value();
    tx().init();
    rx().init();
    // Free-running indices may start anywhere (a wrap test starts near 2^32).
    for (auto r : {tx(), rx()}) {
      r.set_req_prod(start_index);
      r.set_rsp_prod(start_index);
      r.set_req_event(start_index + 1);
      r.set_rsp_event(start_index + 1);
    }
    tx_front = rx_front = {start_index, start_index};
    port = events->bind_unbound_port(netback_dom).value();
  }

  [[nodiscard]] xen::netback::frontend_keys keys() const {
    xen::netback::frontend_keys k;
    k.frontend = dom;
    k.tx_ring_ref = tx_page.refs()[0];
    k.rx_ring_ref = rx_page.refs()[0];
    k.tx_port = k.rx_port = port;
    k.sg = k.gso_tcpv4 = k.gso_tcpv6 = true;
    return k;
  }
  xen::netif::ring_view tx() { return *xen::netif::ring_view::make(tx_page.page(0), xen::netif::tx_slot_size); }
  xen::netif::ring_view rx() { return *xen::netif::ring_view::make(rx_page.page(0), xen::netif::rx_slot_size); }
  xen::grant_ref ref(std::size_t page) const { return buffers.refs()[page]; }
  std::span<std::uint8_t> page(std::size_t i) { return buffers.page(i); }

  // Tx: one raw slot at a time, published by push_tx().
  void put(const xen::netif::tx_request& r) { xen::netif::write_tx_request(tx().slot(tx_front.req_prod_pvt++), r); }
  void put_extra(const xen::netif::extra_info& e) { xen::netif::write_extra(tx().slot(tx_front.req_prod_pvt++), e); }
  void push_tx(bool notify = true) {
    if (xen::netif::push_requests(tx(), tx_front) && notify) (void)events->notify(port);
  }
  // A well-formed frame from buffer pages starting at `first_page`, split at
  // page boundaries as Linux netfront does.
  void send_frame(std::span<const std::uint8_t> frame, std::size_t first_page, std::uint16_t first_id,
                  std::uint16_t flags = 0, const xen::netif::extra_info* gso = nullptr) {
    std::size_t off = 0, k = 0;
    while (off < frame.size() || k == 0) {
      const std::size_t n = std::min<std::size_t>(xen::page_size, frame.size() - off);
      std::memcpy(page(first_page + k).data(), frame.data() + off, n);
      xen::netif::tx_request r;
      r.gref = ref(first_page + k);
      r.offset = 0;
      r.id = static_cast<std::uint16_t>(first_id + k);
      r.size = static_cast<std::uint16_t>(k == 0 ? frame.size() : n);
      r.flags = static_cast<std::uint16_t>((k == 0 ? flags : 0) | (off + n < frame.size() ? xen::netif::txf::more_data : 0) |
                                           (k == 0 && gso ? xen::netif::txf::extra_info : 0));
      put(r);
      if (k == 0 && gso) put_extra(*gso);
      off += n;
      ++k;
    }
  }
  std::vector<xen::netif::tx_response> take_tx_responses() {
    std::vector<xen::netif::tx_response> out;
    auto r = tx();
    const std::uint32_t prod = r.rsp_prod();
    while (tx_front.rsp_cons != prod) out.push_back(xen::netif::read_tx_response(r.slot(tx_front.rsp_cons++)));
    return out;
  }

  // Rx: post one writable buffer page per slot (ids = page numbers).
  void post_rx(std::size_t first_page, std::size_t count, bool readonly = false) {
    for (std::size_t i = 0; i < count; ++i)
      put_rx(static_cast<std::uint16_t>(first_page + i), readonly ? readonly_buffers.refs()[i % 2] : ref(first_page + i));
    if (xen::netif::push_requests(rx(), rx_front)) (void)events->notify(port);
  }
  // One rx request for any grant (a hostile frontend's choice), not yet pushed.
  void put_rx(std::uint16_t id, xen::grant_ref gref) {
    xen::netif::rx_request q;
    q.id = id;
    q.gref = gref;
    xen::netif::write_rx_request(rx().slot(rx_front.req_prod_pvt++), q);
  }
  struct rx_frame {
    std::vector<std::uint8_t> bytes;
    std::uint16_t flags = 0;
    std::optional<xen::netif::extra_info> gso;
    bool error = false;
  };
  // Reassembles the frames answered so far (buffers named by id = page).
  std::vector<rx_frame> take_rx() {
    std::vector<rx_frame> out;
    auto r = rx();
    const std::uint32_t prod = r.rsp_prod();
    bool continuing = false;
    bool extra_next = false;
    while (rx_front.rsp_cons != prod) {
      auto slot = r.slot(rx_front.rsp_cons++);
      if (extra_next) {
        out.back().gso = xen::netif::read_extra(slot);
        extra_next = false;
        continue;
      }
      auto rsp = xen::netif::read_rx_response(slot);
      if (!continuing) out.push_back({{}, rsp.flags, std::nullopt, false});
      if (rsp.status < 0) {
        out.back().error = true;
      } else {
        auto p = page(rsp.id);
        out.back().bytes.insert(out.back().bytes.end(), p.begin() + rsp.offset, p.begin() + rsp.offset + rsp.status);
      }
      extra_next = (rsp.flags & xen::netif::rxf::extra_info) != 0 && !continuing;
      continuing = (rsp.flags & xen::netif::rxf::more_data) != 0;
    }
    return out;
  }
};

// True when fd is readable now.
inline bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

}  // namespace aw::test
