// xen/netback/connection.cpp — the netback data path: tx by one batched grant copy per drain,
// rx by grant copy into posted buffers, every consumed slot answered exactly once.
#include "xen/netback/connection.hpp"


#include <algorithm>
#include <cerrno>

#include "protocol/checksum_policy.hpp"
#include "protocol/counter_lines.hpp"
#include "protocol/framing.hpp"

namespace aw::xen::netback {
namespace {

netif::ring_view ring_of(grant_mapping& m, std::size_t slot_size) noexcept {
  // Cannot fail: the mapping is one whole page (checked at connect).
  return *netif::ring_view::make(m.bytes(), slot_size);
}

// Appends grant-copy segments for len bytes between a granted page (at
// foreign_offset) and local memory, split where the local side crosses a page.
void add_segments(std::vector<copy_segment>& segs, domid dom, grant_ref ref, std::uint16_t foreign_offset,
                  std::uint8_t* local, std::size_t len, bool to_local) {
  while (len > 0) {
    const std::size_t room = page_size - reinterpret_cast<std::uintptr_t>(local) % page_size;
    const auto n = static_cast<std::uint16_t>(std::min(len, room));
    copy_segment s;
    if (to_local) {
      s.source = copy_endpoint::granted(dom, ref, foreign_offset);
      s.dest = copy_endpoint::local_buffer(local);
    } else {
      s.source = copy_endpoint::local_source(local);
      s.dest = copy_endpoint::granted(dom, ref, foreign_offset);
    }
    s.len = n;
    segs.push_back(s);
    local += n;
    foreign_offset = static_cast<std::uint16_t>(foreign_offset + n);
    len -= n;
  }
}

bool all_okay(std::span<const copy_segment> segs) noexcept {
  return std::all_of(segs.begin(), segs.end(), [](const copy_segment& s) { return s.status == grant_status::okay; });
}

}  // namespace

connection::connection(std::unique_ptr<grant_mapper> grants, std::unique_ptr<event_channels> events,
                       const frontend_keys& keys, connection_config config)
    : config_(config), keys_(keys), grants_(std::move(grants)), events_(std::move(events)) {}

xen_result<std::unique_ptr<connection>> connection::connect(std::unique_ptr<grant_mapper> grants,
                                                            std::unique_ptr<event_channels> events,
                                                            const frontend_keys& keys, connection_config config) {
  if (!grants || !events) return xen_error::invalid_argument;
  std::unique_ptr<connection> c{new connection(std::move(grants), std::move(events), keys, config)};
  const grant_ref tx_ref[] = {keys.tx_ring_ref};
  const grant_ref rx_ref[] = {keys.rx_ring_ref};
  auto tx = c->grants_->map(keys.frontend, tx_ref, true);
  if (!tx) return tx.error();
  auto rx = c->grants_->map(keys.frontend, rx_ref, true);
  if (!rx) return rx.error();
  c->tx_ring_ = std::move(*tx);
  c->rx_ring_ = std::move(*rx);
  // Attach where the rings stand (fresh: 0); a frontend claiming more
  // requests than a ring holds is refused before anything else.
  for (auto* r : {&c->tx_ring_, &c->rx_ring_}) {
    auto view = netif::ring_view::make(r->bytes(), r == &c->tx_ring_ ? netif::tx_slot_size : netif::rx_slot_size);
    if (!view) return view.error();
  }
  auto txv = ring_of(c->tx_ring_, netif::tx_slot_size);
  auto rxv = ring_of(c->rx_ring_, netif::rx_slot_size);
  c->tx_back_ = {txv.rsp_prod(), txv.rsp_prod()};
  c->rx_back_ = {rxv.rsp_prod(), rxv.rsp_prod()};
  c->tx_cons_settled_ = c->tx_back_.req_cons;
  c->rx_cons_settled_ = c->rx_back_.req_cons;

  auto tx_port = c->events_->bind_interdomain(keys.frontend, keys.tx_port);
  if (!tx_port) return tx_port.error();
  c->tx_local_ = c->rx_local_ = *tx_port;
  if (keys.rx_port != keys.tx_port) {
    auto rx_port = c->events_->bind_interdomain(keys.frontend, keys.rx_port);
    if (!rx_port) {
      (void)c->events_->unbind(c->tx_local_);
      c->tx_local_ = 0;
      return rx_port.error();
    }
    c->rx_local_ = *rx_port;
  }

  c->wakeups_ = event_wakeups::open(*c->events_);
  if (!c->wakeups_) return from_errno(errno);
  // Ask for the first requests' events, and pick up any already published.
  txv.set_req_event(c->tx_back_.req_cons + 1);
  rxv.set_req_event(c->rx_back_.req_cons + 1);
  c->wakeups_->kick();
  return c;
}

connection::~connection() { close(); }

void connection::close() noexcept {
  if (closed()) return;
  // Events first (nothing may wake us for these rings again), then the pages.
  if (tx_local_ != 0) (void)events_->unbind(tx_local_);
  if (rx_local_ != 0 && rx_local_ != tx_local_) (void)events_->unbind(rx_local_);
  tx_local_ = rx_local_ = 0;
  if (wakeups_) wakeups_->forget_ports();
  tx_ring_.reset();
  rx_ring_.reset();
  counters_.rx_drops[static_cast<std::size_t>(rx_drop::closed)] += rx_backlog_.size();
  rx_backlog_.clear();
  rx_backlog_bytes_ = 0;
}

namespace {
// What a queued frame pins of the pool it came from: its payload's whole block.
std::size_t pinned_by(const proto::packet& f) noexcept {
  const proto::buffer_pool_config pool;
  return f.size() > pool.small_capacity ? pool.large_capacity : pool.small_capacity;
}
}  // namespace

void connection::pop_rx_backlog() noexcept {
  rx_backlog_bytes_ -= pinned_by(rx_backlog_.front());
  rx_backlog_.pop_front();
}

void connection::fail(netback_fatal why) noexcept {
  if (!counters_.fatal) counters_.fatal = why;
  close();
}

std::size_t connection::receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  if (closed()) return 0;
  const auto woken = wakeups_->take(counters_.wakeups);
  if (!woken) {
    fail(netback_fatal::event_channel_failed);
    return 0;
  }
  flush_rx();
  const std::size_t before = out.size();
  if (!closed()) process_tx(out, max, pool);
  if (!closed()) {
    const bool worked = tx_back_.req_cons != tx_cons_settled_ || rx_back_.req_cons != rx_cons_settled_;
    tx_cons_settled_ = tx_back_.req_cons;
    rx_cons_settled_ = rx_back_.req_cons;
    if (!wakeups_->settle(worked, *woken, counters_.wakeups)) fail(netback_fatal::event_channel_failed);
  }
  return out.size() - before;
}

