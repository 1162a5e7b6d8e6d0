// protocol/rewrite.hpp — NAT-style IPv4 header rewrites that return a new packet
// (fresh header bytes, payload shared) with checksums updated incrementally.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

struct ipv4_rewrite {
  std::optional<ipv4_address> src;
  std::optional<ipv4_address> dst;
  std::optional<std::uint16_t> src_port;  // TCP/UDP
  std::optional<std::uint16_t> dst_port;  // TCP/UDP
  std::optional<std::uint16_t> icmp_id;   // ICMP query identifier
  bool decrement_ttl = false;             // by one; a TTL of 0 stays 0
};

// Applies r to the IPv4 packet in (whose size must equal its total length:
// trim padding first). The IP header checksum and the L4 checksum (TCP,
// UDP unless zero, ICMP) are updated by RFC 1624; a partial (csum_blank) L4
// checksum keeps holding the pseudo-header sum, so only address changes
// touch it. Non-first fragments carry no L4 header: their port/id changes
// are skipped. Errors: the view's errors for a bad header, bad_length (size
// differs from total length), truncated (L4 header missing from the head),
// unsupported_protocol (ports on a protocol without them, an id on a
// non-query ICMP message), pool_exhausted.
result<packet, wire_error> rewrite_ipv4(const packet& in, const ipv4_rewrite& r, buffer_pool& pool) noexcept;

// Length of the L4 header that rewrites touch (TCP data offset, 8 for UDP and
// ICMP, 0 for other protocols and non-first fragments); error when the head
// is too short to say.
result<std::size_t, wire_error> l4_header_length(bytes ip_head) noexcept;

}  // namespace aw::proto
