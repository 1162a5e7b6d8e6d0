// xen/sim/hypervisor.hpp — a simulated Xen: domains, grant tables over memfd pages, event channels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "xen/event_channels.hpp"
#include "xen/grant_mapper.hpp"
#include "xen/grant_sharer.hpp"

namespace aw::xen::sim {

struct hypervisor_limits {
  std::size_t max_pages_per_domain = 16384;  // grantable memory per domain (64 MiB)
  std::size_t max_ports_per_domain = 1024;
};

// Xen's semantics where the drivers depend on them:
// - grants: a domain shares zeroed pages (memfd-backed) with one peer, which
//   maps them (mmap of the same memfd: true shared memory; after unmap the
//   address faults) or grant-copies to/from them with per-segment status;
//   unsharing while the peer still maps revokes lazily: the grant is gone for
//   new maps, the page stays the peer's until it unmaps, then is reclaimed.
// - event channels: a fired port comes back from pending() masked; while
//   masked (or already queued) further notifications coalesce into one that is
//   delivered at unmask(); each handle has an fd readable while ports are queued.
// Thread-safe: one lock for the whole machine.
class hypervisor : public std::enable_shared_from_this<hypervisor> {
 public:
  static std::shared_ptr<hypervisor> create(hypervisor_limits limits = {});
  ~hypervisor();
  hypervisor(const hypervisor&) = delete;
  hypervisor& operator=(const hypervisor&) = delete;

  status add_domain(domid d);
  [[nodiscard]] bool has_domain(domid d) const;

  // The interfaces as domain d sees them (d must exist).
  xen_result<std::unique_ptr<event_channels>> open_event_channels(domid d);
  xen_result<std::unique_ptr<grant_mapper>> open_grant_mapper(domid d);
  xen_result<std::unique_ptr<grant_sharer>> open_grant_sharer(domid d);

  // Observations for tests.
  [[nodiscard]] std::size_t pages_in_use(domid d) const;    // shared or awaiting reclaim
  [[nodiscard]] std::size_t grants_active(domid d) const;   // refs d has granted and not revoked
  [[nodiscard]] std::size_t mappings_held(domid d) const;   // foreign pages d maps now
  [[nodiscard]] std::size_t ports_bound(domid d) const;     // event channel ports d has open

  // Internal: used by the per-domain handles (see hypervisor.cpp, sim_grants.cpp, sim_events.cpp).
  struct page_state {
    bool shared = false;  // the owner still shares it
    std::size_t maps = 0;  // peers mapping it now
  };
  struct grant_entry {
    domid peer = 0;
    std::uint32_t page = 0;
    bool readonly = false;
    bool revoked = false;
  };
  struct mapping_record {
    domid mapper = 0;
    domid granter = 0;
    std::vector<std::uint32_t> pages;
    std::vector<grant_ref> refs;
  };
  struct port_state {
    std::uint64_t handle = 0;
    bool interdomain = false;
    domid remote_dom = 0;
    evtchn_port remote_port = 0;
    bool masked = false;
    bool pending = false;
  };
  struct handle_state {
    domid dom = 0;
    int fd = -1;  // eventfd: non-zero while `queue` is not empty
    std::deque<evtchn_port> queue;
  };
  struct domain {
    int memfd = -1;
    std::uint8_t* window = nullptr;  // all of memfd, mapped for grant copy
    std::size_t capacity = 0;  // pages
    std::vector<std::uint32_t> free_pages;
    std::map<std::uint32_t, page_state> pages;
    std::map<grant_ref, grant_entry> grants;
    grant_ref next_ref = 8;  // Xen reserves the first refs
    std::map<evtchn_port, port_state> ports;
    evtchn_port next_port = 1;
  };

  // Grants.
  xen_result<std::pair<std::uint8_t*, std::vector<grant_ref>>> share(domid owner, domid peer, std::size_t count,
                                                                     bool writable);
  void unshare(domid owner, std::uint8_t* base, std::size_t count) noexcept;
  xen_result<std::uint8_t*> map(domid mapper, domid granter, std::span<const grant_ref> refs, bool writable);
  void unmap(domid mapper, std::uint8_t* base, std::size_t count) noexcept;
  status copy(domid caller, std::span<copy_segment> segments);

  // Event channels.
  xen_result<std::uint64_t> open_handle(domid d);
  void close_handle(std::uint64_t h) noexcept;
  int handle_fd(std::uint64_t h) const;
  xen_result<evtchn_port> bind_unbound(std::uint64_t h, domid remote);
  xen_result<evtchn_port> bind_interdomain(std::uint64_t h, domid remote, evtchn_port remote_port);
  status notify(std::uint64_t h, evtchn_port port);
  xen_result<std::optional<evtchn_port>> pending(std::uint64_t h);
  status unmask(std::uint64_t h, evtchn_port port);
  status unbind(std::uint64_t h, evtchn_port port);

 private:
  explicit hypervisor(hypervisor_limits limits) : limits_(limits) {}
  domain* find(domid d);
  const domain* find(domid d) const;
  xen_result<std::uint32_t> alloc_page(domain& dom);
  void release_page(domain& dom, std::uint32_t page) noexcept;
  void deliver(domid d, evtchn_port port);
  void enqueue(handle_state& h, evtchn_port port);
  port_state* owned_port(std::uint64_t h, evtchn_port port, domain** dom_out);

  hypervisor_limits limits_;
  mutable std::mutex mu_;
  std::map<domid, domain> domains_;
  std::map<std::uint8_t*, mapping_record> mappings_;
  std::map<std::uint8_t*, std::pair<domid, std::vector<std::uint32_t>>> shares_;  // owner views
  std::map<std::uint64_t, handle_state> handles_;
  std::uint64_t next_handle_ = 1;
};

}  // namespace aw::xen::sim
