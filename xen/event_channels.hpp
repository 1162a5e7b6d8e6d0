// xen/event_channels.hpp — interdomain event channels, as an interface (one handle per thread).
#pragma once

#include <cstdint>
#include <optional>

#include "xen/xen_error.hpp"

namespace aw::xen {

using evtchn_port = std::uint32_t;

// Xen's semantics, which both implementations keep: a port that fires comes
// back from pending() masked and stays masked until unmask(); notifications
// while masked or already pending coalesce into one.
class event_channels {
 public:
  virtual ~event_channels() = default;
  event_channels() = default;
  event_channels(const event_channels&) = delete;
  event_channels& operator=(const event_channels&) = delete;

  // Backend side: connect to the port the remote domain allocated for us.
  virtual xen_result<evtchn_port> bind_interdomain(domid remote, evtchn_port remote_port) = 0;
  // Frontend side: allocate a port the remote domain may bind to.
  virtual xen_result<evtchn_port> bind_unbound_port(domid remote) = 0;
  virtual status notify(evtchn_port local) = 0;
  // Non-blocking: the next port that fired (now masked), or nullopt if none.
  virtual xen_result<std::optional<evtchn_port>> pending() = 0;
  virtual status unmask(evtchn_port local) = 0;
  virtual status unbind(evtchn_port local) = 0;
  // Readable while a port is pending.
  virtual int fd() const noexcept = 0;
};

}  // namespace aw::xen
