// protocol/checksum_policy.hpp — L4 checksum verification under a policy that maps
// onto Xen's csum_blank / data_validated flags, and completion of partial checksums.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

struct checksum_policy {
  // A packet marked verified (the sender set data_validated) is not summed again.
  bool trust_data_validated = true;
  // A partial (csum_blank) checksum is accepted and passed on; otherwise refused.
  bool accept_partial = true;
};

enum class checksum_verdict : std::uint8_t {
  valid,
  invalid,
  partial,      // accepted as csum_blank: complete it before a peer that needs full sums
  not_checked,  // a fragment (the sum covers the whole datagram) or a protocol without one
};
std::string_view to_string(checksum_verdict v) noexcept;

// The verdict on the L4 checksum of the IPv4 packet p (header already checked;
// size equal to its total length).
checksum_verdict check_l4_checksum(const packet& p, const checksum_policy& policy) noexcept;

// A packet whose partial TCP/UDP checksum is replaced by the full one, marked
// verified; p itself when it is not partial. Errors: the header errors of
// the view, unsupported_protocol (partial on something other than TCP/UDP),
// pool_exhausted.
result<packet, wire_error> complete_l4_checksum(const packet& p, buffer_pool& pool) noexcept;

}  // namespace aw::proto
