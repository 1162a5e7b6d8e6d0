// xen/netif_ring.hpp — pure codecs for the netif tx/rx rings (netif.h, ring.h): slots, indices, notification rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/result.hpp"
#include "xen/grant_mapper.hpp"
#include "xen/xen_error.hpp"

namespace aw::xen::netif {

// --- constants (netif.h) --------------------------------------------------------
inline constexpr std::size_t ring_header_size = 64;  // req_prod, req_event, rsp_prod, rsp_event, padding
inline constexpr std::size_t tx_slot_size = 12;      // union of tx request (12) and response (4)
inline constexpr std::size_t rx_slot_size = 8;       // union of rx request (8) and response (8)
inline constexpr std::size_t extra_size = 8;         // netif_extra_info overlays one tx slot
inline constexpr std::uint32_t min_slots_per_packet = 18;  // XEN_NETIF_NR_SLOTS_MIN
inline constexpr std::uint32_t max_tx_size = 0xffff;       // XEN_NETIF_MAX_TX_SIZE
// The largest frame either of our ends takes from the other: a 64 KiB IP packet (GSO)
// with its Ethernet header.
inline constexpr std::size_t max_frame = 65536 + 14;

namespace txf {  // tx request flags (XEN_NETTXF_*)
inline constexpr std::uint16_t csum_blank = 1;
inline constexpr std::uint16_t data_validated = 2;
inline constexpr std::uint16_t more_data = 4;
inline constexpr std::uint16_t extra_info = 8;
}  // namespace txf
namespace rxf {  // rx response flags (XEN_NETRXF_*)
inline constexpr std::uint16_t data_validated = 1;
inline constexpr std::uint16_t csum_blank = 2;
inline constexpr std::uint16_t more_data = 4;
inline constexpr std::uint16_t extra_info = 8;
inline constexpr std::uint16_t gso_prefix = 16;
}  // namespace rxf

enum class response_status : std::int16_t { dropped = -2, error = -1, okay = 0, null = 1 };

enum class extra_type : std::uint8_t { none = 0, gso = 1, mcast_add = 2, mcast_del = 3, hash = 4 };
inline constexpr std::uint8_t extra_flag_more = 1;
enum class gso_type : std::uint8_t { none = 0, tcpv4 = 1, tcpv6 = 2 };

// --- slots ----------------------------------------------------------------------
struct tx_request {
  grant_ref gref = 0;
  std::uint16_t offset = 0;
  std::uint16_t flags = 0;
  std::uint16_t id = 0;
  std::uint16_t size = 0;
  friend bool operator==(const tx_request&, const tx_request&) = default;
};
struct tx_response {
  std::uint16_t id = 0;
  std::int16_t status = 0;
  friend bool operator==(const tx_response&, const tx_response&) = default;
};
struct rx_request {
  std::uint16_t id = 0;
  grant_ref gref = 0;
  friend bool operator==(const rx_request&, const rx_request&) = default;
};
struct rx_response {
  std::uint16_t id = 0;
  std::uint16_t offset = 0;
  std::uint16_t flags = 0;
  std::int16_t status = 0;  // > 0: bytes; else a response_status
  friend bool operator==(const rx_response&, const rx_response&) = default;
};
// netif_extra_info; `type` is kept raw so an unknown value can be refused by the caller.
struct extra_info {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  // gso: size = MSS, gso_type, features; other types: the 6 raw bytes.
  std::uint16_t gso_size = 0;
  std::uint8_t gso_type = 0;
  std::uint16_t gso_features = 0;
  std::uint8_t raw[6] = {};
  friend bool operator==(const extra_info&, const extra_info&) = default;
};

// Slot codecs (native byte order: the peers share the machine). The span must
// hold at least the slot size; callers take it from a ring view.
tx_request read_tx_request(std::span<const std::uint8_t> slot) noexcept;
void write_tx_request(std::span<std::uint8_t> slot, const tx_request& r) noexcept;
tx_response read_tx_response(std::span<const std::uint8_t> slot) noexcept;
void write_tx_response(std::span<std::uint8_t> slot, const tx_response& r) noexcept;
rx_request read_rx_request(std::span<const std::uint8_t> slot) noexcept;
void write_rx_request(std::span<std::uint8_t> slot, const rx_request& r) noexcept;
rx_response read_rx_response(std::span<const std::uint8_t> slot) noexcept;
void write_rx_response(std::span<std::uint8_t> slot, const rx_response& r) noexcept;
extra_info read_extra(std::span<const std::uint8_t> slot) noexcept;
void write_extra(std::span<std::uint8_t> slot, const extra_info& e) noexcept;

// --- index arithmetic (ring.h), all on free-running u32 indices --------------------
// __RD32((PAGE_SIZE - header) / slot): the largest power of two that fits.
constexpr std::uint32_t ring_entries(std::size_t slot_size, std::size_t page = page_size) noexcept {
  std::size_t n = (page - ring_header_size) / slot_size;
  std::uint32_t p = 1;
  while (p * 2u <= n) p *= 2u;
  return p;
}
inline constexpr std::uint32_t tx_ring_size = ring_entries(tx_slot_size);
inline constexpr std::uint32_t rx_ring_size = ring_entries(rx_slot_size);

constexpr std::uint32_t slot_of(std::uint32_t idx, std::uint32_t size) noexcept { return idx & (size - 1u); }

// RING_PUSH_*_AND_CHECK_NOTIFY: after publishing new_prod (old_prod before),
// notify iff the peer's event index lies in (old_prod, new_prod].
constexpr bool push_needs_notify(std::uint32_t old_prod, std::uint32_t new_prod, std::uint32_t event) noexcept {
  return static_cast<std::uint32_t>(new_prod - event) < static_cast<std::uint32_t>(new_prod - old_prod);
}

// A backend's view of how many requests a (hostile) frontend published: more
// than the ring holds is impossible and means disconnect.
constexpr bool requests_plausible(std::uint32_t req_prod, std::uint32_t req_cons, std::uint32_t size) noexcept {
  return static_cast<std::uint32_t>(req_prod - req_cons) <= size;
}
// RING_HAS_UNCONSUMED_REQUESTS (for a plausible req_prod): requests not yet
// consumed, bounded by the response slots still free.
constexpr std::uint32_t unconsumed_requests(std::uint32_t req_prod, std::uint32_t req_cons,
                                            std::uint32_t rsp_prod_pvt, std::uint32_t size) noexcept {
  std::uint32_t req = req_prod - req_cons;
  std::uint32_t rsp = size - (req_cons - rsp_prod_pvt);
  return req < rsp ? req : rsp;
}
// A frontend's view of a (hostile) backend: responses must not run ahead of
// the requests it was given, nor go backwards.
constexpr bool responses_plausible(std::uint32_t rsp_prod, std::uint32_t rsp_cons, std::uint32_t req_prod_pvt) noexcept {
  return static_cast<std::uint32_t>(rsp_prod - rsp_cons) <= static_cast<std::uint32_t>(req_prod_pvt - rsp_cons);
}
// RING_FREE_REQUESTS for a frontend.
constexpr std::uint32_t free_requests(std::uint32_t req_prod_pvt, std::uint32_t rsp_cons, std::uint32_t size) noexcept {
  return size - (req_prod_pvt - rsp_cons);
}

// --- a ring page ----------------------------------------------------------------------
// A borrowed view of one shared ring page: indices read and written with
// acquire/release atomics, slots located by index. Lives no longer than the
// mapping it was made from (the connection object makes one per use).
class ring_view {
 public:
  // page: the whole shared page (>= 4096 bytes, 4-byte aligned).
  static result<ring_view, xen_error> make(std::span<std::uint8_t> page, std::size_t slot_size) noexcept;

  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  [[nodiscard]] std::span<std::uint8_t> slot(std::uint32_t idx) const noexcept {
    return page_.subspan(ring_header_size + slot_of(idx, size_) * slot_size_, slot_size_);
  }

