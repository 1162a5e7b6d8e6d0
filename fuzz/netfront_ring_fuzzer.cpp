// fuzz/netfront_ring_fuzzer.cpp — a hostile backend's writes to the netfront's shared pages: the
// netfront connects and sends (tx ids outstanding, some frames in its backlog), then the input,
// round by round, becomes the backend's tx responses and rsp_prod, rx responses and rsp_prod, and
// the contents of the rx buffer pages it was granted, with receive()/poll_tx()/send() in between.
// The netfront must never overrun its ring or backlog, deliver a frame out of bounds, or touch
// anything once a fatal error closed it; nothing may touch memory it does not own.
//
// Input: a 3-byte header, then rounds (see `round` below); all multi-byte fields little-endian.
//   header[0]  bit0 sg, bit1 gso_tcpv4, bit2 gso_tcpv6 offered; bit3 a tiny buffer pool;
//              bits4-7: frames per receive() = 1 + 4 * value
//   header[1]  small frames sent at start (one slot each)
//   header[2]  low nibble: 3-page frames (sg), high nibble: 3000-byte GSO tcpv4 frames
// With 255 small frames and a few more, more slots are asked than the ring holds: a backlog.
//
// This fuzzer found receive() spinning forever when rsp_prod ended inside a packet's chain
// (more_data / extra_info into a slot not yet produced; also a chain at its 19-slot limit whose
// next slot was rsp_prod), and frames above 64 KiB + 14 delivered: fixed, the inputs are in the
// corpus (regression-*). AW_FUZZ_NETFRONT_COMPLETE_CHAINS makes the harness publish rsp_prod only
// up to the last complete packet (the rest may be completed in a later round).
// AW_FUZZ_NETFRONT_VERBOSE prints each input's final counters (to check what a seed does).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "xen/netfront/connection.hpp"
#include "xen/sim/hypervisor.hpp"

namespace {
using namespace aw;
using namespace aw::xen;

void require(bool ok) {
  if (!ok) std::abort();
}

constexpr domid back_dom = 1, front_dom = 5;
// The largest frame the project ever puts on a netif ring (netback's max_rx_frame): a 64 KiB
// IP packet with its Ethernet header.
constexpr std::size_t max_frame = 65536 + 14;
constexpr std::uint32_t max_rx_data_slots = 18;  // as the netfront counts a chain
constexpr int max_rounds = 64;

// Input bytes, read front to back; past the end everything reads as zero.
struct reader {
  std::span<const std::uint8_t> in;
  [[nodiscard]] bool empty() const noexcept { return in.empty(); }
  std::uint8_t u8() noexcept {
    if (in.empty()) return 0;
    const std::uint8_t v = in[0];
    in = in.subspan(1);
    return v;
  }
  std::uint16_t u16() noexcept {
    const std::uint8_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  std::uint32_t u32() noexcept {
    const std::uint32_t lo = u16();
    return lo | (std::uint32_t{u16()} << 16);
  }
  // n bytes into dst (zero beyond the input).
  void bytes(std::span<std::uint8_t> dst) noexcept {
    const std::size_t n = std::min(dst.size(), in.size());
    std::memcpy(dst.data(), in.data(), n);
    std::memset(dst.data() + n, 0, dst.size() - n);
    in = in.subspan(n);
  }
};

std::vector<std::uint8_t> frame_bytes(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i);
  return v;
}

// The rx ring as the netfront will walk it from rsp_cons to prod: the index after the last
// packet whose chain is complete (equal to prod when none is cut short).
std::uint32_t last_complete_rx(const netif::ring_view& ring, std::uint32_t cons, std::uint32_t prod) {
  std::uint32_t i = cons, done = cons;
  while (i != prod) {
    const auto first = netif::read_rx_response(ring.slot(i++));
    if (first.flags & netif::rxf::extra_info) {
      if (i == prod) return done;
      ++i;
    }
    std::uint16_t prev = first.flags;
    std::uint32_t n = 1;
    while (prev & netif::rxf::more_data) {
      if (i == prod) return done;
      if (n > max_rx_data_slots) break;
      prev = netif::read_rx_response(ring.slot(i++)).flags;
      ++n;
    }
    done = i;
  }
  return done;
}

struct harness {
  std::shared_ptr<sim::hypervisor> hv = sim::hypervisor::create();
  std::unique_ptr<grant_mapper> mapper;
  std::unique_ptr<event_channels> back_events;
  evtchn_port back_port = 0;
  grant_mapping tx_ring, rx_ring;
  // The rx buffer pages the posted requests named, mapped at the first write (a mapping is
  // one mmap per page in the simulator: most inputs write to few of them).
  std::vector<grant_ref> rx_buffer_refs;
  std::array<grant_mapping, netif::rx_ring_size> rx_buffers;
  proto::buffer_pool pool;     // the frames sent
  proto::buffer_pool rx_pool;  // the frames received (tiny, at will: rx_no_buffer)
  std::unique_ptr<netfront::connection> front;
  std::uint32_t tx_rsp_pvt = 0, rx_rsp_pvt = 0;  // where the backend writes its next responses
  std::size_t taken = 0;                         // frames send() took (sent or queued)
  std::uint64_t delivered = 0, delivered_bytes = 0;
  std::size_t per_receive = 1;
  // The backend's own account of tx ids: handed out by requests it saw, freed by the responses
  // the netfront consumed. It must match the netfront's (no page reused while in flight).
  std::array<bool, netif::tx_ring_size> tx_out{};
  std::uint32_t tx_req_seen = 0, tx_rsp_seen = 0;
  alignas(8) std::array<std::uint8_t, page_size> tx_before{};  // the tx ring page before a netfront call
  bool partial_chains = std::getenv("AW_FUZZ_NETFRONT_COMPLETE_CHAINS") == nullptr;

