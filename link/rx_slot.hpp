// link/rx_slot.hpp — one receive slot: a pool buffer for the frame (its head, for a GSO
// super-packet) and, on links that take GSO, a large scratch buffer for the rest.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "link/link_error.hpp"
#include "link/vnet_header.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"

namespace aw::link {

// The kernel scatters each frame over the iovecs [vnet header] [small
// buffer] [large scratch]. A frame that fits the small buffer (every MTU
// frame) becomes a one-slice packet and the scratch stays for the next
// read; only a larger frame (a GSO super-packet) takes the scratch as its
// tail, and the next prepare() acquires a new one. So small frames never
// pin 64 KiB blocks, and nothing is copied.
class rx_slot {
 public:
  // Acquires what the slot lacks (the scratch only when large); false when
  // the pool refuses. Buffers of another pool are given back first.
  bool prepare(proto::buffer_pool& pool, bool large) noexcept;
  // The iovecs to read into; returns how many (1 to 3) it filled.
  std::size_t iovecs(std::span<iovec, 3> out, bool vnet) noexcept;
  // Frame bytes the slot can take (after the vnet header).
  [[nodiscard]] std::size_t capacity() const noexcept;
  // A frame of n bytes arrived (truncated: the kernel had more). Appends it
  // to out as a packet, or drops and counts it; the buffers it used are
  // consumed, the others kept.
  void deliver(std::size_t n, bool truncated, bool vnet, std::uint32_t interface, link_counters& counters,
               std::vector<proto::packet>& out) noexcept;
  void release() noexcept;

 private:
  std::optional<proto::unique_buffer> small_, large_;
  const proto::buffer_pool* pool_ = nullptr;
  vnet_header hdr_{};
};

}  // namespace aw::link
