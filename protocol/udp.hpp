// protocol/udp.hpp — UDP datagrams (RFC 768): checked view and repr.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

namespace udp_field {
constexpr std::size_t src_port = 0, dst_port = 2, length = 4, checksum = 6;
}

class udp_view {
 public:
  static constexpr std::size_t header_len = 8;

  // Checks: truncated (< 8 bytes), bad_length (length field < 8),
  // total_exceeds_buffer (length field beyond the buffer). Trailing bytes
  // past the length field are ignored.
  static result<udp_view, wire_error> make(bytes datagram) noexcept;

  [[nodiscard]] std::uint16_t src_port() const noexcept { return load16(b_.data() + udp_field::src_port); }
  [[nodiscard]] std::uint16_t dst_port() const noexcept { return load16(b_.data() + udp_field::dst_port); }
  [[nodiscard]] std::uint16_t length() const noexcept { return load16(b_.data() + udp_field::length); }
  [[nodiscard]] std::uint16_t checksum() const noexcept { return load16(b_.data() + udp_field::checksum); }
  [[nodiscard]] bool has_checksum() const noexcept { return checksum() != 0; }
  [[nodiscard]] bytes payload() const noexcept { return b_.subspan(header_len); }
  [[nodiscard]] bytes raw() const noexcept { return b_; }
  // Verifies against the IPv4 pseudo-header; a zero checksum field means
  // "not computed" and verifies (RFC 768).
  [[nodiscard]] bool verify_checksum(ipv4_address src, ipv4_address dst) const noexcept;

 private:
  explicit udp_view(bytes b) noexcept : b_(b) {}
  bytes b_;
};

struct udp_repr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;

  static udp_repr parse(const udp_view& v) noexcept { return {v.src_port(), v.dst_port()}; }
  // datagram: 8 header bytes followed by the payload already in place; writes
  // the header with length = datagram.size() and the checksum over src/dst.
  void emit(mutable_bytes datagram, ipv4_address src, ipv4_address dst) const noexcept;
  friend bool operator==(const udp_repr&, const udp_repr&) = default;
};

}  // namespace aw::proto
