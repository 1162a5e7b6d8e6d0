// protocol/udp.cpp — UDP view and repr.
#include "protocol/udp.hpp"

#include "protocol/checksum.hpp"
#include "protocol/ipv4.hpp"

namespace aw::proto {

result<udp_view, wire_error> udp_view::make(bytes datagram) noexcept {
  if (datagram.size() < header_len) return wire_error::truncated;
  std::uint16_t len = load16(datagram.data() + udp_field::length);
  if (len < header_len) return wire_error::bad_length;
  if (len > datagram.size()) return wire_error::total_exceeds_buffer;
  return udp_view{datagram.first(len)};
}

bool udp_view::verify_checksum(ipv4_address src, ipv4_address dst) const noexcept {
  if (!has_checksum()) return true;
  return checksum::verifies(b_, checksum::pseudo_header_v4(src, dst, static_cast<std::uint8_t>(ip_protocol::udp),
                                                           length()));
}

void udp_repr::emit(mutable_bytes datagram, ipv4_address src, ipv4_address dst) const noexcept {
  std::uint8_t* p = datagram.data();
  auto len = static_cast<std::uint16_t>(datagram.size());
  store16(p + udp_field::src_port, src_port);
  store16(p + udp_field::dst_port, dst_port);
  store16(p + udp_field::length, len);
  store16(p + udp_field::checksum, 0);
  std::uint16_t s = checksum::sum(datagram, checksum::pseudo_header_v4(src, dst, static_cast<std::uint8_t>(ip_protocol::udp), len));
  store16(p + udp_field::checksum, checksum::udp_field(checksum::finish(s)));
}

}  // namespace aw::proto
