// xen/netback/tx_chain.hpp — one packet's request chain read from a hostile frontend's tx
// ring: every slot copied out once, then validated on the copy only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/named_enum.hpp"
#include "protocol/result.hpp"
#include "xen/netif_ring.hpp"

namespace aw::xen::netback {

// Why a packet from the frontend was dropped (its slots are still answered,
// with an error status): one counter each.
#define AW_NETBACK_TX_DROPS(X)                                                   \
  X(runt, "tx_runt")                          /* total < 14 bytes (Ethernet) */  \
  X(slot_crosses_page, "tx_slot_crosses_page") /* offset + size > 4096 */        \
  X(too_many_slots, "tx_too_many_slots")      /* 19..20 data slots */            \
  X(size_mismatch, "tx_size_mismatch")        /* later slots larger than total */ \
  X(bad_extra, "tx_bad_extra")                /* unknown or repeated extra */    \
  X(bad_gso, "tx_bad_gso")                    /* type not offered, size 0, no csum_blank */ \
  X(duplicate_id, "tx_duplicate_id")          /* one id twice in a chain */      \
  X(grant_copy_failed, "tx_grant_copy_failed") /* bad ref, bad offset: per segment */ \
  X(no_buffer, "tx_no_buffer")                /* the buffer pool is at its bound */
AW_NAMED_ENUM(tx_drop, AW_NETBACK_TX_DROPS)

// What makes a frontend impossible to serve: the connection is closed.
#define AW_NETBACK_FATALS(X)                                            \
  X(tx_req_prod_implausible, "fatal_tx_req_prod_implausible")           \
  X(rx_req_prod_implausible, "fatal_rx_req_prod_implausible")           \
  X(chain_past_req_prod, "fatal_chain_past_req_prod")                   \
  X(too_many_extras, "fatal_too_many_extras")                           \
  X(slots_over_fatal_bound, "fatal_slots_over_bound")                   \
  X(event_channel_failed, "fatal_event_channel_failed")                 \
  X(grant_copy_call_failed, "fatal_grant_copy_call_failed")
AW_NAMED_ENUM(netback_fatal, AW_NETBACK_FATALS)

// What the backend accepts (Linux's bounds: XEN_NETIF_NR_SLOTS_MIN, fatal above 20).
struct tx_limits {
  std::uint32_t max_slots = netif::min_slots_per_packet;  // data slots accepted
  std::uint32_t fatal_slots = 20;                          // more than this: disconnect
  bool gso_tcpv4 = true;                                   // offered as feature-gso-tcpv4
  bool gso_tcpv6 = true;
};
inline constexpr std::uint32_t max_fatal_slots = 20;
inline constexpr std::uint32_t max_extras = 4;  // one per extra type

struct tx_chain {
  std::uint32_t slots = 0;  // ring slots this packet consumed, extras included
  std::array<netif::tx_request, max_fatal_slots> data{};
  std::uint32_t data_count = 0;
  std::uint32_t extra_count = 0;  // answered with NULL status after the first slot
  std::optional<netif::extra_info> gso;
  std::uint16_t total = 0;  // the first slot's size: the whole packet
  std::optional<tx_drop> drop;

  // Bytes the data slot i carries (the first slot holds what the others do not).
  [[nodiscard]] std::uint16_t slot_bytes(std::uint32_t i) const noexcept;
};

// Reads the packet starting at index cons; prod is the snapshot of req_prod
// (cons != prod). A chain that runs past prod, or longer than the fatal bound,
// is fatal; anything else wrong with it is a drop.
result<tx_chain, netback_fatal> read_tx_chain(const netif::ring_view& ring, std::uint32_t cons, std::uint32_t prod,
                                             const tx_limits& limits) noexcept;
// The same into a chain the caller reuses (the data path: no 300-byte chain built and
// copied per packet); `c` is reset first, its slots past data_count left as they were.
std::optional<netback_fatal> read_tx_chain(const netif::ring_view& ring, std::uint32_t cons, std::uint32_t prod,
                                           const tx_limits& limits, tx_chain& c) noexcept;

}  // namespace aw::xen::netback
