// protocol/ipv6.cpp — IPv6 fixed-header view and repr.
#include "protocol/ipv6.hpp"

#include <algorithm>

namespace aw::proto {

result<ipv6_view, wire_error> ipv6_view::make(bytes packet) noexcept {
  if (packet.size() < header_len) return wire_error::truncated;
  if ((packet[0] >> 4) != 6) return wire_error::bad_version;
  std::size_t total = header_len + load16(packet.data() + 4);
  if (total > packet.size()) return wire_error::total_exceeds_buffer;
  return ipv6_view{packet.first(total)};
}

std::uint8_t ipv6_view::traffic_class() const noexcept {
  return static_cast<std::uint8_t>((load16(b_.data()) >> 4) & 0xffu);
}
std::uint32_t ipv6_view::flow_label() const noexcept { return load32(b_.data()) & 0xfffffu; }

ipv6_address ipv6_view::src() const noexcept {
  ipv6_address a;
  std::copy_n(b_.data() + 8, 16, a.bytes.begin());
  return a;
}
ipv6_address ipv6_view::dst() const noexcept {
  ipv6_address a;
  std::copy_n(b_.data() + 24, 16, a.bytes.begin());
  return a;
}

ipv6_repr ipv6_repr::parse(const ipv6_view& v) noexcept {
  return {v.src(), v.dst(), v.next_header(), v.payload_length(), v.hop_limit(), v.traffic_class(), v.flow_label()};
}

void ipv6_repr::emit(mutable_bytes out) const noexcept {
  std::uint8_t* p = out.data();
  store32(p, (6u << 28) | (std::uint32_t{traffic_class} << 20) | (flow_label & 0xfffffu));
  store16(p + 4, payload_length);
  p[6] = static_cast<std::uint8_t>(next_header);
  p[7] = hop_limit;
  std::copy(src.bytes.begin(), src.bytes.end(), p + 8);
  std::copy(dst.bytes.begin(), dst.bytes.end(), p + 24);
}

}  // namespace aw::proto
