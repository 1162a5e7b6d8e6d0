// link/virtio_net.hpp — the legacy virtio_net_hdr ABI that TAP (IFF_VNET_HDR) and AF_PACKET
// (PACKET_VNET_HDR) prepend to frames; <linux/virtio_net.h> is not valid C++ (a field is
// named "class"), so its layout and constants are restated here.
#pragma once

#include <cstdint>
#include <type_traits>

namespace aw::link {

// Host byte order (the kernel's "native" legacy mode, as TUNSETVNETLE/BE are
// left alone). Every field is naturally aligned: no padding.
struct vnet_header {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = 0;
  std::uint16_t hdr_len = 0;      // Ethernet + IP + TCP header bytes of a GSO frame
  std::uint16_t gso_size = 0;     // bytes of payload per segment (the MSS)
  std::uint16_t csum_start = 0;   // where the checksummed range starts
  std::uint16_t csum_offset = 0;  // where the field is, from csum_start
};
static_assert(sizeof(vnet_header) == 10 && std::is_trivially_copyable_v<vnet_header>);

namespace vnet {
constexpr std::uint8_t f_needs_csum = 1, f_data_valid = 2;
constexpr std::uint8_t gso_none = 0, gso_tcpv4 = 1, gso_udp = 3, gso_tcpv6 = 4, gso_udp_l4 = 5, gso_ecn = 0x80;
}  // namespace vnet

}  // namespace aw::link
