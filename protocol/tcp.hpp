// protocol/tcp.hpp — TCP segments (RFC 9293): checked view and repr, options parsed for MSS.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

namespace tcp_field {
constexpr std::size_t src_port = 0, dst_port = 2, seq = 4, ack = 8, offset = 12, flags = 13, window = 14,
                      checksum = 16, urgent = 18, options = 20;
}

namespace tcp_flag {
constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20, ece = 0x40,
                       cwr = 0x80;
}

// The flag combinations a TCP sends (RFC 9293 §3.10; Linux conntrack's tcp_valid_flags,
// whose others a Linux firewall marks invalid and drops): PSH, ECE and CWR aside, SYN,
// SYN+URG, SYN+ACK, RST, RST+ACK, FIN+ACK, FIN+ACK+URG, ACK, ACK+URG. Never SYN with FIN
// or RST, never a segment with no flags, never FIN without ACK.
constexpr bool tcp_flags_valid(std::uint8_t flags) noexcept {
  using namespace tcp_flag;
  switch (flags & ~(psh | ece | cwr)) {
    case syn: case syn | urg: case syn | ack: case rst: case rst | ack:
    case fin | ack: case fin | ack | urg: case ack: case ack | urg: return true;
    default: return false;
  }
}

class tcp_view {
 public:
  static constexpr std::size_t min_header_len = 20;

  // Checks: truncated (< 20 bytes or data offset beyond the buffer),
  // bad_header_length (data offset < 5). The segment is the whole buffer.
  static result<tcp_view, wire_error> make(bytes segment) noexcept;

  [[nodiscard]] std::uint16_t src_port() const noexcept { return load16(b_.data() + tcp_field::src_port); }
  [[nodiscard]] std::uint16_t dst_port() const noexcept { return load16(b_.data() + tcp_field::dst_port); }
  [[nodiscard]] std::uint32_t seq() const noexcept { return load32(b_.data() + tcp_field::seq); }
  [[nodiscard]] std::uint32_t ack() const noexcept { return load32(b_.data() + tcp_field::ack); }
  [[nodiscard]] std::size_t header_length() const noexcept { return static_cast<std::size_t>(b_[tcp_field::offset] >> 4) * 4; }
  [[nodiscard]] std::uint8_t flags() const noexcept { return b_[tcp_field::flags]; }
  [[nodiscard]] bool has(std::uint8_t flag) const noexcept { return (flags() & flag) != 0; }
  [[nodiscard]] std::uint16_t window() const noexcept { return load16(b_.data() + tcp_field::window); }
  [[nodiscard]] std::uint16_t checksum() const noexcept { return load16(b_.data() + tcp_field::checksum); }
  [[nodiscard]] std::uint16_t urgent() const noexcept { return load16(b_.data() + tcp_field::urgent); }
  [[nodiscard]] bytes options() const noexcept { return b_.subspan(min_header_len, header_length() - min_header_len); }
  [[nodiscard]] bytes payload() const noexcept { return b_.subspan(header_length()); }
  [[nodiscard]] bytes raw() const noexcept { return b_; }
  // The MSS option's value; nullopt when absent or the options are malformed.
  [[nodiscard]] std::optional<std::uint16_t> mss() const noexcept;
  // True when every option's length stays inside the option space.
  [[nodiscard]] bool options_well_formed() const noexcept;
  [[nodiscard]] bool verify_checksum(ipv4_address src, ipv4_address dst) const noexcept;

 private:
  explicit tcp_view(bytes b) noexcept : b_(b) {}
  bytes b_;
};

struct tcp_repr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t urgent = 0;
  std::uint8_t options_length = 0;  // multiple of 4, at most 40
  std::array<std::uint8_t, 40> options{};

  static tcp_repr parse(const tcp_view& v) noexcept;
  // Replaces the options by a single MSS option (kind 2, length 4).
  void set_mss(std::uint16_t mss) noexcept;
  [[nodiscard]] std::size_t header_length() const noexcept { return tcp_view::min_header_len + options_length; }
  // segment: header_length() bytes followed by the payload already in place;
  // writes the header and the checksum over src/dst.
  void emit(mutable_bytes segment, ipv4_address src, ipv4_address dst) const noexcept;
  friend bool operator==(const tcp_repr&, const tcp_repr&) = default;
};

}  // namespace aw::proto
