// protocol/icmpv4.hpp — ICMPv4 messages (RFC 792): queries (echo, timestamp) and errors
// (3, 4, 5, 11, 12) with their embedded IP header: checked view and repr.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

// Named types; any other value is kept as its number.
enum class icmp_type : std::uint8_t {
  echo_reply = 0,
  dest_unreachable = 3,
  source_quench = 4,
  redirect = 5,
  echo_request = 8,
  time_exceeded = 11,
  parameter_problem = 12,
  timestamp = 13,
  timestamp_reply = 14,
};
std::string_view to_string(icmp_type t) noexcept;  // "unknown" for unnamed values

// Codes of destination unreachable used by a firewall.
namespace icmp_unreach {
constexpr std::uint8_t net = 0, host = 1, protocol = 2, port = 3, frag_needed = 4, net_prohibited = 9,
                       host_prohibited = 10, admin_prohibited = 13;
}
namespace icmp_time_exceeded {
constexpr std::uint8_t ttl = 0, reassembly = 1;
}

// Errors carry the offending datagram's header; queries carry an identifier.
constexpr bool is_error(icmp_type t) noexcept {
  return t == icmp_type::dest_unreachable || t == icmp_type::source_quench || t == icmp_type::redirect ||
         t == icmp_type::time_exceeded || t == icmp_type::parameter_problem;
}
constexpr bool is_query(icmp_type t) noexcept {
  return t == icmp_type::echo_request || t == icmp_type::echo_reply || t == icmp_type::timestamp ||
         t == icmp_type::timestamp_reply;
}
constexpr bool is_query_request(icmp_type t) noexcept {
  return t == icmp_type::echo_request || t == icmp_type::timestamp;
}

namespace icmp_field {
constexpr std::size_t type = 0, code = 1, checksum = 2, id = 4, seq = 6, rest = 4, data = 8;
}

class icmpv4_view {
 public:
  static constexpr std::size_t header_len = 8;
  static constexpr std::size_t timestamp_len = 20;
  // An error must quote the offending header and at least 8 bytes after it.
  static constexpr std::size_t min_quoted_payload = 8;

  // Checks: truncated (< 8 bytes; timestamp messages < 20), and for errors
  // bad_embedded_packet (the quoted data is not an IPv4 header followed by
  // at least 8 bytes). The checksum is verified separately.
  static result<icmpv4_view, wire_error> make(bytes message) noexcept;

  [[nodiscard]] icmp_type type() const noexcept { return icmp_type{b_[icmp_field::type]}; }
  [[nodiscard]] std::uint8_t code() const noexcept { return b_[icmp_field::code]; }
  [[nodiscard]] std::uint16_t checksum() const noexcept { return load16(b_.data() + icmp_field::checksum); }
  [[nodiscard]] std::uint32_t rest_of_header() const noexcept { return load32(b_.data() + icmp_field::rest); }
  // Queries: identifier and sequence number.
  [[nodiscard]] std::uint16_t query_id() const noexcept { return load16(b_.data() + icmp_field::id); }
  [[nodiscard]] std::uint16_t query_seq() const noexcept { return load16(b_.data() + icmp_field::seq); }
  // Fragmentation needed (3/4): the next-hop MTU (RFC 1191).
  [[nodiscard]] std::uint16_t next_hop_mtu() const noexcept { return load16(b_.data() + icmp_field::seq); }
  // Parameter problem: the pointer octet.
  [[nodiscard]] std::uint8_t pointer() const noexcept { return b_[icmp_field::rest]; }
  [[nodiscard]] bytes data() const noexcept { return b_.subspan(header_len); }
  [[nodiscard]] bytes raw() const noexcept { return b_; }
  // Errors only (is_error(type())): the quoted header, possibly truncated.
  [[nodiscard]] ipv4_view embedded() const noexcept;
  [[nodiscard]] bool verify_checksum() const noexcept;

 private:
  explicit icmpv4_view(bytes b) noexcept : b_(b) {}
  bytes b_;
};

struct icmpv4_repr {
  icmp_type type = icmp_type::echo_request;
  std::uint8_t code = 0;
  std::uint32_t rest = 0;  // id<<16|seq, next-hop MTU, pointer<<24 or gateway, as the type says
  bytes data;              // not owned: the payload, or the quoted datagram of an error

  static icmpv4_repr parse(const icmpv4_view& v) noexcept;
  static icmpv4_repr echo(icmp_type t, std::uint16_t id, std::uint16_t seq, bytes payload) noexcept {
    return {t, 0, (std::uint32_t{id} << 16) | seq, payload};
  }
  [[nodiscard]] std::size_t length() const noexcept { return icmpv4_view::header_len + data.size(); }
  // Writes length() bytes with a correct checksum.
  void emit(mutable_bytes out) const noexcept;
  friend bool operator==(const icmpv4_repr& a, const icmpv4_repr& b) noexcept;
};

}  // namespace aw::proto
