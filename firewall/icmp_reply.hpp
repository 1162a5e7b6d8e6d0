// firewall/icmp_reply.hpp — ICMP messages the firewall originates: errors about a packet
// it will not forward (RFC 792, RFC 1812 4.3.2) and echo replies to pings of its own addresses.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"

namespace aw::firewall {

// RFC 1812 4.3.2.7: no error about an ICMP error, a non-first fragment, or a
// packet whose source is not a unicast host (0/8, broadcast, multicast,
// loopback) or whose destination is broadcast/multicast.
bool may_answer_with_error(const proto::ipv4_view& offending) noexcept;

// What the firewall says about a packet it does not forward: an ICMP error as a value.
struct icmp_answer {
  proto::icmp_type type;
  std::uint8_t code = 0;
  std::uint32_t rest = 0;     // the word after the checksum: the next-hop MTU for frag_needed
  proto::ipv4_address from;   // the firewall's address the sender knows

  // A rule refused it (RFC 1812 5.2.7.1, as the Linux sys-firewall's reject).
  static icmp_answer admin_prohibited(proto::ipv4_address from) noexcept {
    return {proto::icmp_type::dest_unreachable, proto::icmp_unreach::admin_prohibited, 0, from};
  }
  // Addressed to the firewall itself, which offers nothing but ping.
  static icmp_answer host_prohibited(proto::ipv4_address from) noexcept {
    return {proto::icmp_type::dest_unreachable, proto::icmp_unreach::host_prohibited, 0, from};
  }
  // The TTL would reach zero here (traceroute's hop).
  static icmp_answer ttl_exceeded(proto::ipv4_address from) noexcept {
    return {proto::icmp_type::time_exceeded, proto::icmp_time_exceeded::ttl, 0, from};
  }
  // DF set and over the egress MTU (RFC 1191).
  static icmp_answer fragmentation_needed(std::uint16_t mtu, proto::ipv4_address from) noexcept {
    return {proto::icmp_type::dest_unreachable, proto::icmp_unreach::frag_needed, mtu, from};
  }
};

// An ICMP error of type/code (rest: next-hop MTU etc.) from `from` to the
// offending packet's source, quoting its IP header and as much of the rest as
// keeps the error within 576 bytes (RFC 1812 4.3.2.3).
result<proto::packet, proto::wire_error> make_icmp_error(const proto::packet& offending, proto::icmp_type type,
                                                         std::uint8_t code, std::uint32_t rest,
                                                         proto::ipv4_address from, proto::buffer_pool& pool) noexcept;

// The echo reply to an echo request (the same id, sequence and data).
result<proto::packet, proto::wire_error> make_echo_reply(const proto::packet& request,
                                                         proto::buffer_pool& pool) noexcept;

}  // namespace aw::firewall
