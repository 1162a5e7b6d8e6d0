// xen/netfront/connection.cpp — netfront rings: one granted page per slot, ids = page numbers
// (tx) and slot indices (rx), every backend answer checked before it is believed.
#include "xen/netfront/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "protocol/counter_lines.hpp"

namespace aw::xen::netfront {
namespace {
constexpr std::uint32_t max_rx_data_slots = 18;
}

xen_result<std::unique_ptr<connection>> connection::create(std::unique_ptr<grant_sharer> sharer,
                                                           std::unique_ptr<event_channels> events, domid backend,
                                                           std::uint32_t rx_buffers) {
  if (!sharer || !events) return xen_error::invalid_argument;
  std::unique_ptr<connection> c{new connection(std::move(sharer), std::move(events))};
  auto share = [&](std::size_t n) { return c->sharer_->share(backend, n, true); };
  auto txr = share(1);
  if (!txr) return txr.error();
  auto rxr = share(1);
  if (!rxr) return rxr.error();
  auto txp = share(netif::tx_ring_size);
  if (!txp) return txp.error();
  auto rxp = share(netif::rx_ring_size);
  if (!rxp) return rxp.error();
  c->tx_ring_page_ = std::move(*txr);
  c->rx_ring_page_ = std::move(*rxr);
  c->tx_pages_ = std::move(*txp);
  c->rx_pages_ = std::move(*rxp);
  netif::ring_view::make(c->tx_ring_page_.page(0), netif::tx_slot_size)->init();
  netif::ring_view::make(c->rx_ring_page_.page(0), netif::rx_slot_size)->init();
  auto port = c->events_->bind_unbound_port(backend);
  if (!port) return port.error();
  c->port_ = *port;
  c->wakeups_ = event_wakeups::open(*c->events_);
  if (!c->wakeups_) return from_errno(errno);
  c->keys_ = {c->tx_ring_page_.refs()[0], c->rx_ring_page_.refs()[0], c->port_};
  for (std::uint32_t i = netif::tx_ring_size; i > 0; --i) c->tx_free_.push_back(static_cast<std::uint16_t>(i - 1));
  c->post_rx(std::min(rx_buffers, netif::rx_ring_size));
  return c;
}

connection::~connection() { close(); }

void connection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (port_ != 0) (void)events_->unbind(port_);
  port_ = 0;
  if (wakeups_) wakeups_->forget_ports();
  counters_.drops[static_cast<std::size_t>(front_drop::closed)] += tx_backlog_.size();
  tx_backlog_.clear();
  tx_backlog_bytes_ = 0;
  // Unsharing revokes lazily: pages the backend still maps stay its own until it unmaps.
  tx_pages_.reset();
  rx_pages_.reset();
  tx_ring_page_.reset();
  rx_ring_page_.reset();
}

void connection::fail(front_fatal why) noexcept {
  if (!counters_.fatal) counters_.fatal = why;
  close();
}

std::size_t connection::tx_in_flight() const noexcept {
  return static_cast<std::size_t>(std::count(tx_outstanding_.begin(), tx_outstanding_.end(), true));
}

void connection::post_rx(std::uint32_t count) {
  auto ring = *netif::ring_view::make(rx_ring_page_.page(0), netif::rx_slot_size);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t idx = rx_front_.req_prod_pvt++;
    const auto id = static_cast<std::uint16_t>(netif::slot_of(idx, netif::rx_ring_size));
    netif::write_rx_request(ring.slot(idx), {id, rx_pages_.refs()[id]});
  }
  if (netif::push_requests(ring, rx_front_) && port_ != 0) (void)events_->notify(port_);
}