  explicit harness(proto::buffer_pool_config rx_config) : rx_pool(rx_config) {}

  netif::ring_view tx_view() { return *netif::ring_view::make(tx_ring.bytes(), netif::tx_slot_size); }
  netif::ring_view rx_view() { return *netif::ring_view::make(rx_ring.bytes(), netif::rx_slot_size); }

  // Before each netfront call: the responses as written (the call may overwrite consumed
  // slots with new requests).
  void before_call() { std::memcpy(tx_before.data(), tx_ring.bytes().data(), page_size); }

  // After each netfront call that was not fatal: it consumed every tx response up to rsp_prod
  // (each must have answered an id in flight, or it would have failed), then published new
  // requests (ids not in flight).
  void after_call() {
    if (front->closed()) return;
    auto tx = tx_view();
    const std::uint32_t prod = tx.rsp_prod();
    auto before = *netif::ring_view::make(tx_before, netif::tx_slot_size);
    for (; tx_rsp_seen != prod; ++tx_rsp_seen) {
      const auto r = netif::read_tx_response(before.slot(tx_rsp_seen));
      if (r.status == static_cast<std::int16_t>(netif::response_status::null)) continue;
      require(r.id < netif::tx_ring_size && tx_out[r.id]);
      tx_out[r.id] = false;
    }
    const std::uint32_t req_prod = tx.req_prod();
    require(static_cast<std::uint32_t>(req_prod - tx_req_seen) <= netif::tx_ring_size);
    while (tx_req_seen != req_prod) {
      const auto q = netif::read_tx_request(tx.slot(tx_req_seen++));
      require(q.id < netif::tx_ring_size && !tx_out[q.id]);
      tx_out[q.id] = true;
      if (q.flags & netif::txf::extra_info) {
        require(tx_req_seen != req_prod);  // the extra is published with its request
        ++tx_req_seen;
      }
    }
    require(front->tx_in_flight() ==
            static_cast<std::size_t>(std::count(tx_out.begin(), tx_out.end(), true)));
  }

  void poll_tx() {
    before_call();
    front->poll_tx();
    after_call();
  }

  void send(std::size_t count, std::size_t size, proto::packet_meta meta, std::uint8_t seed) {
    std::vector<proto::packet> frames;
    for (std::size_t k = 0; k < count; ++k) {
      auto p = proto::make_packet(pool, frame_bytes(size, static_cast<std::uint8_t>(seed + k)), meta);
      if (p) frames.push_back(std::move(*p));
    }
    const bool was_closed = front->closed();
    before_call();
    const std::size_t n = front->send(frames);
    after_call();
    require(n <= frames.size());
    if (was_closed) require(n == 0);
    taken += n;
  }

