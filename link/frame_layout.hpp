// link/frame_layout.hpp — where the L3 and L4 headers of an Ethernet frame start (what
// virtio-net's csum_start / hdr_len describe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"
#include "protocol/ipv4.hpp"

namespace aw::link {

struct l4_location {
  std::size_t l3_offset = 0;         // after the Ethernet header (and one 802.1Q tag)
  std::size_t l4_offset = 0;         // after the IPv4 header with options, or the IPv6 fixed header
  std::size_t l4_header_length = 0;  // TCP: its data offset; UDP: 8
  proto::ip_protocol protocol = proto::ip_protocol::tcp;
  bool ipv6 = false;
  // Offset of the checksum field inside the L4 header (virtio's csum_offset).
  [[nodiscard]] std::size_t checksum_field() const noexcept { return protocol == proto::ip_protocol::udp ? 6 : 16; }
  [[nodiscard]] std::size_t headers_end() const noexcept { return l4_offset + l4_header_length; }
};

// The TCP or UDP header of an unfragmented (or first-fragment) IPv4 packet,
// or of an IPv6 packet whose next header is TCP/UDP (no extension headers),
// lying wholly inside head. nullopt for anything else.
std::optional<l4_location> locate_l4(proto::bytes head) noexcept;

}  // namespace aw::link