  [[nodiscard]] std::uint32_t req_prod() const noexcept { return load(0); }
  [[nodiscard]] std::uint32_t req_event() const noexcept { return load(4); }
  [[nodiscard]] std::uint32_t rsp_prod() const noexcept { return load(8); }
  [[nodiscard]] std::uint32_t rsp_event() const noexcept { return load(12); }
  void set_req_prod(std::uint32_t v) const noexcept { store(0, v); }
  void set_req_event(std::uint32_t v) const noexcept { store(4, v); }
  void set_rsp_prod(std::uint32_t v) const noexcept { store(8, v); }
  void set_rsp_event(std::uint32_t v) const noexcept { store(12, v); }

  // SHARED_RING_INIT: zero indices, events at 1.
  void init() const noexcept;

 private:
  ring_view(std::span<std::uint8_t> page, std::size_t slot_size, std::uint32_t size) noexcept
      : page_(page), slot_size_(slot_size), size_(size) {}
  [[nodiscard]] std::uint32_t load(std::size_t off) const noexcept;
  void store(std::size_t off, std::uint32_t v) const noexcept;

  std::span<std::uint8_t> page_;
  std::size_t slot_size_;
  std::uint32_t size_;
};

// The private indices of each end (FRONT_RING / BACK_RING).
struct back_ring {
  std::uint32_t req_cons = 0;
  std::uint32_t rsp_prod_pvt = 0;
};
struct front_ring {
  std::uint32_t req_prod_pvt = 0;
  std::uint32_t rsp_cons = 0;
};

// RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publish rsp_prod_pvt; true → notify the frontend.
bool push_responses(const ring_view& r, const back_ring& b) noexcept;
// RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish req_prod_pvt; true → notify the backend.
bool push_requests(const ring_view& r, const front_ring& f) noexcept;
// RING_FINAL_CHECK_FOR_REQUESTS: before sleeping, ask to be woken at the next
// request, then look again; true → requests arrived meanwhile, keep working.
bool final_check_for_requests(const ring_view& r, const back_ring& b) noexcept;
// The backend needs `needed` requests before it can go on (a packet's slots): it asks to be
// woken once req_prod reaches req_cons + needed, then looks again; true → there are enough
// now. (final_check_for_requests asks for any one request: with some posted but fewer than
// needed it says "go on" at once, and a caller looping on it would spin.)
bool wait_for_requests(const ring_view& r, const back_ring& b, std::uint32_t needed) noexcept;
// RING_FINAL_CHECK_FOR_RESPONSES, the frontend's equivalent.
bool final_check_for_responses(const ring_view& r, const front_ring& f) noexcept;
// The frontend asks to be woken once rsp_prod moves past `seen`, then looks again; true →
// it already has. (final_check_for_responses with seen = rsp_cons; with a later `seen`
// when the responses up to it are only part of a packet.)
bool wait_for_responses_past(const ring_view& r, std::uint32_t seen) noexcept;

}  // namespace aw::xen::netif