  void receive() {
    const bool was_closed = front->closed();
    if (!was_closed && !partial_chains) {
      // rsp_cons is what the netfront reposted behind: every consumed slot is posted again.
      auto rx = rx_view();
      const std::uint32_t cons = rx.req_prod() - netif::rx_ring_size, prod = rx.rsp_prod();
      if (netif::responses_plausible(prod, cons, rx.req_prod())) {
        // Until it holds: a chain cut at its length limit by the new producer is incomplete
        // for the netfront too (it looks for the producer before counting).
        std::uint32_t clamp = prod, next = last_complete_rx(rx, cons, prod);
        while (next != clamp) {
          clamp = next;
          next = last_complete_rx(rx, cons, clamp);
        }
        rx.set_rsp_prod(clamp);
      }
    }
    std::vector<proto::packet> got;
    before_call();
    const std::size_t n = front->receive(got, per_receive, rx_pool);
    after_call();
    require(n == got.size() && n <= per_receive);
    if (was_closed) require(n == 0);
    for (const auto& p : got) {
      require(p.size() >= 14 && p.size() <= max_frame);
      ++delivered;
      delivered_bytes += p.size();
    }
  }

  void check() {
    const auto& c = front->counters();
    require(front->tx_in_flight() <= netif::tx_ring_size);
    require(front->tx_queued() <= netfront::connection::tx_backlog_max);
    require(c.fatal.has_value() == front->closed());  // the harness never closes it itself
    require(c.rx_packets == delivered && c.rx_bytes == delivered_bytes);
    if (!front->closed()) {
      // Every frame taken was placed on the ring or still waits.
      require(c.tx_packets + front->tx_queued() == taken);
    } else {
      require(front->tx_queued() == 0);
    }
  }

  // After a fatal error: the rings are garbage now, and every call must return 0 without
  // reading them (the netfront's views of its pages are gone: a touch faults).
  void after_fatal() {
    const auto before = front->counters();
    tx_view().set_rsp_prod(0xdeadbeef);
    rx_view().set_rsp_prod(0xdeadbeef);
    if (back_port != 0) (void)back_events->notify(back_port);
    poll_tx();
    receive();
    send(3, 60, {}, 0x5a);
    const auto& after = front->counters();
    require(after.tx_packets == before.tx_packets && after.rx_packets == before.rx_packets &&
            after.wakeups.events == before.wakeups.events && after.fatal == before.fatal);
    check();
  }

