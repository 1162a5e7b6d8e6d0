// protocol/arp.cpp — ARP view and repr.
#include "protocol/arp.hpp"

#include <algorithm>

namespace aw::proto {
namespace {
namespace field {
constexpr std::size_t htype = 0, ptype = 2, hlen = 4, plen = 5, oper = 6, sha = 8, spa = 14,
                      tha = 18, tpa = 24;
}
}  // namespace

namespace {
mac_address mac_at(const std::uint8_t* p) noexcept {
  mac_address m;
  std::copy_n(p, 6, m.bytes.begin());
  return m;
}
}  // namespace

result<arp_view, wire_error> arp_view::make(bytes packet) noexcept {
  if (packet.size() < length) return wire_error::truncated;
  const std::uint8_t* p = packet.data();
  if (load16(p + field::htype) != 1 || load16(p + field::ptype) != 0x0800 || p[field::hlen] != 6 ||
      p[field::plen] != 4)
    return wire_error::unsupported_format;
  return arp_view{packet.first(length)};
}

arp_operation arp_view::operation() const noexcept { return arp_operation{load16(b_.data() + field::oper)}; }
mac_address arp_view::sender_mac() const noexcept { return mac_at(b_.data() + field::sha); }
ipv4_address arp_view::sender_ip() const noexcept { return {load32(b_.data() + field::spa)}; }
mac_address arp_view::target_mac() const noexcept { return mac_at(b_.data() + field::tha); }
ipv4_address arp_view::target_ip() const noexcept { return {load32(b_.data() + field::tpa)}; }

arp_repr arp_repr::parse(const arp_view& v) noexcept {
  return {v.operation(), v.sender_mac(), v.sender_ip(), v.target_mac(), v.target_ip()};
}

void arp_repr::emit(mutable_bytes out) const noexcept {
  std::uint8_t* p = out.data();
  store16(p + field::htype, 1);
  store16(p + field::ptype, 0x0800);
  p[field::hlen] = 6;
  p[field::plen] = 4;
  store16(p + field::oper, static_cast<std::uint16_t>(operation));
  std::copy(sender_mac.bytes.begin(), sender_mac.bytes.end(), p + field::sha);
  store32(p + field::spa, sender_ip.value);
  std::copy(target_mac.bytes.begin(), target_mac.bytes.end(), p + field::tha);
  store32(p + field::tpa, target_ip.value);
}

}  // namespace aw::proto
