// protocol/address.cpp — parsing and formatting of address values.
#include "protocol/address.hpp"

#include <cstdio>

namespace aw::proto {
namespace {

// One decimal number in [0, max] with no sign and no leading zero; advances text.
std::optional<std::uint32_t> take_decimal(std::string_view& text, std::uint32_t max) noexcept {
  std::size_t n = 0;
  while (n < text.size() && n < 4 && text[n] >= '0' && text[n] <= '9') ++n;
  if (n == 0 || n > 3 || (n > 1 && text[0] == '0')) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + static_cast<std::uint32_t>(text[i] - '0');
  if (v > max) return std::nullopt;
  text.remove_prefix(n);
  return v;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<ipv4_address> ipv4_address::parse(std::string_view text) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    auto octet = take_decimal(text, 255);
    if (!octet) return std::nullopt;
    v = (v << 8) | *octet;
  }
  if (!text.empty()) return std::nullopt;
  return ipv4_address{v};
}

std::string ipv4_address::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xffu,
                (value >> 8) & 0xffu, value & 0xffu);
  return buf;
}

std::optional<ipv4_prefix> ipv4_prefix::parse(std::string_view text, bool allow_host_bits) noexcept {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = ipv4_address::parse(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  auto len = take_decimal(len_text, 32);
  if (!addr || !len || !len_text.empty()) return std::nullopt;
  ipv4_prefix p{*addr, static_cast<std::uint8_t>(*len)};
  if ((addr->value & p.mask()) != addr->value) {
    if (!allow_host_bits) return std::nullopt;
    p.address.value &= p.mask();
  }
  return p;
}

std::string ipv4_prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::optional<ipv6_address> ipv6_address::parse(std::string_view text) noexcept {
  std::array<std::uint16_t, 8> groups{};
  int count = 0;       // groups written so far
  int gap_at = -1;     // index where "::" stands
  if (text.size() >= 2 && text.substr(0, 2) == "::") {
    gap_at = 0;
    text.remove_prefix(2);
  }
  while (!text.empty()) {
    if (count >= 8) return std::nullopt;
    // An embedded IPv4 address takes the last two groups.
    auto dot = text.find('.');
    auto colon = text.find(':');
    if (dot != std::string_view::npos && (colon == std::string_view::npos || dot < colon)) {
      if (count > 6) return std::nullopt;
      auto v4 = ipv4_address::parse(text);
      if (!v4) return std::nullopt;
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(v4->value >> 16);
      groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(v4->value);
      text = {};
      break;
    }
    std::size_t n = 0;
    std::uint32_t g = 0;
    while (n < text.size() && n < 5 && hex_digit(text[n]) >= 0) {
      g = g * 16 + static_cast<std::uint32_t>(hex_digit(text[n]));
      ++n;
    }
    if (n == 0 || n > 4) return std::nullopt;
    groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(g);
    text.remove_prefix(n);
    if (text.empty()) break;
    if (text.front() != ':') return std::nullopt;
    text.remove_prefix(1);
    if (!text.empty() && text.front() == ':') {
      if (gap_at >= 0) return std::nullopt;
      gap_at = count;
      text.remove_prefix(1);
    } else if (text.empty()) {
      return std::nullopt;  // trailing single ':'
    }
  }
  if (gap_at < 0 && count != 8) return std::nullopt;
  if (gap_at >= 0 && count > 7) return std::nullopt;
  ipv6_address out;
  int zeros = 8 - count;
  int src = 0;
  for (int i = 0; i < 8; ++i) {
    std::uint16_t g = 0;
    if (gap_at >= 0 && i >= gap_at && i < gap_at + zeros) {
      g = 0;
    } else {
      g = groups[static_cast<std::size_t>(src++)];
    }
    out.bytes[static_cast<std::size_t>(2 * i)] = static_cast<std::uint8_t>(g >> 8);
    out.bytes[static_cast<std::size_t>(2 * i + 1)] = static_cast<std::uint8_t>(g);
  }
  return out;
}

std::string ipv6_address::to_string() const {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{bytes[2 * i]} << 8) | bytes[2 * i + 1];
  // Longest run of two or more zero groups, first one on ties (RFC 5952 4.2).
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[static_cast<std::size_t>(i)] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) { best = i; best_len = j - i; }
    i = j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[static_cast<std::size_t>(i)]);
    out += buf;
  }
  return out;
}

namespace {
// Keeps the first `length` bits of a, zeroing the rest.
ipv6_address masked(ipv6_address a, unsigned length) noexcept {
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned keep = length >= 8 * (i + 1) ? 8 : (length > 8 * i ? length - 8 * static_cast<unsigned>(i) : 0);
    a.bytes[i] = static_cast<std::uint8_t>(a.bytes[i] & static_cast<std::uint8_t>(0xff00u >> keep));
  }
  return a;
}
}  // namespace

std::optional<ipv6_prefix> ipv6_prefix::parse(std::string_view text, bool allow_host_bits) noexcept {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = ipv6_address::parse(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  auto len = take_decimal(len_text, 128);
  if (!addr || !len || !len_text.empty()) return std::nullopt;
  ipv6_address net = masked(*addr, *len);
  if (net != *addr && !allow_host_bits) return std::nullopt;
  return ipv6_prefix{net, static_cast<std::uint8_t>(*len)};
}

bool ipv6_prefix::contains(const ipv6_address& a) const noexcept { return masked(a, length) == address; }

std::string ipv6_prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::optional<mac_address> mac_address::parse(std::string_view text) noexcept {
  if (text.size() != 17) return std::nullopt;
  mac_address m;
  for (std::size_t i = 0; i < 6; ++i) {
    int hi = hex_digit(text[3 * i]), lo = hex_digit(text[3 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[3 * i + 2] != ':') return std::nullopt;
    m.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string mac_address::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

}  // namespace aw::proto
