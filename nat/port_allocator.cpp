// nat/port_allocator.cpp — the partitioned free set.
#include "nat/port_allocator.hpp"

namespace aw::nat {

port_allocator::port_allocator(layout l) : layout_(l), order_(65536), position_(65536) {
  if (l == layout::identifiers) {
    parts_[0] = {0, 65536, 65536};
    return;
  }
  // {0-1023} x {even, odd}, then {1024-65535} x {even, odd}; port 0 left out.
  first_ = {2, 1, 1024, 1025};
  const std::array<std::uint32_t, 4> size{511, 512, 32256, 32256};
  std::uint32_t base = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    parts_[k] = {base, size[k], size[k]};
    base += size[k];
  }
}

std::uint16_t port_allocator::initial_port(std::uint32_t at) const noexcept {
  if (layout_ == layout::identifiers) return static_cast<std::uint16_t>(at);
  std::size_t k = 3;
  while (k > 0 && at < parts_[k].base) --k;
  return static_cast<std::uint16_t>(first_[k] + 2 * (at - parts_[k].base));
}

std::uint16_t port_allocator::initial_position(std::uint16_t port) const noexcept {
  if (layout_ == layout::identifiers) return port;
  const std::size_t k = partition_of(port);
  if (k == no_partition) return 0;
  return static_cast<std::uint16_t>(parts_[k].base + (port - first_[k]) / 2u);
}

std::size_t port_allocator::partition_of(std::uint16_t port) const noexcept {
  if (layout_ == layout::identifiers) return 0;
  if (port == 0) return no_partition;
  return (port < 1024 ? 0u : 2u) + (port & 1u);
}

std::uint16_t port_allocator::take(partition& p, std::uint32_t at) noexcept {
  // Swap the chosen port with the last free one, then shrink the free prefix.
  const std::uint32_t i = p.base + at;
  const std::uint32_t last = p.base + p.free - 1;
  const std::uint16_t port = order_at(i);
  const std::uint16_t other = order_at(last);
  set_order(i, other);
  set_position(other, i);
  set_order(last, port);
  set_position(port, last);
  --p.free;
  return port;
}

std::optional<std::uint16_t> port_allocator::allocate(std::uint16_t hint, port_rng& rng) noexcept {
  if (layout_ == layout::identifiers) {
    partition& p = parts_[0];
    if (p.free == 0) return std::nullopt;
    return take(p, rng.below(p.free));
  }
  const std::size_t parity = hint & 1u;
  // The class of the hint first (RFC 4787 REQ-3a, RECOMMENDED); a low port may fall
  // back to the high class, so that one client holding the 1023 low ports does not
  // leave every other client's ntpd (port 123) without a mapping. Never the reverse:
  // an unprivileged source does not get a privileged port.
  const std::size_t order[] = {parity, parity ^ 1u, 2u + parity, 2u + (parity ^ 1u)};
  for (std::size_t i = hint < 1024 ? 0u : 2u; i < 4; ++i) {
    partition& p = parts_[order[i]];
    if (p.free != 0) return take(p, rng.below(p.free));
  }
  return std::nullopt;
}

bool port_allocator::is_free(std::uint16_t port) const noexcept {
  std::size_t k = partition_of(port);
  if (k == no_partition) return false;
  return position_of(port) - parts_[k].base < parts_[k].free;
}

void port_allocator::release(std::uint16_t port) noexcept {
  std::size_t k = partition_of(port);
  if (k == no_partition || is_free(port)) return;
  partition& p = parts_[k];
  // Swap the port with the first allocated one and grow the free prefix over it.
  const std::uint32_t i = position_of(port);
  const std::uint32_t first_used = p.base + p.free;
  const std::uint16_t other = order_at(first_used);
  set_order(i, other);
  set_position(other, i);
  set_order(first_used, port);
  set_position(port, first_used);
  ++p.free;
}

bool port_allocator::reserve(std::uint16_t port) noexcept {
  if (!is_free(port)) return false;
  partition& p = parts_[partition_of(port)];
  take(p, position_of(port) - p.base);
  return true;
}

std::size_t port_allocator::free_count() const noexcept {
  std::size_t n = 0;
  for (const auto& p : parts_) n += p.free;
  return n;
}

std::size_t port_allocator::managed_count() const noexcept {
  std::size_t n = 0;
  for (const auto& p : parts_) n += p.size;
  return n;
}

std::size_t port_allocator::free_in_class(std::uint16_t hint) const noexcept {
  if (layout_ == layout::identifiers) return parts_[0].free;
  std::size_t k = hint < 1024 ? 0u : 2u;
  return parts_[k].free + parts_[k + 1].free;
}

std::size_t port_allocator::memory_bytes() const noexcept {
  return sizeof(*this) + order_.memory_bytes() + position_.memory_bytes();
}

}  // namespace aw::nat
