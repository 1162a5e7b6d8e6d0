// xen/netif_ring.cpp — netif slot codecs and ring index operations, checked against netif.h/ring.h.
#include "xen/netif_ring.hpp"

#include <atomic>
#include <cstddef>
#include <cstring>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif
#include <stdint.h>
extern "C" {
#include <xen/io/netif.h>
}
#pragma GCC diagnostic pop

namespace aw::xen::netif {

// The layouts the codecs encode, checked against the C definitions.
static_assert(sizeof(netif_tx_request) == tx_slot_size);
static_assert(offsetof(netif_tx_request, gref) == 0 && offsetof(netif_tx_request, offset) == 4 &&
              offsetof(netif_tx_request, flags) == 6 && offsetof(netif_tx_request, id) == 8 &&
              offsetof(netif_tx_request, size) == 10);
static_assert(sizeof(netif_tx_response) == 4 && offsetof(netif_tx_response, status) == 2);
static_assert(sizeof(netif_rx_request) == rx_slot_size && offsetof(netif_rx_request, gref) == 4);
static_assert(sizeof(netif_rx_response) == rx_slot_size && offsetof(netif_rx_response, offset) == 2 &&
              offsetof(netif_rx_response, flags) == 4 && offsetof(netif_rx_response, status) == 6);
static_assert(sizeof(netif_extra_info) == extra_size && offsetof(netif_extra_info, u) == 2);
static_assert(offsetof(netif_extra_info, u.gso.size) == 2 && offsetof(netif_extra_info, u.gso.type) == 4 &&
              offsetof(netif_extra_info, u.gso.features) == 6);
static_assert(sizeof(union netif_tx_sring_entry) == tx_slot_size);
static_assert(sizeof(union netif_rx_sring_entry) == rx_slot_size);
static_assert(offsetof(struct netif_tx_sring, ring) == ring_header_size);
static_assert(offsetof(struct netif_tx_sring, req_prod) == 0 && offsetof(struct netif_tx_sring, req_event) == 4 &&
              offsetof(struct netif_tx_sring, rsp_prod) == 8 && offsetof(struct netif_tx_sring, rsp_event) == 12);
static_assert(__CONST_RING_SIZE(netif_tx, 4096) == tx_ring_size && tx_ring_size == 256);
static_assert(__CONST_RING_SIZE(netif_rx, 4096) == rx_ring_size && rx_ring_size == 256);
static_assert(NETTXF_csum_blank == txf::csum_blank && NETTXF_data_validated == txf::data_validated &&
              NETTXF_more_data == txf::more_data && NETTXF_extra_info == txf::extra_info);
static_assert(NETRXF_data_validated == rxf::data_validated && NETRXF_csum_blank == rxf::csum_blank &&
              NETRXF_more_data == rxf::more_data && NETRXF_extra_info == rxf::extra_info &&
              NETRXF_gso_prefix == rxf::gso_prefix);
static_assert(NETIF_RSP_DROPPED == -2 && NETIF_RSP_ERROR == -1 && NETIF_RSP_OKAY == 0 &&
              NETIF_RSP_NULL == 1);
static_assert(XEN_NETIF_EXTRA_TYPE_GSO == 1 && XEN_NETIF_EXTRA_TYPE_HASH == 4 && XEN_NETIF_EXTRA_FLAG_MORE == 1);
static_assert(XEN_NETIF_GSO_TYPE_TCPV4 == 1 && XEN_NETIF_GSO_TYPE_TCPV6 == 2);
static_assert(XEN_NETIF_NR_SLOTS_MIN == min_slots_per_packet && XEN_NETIF_MAX_TX_SIZE == max_tx_size);

namespace {
template <class T>
T get(std::span<const std::uint8_t> s, std::size_t off) noexcept {
  T v;
  std::memcpy(&v, s.data() + off, sizeof v);
  return v;
}
template <class T>
void put(std::span<std::uint8_t> s, std::size_t off, T v) noexcept {
  std::memcpy(s.data() + off, &v, sizeof v);
}
}  // namespace

tx_request read_tx_request(std::span<const std::uint8_t> s) noexcept {
  return {get<std::uint32_t>(s, 0), get<std::uint16_t>(s, 4), get<std::uint16_t>(s, 6), get<std::uint16_t>(s, 8),
          get<std::uint16_t>(s, 10)};
}
void write_tx_request(std::span<std::uint8_t> s, const tx_request& r) noexcept {
  put(s, 0, r.gref);
  put(s, 4, r.offset);
  put(s, 6, r.flags);
  put(s, 8, r.id);
  put(s, 10, r.size);
}
tx_response read_tx_response(std::span<const std::uint8_t> s) noexcept {
  return {get<std::uint16_t>(s, 0), get<std::int16_t>(s, 2)};
}
void write_tx_response(std::span<std::uint8_t> s, const tx_response& r) noexcept {
  put(s, 0, r.id);
  put(s, 2, r.status);
}
rx_request read_rx_request(std::span<const std::uint8_t> s) noexcept {
  return {get<std::uint16_t>(s, 0), get<std::uint32_t>(s, 4)};
}
void write_rx_request(std::span<std::uint8_t> s, const rx_request& r) noexcept {
  put(s, 0, r.id);
  put(s, 2, std::uint16_t{0});
  put(s, 4, r.gref);
}
rx_response read_rx_response(std::span<const std::uint8_t> s) noexcept {
  return {get<std::uint16_t>(s, 0), get<std::uint16_t>(s, 2), get<std::uint16_t>(s, 4), get<std::int16_t>(s, 6)};
}
void write_rx_response(std::span<std::uint8_t> s, const rx_response& r) noexcept {
  put(s, 0, r.id);
  put(s, 2, r.offset);
  put(s, 4, r.flags);
  put(s, 6, r.status);
}
extra_info read_extra(std::span<const std::uint8_t> s) noexcept {
  extra_info e;
  e.type = s[0];
  e.flags = s[1];
  std::memcpy(e.raw, s.data() + 2, sizeof e.raw);
  if (e.type == static_cast<std::uint8_t>(extra_type::gso)) {
    e.gso_size = get<std::uint16_t>(s, 2);
    e.gso_type = s[4];
    e.gso_features = get<std::uint16_t>(s, 6);
  }
  return e;
}
void write_extra(std::span<std::uint8_t> s, const extra_info& e) noexcept {
  s[0] = e.type;
  s[1] = e.flags;
  if (e.type == static_cast<std::uint8_t>(extra_type::gso)) {
    put(s, 2, e.gso_size);
    s[4] = e.gso_type;
    s[5] = 0;
    put(s, 6, e.gso_features);
  } else {
    std::memcpy(s.data() + 2, e.raw, sizeof e.raw);
  }
}

result<ring_view, xen_error> ring_view::make(std::span<std::uint8_t> page, std::size_t slot_size) noexcept {
  if (page.size() < page_size || (slot_size != tx_slot_size && slot_size != rx_slot_size) ||
      reinterpret_cast<std::uintptr_t>(page.data()) % alignof(std::uint32_t) != 0) {
    return xen_error::invalid_argument;
  }
  return ring_view{page.first(page_size), slot_size, ring_entries(slot_size)};
}

// The indices are shared with another domain: atomic accesses (the page is
// 4-byte aligned, checked in make()).
std::uint32_t ring_view::load(std::size_t off) const noexcept {
  const auto* p = reinterpret_cast<const std::uint32_t*>(page_.data() + off);
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
void ring_view::store(std::size_t off, std::uint32_t v) const noexcept {
  auto* p = reinterpret_cast<std::uint32_t*>(page_.data() + off);
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

void ring_view::init() const noexcept {
  std::memset(page_.data(), 0, ring_header_size);
  set_req_event(1);
  set_rsp_event(1);
}

bool push_responses(const ring_view& r, const back_ring& b) noexcept {
  std::uint32_t old_prod = r.rsp_prod();
  r.set_rsp_prod(b.rsp_prod_pvt);  // release: entries before index (wmb)
  std::atomic_thread_fence(std::memory_order_seq_cst);  // mb before reading the event
  return push_needs_notify(old_prod, b.rsp_prod_pvt, r.rsp_event());
}

bool push_requests(const ring_view& r, const front_ring& f) noexcept {
  std::uint32_t old_prod = r.req_prod();
  r.set_req_prod(f.req_prod_pvt);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return push_needs_notify(old_prod, f.req_prod_pvt, r.req_event());
}

bool final_check_for_requests(const ring_view& r, const back_ring& b) noexcept {
  if (r.req_prod() != b.req_cons) return true;
  r.set_req_event(b.req_cons + 1);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return r.req_prod() != b.req_cons;
}

bool wait_for_requests(const ring_view& r, const back_ring& b, std::uint32_t needed) noexcept {
  r.set_req_event(b.req_cons + needed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the event index before the second look
  return static_cast<std::uint32_t>(r.req_prod() - b.req_cons) >= needed;
}

bool final_check_for_responses(const ring_view& r, const front_ring& f) noexcept {
  if (r.rsp_prod() != f.rsp_cons) return true;
  return wait_for_responses_past(r, f.rsp_cons);
}

bool wait_for_responses_past(const ring_view& r, std::uint32_t seen) noexcept {
  r.set_rsp_event(seen + 1);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return r.rsp_prod() != seen;
}

}  // namespace aw::xen::netif
