// protocol/ethernet.cpp — Ethernet II view and repr.
#include "protocol/ethernet.hpp"

#include <algorithm>

namespace aw::proto {
namespace {
namespace field {
constexpr std::size_t dst = 0, src = 6, type = 12, tci = 14, inner_type = 16;
}
}  // namespace

std::string_view to_string(ethertype t) noexcept {
  switch (t) {
    case ethertype::ipv4: return "ipv4";
    case ethertype::arp: return "arp";
    case ethertype::vlan: return "vlan";
    case ethertype::ipv6: return "ipv6";
  }
  return "unknown";
}

result<ethernet_view, wire_error> ethernet_view::make(bytes frame) noexcept {
  if (frame.size() < header_len) return wire_error::truncated;
  if (load16(frame.data() + field::type) == 0x8100 && frame.size() < tagged_header_len)
    return wire_error::truncated;
  return ethernet_view{frame};
}

mac_address ethernet_view::dst() const noexcept {
  mac_address m;
  std::copy_n(b_.data() + field::dst, 6, m.bytes.begin());
  return m;
}

mac_address ethernet_view::src() const noexcept {
  mac_address m;
  std::copy_n(b_.data() + field::src, 6, m.bytes.begin());
  return m;
}

ethertype ethernet_view::type() const noexcept {
  return ethertype{load16(b_.data() + (tagged() ? field::inner_type : field::type))};
}

std::optional<std::uint16_t> ethernet_view::vlan_tci() const noexcept {
  if (!tagged()) return std::nullopt;
  return load16(b_.data() + field::tci);
}

ethernet_repr ethernet_repr::parse(const ethernet_view& v) noexcept {
  return {v.dst(), v.src(), v.type(), v.vlan_tci()};
}

void ethernet_repr::emit(mutable_bytes out) const noexcept {
  std::copy(dst.bytes.begin(), dst.bytes.end(), out.data() + field::dst);
  std::copy(src.bytes.begin(), src.bytes.end(), out.data() + field::src);
  if (vlan_tci) {
    store16(out.data() + field::type, 0x8100);
    store16(out.data() + field::tci, *vlan_tci);
    store16(out.data() + field::inner_type, static_cast<std::uint16_t>(type));
  } else {
    store16(out.data() + field::type, static_cast<std::uint16_t>(type));
  }
}

}  // namespace aw::proto
