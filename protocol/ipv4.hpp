// protocol/ipv4.hpp — IPv4 headers (RFC 791): checked view and repr, with options and fragments.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

// Named IP protocol numbers; any other value is kept as its number.
enum class ip_protocol : std::uint8_t { icmp = 1, tcp = 6, udp = 17, ipv6_icmp = 58 };
std::string_view to_string(ip_protocol p) noexcept;  // "unknown" for unnamed values

// Field offsets inside the IPv4 header, for code that rewrites headers in place.
namespace ipv4_field {
constexpr std::size_t ver_ihl = 0, tos = 1, total_length = 2, ident = 4, flags_frag = 6, ttl = 8,
                      protocol = 9, checksum = 10, src = 12, dst = 16, options = 20;
}

class ipv4_view {
 public:
  static constexpr std::size_t min_header_len = 20;
  static constexpr std::size_t max_header_len = 60;

  // exact: the whole datagram is in the buffer (trailing bytes such as
  // Ethernet padding are allowed and ignored). truncated_ok: only the header
  // must be there, as for the copy of a header inside an ICMP error or the
  // head of a split packet.
  enum class length_check : std::uint8_t { exact, truncated_ok };
  enum class checksum_check : std::uint8_t { verify, skip };

  // Checks, in order: truncated, bad_version, bad_header_length (IHL < 5),
  // truncated (IHL beyond the buffer), header_exceeds_total,
  // total_exceeds_buffer (exact only), bad_checksum (verify only).
  static result<ipv4_view, wire_error> make(bytes packet, length_check lc = length_check::exact,
                                            checksum_check cc = checksum_check::verify) noexcept;

  [[nodiscard]] std::uint8_t version() const noexcept { return b_[0] >> 4; }
  [[nodiscard]] std::size_t header_length() const noexcept { return std::size_t{b_[0] & 0x0fu} * 4; }
  [[nodiscard]] std::uint8_t dscp_ecn() const noexcept { return b_[ipv4_field::tos]; }
  [[nodiscard]] std::uint16_t total_length() const noexcept { return load16(b_.data() + ipv4_field::total_length); }
  [[nodiscard]] std::uint16_t identification() const noexcept { return load16(b_.data() + ipv4_field::ident); }
  [[nodiscard]] bool dont_fragment() const noexcept { return (flags_frag() & 0x4000u) != 0; }
  [[nodiscard]] bool more_fragments() const noexcept { return (flags_frag() & 0x2000u) != 0; }
  // Offset of this fragment's data in the datagram, in bytes.
  [[nodiscard]] std::uint32_t fragment_offset() const noexcept { return (flags_frag() & 0x1fffu) * 8u; }
  [[nodiscard]] bool is_fragment() const noexcept { return more_fragments() || fragment_offset() != 0; }
  [[nodiscard]] bool is_first_fragment_or_whole() const noexcept { return fragment_offset() == 0; }
  [[nodiscard]] std::uint8_t ttl() const noexcept { return b_[ipv4_field::ttl]; }
  [[nodiscard]] ip_protocol protocol() const noexcept { return ip_protocol{b_[ipv4_field::protocol]}; }
  [[nodiscard]] std::uint16_t header_checksum() const noexcept { return load16(b_.data() + ipv4_field::checksum); }
  [[nodiscard]] ipv4_address src() const noexcept { return {load32(b_.data() + ipv4_field::src)}; }
  [[nodiscard]] ipv4_address dst() const noexcept { return {load32(b_.data() + ipv4_field::dst)}; }
  [[nodiscard]] bytes options() const noexcept { return b_.subspan(min_header_len, header_length() - min_header_len); }
  [[nodiscard]] bytes header() const noexcept { return b_.first(header_length()); }
  [[nodiscard]] bool verify_checksum() const noexcept;
  // The payload present in the buffer: up to total_length, fewer bytes when truncated.
  [[nodiscard]] bytes payload() const noexcept { return b_.subspan(header_length(), available() - header_length()); }
  // True when the buffer holds the whole datagram.
  [[nodiscard]] bool complete() const noexcept { return b_.size() >= total_length(); }

 private:
  explicit ipv4_view(bytes b) noexcept : b_(b) {}
  [[nodiscard]] std::uint16_t flags_frag() const noexcept { return load16(b_.data() + ipv4_field::flags_frag); }
  [[nodiscard]] std::size_t available() const noexcept { return b_.size() < total_length() ? b_.size() : total_length(); }
  bytes b_;
};

struct ipv4_repr {
  ipv4_address src;
  ipv4_address dst;
  ip_protocol protocol = ip_protocol::udp;
  std::uint16_t payload_length = 0;
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;
  std::uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // bytes; a multiple of 8
  std::uint8_t options_length = 0;    // multiple of 4, at most 40
  std::array<std::uint8_t, 40> options{};

  // The header fields of v; payload_length = total_length - header length.
  static ipv4_repr parse(const ipv4_view& v) noexcept;
  [[nodiscard]] std::size_t header_length() const noexcept { return ipv4_view::min_header_len + options_length; }
  // Writes header_length() bytes with a correct header checksum.
  void emit(mutable_bytes out) const noexcept;
  friend bool operator==(const ipv4_repr&, const ipv4_repr&) = default;
};

}  // namespace aw::proto