void connection::process_tx(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  auto ring = ring_of(tx_ring_, netif::tx_slot_size);
  const std::uint32_t prod = ring.req_prod();  // one snapshot (acquire) for this drain
  if (!netif::requests_plausible(prod, tx_back_.req_cons, ring.size())) return fail(netback_fatal::tx_req_prod_implausible);

  // Slots are reused across drains; only the first `planned` of them are this drain's.
  std::size_t planned = 0;
  segments_.clear();
  const std::size_t budget = std::min<std::size_t>(max, config_.tx_packets_per_call);
  while (planned < budget && tx_back_.req_cons != prod) {
    if (planned == batch_.size()) batch_.emplace_back();
    auto& p = batch_[planned];
    if (auto fatal = read_tx_chain(ring, tx_back_.req_cons, prod, config_.tx, p.chain)) {
      batch_.clear();  // the buffers taken so far go back now
      return fail(*fatal);
    }
    tx_back_.req_cons += p.chain.slots;
    p.buffer.reset();
    p.first_segment = p.end_segment = segments_.size();
    ++planned;
    if (!p.chain.drop) {
      p.buffer = pool.acquire(p.chain.total);
      if (!p.buffer) {
        p.chain.drop = tx_drop::no_buffer;
      } else {
        std::uint8_t* dst = p.buffer->data().data();
        for (std::uint32_t k = 0; k < p.chain.data_count; ++k) {
          const auto& r = p.chain.data[k];
          const std::uint16_t n = p.chain.slot_bytes(k);
          add_segments(segments_, keys_.frontend, r.gref, r.offset, dst, n, true);
          dst += n;
        }
      }
    }
    p.end_segment = segments_.size();
  }
  if (!segments_.empty() && !grants_->copy(segments_)) {
    batch_.clear();
    return fail(netback_fatal::grant_copy_call_failed);
  }

  std::uint32_t idx = tx_back_.rsp_prod_pvt;
  for (auto& p : std::span(batch_).first(planned)) {
    auto& c = p.chain;
    if (!c.drop && !all_okay(std::span(segments_).subspan(p.first_segment, p.end_segment - p.first_segment)))
      c.drop = tx_drop::grant_copy_failed;
    std::int16_t status = static_cast<std::int16_t>(netif::response_status::okay);
    if (c.drop) {
      ++counters_.tx_drops[static_cast<std::size_t>(*c.drop)];
      status = static_cast<std::int16_t>(c.drop == tx_drop::no_buffer ? netif::response_status::dropped
                                                                        : netif::response_status::error);
    } else {
      proto::packet_meta meta;
      if (c.data[0].flags & netif::txf::csum_blank) meta.l4_checksum = proto::checksum_state::partial;
      else if (c.data[0].flags & netif::txf::data_validated) meta.l4_checksum = proto::checksum_state::verified;
      if (c.gso) {
        meta.gso = c.gso->gso_type == static_cast<std::uint8_t>(netif::gso_type::tcpv4) ? proto::gso_type::tcpv4
                                                                                          : proto::gso_type::tcpv6;
        meta.gso_size = c.gso->gso_size;
        ++counters_.tx_gso_packets;
      }
      out.emplace_back(std::move(*p.buffer).freeze(c.total), meta);
      ++counters_.tx_packets;
      counters_.tx_bytes += c.total;
    }
    // Every consumed slot answered once: the first, its extras (NULL), the rest.
    netif::write_tx_response(ring.slot(idx++), {c.data[0].id, status});
    for (std::uint32_t e = 0; e < c.extra_count; ++e)
      netif::write_tx_response(ring.slot(idx++), {0, static_cast<std::int16_t>(netif::response_status::null)});
    for (std::uint32_t k = 1; k < c.data_count; ++k) netif::write_tx_response(ring.slot(idx++), {c.data[k].id, status});
    p.buffer.reset();  // a dropped packet's buffer goes back to the pool now
  }
  tx_back_.rsp_prod_pvt = idx;
  if (netif::push_responses(ring, tx_back_)) (void)events_->notify(tx_local_);
  // Out of budget with requests left: come back without waiting for an event.
  if (tx_back_.req_cons != prod || netif::final_check_for_requests(ring, tx_back_)) wakeups_->kick();
}

