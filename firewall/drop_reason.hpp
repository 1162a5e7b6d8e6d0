// firewall/drop_reason.hpp — why the firewall did not forward a packet: one enum, one
// stable counter name per reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/named_enum.hpp"

namespace aw::firewall {

#define AW_FIREWALL_DROPS(X)                                                          \
  X(malformed, "malformed")                         /* IP header unreadable */        \
  X(bad_checksum, "bad_checksum")                   /* L4 checksum wrong */           \
  X(tcp_invalid_flags, "tcp_invalid_flags")         /* e.g. SYN+FIN, none (l4_validity) */ \
  X(tcp_bad_data_offset, "tcp_bad_data_offset")     /* header under 20 or past the segment */ \
  X(udp_bad_length, "udp_bad_length")               /* length field vs IP payload */  \
  X(ipv6_unsupported, "ipv6_unsupported")                                             \
  X(spoofed_source, "spoofed_source")               /* client sent another source */  \
  X(spoofed_from_uplink, "spoofed_from_uplink")     /* uplink sent a client's source */\
  X(not_for_us, "not_for_us")                       /* uplink packet to another dst */ \
  X(martian_destination, "martian_destination")     /* broadcast, multicast, 0/8, 127/8 */ \
  X(unknown_client, "unknown_client")               /* no such client connected */    \
  X(client_to_client, "client_to_client")           /* clients cannot reach each other */ \
  X(to_firewall, "to_firewall")                     /* refused: not a ping to the gateway */ \
  X(rule_drop, "rule_drop")                         /* the client's rules refused it */ \
  X(rules_failed_closed, "rules_failed_closed")     /* rules unreadable: all refused */ \
  X(dsthost_unresolved, "dsthost_unresolved")       /* a dsthost name has no answer */ \
  X(ttl_expired, "ttl_expired")                                                       \
  X(too_big, "too_big")                             /* DF set, over the egress MTU */ \
  X(nat, "nat")                                     /* see the NAT's own counters */  \
  X(icmp_rate_limited, "icmp_rate_limited")         /* an ICMP answer was not sent */ \
  X(pool_exhausted, "buffer_pool_exhausted")

AW_NAMED_ENUM(drop_reason, AW_FIREWALL_DROPS)

}  // namespace aw::firewall