std::size_t connection::send(std::span<const proto::packet> frames) {
  auto drop = [&](front_drop why) { ++counters_.drops[static_cast<std::size_t>(why)]; };
  if (closed_ || !connected_) {
    counters_.drops[static_cast<std::size_t>(front_drop::closed)] += frames.size();
    return 0;
  }
  reclaim_tx();
  if (closed_) return 0;
  flush_tx();  // what waited goes first
  std::size_t taken = 0;
  for (const auto& f : frames) {
    const auto& m = f.meta();
    if (f.size() > netif::max_tx_size || f.size() < 14 || (f.size() > page_size && !features_.sg)) {
      drop(front_drop::tx_too_big);
      continue;
    }
    if ((m.gso == proto::gso_type::tcpv4 && !features_.gso_tcpv4) ||
        (m.gso == proto::gso_type::tcpv6 && !features_.gso_tcpv6)) {
      drop(front_drop::tx_gso_not_offered);
      continue;
    }
    if (tx_backlog_.empty() && place_tx(f)) {
      ++taken;
      continue;
    }
    if (tx_backlog_.size() >= tx_backlog_max || tx_backlog_bytes_ + f.size() > tx_backlog_bytes_max) {
      drop(front_drop::tx_ring_full);
      continue;
    }
    tx_backlog_.push_back(f);  // in order, behind what waits already
    tx_backlog_bytes_ += f.size();
    ++taken;
  }
  auto ring = *netif::ring_view::make(tx_ring_page_.page(0), netif::tx_slot_size);
  if (netif::push_requests(ring, tx_front_)) (void)events_->notify(port_);
  return taken;
}

void connection::flush_tx() {
  auto ring = *netif::ring_view::make(tx_ring_page_.page(0), netif::tx_slot_size);
  bool placed = false;
  while (!tx_backlog_.empty() && place_tx(tx_backlog_.front())) {
    tx_backlog_bytes_ -= tx_backlog_.front().size();
    tx_backlog_.pop_front();
    placed = true;
  }
  if (placed && netif::push_requests(ring, tx_front_)) (void)events_->notify(port_);
}

bool connection::place_tx(const proto::packet& f) {
  auto ring = *netif::ring_view::make(tx_ring_page_.page(0), netif::tx_slot_size);
  const auto& m = f.meta();
  const bool gso = m.gso != proto::gso_type::none;
  const auto data_slots = static_cast<std::uint32_t>((f.size() + page_size - 1) / page_size);
  const std::uint32_t slots = data_slots + (gso ? 1u : 0u);
  if (tx_free_.size() < data_slots ||
      netif::free_requests(tx_front_.req_prod_pvt, tx_front_.rsp_cons, ring.size()) < slots)
    return false;
  std::uint16_t flags = 0;
  if (m.l4_checksum == proto::checksum_state::partial || gso)
    flags = netif::txf::csum_blank | netif::txf::data_validated;
  else if (m.l4_checksum == proto::checksum_state::verified)
    flags = netif::txf::data_validated;
  // Copied page by page straight from the packet's two slices.
  const std::pair<proto::bytes, std::size_t> parts[] = {{f.head(), 0}, {f.tail(), f.head().size()}};
  for (std::uint32_t k = 0; k < data_slots; ++k) {
    const std::uint16_t id = tx_free_.back();
    tx_free_.pop_back();
    tx_outstanding_[id] = true;
    const std::size_t off = std::size_t{k} * page_size;
    const std::size_t n = std::min(page_size, f.size() - off);
    for (const auto& [part, begin] : parts) {
      const std::size_t lo = std::max(off, begin), hi = std::min(off + n, begin + part.size());
      if (lo < hi) std::memcpy(tx_pages_.page(id).data() + (lo - off), part.data() + (lo - begin), hi - lo);
    }
    netif::tx_request r;
    r.gref = tx_pages_.refs()[id];
    r.offset = 0;
    r.id = id;
    r.size = static_cast<std::uint16_t>(k == 0 ? f.size() : n);
    r.flags = static_cast<std::uint16_t>((k == 0 ? flags : 0) | (k + 1 < data_slots ? netif::txf::more_data : 0) |
                                         (k == 0 && gso ? netif::txf::extra_info : 0));
    netif::write_tx_request(ring.slot(tx_front_.req_prod_pvt++), r);
    if (k == 0 && gso) {
      netif::extra_info e;
      e.type = static_cast<std::uint8_t>(netif::extra_type::gso);
      e.gso_size = m.gso_size;
      e.gso_type = static_cast<std::uint8_t>(m.gso == proto::gso_type::tcpv4 ? netif::gso_type::tcpv4
                                                                             : netif::gso_type::tcpv6);
      netif::write_extra(ring.slot(tx_front_.req_prod_pvt++), e);
    }
  }
  ++counters_.tx_packets;
  counters_.tx_bytes += f.size();
  return true;
}

