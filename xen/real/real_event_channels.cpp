// xen/real/real_event_channels.cpp — the event_channels interface over libxenevtchn.
#include <poll.h>

#include <cerrno>

#include "xen/real/libxen_c.hpp"
#include "xen/real/real_xen.hpp"

namespace aw::xen::real {
namespace {

class real_event_channels final : public event_channels {
 public:
  explicit real_event_channels(xenevtchn_handle* h) : h_(h) {}
  ~real_event_channels() override { xenevtchn_close(h_); }

  xen_result<evtchn_port> bind_interdomain(domid remote, evtchn_port remote_port) override {
    int p = xenevtchn_bind_interdomain(h_, remote, remote_port);
    if (p < 0) return from_errno(errno);
    return static_cast<evtchn_port>(p);
  }
  xen_result<evtchn_port> bind_unbound_port(domid remote) override {
    int p = xenevtchn_bind_unbound_port(h_, remote);
    if (p < 0) return from_errno(errno);
    return static_cast<evtchn_port>(p);
  }
  status notify(evtchn_port local) override {
    if (xenevtchn_notify(h_, local) != 0) return from_errno(errno);
    return done{};
  }
  xen_result<std::optional<evtchn_port>> pending() override {
    // The device read blocks: look first.
    pollfd pfd{xenevtchn_fd(h_), POLLIN, 0};
    int n = ::poll(&pfd, 1, 0);
    if (n < 0) return from_errno(errno);
    if (n == 0) return std::optional<evtchn_port>{};
    int p = xenevtchn_pending(h_);
    if (p < 0) {
      if (errno == EAGAIN) return std::optional<evtchn_port>{};
      return from_errno(errno);
    }
    return std::optional<evtchn_port>{static_cast<evtchn_port>(p)};
  }
  status unmask(evtchn_port local) override {
    if (xenevtchn_unmask(h_, local) != 0) return from_errno(errno);
    return done{};
  }
  status unbind(evtchn_port local) override {
    if (xenevtchn_unbind(h_, local) != 0) return from_errno(errno);
    return done{};
  }
  int fd() const noexcept override { return xenevtchn_fd(h_); }

 private:
  xenevtchn_handle* h_;
};

}  // namespace

xen_result<std::unique_ptr<event_channels>> open_event_channels() {
  xenevtchn_handle* h = xenevtchn_open(nullptr, 0);
  if (h == nullptr) return from_errno(errno);
  return std::unique_ptr<event_channels>(std::make_unique<real_event_channels>(h));
}

}  // namespace aw::xen::real
