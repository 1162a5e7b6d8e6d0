// xen/xen_error.hpp — why a Xen operation failed: one enum, stable names, errno mapping.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "protocol/result.hpp"

namespace aw::xen {

// X(enumerator, stable name, errno): the name is what counters and logs use; the
// errno is what libxen reports and what the xenstore wire protocol carries.
#define AW_XEN_ERRORS(X)                                 \
  X(not_found, "not_found", ENOENT)                      \
  X(permission_denied, "permission_denied", EACCES)      \
  X(exists, "exists", EEXIST)                            \
  X(invalid_argument, "invalid_argument", EINVAL)        \
  X(again, "again", EAGAIN)                              \
  X(quota_exceeded, "quota_exceeded", ENOSPC)            \
  X(too_big, "too_big", E2BIG)                           \
  X(busy, "busy", EBUSY)                                 \
  X(no_memory, "no_memory", ENOMEM)                      \
  X(not_supported, "not_supported", ENOSYS)              \
  X(io_error, "io_error", EIO)                           \
  X(disconnected, "disconnected", ECONNRESET)            \
  X(bad_domain, "bad_domain", ESRCH)                     \
  X(bad_grant_ref, "bad_grant_ref", ENOENT)              \
  X(read_only_grant, "read_only_grant", EROFS)           \
  X(bad_port, "bad_port", EINVAL)                        \
  X(closed, "closed", EBADF)

enum class xen_error : std::uint8_t {
#define AW_X(name, str, err) name,
  AW_XEN_ERRORS(AW_X)
#undef AW_X
};

constexpr std::string_view to_string(xen_error e) noexcept {
  switch (e) {
#define AW_X(name, str, err) \
  case xen_error::name: return str;
    AW_XEN_ERRORS(AW_X)
#undef AW_X
  }
  return "unknown";
}

constexpr int to_errno(xen_error e) noexcept {
  switch (e) {
#define AW_X(name, str, err) \
  case xen_error::name: return err;
    AW_XEN_ERRORS(AW_X)
#undef AW_X
  }
  return EIO;
}

// errno from a libxen call → the closest error value (unknown errno → io_error).
constexpr xen_error from_errno(int e) noexcept {
  switch (e) {
    case ENOENT: return xen_error::not_found;
    case EACCES: case EPERM: return xen_error::permission_denied;
    case EEXIST: return xen_error::exists;
    case EINVAL: return xen_error::invalid_argument;
    case EAGAIN: return xen_error::again;
    case ENOSPC: case EDQUOT: return xen_error::quota_exceeded;
    case E2BIG: return xen_error::too_big;
    case EBUSY: return xen_error::busy;
    case ENOMEM: return xen_error::no_memory;
    case ENOSYS: case EOPNOTSUPP: return xen_error::not_supported;
    case ECONNRESET: case EPIPE: case ENOTCONN: return xen_error::disconnected;
    case ESRCH: return xen_error::bad_domain;
    case EROFS: return xen_error::read_only_grant;
    case EBADF: return xen_error::closed;
    default: return xen_error::io_error;
  }
}

// A call that returns nothing but may fail.
struct done {
  friend constexpr bool operator==(done, done) noexcept { return true; }
};
using status = result<done, xen_error>;
template <class T>
using xen_result = result<T, xen_error>;

// Xen's domain id (domid_t).
using domid = std::uint16_t;
inline constexpr domid dom0 = 0;

}  // namespace aw::xen