  // One round: op (u16), then the fields its bits ask for, in this order.
  //   bit0  tx responses: u8 count, count x (u16 id, i16 status), written from tx_rsp_pvt
  //   bit1  tx rsp_prod raw: u32 (else rsp_prod = tx_rsp_pvt after the writes)
  //   bit2  rx responses: u8 count, count x 8 bytes (id, offset, flags, status / an extra)
  //   bit3  rx rsp_prod raw: u32 (else rx_rsp_pvt)
  //   bit4  rx buffer writes: u8 count, count x (u8 slot, u16 offset, u16 length, u8 seed)
  //   bit5  event indices: u32 tx req_event, u32 rx req_event
  //   bit6  notify the frontend
  //   bit7  receive()      bit8 poll_tx()
  //   bit9  send(): u8 (count: bits0-4, size class: bits5-7), u8 meta (bits0-1 gso, bits2-3 csum)
  void round(reader& r) {
    const std::uint16_t op = r.u16();
    if (op & 0x1) {
      auto tx = tx_view();
      const std::uint8_t count = r.u8();
      for (std::uint8_t k = 0; k < count; ++k) {
        netif::tx_response rsp;
        rsp.id = r.u16();
        rsp.status = static_cast<std::int16_t>(r.u16());
        netif::write_tx_response(tx.slot(tx_rsp_pvt++), rsp);
      }
    }
    if (op & 0x2) tx_rsp_pvt = r.u32();
    if (op & 0x3) tx_view().set_rsp_prod(tx_rsp_pvt);
    if (op & 0x4) {
      auto rx = rx_view();
      const std::uint8_t count = r.u8();
      for (std::uint8_t k = 0; k < count; ++k) r.bytes(rx.slot(rx_rsp_pvt++));
    }
    if (op & 0x8) rx_rsp_pvt = r.u32();
    if (op & 0xc) rx_view().set_rsp_prod(rx_rsp_pvt);
    if (op & 0x10) {
      const std::uint8_t count = r.u8();
      for (std::uint8_t k = 0; k < count; ++k) {
        auto& m = rx_buffers[r.u8()];
        const std::size_t off = std::min<std::size_t>(r.u16(), page_size);
        const std::size_t len = std::min<std::size_t>(r.u16(), page_size - off);
        const std::uint8_t seed = r.u8();
        if (!m.mapped()) {
          const grant_ref ref[] = {rx_buffer_refs[static_cast<std::size_t>(&m - rx_buffers.data())]};
          auto mapped = mapper->map(front_dom, ref, true);
          if (!mapped) continue;  // revoked: the netfront closed before the first write
          m = std::move(*mapped);
        }
        auto page = m.page(0);
        for (std::size_t i = 0; i < len; ++i) page[off + i] = static_cast<std::uint8_t>(seed + i);
      }
    }
    if (op & 0x20) {
      tx_view().set_req_event(r.u32());
      rx_view().set_req_event(r.u32());
    }
    if ((op & 0x40) && back_port != 0) (void)back_events->notify(back_port);
    if (op & 0x80) receive();
    if (op & 0x100) poll_tx();
    if (op & 0x200) {
      static constexpr std::size_t sizes[] = {13, 14, 60, 1514, 4097, 9000, 65535, 65536};
      const std::uint8_t what = r.u8(), m = r.u8();
      proto::packet_meta meta;
      meta.gso = static_cast<proto::gso_type>(std::min(m & 3, 2));
      meta.gso_size = meta.gso == proto::gso_type::none ? 0 : 1448;
      meta.l4_checksum = static_cast<proto::checksum_state>(std::min((m >> 2) & 3, 2));
      send(what & 0x1f, sizes[what >> 5], meta, m);
    }
    check();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader r{{data, size}};
  const std::uint8_t h0 = r.u8(), h1 = r.u8(), h2 = r.u8();
  proto::buffer_pool_config rx_config;
  if (h0 & 0x8) rx_config = {2048, 65536 + 512, 4, 1};
  harness h(rx_config);
  h.per_receive = 1 + std::size_t{4} * (h0 >> 4);
  require(h.hv->add_domain(back_dom).has_value() && h.hv->add_domain(front_dom).has_value());
  h.front = netfront::connection::create(h.hv->open_grant_sharer(front_dom).value(),
                                         h.hv->open_event_channels(front_dom).value(), back_dom)
                .value();
  {
    // The backend's side: both ring pages, and the rx buffer pages the posted requests name.
    h.mapper = h.hv->open_grant_mapper(back_dom).value();
    h.back_events = h.hv->open_event_channels(back_dom).value();
    const auto keys = h.front->keys();
    if (auto p = h.back_events->bind_interdomain(front_dom, keys.event_channel)) h.back_port = *p;
    const grant_ref txr[] = {keys.tx_ring_ref}, rxr[] = {keys.rx_ring_ref};
    h.tx_ring = h.mapper->map(front_dom, txr, true).value();
    h.rx_ring = h.mapper->map(front_dom, rxr, true).value();
    auto rx = h.rx_view();
    require(rx.req_prod() == netif::rx_ring_size);
    for (std::uint32_t i = 0; i < netif::rx_ring_size; ++i) {
      const auto req = netif::read_rx_request(rx.slot(i));
      require(req.id == i);
      h.rx_buffer_refs.push_back(req.gref);
    }
  }
  h.front->connect({(h0 & 1) != 0, (h0 & 2) != 0, (h0 & 4) != 0, false});
  h.send(h1, 60, {}, 1);
  h.send(h2 & 0xf, 3 * page_size - 100, {}, 2);
  h.send(h2 >> 4, 3000, {0, proto::checksum_state::partial, proto::gso_type::tcpv4, 1448}, 3);
  h.check();
  for (int i = 0; i < max_rounds && !r.empty() && !h.front->closed(); ++i) h.round(r);
  if (h.front->closed()) h.after_fatal();
  if (std::getenv("AW_FUZZ_NETFRONT_VERBOSE") != nullptr) {
    std::fprintf(stderr, "taken %zu queued %zu in_flight %zu delivered %llu\n%s", h.taken, h.front->tx_queued(),
                 h.front->tx_in_flight(), static_cast<unsigned long long>(h.delivered),
                 h.front->counters_text("  ").c_str());
  }
  // Teardown: nothing the netfront shared or bound outlives it and the backend's unmaps.
  h.front.reset();
  h.tx_ring.reset();
  h.rx_ring.reset();
  for (auto& m : h.rx_buffers) m.reset();
  if (h.back_port != 0) (void)h.back_events->unbind(h.back_port);
  require(h.hv->mappings_held(back_dom) == 0);
  require(h.hv->pages_in_use(front_dom) == 0 && h.hv->grants_active(front_dom) == 0);
  require(h.hv->ports_bound(front_dom) == 0);
  return 0;
}
