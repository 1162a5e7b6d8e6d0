// firewall/l4_validity.cpp — conntrack's transport-layer "invalid" checks, as a pure decision.
#include "firewall/l4_validity.hpp"

#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::firewall {

l4_defect check_l4(const proto::ipv4_view& v) noexcept {
  if (!v.is_first_fragment_or_whole()) return l4_defect::none;
  const auto l4 = v.payload();  // what the head holds of the L4 bytes
  const std::size_t l4_length = v.total_length() - v.header_length();
  switch (v.protocol()) {
    case proto::ip_protocol::tcp:
      if (l4.size() <= proto::tcp_field::flags) return l4_defect::none;  // unreadable: the NAT's malformed
      if (!proto::tcp_flags_valid(l4[proto::tcp_field::flags])) return l4_defect::tcp_invalid_flags;
      // The data offset within the segment (in a first fragment: within the fragment; a
      // header split over fragments is refused, RFC 1858).
      if (const std::size_t doff = static_cast<std::size_t>(l4[proto::tcp_field::offset] >> 4) * 4;
          doff < proto::tcp_view::min_header_len || doff > l4_length)
        return l4_defect::tcp_bad_data_offset;
      return l4_defect::none;
    case proto::ip_protocol::udp: {
      if (l4.size() < proto::udp_view::header_len) return l4_defect::none;
      const std::size_t length = proto::load16(l4.data() + proto::udp_field::length);
      if (length < proto::udp_view::header_len || length < (v.more_fragments() ? l4_length : 0))
        return l4_defect::udp_bad_length;
      // Whole: the datagram must fit its IP payload (bytes past its length are covered by
      // the checksum check as Linux's: they make it fail unless there is no checksum).
      return !v.more_fragments() && length > l4_length ? l4_defect::udp_bad_length : l4_defect::none;
    }
    default: return l4_defect::none;
  }
}

}  // namespace aw::firewall
