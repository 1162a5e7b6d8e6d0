// protocol/checksum.hpp — Internet checksum (RFC 1071), IPv4 pseudo-header sums,
// and RFC 1624 incremental updates.
//
// A "sum" is the ones'-complement sum of big-endian 16-bit words, folded to
// 16 bits and not complemented; a "checksum" is the complemented sum as it
// stands in a header.
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace aw::proto::checksum {

// Ones'-complement addition of two sums.
constexpr std::uint16_t combine(std::uint16_t a, std::uint16_t b) noexcept {
  std::uint32_t s = std::uint32_t{a} + b;
  return static_cast<std::uint16_t>((s & 0xffffu) + (s >> 16));
}

// Sum of data (8 bytes per step). odd_offset: the data starts at an odd byte
// offset of the checksummed range, so its bytes sit in the other half of each word.
std::uint16_t sum(bytes data, std::uint16_t initial = 0, bool odd_offset = false) noexcept;

// The checksum field value for data whose sum is s.
constexpr std::uint16_t finish(std::uint16_t s) noexcept { return static_cast<std::uint16_t>(~s); }

// Checksum of a whole buffer, e.g. an IPv4 header with its checksum field zeroed.
inline std::uint16_t internet(bytes data) noexcept { return finish(sum(data)); }

// True when data, checksum field included, sums to all ones.
inline bool verifies(bytes data, std::uint16_t initial = 0) noexcept {
  return sum(data, initial) == 0xffff;
}

// Sum of the TCP/UDP pseudo-header over IPv4 (RFC 793, RFC 768).
constexpr std::uint16_t pseudo_header_v4(ipv4_address src, ipv4_address dst, std::uint8_t protocol,
                                         std::uint16_t l4_length) noexcept {
  std::uint16_t s = combine(static_cast<std::uint16_t>(src.value >> 16),
                            static_cast<std::uint16_t>(src.value));
  s = combine(s, static_cast<std::uint16_t>(dst.value >> 16));
  s = combine(s, static_cast<std::uint16_t>(dst.value));
  s = combine(s, protocol);
  return combine(s, l4_length);
}

// RFC 1624 eqn. 3 on a sum: S' = S + ~m + m'.
constexpr std::uint16_t update_sum(std::uint16_t s, std::uint16_t old_word, std::uint16_t new_word) noexcept {
  return combine(combine(s, static_cast<std::uint16_t>(~old_word)), new_word);
}
constexpr std::uint16_t update_sum32(std::uint16_t s, std::uint32_t old_value, std::uint32_t new_value) noexcept {
  s = update_sum(s, static_cast<std::uint16_t>(old_value >> 16), static_cast<std::uint16_t>(new_value >> 16));
  return update_sum(s, static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

// RFC 1624 eqn. 3 on a checksum field: HC' = ~(~HC + ~m + m').
constexpr std::uint16_t update(std::uint16_t hc, std::uint16_t old_word, std::uint16_t new_word) noexcept {
  return finish(update_sum(finish(hc), old_word, new_word));
}
constexpr std::uint16_t update32(std::uint16_t hc, std::uint32_t old_value, std::uint32_t new_value) noexcept {
  return finish(update_sum32(finish(hc), old_value, new_value));
}

// UDP over IPv4: a computed checksum of 0 is sent as 0xffff, since 0 means
// "no checksum" (RFC 768).
constexpr std::uint16_t udp_field(std::uint16_t checksum) noexcept {
  return checksum == 0 ? 0xffff : checksum;
}

}  // namespace aw::proto::checksum
