// actors/netfront_device.cpp — frontend xenbus steps on XenStore events, data path while Connected.
#include "actors/netfront_device.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "actors/log.hpp"
#include "protocol/counter_lines.hpp"

namespace aw::actors {
namespace {

constexpr std::string_view backend_token = "backend";

bool watch_fd(int ep, int op, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return ::epoll_ctl(ep, op, fd, op == EPOLL_CTL_DEL ? nullptr : &ev) == 0;
}

}  // namespace

xen::xen_result<std::unique_ptr<netfront_device>> netfront_device::open(
    std::unique_ptr<xen::xenstore> xs, std::string frontend_path, xen::netfront::open_front_handles_fn open_handles) {
  if (!xs || !open_handles) return xen::xen_error::invalid_argument;
  std::unique_ptr<netfront_device> d{new netfront_device()};
  auto vif = xen::netfront::vif_frontend::open(*xs, frontend_path, open_handles);
  if (!vif) return vif.error();
  d->xs_ = std::move(xs);
  d->frontend_path_ = std::move(frontend_path);
  d->open_handles_ = std::move(open_handles);
  d->vif_ = std::move(*vif);
  d->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (d->epoll_fd_ < 0 || !watch_fd(d->epoll_fd_, EPOLL_CTL_ADD, d->xs_->watch_fd())) return xen::from_errno(errno);
  if (auto s = d->xs_->watch(d->frontend_path_, "frontend"); !s) return s.error();
  if (auto s = d->xs_->watch(d->vif_->backend_path(), backend_token); !s) return s.error();
  d->step();
  return d;
}

netfront_device::~netfront_device() {
  // The backend must let go of our pages (and a restarted service finds it closing, not
  // Connected to rings nobody serves). Not when the directory is gone: the write would create
  // it; not when another frontend took the vif over: the state is its own.
  if (vif_ && vif_->state() != xen::xenbus_state::closed && !vif_->taken_over())
    (void)xs_->write(frontend_path_ + "/state", xen::format_xenbus_state(xen::xenbus_state::closing));
  drop_frontend();  // ends the event channel and the grants of a live connection
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void netfront_device::retire(std::unique_ptr<xen::netfront::connection> old) {
  if (!old) return;
  if (conn_fd_ >= 0) (void)watch_fd(epoll_fd_, EPOLL_CTL_DEL, conn_fd_);
  conn_fd_ = -1;
  retired_ += old->counters();
}

void netfront_device::drop_frontend() {
  if (!vif_) return;
  if (const auto* c = vif_->conn()) retired_ += c->counters();
  if (conn_fd_ >= 0) (void)watch_fd(epoll_fd_, EPOLL_CTL_DEL, conn_fd_);
  conn_fd_ = -1;
  retire(vif_->take_retired());
  connects_before_ += vif_->connects();
  if (xs_) (void)xs_->unwatch(vif_->backend_path(), backend_token);
  vif_.reset();  // ends a live connection's event channel, then its grants
}

void netfront_device::follow_backend() {
  auto named = xs_->read(frontend_path_ + "/backend");
  if (!named) {
    // The toolstack removed the frontend directory (the vif detached): nothing to write
    // there any more, or the write would create it again.
    if (named.error() == xen::xen_error::not_found && vif_) {
      log_info("uplink: " + frontend_path_ + " removed (the vif detached)");
      drop_frontend();
    }
    return;
  }
  if (vif_ && *named == vif_->backend_path()) return;
  if (vif_) ++backend_changes_;
  drop_frontend();
  auto vif = xen::netfront::vif_frontend::open(*xs_, frontend_path_, open_handles_);
  if (vif) log_info("uplink: following the backend " + (*vif)->backend_path());
  if (!vif) {
    ++backend_invalid_;  // outside its domain's tree, a bad backend-id, or half written: the next event tells
    return;
  }
  vif_ = std::move(*vif);
  if (!xs_->watch(vif_->backend_path(), backend_token)) ++backend_invalid_;
}

void netfront_device::step() {
  follow_backend();
  if (!vif_) return;
  const auto change = vif_->update();
  retire(vif_->take_retired());
  if (change == xen::netfront::front_change::connected && vif_->conn() != nullptr) {
    conn_fd_ = vif_->conn()->fd();
    if (!watch_fd(epoll_fd_, EPOLL_CTL_ADD, conn_fd_)) conn_fd_ = -1;
    const auto k = vif_->conn()->keys();
    log_info("uplink: connected to " + vif_->backend_path() + " (tx-ring-ref " + std::to_string(k.tx_ring_ref) +
             ", rx-ring-ref " + std::to_string(k.rx_ring_ref) + ", event-channel " + std::to_string(k.event_channel) + ")");
  } else if (change == xen::netfront::front_change::disconnected) {
    if (vif_->taken_over())
      log_error("uplink: another frontend wrote its rings to " + frontend_path_ +
                " (the kernel's xen-netfront bound to it?): actorwall lets go of the uplink; unload xen_netfront");
    else
      log_info("uplink: disconnected from " + vif_->backend_path());
  }
}

template <class DataPath>
std::size_t netfront_device::with_connection(DataPath&& data_path) {
  // XenStore events first (and always: the fd must stop being readable, or a port
  // re-arming it spins); a lost XenStore connection: the next step says what is left.
  auto events = xs_->read_watch_events();
  if (!events || !events->empty()) step();
  auto* c = vif_ ? vif_->conn() : nullptr;
  if (c == nullptr) return 0;
  const std::size_t n = data_path(*c);
  if (c->closed()) step();  // the data path gave up on the backend: Closing
  return n;
}

std::size_t netfront_device::receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) {
  return with_connection([&](xen::netfront::connection& c) { return c.receive(out, max, pool); });
}

std::size_t netfront_device::send(std::span<const proto::packet> frames) {
  auto* c = vif_ ? vif_->conn() : nullptr;
  if (c == nullptr || c->closed()) {
    tx_not_connected_ += frames.size();
    return 0;
  }
  return c->send(frames);
}

std::size_t netfront_device::tx_queued() const {
  const auto* c = vif_ ? vif_->conn() : nullptr;
  return c != nullptr && !c->closed() ? c->tx_queued() : 0;
}

void netfront_device::flush() {
  with_connection([](xen::netfront::connection& c) -> std::size_t {
    c.poll_tx();
    return 0;
  });
}

xen::xenbus_state netfront_device::state() const {
  return vif_ ? vif_->state() : xen::xenbus_state::closed;
}

std::string netfront_device::counters(const std::string& prefix) const {
  auto total = retired_;
  if (vif_ && vif_->conn() != nullptr) total += vif_->conn()->counters();
  std::string out;
  proto::append_counter(out, prefix, "xenbus_state", static_cast<unsigned>(state()));
  proto::append_counter(out, prefix, "connects", connects_before_ + (vif_ ? vif_->connects() : 0));
  proto::append_nonzero_counter(out, prefix, "tx_not_connected", tx_not_connected_);
  proto::append_nonzero_counter(out, prefix, "backend_invalid", backend_invalid_);
  proto::append_nonzero_counter(out, prefix, "backend_changes", backend_changes_);
  proto::append_nonzero_counter(out, prefix, "taken_over", vif_ && vif_->taken_over() ? 1 : 0);
  return out + xen::netfront::format_counters(total, prefix);
}

}  // namespace aw::actors
