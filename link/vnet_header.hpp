// link/vnet_header.hpp — virtio_net_hdr (the TAP / AF_PACKET offload header) to and from
// packet_meta, checking what the kernel hands over.
#pragma once

#include <cstdint>

#include "link/link_error.hpp"
#include "link/virtio_net.hpp"
#include "protocol/bytes.hpp"
#include "protocol/packet.hpp"
#include "protocol/result.hpp"

namespace aw::link {

// The legacy 10-byte header (TUNSETVNETHDRSZ 10, PACKET_VNET_HDR).
inline constexpr std::size_t vnet_header_size = sizeof(vnet_header);

struct rx_offload {
  proto::packet_meta meta;  // l4_checksum, gso, gso_size; interface left 0
  // NEEDS_CSUM pointing somewhere packet_meta cannot describe (not the
  // TCP/UDP checksum field right after a plain IPv4/IPv6 header): the
  // receiver completes the sum in its buffer (complete_checksum) before
  // freezing it, and the frame is then verified.
  bool complete_in_software = false;
  std::uint16_t csum_start = 0, csum_offset = 0;
};

// Maps the header of a received frame of frame_length bytes, of which head
// holds the first ones (at least every header). Checks: csum_start and the
// checksum field inside the frame (and the field inside head), a GSO frame
// with a partial TCP checksum at the place its type says, gso_size != 0,
// hdr_len within the frame. Errors: bad_vnet_header; unsupported_gso for
// UDP GSO/UFO (never enabled). The ECN bit of gso_type is accepted and
// dropped: CWR then stays on the first segment only.
//   NEEDS_CSUM  -> checksum_state::partial
//   DATA_VALID  -> checksum_state::verified
//   GSO_TCPV4/6 -> gso_type::tcpv4/6, gso_size
result<rx_offload, link_error> decode_vnet_header(const vnet_header& h, proto::bytes head,
                                                  std::size_t frame_length) noexcept;

// The header for sending frame. partial -> NEEDS_CSUM with csum_start and
// csum_offset from the frame's own IPv4/IPv6 + TCP/UDP headers; verified ->
// DATA_VALID; gso tcpv4/6 -> GSO type, gso_size and hdr_len (Ethernet + IP +
// TCP header). Errors: bad_offload when the frame cannot carry what its
// meta says (partial on something that is not TCP/UDP, GSO on a frame that
// is not TCP over the matching IP version, GSO without a partial checksum
// or with gso_size 0).
result<vnet_header, link_error> encode_vnet_header(const proto::packet& frame) noexcept;

// Completes a partial checksum in place: the field at start + offset gets
// the complement of the sum over [start, end of frame), where the frame is
// head followed by tail. Precondition: start + offset + 2 <= head.size().
void complete_checksum(proto::mutable_bytes head, proto::mutable_bytes tail, std::size_t start,
                       std::size_t offset) noexcept;

}  // namespace aw::link