void connection::reclaim_tx() {
  auto ring = *netif::ring_view::make(tx_ring_page_.page(0), netif::tx_slot_size);
  do {
    const std::uint32_t prod = ring.rsp_prod();
    if (!netif::responses_plausible(prod, tx_front_.rsp_cons, tx_front_.req_prod_pvt))
      return fail(front_fatal::tx_rsp_prod_implausible);
    while (tx_front_.rsp_cons != prod) {
      const auto r = netif::read_tx_response(ring.slot(tx_front_.rsp_cons++));
      if (r.status == static_cast<std::int16_t>(netif::response_status::null)) continue;  // an extra's slot
      // An id we did not hand out, or handed out and already answered: the
      // backend is lying, and freeing the page again would reuse it in flight.
      if (r.id >= netif::tx_ring_size || !tx_outstanding_[r.id]) return fail(front_fatal::tx_bad_response_id);
      tx_outstanding_[r.id] = false;
      tx_free_.push_back(r.id);
      if (r.status < 0) ++counters_.drops[static_cast<std::size_t>(front_drop::tx_error)];
    }
  } while (netif::final_check_for_responses(ring, tx_front_));
}

void connection::process_rx(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  auto ring = *netif::ring_view::make(rx_ring_page_.page(0), netif::rx_slot_size);
  const std::size_t end = out.size() + max;  // up to max appended, whatever `out` held before
  std::uint32_t consumed = 0;
  // Bounds the re-reads when the backend moves rsp_prod while we ask to be told about it.
  int rechecks = 4;
  for (;;) {
    const std::uint32_t prod = ring.rsp_prod();
    bool partial = false;  // the backend published part of a chain (up to prod)
    if (!netif::responses_plausible(prod, rx_front_.rsp_cons, rx_front_.req_prod_pvt))
      return fail(front_fatal::rx_rsp_prod_implausible);
    while (rx_front_.rsp_cons != prod && out.size() < end) {
      // Find the whole packet first: a chain not yet complete waits.
      std::uint32_t i = rx_front_.rsp_cons;
      const auto first = netif::read_rx_response(ring.slot(i));
      std::optional<netif::extra_info> gso;
      std::uint32_t idx_data[max_rx_data_slots + 1];
      netif::rx_response data[max_rx_data_slots + 1];
      std::uint32_t n = 0;
      bool bad = false, complete = true;
      data[n] = first;
      idx_data[n++] = i++;
      if (first.flags & netif::rxf::extra_info) {
        if (i == prod) complete = false;
        else {
          auto e = netif::read_extra(ring.slot(i++));
          if (e.type == static_cast<std::uint8_t>(netif::extra_type::gso)) gso = e;
        }
      }
      std::uint16_t prev = first.flags;
      while (complete && (prev & netif::rxf::more_data)) {
        // The bound first: a chain at its limit is bad whether or not its next slot exists.
        if (n > max_rx_data_slots) {
          bad = true;  // consume up to here; the rest is answered as its own (bad) packets
          break;
        }
        if (i == prod) {
          complete = false;
          break;
        }
        data[n] = netif::read_rx_response(ring.slot(i));
        prev = data[n].flags;
        idx_data[n++] = i++;
      }
      if (!complete) {
        partial = true;
        break;
      }
      consumed += i - rx_front_.rsp_cons;
      rx_front_.rsp_cons = i;
      std::size_t total = 0;
      bool error = false;
      for (std::uint32_t k = 0; k < n; ++k) {
        if (data[k].status < 0) error = true;
        else if (std::size_t{data[k].offset} + static_cast<std::size_t>(data[k].status) > page_size) bad = true;
        else total += static_cast<std::size_t>(data[k].status);
      }
      if (error || bad || total < 14 || total > netif::max_frame) {
        ++counters_.drops[static_cast<std::size_t>(error ? front_drop::rx_error : front_drop::rx_bad_response)];
        continue;
      }
      auto buf = pool.acquire(total);
      if (!buf) {
        ++counters_.drops[static_cast<std::size_t>(front_drop::rx_no_buffer)];
        continue;
      }
      // Copied out of the shared pages before anyone parses a byte.
      std::size_t at = 0;
      for (std::uint32_t k = 0; k < n; ++k) {
        const auto page = rx_pages_.page(netif::slot_of(idx_data[k], netif::rx_ring_size));
        const auto len = static_cast<std::size_t>(data[k].status);
        std::memcpy(buf->data().data() + at, page.data() + data[k].offset, len);
        at += len;
      }
      proto::packet_meta meta;
      if (first.flags & netif::rxf::csum_blank) meta.l4_checksum = proto::checksum_state::partial;
      else if (first.flags & netif::rxf::data_validated) meta.l4_checksum = proto::checksum_state::verified;
      if (gso && gso->gso_size != 0 &&
          (gso->gso_type == static_cast<std::uint8_t>(netif::gso_type::tcpv4) ||
           gso->gso_type == static_cast<std::uint8_t>(netif::gso_type::tcpv6))) {
        meta.gso = gso->gso_type == static_cast<std::uint8_t>(netif::gso_type::tcpv4) ? proto::gso_type::tcpv4
                                                                                      : proto::gso_type::tcpv6;
        meta.gso_size = gso->gso_size;
      }
      out.emplace_back(std::move(*buf).freeze(total), meta);
      ++counters_.rx_packets;
      counters_.rx_bytes += total;
    }
    if (partial) {
      // Reading the same part again would spin: wait for the producer to move past it.
      if (!netif::wait_for_responses_past(ring, prod)) break;  // the backend tells us when it does
      if (--rechecks > 0) continue;
      // It moved, and may have read our event index before we set it: no notification
      // will come for what it published, so come back without one.
      wakeups_->kick();
      break;
    }
    if (out.size() >= end) {
      // Out of budget: ask for the backend's next responses as when the ring is empty (the
      // event index must move past what was consumed, or its next push would not notify),
      // and come back at once for those already there (they announced themselves before).
      if (netif::final_check_for_responses(ring, rx_front_)) wakeups_->kick();
      break;
    }
    if (!netif::final_check_for_responses(ring, rx_front_)) break;
  }
  if (consumed > 0) post_rx(consumed);  // the same slots, posted again
}

