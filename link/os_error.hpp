// link/os_error.hpp — a failed set-up step (open, ioctl, netlink, a command): errno and context.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace aw::link {

// Only for set-up and tear-down, never on the data path (that uses link_error).
struct os_error {
  int code = 0;      // errno, or 0 when not from a system call
  std::string what;  // e.g. "TUNSETIFF aw-test0: Operation not permitted"

  static os_error from_errno(std::string context, int err = errno) {
    return {err, std::move(context) + ": " + std::strerror(err)};
  }
};

}  // namespace aw::link