std::optional<proto::packet> connection::prepare_rx(const proto::packet& frame) {
  auto drop = [&](rx_drop why) -> std::optional<proto::packet> {
    ++counters_.rx_drops[static_cast<std::size_t>(why)];
    return std::nullopt;
  };
  if (frame.size() > netif::max_frame || frame.size() == 0) return drop(rx_drop::too_big);
  if (frame.size() > page_size && !keys_.sg) return drop(rx_drop::needs_sg);
  const auto& m = frame.meta();
  if ((m.gso == proto::gso_type::tcpv4 && !keys_.gso_tcpv4) || (m.gso == proto::gso_type::tcpv6 && !keys_.gso_tcpv6))
    return drop(rx_drop::gso_not_offered);
  if (m.l4_checksum == proto::checksum_state::partial && m.gso == proto::gso_type::none) {
    auto u = proto::strip_ethernet(frame);
    if (!u) return drop(rx_drop::checksum_failed);
    const bool v6 = u->link.type == proto::ethertype::ipv6;
    if (!keys_.csum_offload || (v6 && !keys_.ipv6_csum_offload)) {
      auto done = proto::complete_l4_checksum(u->payload, scratch_pool_);
      if (!done) return drop(rx_drop::checksum_failed);
      auto f = proto::add_ethernet(*done, u->link, scratch_pool_);
      if (!f) return drop(rx_drop::checksum_failed);
      return *f;
    }
  }
  return frame;
}

