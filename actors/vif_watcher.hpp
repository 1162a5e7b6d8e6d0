// actors/vif_watcher.hpp — the XenStore watcher: follows backend/vif of this domain and
// tells the supervisor of each client vif that appears (with the client's address), once,
// until the supervisor releases it after its port ended.
#pragma once

#include <caf/fwd.hpp>

#include <functional>
#include <memory>

#include "actors/interfaces.hpp"
#include "actors/reactor.hpp"
#include "xen/netback/vif_backend.hpp"
#include "xen/netfront/vif_frontend.hpp"
#include "xen/xenstore.hpp"

namespace aw::actors {

// How this process reaches Xen (the real libraries, or the simulated hypervisor).
struct xen_platform {
  xen::domid self = 0;  // the backend domain: this one
  std::function<xen::xen_result<std::unique_ptr<xen::xenstore>>()> open_xenstore;
  xen::netback::open_handles_fn open_handles;              // client vifs: grant mapper + event channels
  xen::netfront::open_front_handles_fn open_front_handles;  // the uplink vif: grant sharer + event channels
};

// The real /dev/xen devices and xenstored; self is read from XenStore ("domid").
xen::xen_result<xen_platform> real_xen_platform();

// Sends vif_added to `supervisor` for each new vif directory; listens for
// vif_released; answers stats_atom with watcher.* lines.
vif_watcher_actor spawn_vif_watcher(caf::actor_system& sys, xen_platform platform, reactor& io,
                                    supervisor_actor supervisor);

}  // namespace aw::actors
