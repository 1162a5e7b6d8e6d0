// actors/netback_device.cpp — xenbus steps on XenStore events, data path while Connected.
#include "actors/netback_device.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

namespace aw::actors {
namespace {

bool epoll_add(int ep, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

}  // namespace

xen::xen_result<std::unique_ptr<netback_device>> netback_device::open(std::unique_ptr<xen::xenstore> xs,
                                                                      std::string backend_path,
                                                                      xen::netback::open_handles_fn open_handles,
                                                                      xen::netback::connection_config config,
                                                                      std::chrono::milliseconds removal_delay) {
  if (!xs) return xen::xen_error::invalid_argument;
  std::unique_ptr<netback_device> d{new netback_device()};
  auto vif = xen::netback::vif_backend::open(*xs, std::move(backend_path), std::move(open_handles), config);
  if (!vif) return vif.error();
  d->xs_ = std::move(xs);
  d->vif_ = std::move(*vif);
  d->vif_->set_removal_delay(removal_delay);
  d->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  d->timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (d->epoll_fd_ < 0 || d->timer_fd_ < 0 || !epoll_add(d->epoll_fd_, d->xs_->watch_fd()) ||
      !epoll_add(d->epoll_fd_, d->timer_fd_))
    return xen::from_errno(errno);
  const auto& id = d->vif_->identity();
  if (auto s = d->xs_->watch(id.backend_path, "backend"); !s) return s.error();
  // Only the frontend's state (as Linux's xenbus watches otherend/state): the rest of its
  // directory is the frontend's to write in a loop, and each event costs a step of
  // several XenStore round trips. Its keys are read once, when it says Connected.
  if (auto s = d->xs_->watch(id.frontend_path + "/state", "frontend"); !s) return s.error();
  d->step();
  return d;
}

netback_device::~netback_device() {
  if (conn_fd_ >= 0) (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn_fd_, nullptr);
  vif_.reset();  // unbinds and unmaps a live connection
  if (timer_fd_ >= 0) ::close(timer_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void netback_device::step() {
  if (gone_) return;
  const auto change = vif_->update();
  if (auto old = vif_->take_retired()) {
    if (conn_fd_ == old->fd()) {
      (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn_fd_, nullptr);
      conn_fd_ = -1;
    }
    retired_ += old->counters();
  }
  if (change == xen::netback::vif_change::connected && vif_->conn() != nullptr) {
    conn_fd_ = vif_->conn()->fd();
    if (!epoll_add(epoll_fd_, conn_fd_)) conn_fd_ = -1;
  }
  if (change == xen::netback::vif_change::removed) gone_ = true;
  // A step due later without any event (the backend directory's removal).
  itimerspec when{};
  if (auto due = vif_->next_deadline(); due && !gone_) {
    const auto in = std::max(std::chrono::steady_clock::duration{std::chrono::milliseconds{1}},
                             *due - std::chrono::steady_clock::now());
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(in).count();
    when.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    when.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  (void)::timerfd_settime(timer_fd_, 0, &when, nullptr);  // all zero: disarmed
}

std::size_t netback_device::receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  std::uint64_t expirations = 0;
  const bool timer = ::read(timer_fd_, &expirations, sizeof expirations) == sizeof expirations;
  auto events = xs_->read_watch_events();
  if (timer || !events || !events->empty()) step();  // a lost XenStore connection: the next step says what is left
  auto* c = vif_->conn();
  if (c == nullptr) return 0;
  const std::size_t n = c->receive(out, max, pool);
  if (c->closed()) step();  // the data path gave up on the frontend
  return n;
}

std::size_t netback_device::send(std::span<const proto::packet> frames) {
  auto* c = vif_->conn();
  if (c == nullptr) {
    rx_not_connected_ += frames.size();
    return 0;
  }
  const std::size_t n = c->send(frames);
  // A fatal error on the rx side (the frontend's rx ring): tell the frontend now; the
  // closed connection's fd would never wake us for it.
  if (c->closed()) step();
  return n;
}

std::string netback_device::counters(const std::string& prefix) const {
  auto total = retired_;
  if (const auto* c = std::as_const(*vif_).conn()) total += c->counters();
  std::string out = prefix + "xenbus_state " + std::to_string(static_cast<unsigned>(vif_->state())) + "\n";
  out += prefix + "connects " + std::to_string(vif_->connects()) + "\n";
  if (rx_not_connected_ != 0) out += prefix + "rx_not_connected " + std::to_string(rx_not_connected_) + "\n";
  // Connected without the hotplug script's answer (no xl devd running the vif's script).
  if (vif_->hotplug_timeouts() != 0) out += prefix + "hotplug_timeouts " + std::to_string(vif_->hotplug_timeouts()) + "\n";
  return out + xen::netback::format_counters(total, prefix);
}

}  // namespace aw::actors
