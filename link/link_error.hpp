// link/link_error.hpp — why a link dropped or refused a frame: one enum, one counter table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "protocol/named_enum.hpp"

namespace aw::link {

// X(enumerator, counter name): the name is stable; counters and logs use it.
#define AW_LINK_ERRORS(X)                                                                     \
  X(would_block, "would_block")             /* tx: kernel queue full (EAGAIN); not tried */   \
  X(truncated, "truncated")                 /* rx: frame larger than the buffers offered */   \
  X(runt, "runt")                           /* rx/tx: shorter than an Ethernet header */       \
  X(bad_vnet_header, "bad_vnet_header")     /* rx: offsets/sizes outside the frame, etc. */   \
  X(unsupported_gso, "unsupported_gso")     /* rx: a GSO type we did not enable (UDP, ...) */ \
  X(bad_offload, "bad_offload")             /* tx: meta asks for csum/GSO the frame can't carry */ \
  X(frame_too_large, "frame_too_large")     /* tx: larger than the link accepts */            \
  X(pool_exhausted, "buffer_pool_exhausted") /* rx: no buffer: frames left in the kernel */   \
  X(link_down, "link_down")                 /* tx: the interface is not up yet (EIO): dropped */ \
  X(io_error, "io_error")                   /* any other errno from read/write */              \
  X(link_gone, "link_gone")                 /* the device was deleted (EBADFD/ENODEV/ENXIO) */

AW_NAMED_ENUM(link_error, AW_LINK_ERRORS)

// What a link did: frames and bytes each way, and one counter per error.
struct link_counters {
  std::uint64_t rx_frames = 0, rx_bytes = 0, rx_calls = 0;
  std::uint64_t tx_frames = 0, tx_bytes = 0, tx_calls = 0;
  std::uint64_t rx_partial = 0, rx_verified = 0, rx_gso = 0;  // offload state seen on receive
  std::array<std::uint64_t, link_error_count> errors{};

  void count(link_error e, std::uint64_t n = 1) noexcept { errors[static_cast<std::size_t>(e)] += n; }
  [[nodiscard]] std::uint64_t operator[](link_error e) const noexcept { return errors[static_cast<std::size_t>(e)]; }
};

// Calls f(name, value) for every counter, errors by their table names (for logs and stats).
template <class F>
void for_each_counter(const link_counters& c, F&& f) {
  f(std::string_view{"rx_frames"}, c.rx_frames);
  f(std::string_view{"rx_bytes"}, c.rx_bytes);
  f(std::string_view{"rx_calls"}, c.rx_calls);
  f(std::string_view{"rx_partial"}, c.rx_partial);
  f(std::string_view{"rx_verified"}, c.rx_verified);
  f(std::string_view{"rx_gso"}, c.rx_gso);
  f(std::string_view{"tx_frames"}, c.tx_frames);
  f(std::string_view{"tx_bytes"}, c.tx_bytes);
  f(std::string_view{"tx_calls"}, c.tx_calls);
  for (std::size_t i = 0; i < link_error_count; ++i) f(to_string(static_cast<link_error>(i)), c.errors[i]);
}

}  // namespace aw::link
