// protocol/address.hpp — IPv4/IPv6/MAC address values and IPv4 prefixes: parse, format, compare.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace aw::proto {

struct ipv4_address {
  std::uint32_t value = 0;  // host byte order: 10.137.0.1 == 0x0a890001

  static constexpr ipv4_address from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                            std::uint8_t d) noexcept {
    return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) |
            std::uint32_t{d}};
  }
  // Strict dotted quad: four decimal octets 0-255, no leading '+', no leading zeros, nothing else.
  static std::optional<ipv4_address> parse(std::string_view text) noexcept;
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] constexpr bool is_unspecified() const noexcept { return value == 0; }
  [[nodiscard]] constexpr bool is_broadcast() const noexcept { return value == 0xffffffffu; }
  [[nodiscard]] constexpr bool is_multicast() const noexcept { return (value >> 28) == 0xe; }
  [[nodiscard]] constexpr bool is_loopback() const noexcept { return (value >> 24) == 127; }

  friend constexpr auto operator<=>(ipv4_address, ipv4_address) = default;
};

struct ipv4_prefix {
  ipv4_address address;  // network address: host bits are zero
  std::uint8_t length = 0;

  // "a.b.c.d/n", n in 0..32; host bits must be zero unless allow_host_bits.
  static std::optional<ipv4_prefix> parse(std::string_view text, bool allow_host_bits = false) noexcept;
  [[nodiscard]] constexpr std::uint32_t mask() const noexcept {
    return length == 0 ? 0u : ~std::uint32_t{0} << (32 - length);
  }
  [[nodiscard]] constexpr bool contains(ipv4_address a) const noexcept {
    return (a.value & mask()) == address.value;
  }
  [[nodiscard]] std::string to_string() const;
  friend constexpr bool operator==(const ipv4_prefix&, const ipv4_prefix&) = default;
};

struct ipv6_address {
  std::array<std::uint8_t, 16> bytes{};

  // RFC 4291 text form, with at most one "::"; an embedded IPv4 tail is accepted.
  static std::optional<ipv6_address> parse(std::string_view text) noexcept;
  // RFC 5952 canonical form (lower case, longest zero run compressed).
  [[nodiscard]] std::string to_string() const;
  friend constexpr auto operator<=>(const ipv6_address&, const ipv6_address&) = default;
};

struct ipv6_prefix {
  ipv6_address address;  // network address: host bits are zero
  std::uint8_t length = 0;

  // "addr/n", n in 0..128; host bits must be zero unless allow_host_bits.
  static std::optional<ipv6_prefix> parse(std::string_view text, bool allow_host_bits = false) noexcept;
  [[nodiscard]] bool contains(const ipv6_address& a) const noexcept;
  [[nodiscard]] std::string to_string() const;
  friend constexpr bool operator==(const ipv6_prefix&, const ipv6_prefix&) = default;
};

struct mac_address {
  std::array<std::uint8_t, 6> bytes{};

  static constexpr mac_address broadcast() noexcept { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  // "aa:bb:cc:dd:ee:ff", hex digits in either case.
  static std::optional<mac_address> parse(std::string_view text) noexcept;
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] constexpr bool is_multicast() const noexcept { return (bytes[0] & 1u) != 0; }
  [[nodiscard]] constexpr bool is_broadcast() const noexcept { return *this == broadcast(); }
  friend constexpr auto operator<=>(const mac_address&, const mac_address&) = default;
};

}  // namespace aw::proto

template <>
struct std::hash<aw::proto::ipv4_address> {
  std::size_t operator()(aw::proto::ipv4_address a) const noexcept {
    return std::hash<std::uint32_t>{}(a.value);
  }
};
