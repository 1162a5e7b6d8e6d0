// xen/xenstore.hpp — the XenStore operations the drivers need, as an interface.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xen/xen_error.hpp"

namespace aw::xen {

// A node's access for one domain, as Xen's ACL letters: n(one) r(ead) w(rite) b(oth).
enum class xs_access : std::uint8_t { none = 0, read = 1, write = 2, both = 3 };

struct xs_permission {
  domid domain = dom0;
  xs_access access = xs_access::none;
  friend bool operator==(const xs_permission&, const xs_permission&) = default;
};

// Xen's layout: the first entry names the owner and the access of every domain
// not listed; later entries grant listed domains their access.
using xs_permissions = std::vector<xs_permission>;

// "r5" ↔ {5, read}; nullopt for anything else (strictly parsed).
std::optional<xs_permission> parse_permission(std::string_view s) noexcept;
std::string format_permission(const xs_permission& p);

// A transaction id (0 = none, Xen's XBT_NULL).
using xs_transaction = std::uint32_t;
inline constexpr xs_transaction no_transaction = 0;

struct xs_watch_event {
  std::string path;
  std::string token;
};

class xenstore {
 public:
  virtual ~xenstore() = default;
  xenstore() = default;
  xenstore(const xenstore&) = delete;
  xenstore& operator=(const xenstore&) = delete;

  virtual xen_result<std::string> read(std::string_view path, xs_transaction t = no_transaction) = 0;
  virtual status write(std::string_view path, std::string_view value, xs_transaction t = no_transaction) = 0;
  virtual status mkdir(std::string_view path, xs_transaction t = no_transaction) = 0;
  // Removes the node and its children; a missing node under an existing parent is success.
  virtual status rm(std::string_view path, xs_transaction t = no_transaction) = 0;
  virtual xen_result<std::vector<std::string>> directory(std::string_view path,
                                                         xs_transaction t = no_transaction) = 0;
  virtual xen_result<xs_permissions> get_permissions(std::string_view path, xs_transaction t = no_transaction) = 0;
  virtual status set_permissions(std::string_view path, const xs_permissions& perms,
                                 xs_transaction t = no_transaction) = 0;

  virtual xen_result<xs_transaction> transaction_start() = 0;
  // commit = false aborts. xen_error::again on commit: a conflict, run it again.
  virtual status transaction_end(xs_transaction t, bool commit) = 0;

  // A watch fires once when set, then on every change of the path or below it
  // (and may fire spuriously). Events are read with read_watch_events().
  virtual status watch(std::string_view path, std::string_view token) = 0;
  virtual status unwatch(std::string_view path, std::string_view token) = 0;
  // Readable when watch events are pending; poll it, then read_watch_events().
  virtual int watch_fd() const noexcept = 0;
  // Non-blocking: every event pending now (possibly none).
  virtual xen_result<std::vector<xs_watch_event>> read_watch_events() = 0;

  virtual xen_result<std::string> get_domain_path(domid d) = 0;
};

// Runs body(t) in a transaction and commits; on a conflict (again) runs it
// again, up to max_attempts. body returns status: an error aborts the
// transaction and is returned as is.
status with_transaction(xenstore& xs, const std::function<status(xs_transaction)>& body, int max_attempts = 16);

}  // namespace aw::xen
