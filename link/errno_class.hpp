// link/errno_class.hpp — which link_error an errno from a data-path system call means.
#pragma once

#include <cerrno>

#include "link/link_error.hpp"

namespace aw::link {

// The device or its namespace went away: nothing more will pass.
constexpr bool is_gone(int err) noexcept { return err == EBADFD || err == ENODEV || err == ENXIO || err == ENETDOWN; }
constexpr bool is_would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }
constexpr link_error classify_errno(int err) noexcept {
  if (is_would_block(err)) return link_error::would_block;
  if (is_gone(err)) return link_error::link_gone;
  if (err == EMSGSIZE) return link_error::frame_too_large;
  // A TAP whose interface is down refuses writes with EIO (as a down interface drops):
  // at start, before the other side brings it up. Not a fault of the link. (Reads and
  // packet sockets do not report EIO in normal operation; there it would also mean the
  // interface is not running.)
  if (err == EIO) return link_error::link_down;
  return link_error::io_error;
}

}  // namespace aw::link