std::size_t connection::send(std::span<const proto::packet> frames) {
  if (closed()) {
    counters_.rx_drops[static_cast<std::size_t>(rx_drop::closed)] += frames.size();
    return 0;
  }
  std::size_t taken = 0;
  for (const auto& f : frames) {
    if (rx_backlog_.size() >= config_.rx_backlog || rx_backlog_bytes_ + pinned_by(f) > config_.rx_backlog_bytes) {
      ++counters_.rx_drops[static_cast<std::size_t>(rx_drop::no_buffers)];
      continue;
    }
    auto p = prepare_rx(f);
    if (!p) continue;
    rx_backlog_bytes_ += pinned_by(*p);
    rx_backlog_.push_back(std::move(*p));
    ++taken;
  }
  flush_rx();
  return taken;
}

void connection::flush_rx() {
  bool promised = false;  // the last look said the head fits: it must, this round
  while (!rx_backlog_.empty() && !closed()) {
    auto ring = ring_of(rx_ring_, netif::rx_slot_size);
    const std::uint32_t prod = ring.req_prod();
    if (!netif::requests_plausible(prod, rx_back_.req_cons, ring.size()))
      return fail(netback_fatal::rx_req_prod_implausible);

    struct slot_plan {
      std::uint32_t index;
      std::uint16_t id;
      bool extra;
      std::uint16_t bytes;
    };
    struct planned {
      proto::packet frame;
      std::size_t first_slot, end_slot, first_segment, end_segment;
    };
    std::vector<slot_plan> slots;
    std::vector<planned> batch;
    segments_.clear();
    std::uint32_t head_needs = 0;  // slots the frame left at the head needs, when it did not fit
    while (!rx_backlog_.empty()) {
      const proto::packet& f = rx_backlog_.front();
      const bool gso = f.meta().gso != proto::gso_type::none;
      const auto data_slots = static_cast<std::uint32_t>((f.size() + page_size - 1) / page_size);
      const std::uint32_t needed = data_slots + (gso ? 1u : 0u);
      if (needed > ring.size()) {  // can never fit
        ++counters_.rx_drops[static_cast<std::size_t>(rx_drop::too_big)];
        pop_rx_backlog();
        continue;
      }
      if (prod - rx_back_.req_cons < needed) {  // wait for the frontend to post buffers
        // Fewer now than a moment ago: req_prod went back, which no frontend may do (and
        // one toggling it would send us round here without end).
        if (promised && batch.empty()) return fail(netback_fatal::rx_req_prod_implausible);
        head_needs = needed;
        break;
      }
      planned p{f, slots.size(), 0, segments_.size(), 0};
      std::size_t offset = 0;
      for (std::uint32_t k = 0; k < data_slots; ++k) {
        const std::uint32_t at = rx_back_.req_cons++;
        const auto req = netif::read_rx_request(ring.slot(at));  // copied once
        const auto n = static_cast<std::uint16_t>(std::min(page_size, f.size() - offset));
        slots.push_back({at, req.id, false, n});
        // The bytes [offset, offset + n) of the frame, from its two slices.
        std::uint16_t dest_off = 0;
        const std::pair<proto::bytes, std::size_t> parts[] = {{f.head(), 0}, {f.tail(), f.head().size()}};
        for (const auto& [part, part_begin] : parts) {
          std::size_t lo = std::max(offset, part_begin), hi = std::min(offset + n, part_begin + part.size());
          if (lo >= hi) continue;
          add_segments(segments_, keys_.frontend, req.gref, dest_off,
                       const_cast<std::uint8_t*>(part.data() + (lo - part_begin)), hi - lo, false);  // NOLINT: source only
          dest_off = static_cast<std::uint16_t>(dest_off + (hi - lo));
        }
        offset += n;
        if (k == 0 && gso) {
          const std::uint32_t ex = rx_back_.req_cons++;
          slots.push_back({ex, netif::read_rx_request(ring.slot(ex)).id, true, 0});
        }
      }
      p.end_slot = slots.size();
      p.end_segment = segments_.size();
      batch.push_back(std::move(p));
      pop_rx_backlog();
    }
    if (!segments_.empty() && !grants_->copy(segments_)) return fail(netback_fatal::grant_copy_call_failed);

    for (const auto& p : batch) {
      const bool ok = all_okay(std::span(segments_).subspan(p.first_segment, p.end_segment - p.first_segment));
      const auto& m = p.frame.meta();
      std::uint16_t csum_flags = 0;
      if (m.l4_checksum == proto::checksum_state::partial || m.gso != proto::gso_type::none)
        csum_flags = netif::rxf::csum_blank | netif::rxf::data_validated;
      else if (m.l4_checksum == proto::checksum_state::verified)
        csum_flags = netif::rxf::data_validated;
      for (std::size_t s = p.first_slot; s < p.end_slot; ++s) {
        const auto& sp = slots[s];
        if (sp.extra) {
          netif::extra_info e;
          e.type = static_cast<std::uint8_t>(netif::extra_type::gso);
          e.gso_size = m.gso_size;
          e.gso_type = static_cast<std::uint8_t>(m.gso == proto::gso_type::tcpv4 ? netif::gso_type::tcpv4
                                                                                 : netif::gso_type::tcpv6);
          netif::write_extra(ring.slot(sp.index), e);
          continue;
        }
        netif::rx_response r;
        r.id = sp.id;
        r.offset = 0;
        const bool first = s == p.first_slot;
        const bool last_data = std::none_of(slots.begin() + static_cast<std::ptrdiff_t>(s) + 1,
                                            slots.begin() + static_cast<std::ptrdiff_t>(p.end_slot),
                                            [](const slot_plan& x) { return !x.extra; });
        if (first) r.flags = csum_flags;
        if (first && m.gso != proto::gso_type::none) r.flags |= netif::rxf::extra_info;
        if (!last_data) r.flags |= netif::rxf::more_data;
        r.status = ok ? static_cast<std::int16_t>(sp.bytes) : static_cast<std::int16_t>(netif::response_status::error);
        netif::write_rx_response(ring.slot(sp.index), r);
      }
      if (ok) {
        ++counters_.rx_packets;
        counters_.rx_bytes += p.frame.size();
      } else {
        ++counters_.rx_drops[static_cast<std::size_t>(rx_drop::copy_failed)];
      }
    }
    rx_back_.rsp_prod_pvt = rx_back_.req_cons;
    if (!batch.empty() && netif::push_responses(ring, rx_back_)) (void)events_->notify(rx_local_);
    // Nothing waits: no need to hear of every buffer the frontend posts.
    if (rx_backlog_.empty()) return;
    // Short of buffers for the head: ask to be told when there are enough for it, and go
    // round again only if there are already (not merely some: with one buffer posted and a
    // two-slot frame waiting, "some" would send us round for ever).
    if (!netif::wait_for_requests(ring, rx_back_, head_needs)) return;
    promised = true;
  }
}