std::optional<bool> connection::take_events() {
  auto woken = wakeups_->take(counters_.wakeups);
  if (!woken) fail(front_fatal::event_channel_failed);
  return woken;
}

void connection::settle_events(bool woken) {
  if (closed_) return;
  const bool worked = tx_front_.rsp_cons != tx_rsp_settled_ || rx_front_.rsp_cons != rx_rsp_settled_;
  tx_rsp_settled_ = tx_front_.rsp_cons;
  rx_rsp_settled_ = rx_front_.rsp_cons;
  if (!wakeups_->settle(worked, woken, counters_.wakeups)) fail(front_fatal::event_channel_failed);
}

void connection::service_tx() {
  reclaim_tx();
  if (!closed_) flush_tx();
}

void connection::poll_tx() {
  if (closed_) return;
  const auto woken = take_events();
  if (!woken) return;
  service_tx();
  settle_events(*woken);
}

std::size_t connection::receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  if (closed_) return 0;
  const auto woken = take_events();
  if (!woken) return 0;
  service_tx();
  const std::size_t before = out.size();
  if (!closed_) process_rx(out, max, pool);
  settle_events(*woken);
  return out.size() - before;
}

std::string connection::counters_text(const std::string& prefix) const { return format_counters(counters_, prefix); }

namespace {
struct counter_field {
  std::string_view name;
  std::uint64_t front_counters::*member;
};
constexpr counter_field counter_fields[] = {{"tx_packets", &front_counters::tx_packets},
                                            {"tx_bytes", &front_counters::tx_bytes},
                                            {"rx_packets", &front_counters::rx_packets},
                                            {"rx_bytes", &front_counters::rx_bytes}};
}  // namespace

front_counters& front_counters::operator+=(const front_counters& o) noexcept {
  for (const auto& f : counter_fields) this->*f.member += o.*f.member;
  wakeups += o.wakeups;
  for (std::size_t i = 0; i < drops.size(); ++i) drops[i] += o.drops[i];
  if (o.fatal) fatal = o.fatal;
  return *this;
}

std::string format_counters(const front_counters& c, const std::string& prefix) {
  std::string s;
  auto line = [&](std::string_view name, std::uint64_t v) { proto::append_nonzero_counter(s, prefix, name, v); };
  for (const auto& f : counter_fields) line(f.name, c.*f.member);
  line("events", c.wakeups.events);
  line("spurious_events", c.wakeups.spurious_events);
  line("events_deferred", c.wakeups.events_deferred);
  for (std::size_t i = 0; i < front_drop_count; ++i) line(front_drop_names[i], c.drops[i]);
  if (c.fatal) line(to_string(*c.fatal), 1);
  return s;
}

}  // namespace aw::xen::netfront
