// nat/config.hpp — the NAT engine's configuration: external address, bounds, filtering,
// RFC default timers, fragment limits and the port-randomisation seed; and the clock type.
#pragma once

#include <chrono>
#include <cstdint>

#include "protocol/address.hpp"

namespace aw::nat {

// Time is passed in: nanoseconds since an arbitrary epoch (e.g. steady_clock).
using clock_time = std::chrono::nanoseconds;

enum class filtering_mode : std::uint8_t {
  address_dependent,     // RFC 4787 REQ-8 option: inbound only from a remote address the mapping sent to
  endpoint_independent,  // anyone may send to a live mapping
};

struct nat_timeouts {
  clock_time udp = std::chrono::minutes{5};                                    // RFC 4787 REQ-5
  clock_time tcp_established = std::chrono::hours{2} + std::chrono::minutes{4};  // RFC 5382 REQ-5
  clock_time tcp_transitory = std::chrono::minutes{4};                         // RFC 5382 REQ-5, 7857 §2.1
  clock_time icmp_query = std::chrono::seconds{60};                            // RFC 5508 REQ-2
  clock_time fragment = std::chrono::seconds{30};                              // a datagram's fragments
};

struct nat_config {
  proto::ipv4_address external_address;
  std::uint32_t max_sessions = 65536;
  std::uint32_t max_mappings = 65536;
  std::uint32_t max_mappings_per_client = 8192;  // one client cannot take every port
  std::uint32_t max_sessions_per_client = 32768; // nor every session: at the cap its own idlest
                                                 // non-established session goes (established never do)
  filtering_mode filtering = filtering_mode::address_dependent;
  bool hairpinning = true;      // RFC 4787 REQ-9
  bool inbound_refresh = true;  // RFC 4787 REQ-6 leaves it open
  bool decrement_ttl = true;    // as a router forwarding (the caller answers TTL <= 1 itself)
  nat_timeouts timeouts;
  std::uint32_t max_fragment_flows = 1024;  // first fragments remembered
  std::uint32_t max_held_fragments = 64;    // non-first fragments waiting for their first
  std::uint64_t seed = 0x6177'6e61'7421ULL;  // port randomisation (RFC 6056); fixed in tests
};

}  // namespace aw::nat