connection_counters& connection_counters::operator+=(const connection_counters& o) noexcept {
  tx_packets += o.tx_packets;
  tx_bytes += o.tx_bytes;
  tx_gso_packets += o.tx_gso_packets;
  rx_packets += o.rx_packets;
  rx_bytes += o.rx_bytes;
  wakeups += o.wakeups;
  for (std::size_t i = 0; i < tx_drops.size(); ++i) tx_drops[i] += o.tx_drops[i];
  for (std::size_t i = 0; i < rx_drops.size(); ++i) rx_drops[i] += o.rx_drops[i];
  if (o.fatal) fatal = o.fatal;
  return *this;
}

std::string format_counters(const connection_counters& c, const std::string& prefix) {
  std::string out;
  auto line = [&](std::string_view name, std::uint64_t v) { proto::append_nonzero_counter(out, prefix, name, v); };
  line("tx_packets", c.tx_packets);
  line("tx_bytes", c.tx_bytes);
  line("tx_gso_packets", c.tx_gso_packets);
  line("rx_packets", c.rx_packets);
  line("rx_bytes", c.rx_bytes);
  line("events", c.wakeups.events);
  line("spurious_events", c.wakeups.spurious_events);
  line("events_deferred", c.wakeups.events_deferred);
  for (std::size_t i = 0; i < tx_drop_count; ++i) line(tx_drop_names[i], c.tx_drops[i]);
  for (std::size_t i = 0; i < rx_drop_count; ++i) line(rx_drop_names[i], c.rx_drops[i]);
  if (c.fatal) line(to_string(*c.fatal), 1);
  return out;
}

std::string connection::counters_text(const std::string& prefix) const { return format_counters(counters_, prefix); }

}  // namespace aw::xen::netback
