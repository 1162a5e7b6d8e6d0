// xen/sim/sim_events.cpp — simulated event channels: masked-until-unmask delivery, coalescing, an fd per handle.
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "xen/sim/hypervisor.hpp"

namespace aw::xen::sim {

xen_result<std::uint64_t> hypervisor::open_handle(domid d) {
  std::lock_guard lock(mu_);
  if (find(d) == nullptr) return xen_error::bad_domain;
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return from_errno(errno);
  std::uint64_t id = next_handle_++;
  handles_[id] = handle_state{d, fd, {}};
  return id;
}

void hypervisor::close_handle(std::uint64_t h) noexcept {
  std::vector<evtchn_port> owned;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(h);
    if (it == handles_.end()) return;
    if (domain* dom = find(it->second.dom)) {
      for (const auto& [port, ps] : dom->ports) {
        if (ps.handle == h) owned.push_back(port);
      }
    }
  }
  for (auto p : owned) (void)unbind(h, p);
  std::lock_guard lock(mu_);
  auto it = handles_.find(h);
  ::close(it->second.fd);
  handles_.erase(it);
}

int hypervisor::handle_fd(std::uint64_t h) const {
  std::lock_guard lock(mu_);
  auto it = handles_.find(h);
  return it == handles_.end() ? -1 : it->second.fd;
}

hypervisor::port_state* hypervisor::owned_port(std::uint64_t h, evtchn_port port, domain** dom_out) {
  auto hs = handles_.find(h);
  if (hs == handles_.end()) return nullptr;
  domain* dom = find(hs->second.dom);
  if (dom == nullptr) return nullptr;
  auto p = dom->ports.find(port);
  if (p == dom->ports.end() || p->second.handle != h) return nullptr;
  if (dom_out != nullptr) *dom_out = dom;
  return &p->second;
}

xen_result<evtchn_port> hypervisor::bind_unbound(std::uint64_t h, domid remote) {
  std::lock_guard lock(mu_);
  auto hs = handles_.find(h);
  if (hs == handles_.end()) return xen_error::closed;
  domain* dom = find(hs->second.dom);
  if (find(remote) == nullptr) return xen_error::bad_domain;
  if (dom->ports.size() >= limits_.max_ports_per_domain) return xen_error::no_memory;
  evtchn_port port = dom->next_port++;
  dom->ports[port] = port_state{h, false, remote, 0, false, false};
  return port;
}

xen_result<evtchn_port> hypervisor::bind_interdomain(std::uint64_t h, domid remote, evtchn_port remote_port) {
  std::lock_guard lock(mu_);
  auto hs = handles_.find(h);
  if (hs == handles_.end()) return xen_error::closed;
  domid self = hs->second.dom;
  domain* dom = find(self);
  domain* rdom = find(remote);
  if (rdom == nullptr) return xen_error::bad_domain;
  auto rp = rdom->ports.find(remote_port);
  // The remote port must be unbound and offered to us.
  if (rp == rdom->ports.end() || rp->second.interdomain || rp->second.remote_dom != self) {
    return xen_error::invalid_argument;
  }
  if (dom->ports.size() >= limits_.max_ports_per_domain) return xen_error::no_memory;
  evtchn_port port = dom->next_port++;
  dom->ports[port] = port_state{h, true, remote, remote_port, false, false};
  rp->second.interdomain = true;
  rp->second.remote_port = port;
  // As Xen does (evtchn_bind_interdomain: "we may have lost notifications on the
  // remote unbound port"), the new local port is raised at once: the binder gets
  // one event before the peer sent anything, and the port is masked until unmask.
  deliver(self, port);
  return port;
}

void hypervisor::enqueue(handle_state& h, evtchn_port port) {
  if (h.queue.empty()) {
    std::uint64_t one = 1;
    (void)!::write(h.fd, &one, sizeof one);
  }
  h.queue.push_back(port);
}

void hypervisor::deliver(domid d, evtchn_port port) {
  domain* dom = find(d);
  if (dom == nullptr) return;
  auto p = dom->ports.find(port);
  if (p == dom->ports.end()) return;
  port_state& ps = p->second;
  if (ps.masked) {
    ps.pending = true;  // coalesces until unmask
    return;
  }
  auto hs = handles_.find(ps.handle);
  if (hs == handles_.end()) return;
  ps.masked = true;  // the upcall masks the port
  ps.pending = false;
  enqueue(hs->second, port);
}

status hypervisor::notify(std::uint64_t h, evtchn_port port) {
  std::lock_guard lock(mu_);
  port_state* ps = owned_port(h, port, nullptr);
  if (ps == nullptr) return xen_error::bad_port;
  if (ps->interdomain) deliver(ps->remote_dom, ps->remote_port);
  return done{};
}

xen_result<std::optional<evtchn_port>> hypervisor::pending(std::uint64_t h) {
  std::lock_guard lock(mu_);
  auto hs = handles_.find(h);
  if (hs == handles_.end()) return xen_error::closed;
  auto& q = hs->second.queue;
  if (q.empty()) return std::optional<evtchn_port>{};
  evtchn_port port = q.front();
  q.pop_front();
  if (q.empty()) {
    std::uint64_t v = 0;
    (void)!::read(hs->second.fd, &v, sizeof v);
  }
  return std::optional<evtchn_port>{port};
}

status hypervisor::unmask(std::uint64_t h, evtchn_port port) {
  std::lock_guard lock(mu_);
  port_state* ps = owned_port(h, port, nullptr);
  if (ps == nullptr) return xen_error::bad_port;
  auto& q = handles_[h].queue;
  if (std::find(q.begin(), q.end(), port) != q.end()) return done{};  // not yet read: stays masked
  ps->masked = false;
  if (ps->pending) {
    ps->pending = false;
    ps->masked = true;
    enqueue(handles_[h], port);
  }
  return done{};
}

status hypervisor::unbind(std::uint64_t h, evtchn_port port) {
  std::lock_guard lock(mu_);
  domain* dom = nullptr;
  port_state* ps = owned_port(h, port, &dom);
  if (ps == nullptr) return xen_error::bad_port;
  if (ps->interdomain) {
    // The peer's end falls back to unbound (offered to us again), as in Xen.
    if (domain* rdom = find(ps->remote_dom)) {
      auto rp = rdom->ports.find(ps->remote_port);
      if (rp != rdom->ports.end()) {
        rp->second.interdomain = false;
        rp->second.remote_port = 0;
      }
    }
  }
  dom->ports.erase(port);
  auto& hs = handles_[h];
  auto it = std::find(hs.queue.begin(), hs.queue.end(), port);
  if (it != hs.queue.end()) {
    hs.queue.erase(it);
    if (hs.queue.empty()) {
      std::uint64_t v = 0;
      (void)!::read(hs.fd, &v, sizeof v);
    }
  }
  return done{};
}

}  // namespace aw::xen::sim
