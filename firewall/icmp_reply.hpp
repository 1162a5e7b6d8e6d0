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
