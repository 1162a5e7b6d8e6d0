// protocol/arp.hpp — ARP for IPv4 over Ethernet (RFC 826): checked view and repr.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

// Named operations; other values are kept as their number.
enum class arp_operation : std::uint16_t { request = 1, reply = 2 };

class arp_view {
 public:
  static constexpr std::size_t length = 28;

  // Refuses short packets (truncated) and any hardware/protocol other than
  // Ethernet/IPv4 with 6/4-byte addresses (unsupported_format).
  static result<arp_view, wire_error> make(bytes packet) noexcept;

  [[nodiscard]] arp_operation operation() const noexcept;
  [[nodiscard]] mac_address sender_mac() const noexcept;
  [[nodiscard]] ipv4_address sender_ip() const noexcept;
  [[nodiscard]] mac_address target_mac() const noexcept;
  [[nodiscard]] ipv4_address target_ip() const noexcept;

 private:
  explicit arp_view(bytes b) noexcept : b_(b) {}
  bytes b_;
};

struct arp_repr {
  arp_operation operation = arp_operation::request;
  mac_address sender_mac;
  ipv4_address sender_ip;
  mac_address target_mac;
  ipv4_address target_ip;

  static arp_repr parse(const arp_view& v) noexcept;
  // A gratuitous ARP announces the sender's own address (sender ip == target ip).
  [[nodiscard]] bool is_gratuitous() const noexcept { return sender_ip == target_ip; }
  // Writes arp_view::length bytes; precondition: out is at least that long.
  void emit(mutable_bytes out) const noexcept;
  friend bool operator==(const arp_repr&, const arp_repr&) = default;
};

}  // namespace aw::proto
