// xen/event_wakeups.hpp — what wakes one end of a netif connection, behind one pollable fd:
// its event channel (a fired port stays masked until the work it announced is done, Linux's
// lateeoi), a kick for work left over, and a put-off unmask for a peer that notifies without
// work (XSA-332): a peer notifying in a loop costs us little, whichever side it is on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "xen/event_channels.hpp"

namespace aw::xen {

struct wakeup_counters {
  std::uint64_t events = 0, kicks = 0;
  // Events that brought no work, and how often their unmask was put off for it.
  std::uint64_t spurious_events = 0, events_deferred = 0;
  wakeup_counters& operator+=(const wakeup_counters& o) noexcept;
};

class event_wakeups {
 public:
  // Watches the channel's fd beside its own kick and timer; nullptr (errno set) when the
  // kernel refuses an fd.
  static std::unique_ptr<event_wakeups> open(event_channels& events);
  ~event_wakeups();
  event_wakeups(const event_wakeups&) = delete;
  event_wakeups& operator=(const event_wakeups&) = delete;

  // Readable when the connection has something to look at.
  [[nodiscard]] int fd() const noexcept { return epoll_fd_; }
  // Come back without waiting for an event (work left over a bound).
  void kick() noexcept;

  // Takes the fired ports, the kick and the timer; the ports stay masked until settle().
  // True when an event woke this call; nullopt when the channel failed.
  std::optional<bool> take(wakeup_counters& c);
  // After the work (worked: the peer's rings moved since the last settle): unmasks the
  // fired ports, or, right after a run of events that brought nothing, when a timer ends
  // (1 ms doubling to 128 ms). False when the channel failed.
  bool settle(bool worked, bool woken, wakeup_counters& c);
  // The ports were unbound: nothing to unmask any more.
  void forget_ports() noexcept { fired_.clear(); }

 private:
  explicit event_wakeups(event_channels& events) : events_(events) {}
  event_channels& events_;
  int epoll_fd_ = -1, kick_fd_ = -1, defer_fd_ = -1;
  std::vector<evtchn_port> fired_;
  bool deferred_ = false;
  std::uint32_t spurious_run_ = 0;
};

}  // namespace aw::xen
