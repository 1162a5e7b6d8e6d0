// xen/event_wakeups.cpp — masked-until-done event ports, a kick eventfd and a deferral timerfd in one epoll set.
#include "xen/event_wakeups.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>

namespace aw::xen {

wakeup_counters& wakeup_counters::operator+=(const wakeup_counters& o) noexcept {
  events += o.events;
  kicks += o.kicks;
  spurious_events += o.spurious_events;
  events_deferred += o.events_deferred;
  return *this;
}

std::unique_ptr<event_wakeups> event_wakeups::open(event_channels& events) {
  std::unique_ptr<event_wakeups> w{new event_wakeups(events)};
  w->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  w->kick_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  w->defer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (w->epoll_fd_ < 0 || w->kick_fd_ < 0 || w->defer_fd_ < 0) return nullptr;
  for (int fd : {events.fd(), w->kick_fd_, w->defer_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(w->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return nullptr;
  }
  return w;
}

event_wakeups::~event_wakeups() {
  for (int fd : {kick_fd_, defer_fd_, epoll_fd_})
    if (fd >= 0) ::close(fd);
}

void event_wakeups::kick() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(kick_fd_, &one, sizeof one);
}

// An event sent while its port is masked is kept pending by the channel and raised again at
// the unmask: the rings are always looked at after any notification, late at worst. Each
// port comes back at most once per call (it stays masked), so the loop ends whatever the
// peer does.
std::optional<bool> event_wakeups::take(wakeup_counters& c) {
  std::uint64_t n = 0;
  if (::read(kick_fd_, &n, sizeof n) == sizeof n) c.kicks += n;
  if (::read(defer_fd_, &n, sizeof n) == sizeof n) deferred_ = false;  // the wait is over
  bool woken = false;
  for (;;) {
    auto p = events_.pending();
    if (!p) return std::nullopt;
    if (!*p) return woken;
    ++c.events;
    woken = true;
    if (std::find(fired_.begin(), fired_.end(), **p) == fired_.end()) fired_.push_back(**p);
  }
}

bool event_wakeups::settle(bool worked, bool woken, wakeup_counters& c) {
  constexpr std::uint32_t tolerated = 8;  // a peer's own timing makes a few harmless
  if (worked) {
    spurious_run_ = 0;
    if (deferred_) {  // behaving again: no reason to keep its ports masked
      const itimerspec off{};
      (void)::timerfd_settime(defer_fd_, 0, &off, nullptr);
      std::uint64_t n = 0;
      (void)!::read(defer_fd_, &n, sizeof n);
      deferred_ = false;
    }
  } else if (woken) {
    ++c.spurious_events;
    ++spurious_run_;
  }
  if (deferred_ || fired_.empty()) return true;
  // Deferred only right after a spurious event: when the wait ends with nothing new,
  // the ports are unmasked (the run is kept: the next spurious event waits longer).
  if (spurious_run_ > tolerated && woken && !worked) {
    const std::uint32_t shift = std::min<std::uint32_t>(spurious_run_ - tolerated - 1, 7);
    const long ms = 1L << shift;
    itimerspec t{};
    t.it_value.tv_sec = ms / 1000;
    t.it_value.tv_nsec = (ms % 1000) * 1'000'000L;
    if (::timerfd_settime(defer_fd_, 0, &t, nullptr) == 0) {
      deferred_ = true;
      ++c.events_deferred;
      return true;
    }
  }
  for (evtchn_port port : fired_)
    if (!events_.unmask(port)) return false;
  fired_.clear();
  return true;
}

}  // namespace aw::xen
