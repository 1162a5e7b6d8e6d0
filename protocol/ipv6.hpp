// protocol/ipv6.hpp — the IPv6 fixed header (RFC 8200): enough to classify, drop or forward.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

class ipv6_view {
 public:
  static constexpr std::size_t header_len = 40;

  // Checks: truncated (< 40 bytes), bad_version, total_exceeds_buffer
  // (40 + payload length beyond the buffer). Extension headers are not walked.
  static result<ipv6_view, wire_error> make(bytes packet) noexcept;

  [[nodiscard]] std::uint8_t traffic_class() const noexcept;
  [[nodiscard]] std::uint32_t flow_label() const noexcept;
  [[nodiscard]] std::uint16_t payload_length() const noexcept { return load16(b_.data() + 4); }
  [[nodiscard]] ip_protocol next_header() const noexcept { return ip_protocol{b_[6]}; }
  [[nodiscard]] std::uint8_t hop_limit() const noexcept { return b_[7]; }
  [[nodiscard]] ipv6_address src() const noexcept;
  [[nodiscard]] ipv6_address dst() const noexcept;
  [[nodiscard]] bytes payload() const noexcept { return b_.subspan(header_len); }

 private:
  explicit ipv6_view(bytes b) noexcept : b_(b) {}
  bytes b_;
};

struct ipv6_repr {
  ipv6_address src;
  ipv6_address dst;
  ip_protocol next_header = ip_protocol::udp;
  std::uint16_t payload_length = 0;
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;

  static ipv6_repr parse(const ipv6_view& v) noexcept;
  // Writes ipv6_view::header_len bytes.
  void emit(mutable_bytes out) const noexcept;
  friend bool operator==(const ipv6_repr&, const ipv6_repr&) = default;
};

}  // namespace aw::proto
