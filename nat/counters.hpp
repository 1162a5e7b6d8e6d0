// nat/counters.hpp — why the NAT refused a packet and what it did: one enum and one
// stable counter name per reason (X-macro tables), and the counters themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/named_enum.hpp"

namespace aw::nat {

// X(enumerator, counter name): the names are stable; counters and logs use them.
#define AW_NAT_DROPS(X)                                                   \
  X(malformed, "malformed")                     /* header unreadable */   \
  X(unsupported_protocol, "unsupported_protocol")                         \
  X(icmp_unsupported, "icmp_unsupported")       /* not a query/error */   \
  X(no_session, "no_session")                   /* outbound miss */       \
  X(no_mapping, "no_mapping")                   /* unsolicited inbound */ \
  X(filtered, "filtered")                       /* refused by filtering */\
  X(not_external_destination, "not_external_destination")                 \
  X(out_of_ports, "out_of_ports")                                         \
  X(client_cap, "client_mapping_cap")                                     \
  X(client_session_cap, "client_session_cap")                             \
  X(tcp_rst_without_session, "tcp_rst_without_session")                   \
  X(tcp_fin_without_session, "tcp_fin_without_session")                   \
  X(table_full, "table_full")                                             \
  X(hairpin_disabled, "hairpin_disabled")                                 \
  X(hairpin_unsupported, "hairpin_unsupported")                           \
  X(icmp_error_bad_checksum, "icmp_error_bad_checksum")                   \
  X(icmp_error_no_mapping, "icmp_error_no_mapping")                       \
  X(fragment_held, "fragment_held")             /* not lost: see take_released */ \
  X(fragment_hold_full, "fragment_hold_full")                             \
  X(fragment_timeout, "fragment_timeout")                                 \
  X(fragment_refused, "fragment_refused")       /* its first was refused */ \
  X(pool_exhausted, "buffer_pool_exhausted")

AW_NAMED_ENUM(nat_drop, AW_NAT_DROPS)

// Events that are not drops.
#define AW_NAT_EVENTS(X)                          \
  X(translated_out, "translated_out")             \
  X(translated_in, "translated_in")               \
  X(hairpinned, "hairpinned")                     \
  X(icmp_errors_translated, "icmp_errors_translated") \
  X(mappings_created, "mappings_created")         \
  X(mappings_removed, "mappings_removed")         \
  X(sessions_created, "sessions_created")         \
  X(sessions_expired, "sessions_expired")         \
  X(sessions_evicted, "sessions_evicted")         \
  X(sessions_removed, "sessions_removed")         \
  X(fragments_translated, "fragments_translated") \
  X(fragments_released, "fragments_released")

AW_NAMED_ENUM(nat_event, AW_NAT_EVENTS)

struct nat_counters {
  std::array<std::uint64_t, nat_drop_count> drops{};
  std::array<std::uint64_t, nat_event_count> events{};

  [[nodiscard]] std::uint64_t operator[](nat_drop d) const noexcept { return drops[static_cast<std::size_t>(d)]; }
  [[nodiscard]] std::uint64_t operator[](nat_event e) const noexcept { return events[static_cast<std::size_t>(e)]; }
  void count(nat_drop d) noexcept { ++drops[static_cast<std::size_t>(d)]; }
  void count(nat_event e, std::uint64_t n = 1) noexcept { events[static_cast<std::size_t>(e)] += n; }
};

}  // namespace aw::nat
