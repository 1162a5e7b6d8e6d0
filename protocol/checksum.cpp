// protocol/checksum.cpp — the fast Internet checksum loop.
#include "protocol/checksum.hpp"

#include <bit>
#include <cstring>

namespace aw::proto::checksum {
namespace {

// Adds with end-around carry: the ones'-complement sum of 64-bit lanes. By
// RFC 1071's byte-order independence, summing native-order lanes and swapping
// the folded result gives the big-endian sum.
inline std::uint64_t add_carry(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t s = a + b;
  return s + (s < a ? 1 : 0);
}

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::uint16_t fold64(std::uint64_t s) noexcept {
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

inline std::uint16_t swap16(std::uint16_t v) noexcept {
  return static_cast<std::uint16_t>((v >> 8) | (v << 8));
}

}  // namespace

std::uint16_t sum(bytes data, std::uint16_t initial, bool odd_offset) noexcept {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  // Four independent accumulators keep the add-with-carry chains short.
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  while (n >= 32) {
    a0 = add_carry(a0, load64(p));
    a1 = add_carry(a1, load64(p + 8));
    a2 = add_carry(a2, load64(p + 16));
    a3 = add_carry(a3, load64(p + 24));
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    a0 = add_carry(a0, load64(p));
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    // Zero-padded tail lane: in memory order, as the words it completes.
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    a1 = add_carry(a1, tail);
  }
  std::uint64_t total = add_carry(add_carry(a0, a1), add_carry(a2, a3));
  std::uint16_t s = fold64(total);
  if constexpr (std::endian::native == std::endian::little) s = swap16(s);
  if (odd_offset) s = swap16(s);
  return combine(initial, s);
}

}  // namespace aw::proto::checksum
