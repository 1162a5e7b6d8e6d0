// xen/sim/hypervisor.cpp — the simulated machine's domains and the per-domain interface handles.
#include "xen/sim/hypervisor.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace aw::xen::sim {

namespace {

// Each handle keeps the machine alive and names its domain.
class sim_unmapper final : public detail::unmapper {
 public:
  sim_unmapper(std::shared_ptr<hypervisor> hv, domid d) : hv_(std::move(hv)), dom_(d) {}
  void unmap(std::uint8_t* base, std::size_t pages) noexcept override { hv_->unmap(dom_, base, pages); }

 private:
  std::shared_ptr<hypervisor> hv_;
  domid dom_;
};

class sim_grant_mapper final : public grant_mapper {
 public:
  sim_grant_mapper(std::shared_ptr<hypervisor> hv, domid d)
      : hv_(hv), dom_(d), unmapper_(std::make_shared<sim_unmapper>(std::move(hv), d)) {}

  xen_result<grant_mapping> map(domid granter, std::span<const grant_ref> refs, bool writable) override {
    auto base = hv_->map(dom_, granter, refs, writable);
    if (!base) return base.error();
    return grant_mapping{unmapper_, *base, refs.size(), writable};
  }
  status copy(std::span<copy_segment> segments) override { return hv_->copy(dom_, segments); }

 private:
  std::shared_ptr<hypervisor> hv_;
  domid dom_;
  std::shared_ptr<sim_unmapper> unmapper_;
};

class sim_unsharer final : public detail::unsharer {
 public:
  sim_unsharer(std::shared_ptr<hypervisor> hv, domid d) : hv_(std::move(hv)), dom_(d) {}
  void unshare(std::uint8_t* base, std::size_t pages) noexcept override { hv_->unshare(dom_, base, pages); }

 private:
  std::shared_ptr<hypervisor> hv_;
  domid dom_;
};

class sim_grant_sharer final : public grant_sharer {
 public:
  sim_grant_sharer(std::shared_ptr<hypervisor> hv, domid d)
      : hv_(hv), dom_(d), unsharer_(std::make_shared<sim_unsharer>(std::move(hv), d)) {}

  xen_result<shared_pages> share(domid peer, std::size_t count, bool writable) override {
    auto s = hv_->share(dom_, peer, count, writable);
    if (!s) return s.error();
    return shared_pages{unsharer_, s->first, std::move(s->second)};
  }

 private:
  std::shared_ptr<hypervisor> hv_;
  domid dom_;
  std::shared_ptr<sim_unsharer> unsharer_;
};

class sim_event_channels final : public event_channels {
 public:
  sim_event_channels(std::shared_ptr<hypervisor> hv, std::uint64_t h) : hv_(std::move(hv)), h_(h) {}
  ~sim_event_channels() override { hv_->close_handle(h_); }

  xen_result<evtchn_port> bind_interdomain(domid remote, evtchn_port remote_port) override {
    return hv_->bind_interdomain(h_, remote, remote_port);
  }
  xen_result<evtchn_port> bind_unbound_port(domid remote) override { return hv_->bind_unbound(h_, remote); }
  status notify(evtchn_port local) override { return hv_->notify(h_, local); }
  xen_result<std::optional<evtchn_port>> pending() override { return hv_->pending(h_); }
  status unmask(evtchn_port local) override { return hv_->unmask(h_, local); }
  status unbind(evtchn_port local) override { return hv_->unbind(h_, local); }
  int fd() const noexcept override { return hv_->handle_fd(h_); }

 private:
  std::shared_ptr<hypervisor> hv_;
  std::uint64_t h_;
};

}  // namespace

std::shared_ptr<hypervisor> hypervisor::create(hypervisor_limits limits) {
  return std::shared_ptr<hypervisor>(new hypervisor(limits));
}

hypervisor::~hypervisor() {
  for (auto& [base, m] : mappings_) ::munmap(base, m.pages.size() * page_size);
  for (auto& [base, s] : shares_) ::munmap(base, s.second.size() * page_size);
  for (auto& [id, h] : handles_) ::close(h.fd);
  for (auto& [d, dom] : domains_) {
    if (dom.window != nullptr) ::munmap(dom.window, limits_.max_pages_per_domain * page_size);
    ::close(dom.memfd);
  }
}

status hypervisor::add_domain(domid d) {
  std::lock_guard lock(mu_);
  if (domains_.count(d) != 0) return xen_error::exists;
  int fd = ::memfd_create("aw-sim-domain", MFD_CLOEXEC);
  if (fd < 0) return from_errno(errno);
  domains_[d].memfd = fd;
  // The hypervisor's own view of the domain's memory, for grant copy: the
  // whole bound reserved once (pages past the file's end are never touched).
  void* w = ::mmap(nullptr, limits_.max_pages_per_domain * page_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (w == MAP_FAILED) {
    int e = errno;
    ::close(fd);
    domains_.erase(d);
    return from_errno(e);
  }
  domains_[d].window = static_cast<std::uint8_t*>(w);
  return done{};
}

bool hypervisor::has_domain(domid d) const {
  std::lock_guard lock(mu_);
  return domains_.count(d) != 0;
}

hypervisor::domain* hypervisor::find(domid d) {
  auto it = domains_.find(d);
  return it == domains_.end() ? nullptr : &it->second;
}

const hypervisor::domain* hypervisor::find(domid d) const {
  auto it = domains_.find(d);
  return it == domains_.end() ? nullptr : &it->second;
}

xen_result<std::unique_ptr<event_channels>> hypervisor::open_event_channels(domid d) {
  auto h = open_handle(d);
  if (!h) return h.error();
  return std::unique_ptr<event_channels>(std::make_unique<sim_event_channels>(shared_from_this(), *h));
}

xen_result<std::unique_ptr<grant_mapper>> hypervisor::open_grant_mapper(domid d) {
  if (!has_domain(d)) return xen_error::bad_domain;
  return std::unique_ptr<grant_mapper>(std::make_unique<sim_grant_mapper>(shared_from_this(), d));
}

xen_result<std::unique_ptr<grant_sharer>> hypervisor::open_grant_sharer(domid d) {
  if (!has_domain(d)) return xen_error::bad_domain;
  return std::unique_ptr<grant_sharer>(std::make_unique<sim_grant_sharer>(shared_from_this(), d));
}

std::size_t hypervisor::pages_in_use(domid d) const {
  std::lock_guard lock(mu_);
  const domain* dom = find(d);
  return dom == nullptr ? 0 : dom->pages.size();
}

std::size_t hypervisor::grants_active(domid d) const {
  std::lock_guard lock(mu_);
  const domain* dom = find(d);
  if (dom == nullptr) return 0;
  std::size_t n = 0;
  for (const auto& [ref, g] : dom->grants) n += g.revoked ? 0 : 1;
  return n;
}

std::size_t hypervisor::mappings_held(domid d) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [base, m] : mappings_) n += m.mapper == d ? m.pages.size() : 0;
  return n;
}

std::size_t hypervisor::ports_bound(domid d) const {
  std::lock_guard lock(mu_);
  const domain* dom = find(d);
  return dom == nullptr ? 0 : dom->ports.size();
}

}  // namespace aw::xen::sim
