// link/frame_layout.cpp — where the L3 and L4 headers of an Ethernet frame start.
#include "link/frame_layout.hpp"

#include "protocol/ethernet.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::link {

using namespace aw::proto;

std::optional<l4_location> locate_l4(bytes head) noexcept {
  auto eth = ethernet_view::make(head);
  if (!eth) return std::nullopt;
  l4_location loc;
  loc.l3_offset = eth->header_length();
  bytes l3 = head.subspan(loc.l3_offset);
  switch (eth->type()) {
    case ethertype::ipv4: {
      // The head may hold only the first part of a GSO super-packet.
      auto ip = ipv4_view::make(l3, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
      if (!ip || !ip->is_first_fragment_or_whole()) return std::nullopt;
      loc.protocol = ip->protocol();
      loc.l4_offset = loc.l3_offset + ip->header_length();
      break;
    }
    case ethertype::ipv6: {
      // Only the fixed header: ipv6_view::make wants the whole payload in the buffer.
      constexpr std::size_t fixed = 40;
      if (l3.size() < fixed || (l3[0] >> 4) != 6) return std::nullopt;
      loc.ipv6 = true;
      loc.protocol = ip_protocol{l3[6]};
      loc.l4_offset = loc.l3_offset + fixed;
      break;
    }
    default: return std::nullopt;
  }
  bytes l4 = head.subspan(loc.l4_offset);
  switch (loc.protocol) {
    case ip_protocol::tcp: {
      if (l4.size() < tcp_view::min_header_len) return std::nullopt;
      std::size_t len = std::size_t{static_cast<std::uint8_t>(l4[tcp_field::offset] >> 4)} * 4;
      if (len < tcp_view::min_header_len || len > l4.size()) return std::nullopt;
      loc.l4_header_length = len;
      break;
    }
    case ip_protocol::udp:
      if (l4.size() < udp_view::header_len) return std::nullopt;
      loc.l4_header_length = udp_view::header_len;
      break;
    default: return std::nullopt;
  }
  return loc;
}

}  // namespace aw::link
