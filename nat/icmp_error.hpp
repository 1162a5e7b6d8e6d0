// nat/icmp_error.hpp — ICMP error messages (types 3, 4, 5, 11, 12) through a NAT: check
// them (outer ICMP checksum, quoted IP header checksum; RFC 5508 REQ-3), read the quoted
// flow, and rewrite the outer address with the quoted addresses, ports or query id and
// every checksum they touch (returning a new packet).
#pragma once

#include <cstdint>
#include <optional>

#include "nat/counters.hpp"
#include "nat/flow.hpp"
#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::nat {

// The flow of the datagram an ICMP error quotes, as quoted.
struct quoted_flow {
  proto::ipv4_address outer_src, outer_dst;
  nat_protocol proto = nat_protocol::udp;
  proto::ipv4_address src, dst;
  std::uint16_t src_port = 0, dst_port = 0;  // an ICMP query: its id in both
};

// Errors: malformed (not an ICMP error, unreadable, fragmented, quote shorter
// than header + 8 bytes), icmp_error_bad_checksum, icmp_error_no_mapping (the
// quote has no ports: another protocol, a non-first fragment, an error about an error).
result<quoted_flow, nat_drop> inspect_icmp_error(const proto::packet& p) noexcept;

struct icmp_error_rewrite {
  std::optional<proto::ipv4_address> outer_src, outer_dst;
  std::optional<proto::ipv4_address> quoted_src, quoted_dst;
  std::optional<std::uint16_t> quoted_src_port, quoted_dst_port;  // an ICMP query: either sets the id
  bool decrement_ttl = false;  // the outer TTL, by one; 0 stays 0
};

// Precondition: inspect_icmp_error(p) succeeded. Updates the outer IP header
// checksum, the quoted IP header checksum, the quoted TCP/UDP/ICMP checksum
// when its field was quoted (a quoted UDP checksum of zero stays zero), and
// the ICMP checksum, all by RFC 1624.
result<proto::packet, proto::wire_error> rewrite_icmp_error(const proto::packet& p, const icmp_error_rewrite& r,
                                                            proto::buffer_pool& pool) noexcept;

}  // namespace aw::nat
