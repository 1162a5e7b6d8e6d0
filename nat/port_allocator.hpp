// nat/port_allocator.hpp — free-port tracking for one protocol on the external address:
// an indexed free set partitioned by range class and parity; O(1) random allocation
// (RFC 6056 style, seeded), O(1) release and reservation, never a retry loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "nat/zeroed_array.hpp"

namespace aw::nat {

// splitmix64: small, fast, seedable; quality enough to spread ports.
class port_rng {
 public:
  explicit port_rng(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^32).
  std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
  }

 private:
  std::uint64_t s_;
};

class port_allocator {
 public:
  enum class layout : std::uint8_t {
    // TCP/UDP ports 1-65535 in four partitions: {0-1023, 1024-65535} x {even, odd}.
    // Port 0 is never handed out.
    ports,
    // ICMP query identifiers 0-65535, one partition.
    identifiers,
  };

  explicit port_allocator(layout l);

  // A free port in the range class of hint (RFC 4787 REQ-3a), of its parity
  // when one is free (REQ-4), else of the other parity; for a low hint whose
  // class is full, a high port; nullopt when none is free.
  std::optional<std::uint16_t> allocate(std::uint16_t hint, port_rng& rng) noexcept;
  // Returns an allocated (or reserved) port to the free set; no effect on a free or unmanaged port.
  void release(std::uint16_t port) noexcept;
  // Takes a specific free port out of the free set; false when it is not free.
  bool reserve(std::uint16_t port) noexcept;

  [[nodiscard]] bool is_free(std::uint16_t port) const noexcept;
  [[nodiscard]] bool is_managed(std::uint16_t port) const noexcept { return partition_of(port) != no_partition; }
  [[nodiscard]] std::size_t free_count() const noexcept;
  [[nodiscard]] std::size_t managed_count() const noexcept;
  // Free ports of the range class of hint.
  [[nodiscard]] std::size_t free_in_class(std::uint16_t hint) const noexcept;
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  static constexpr std::size_t no_partition = 4;
  struct partition {
    std::uint32_t base = 0;  // first position in order_
    std::uint32_t size = 0;  // ports in the partition
    std::uint32_t free = 0;  // the free ports are order_[base, base + free)
  };
  [[nodiscard]] std::size_t partition_of(std::uint16_t port) const noexcept;
  std::uint16_t take(partition& p, std::uint32_t at) noexcept;  // at: position inside the free prefix

  // The initial layout, by arithmetic: partition k holds first_[k], +2, +2...
  // (identifiers: 0, 1, 2...). The arrays store the XOR with it, so an
  // untouched entry is zero and costs no memory write at construction.
  [[nodiscard]] std::uint16_t initial_port(std::uint32_t at) const noexcept;
  [[nodiscard]] std::uint16_t initial_position(std::uint16_t port) const noexcept;
  [[nodiscard]] std::uint16_t order_at(std::uint32_t at) const noexcept {
    return static_cast<std::uint16_t>(order_[at] ^ initial_port(at));
  }
  void set_order(std::uint32_t at, std::uint16_t port) noexcept {
    order_[at] = static_cast<std::uint16_t>(port ^ initial_port(at));
  }
  [[nodiscard]] std::uint32_t position_of(std::uint16_t port) const noexcept {
    return static_cast<std::uint16_t>(position_[port] ^ initial_position(port));
  }
  void set_position(std::uint16_t port, std::uint32_t at) noexcept {
    position_[port] = static_cast<std::uint16_t>(at ^ initial_position(port));
  }

  layout layout_;
  std::array<partition, 4> parts_{};
  std::array<std::uint16_t, 4> first_{};  // first port of each partition
  zeroed_array<std::uint16_t> order_;     // ports, grouped by partition, free ones first (XOR initial)
  zeroed_array<std::uint16_t> position_;  // index of each port in order_ (XOR initial)
};

}  // namespace aw::nat
