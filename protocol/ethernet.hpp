// protocol/ethernet.hpp — Ethernet II frames with at most one 802.1Q tag: checked view and repr.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

// Named ethertypes; any other value is an unknown type kept as its number.
enum class ethertype : std::uint16_t { ipv4 = 0x0800, arp = 0x0806, vlan = 0x8100, ipv6 = 0x86dd };
std::string_view to_string(ethertype t) noexcept;  // "unknown" for unnamed values

class ethernet_view {
 public:
  static constexpr std::size_t header_len = 14;
  static constexpr std::size_t tagged_header_len = 18;

  // Checks the header (and the 802.1Q tag when the outer type is 0x8100) fits.
  static result<ethernet_view, wire_error> make(bytes frame) noexcept;

  [[nodiscard]] mac_address dst() const noexcept;
  [[nodiscard]] mac_address src() const noexcept;
  // The payload's ethertype: the inner one for a tagged frame.
  [[nodiscard]] ethertype type() const noexcept;
  [[nodiscard]] std::optional<std::uint16_t> vlan_tci() const noexcept;
  [[nodiscard]] std::size_t header_length() const noexcept { return tagged() ? tagged_header_len : header_len; }
  [[nodiscard]] bytes payload() const noexcept { return b_.subspan(header_length()); }
  [[nodiscard]] bytes raw() const noexcept { return b_; }

 private:
  explicit ethernet_view(bytes b) noexcept : b_(b) {}
  [[nodiscard]] bool tagged() const noexcept { return load16(b_.data() + 12) == 0x8100; }
  bytes b_;
};

struct ethernet_repr {
  mac_address dst;
  mac_address src;
  ethertype type = ethertype::ipv4;
  std::optional<std::uint16_t> vlan_tci;

  static ethernet_repr parse(const ethernet_view& v) noexcept;
  [[nodiscard]] std::size_t header_length() const noexcept {
    return vlan_tci ? ethernet_view::tagged_header_len : ethernet_view::header_len;
  }
  // Writes the header into out[0, header_length()); precondition: out is that long.
  void emit(mutable_bytes out) const noexcept;
  friend bool operator==(const ethernet_repr&, const ethernet_repr&) = default;
};

}  // namespace aw::proto
