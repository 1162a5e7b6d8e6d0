// protocol/framing.hpp — Ethernet at the edges: strip it on arrival (keeping the IP packet
// without link padding) and add it on departure, without copying payloads.
#pragma once

#include "protocol/arp.hpp"
#include "protocol/buffer.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

struct unframed {
  ethernet_repr link;  // the Ethernet header that was removed
  packet payload;      // for IPv4: exactly the datagram (padding removed)
};

// Removes the Ethernet header. For IPv4 payloads the IP header is checked
// enough to know the datagram's length: errors are the IPv4 view's (a
// datagram longer than the frame is total_exceeds_buffer).
result<unframed, wire_error> strip_ethernet(const packet& frame) noexcept;

// The frame carrying p: a fresh head with the Ethernet header and p's headers
// (p's whole head when p has two slices, else its first small_packet_copy
// bytes), then the rest of p's bytes shared.
result<packet, wire_error> add_ethernet(const packet& p, const ethernet_repr& link, buffer_pool& pool) noexcept;

// A whole ARP frame (Ethernet header + ARP message) in a fresh buffer.
result<packet, wire_error> make_arp_frame(const mac_address& dst, const mac_address& src, const arp_repr& arp,
                                          buffer_pool& pool) noexcept;

}  // namespace aw::proto
