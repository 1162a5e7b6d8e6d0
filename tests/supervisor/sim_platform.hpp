// tests/supervisor/sim_platform.hpp — the Xen platform the service sees over the simulated
// hypervisor: the project's xenstored (XENSTORED_PATH) and the domain's grant mapper, grant
// sharer and event channels, for client vifs (netback) and the uplink vif (netfront).
#pragma once

#include <memory>

#include "actors/vif_watcher.hpp"
#include "xen/real/real_xen.hpp"
#include "xen/sim/hypervisor.hpp"

namespace aw::test {

inline actors::xen_platform sim_xen_platform(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid self) {
  actors::xen_platform p;
  p.self = self;
  p.open_xenstore = [] { return xen::real::open_xenstore(); };
  p.open_handles = [hv, self]() -> xen::xen_result<xen::netback::xen_handles> {
    auto g = hv->open_grant_mapper(self);
    auto e = hv->open_event_channels(self);
    if (!g) return g.error();
    if (!e) return e.error();
    return xen::netback::xen_handles{std::move(*g), std::move(*e)};
  };
  p.open_front_handles = [hv, self]() -> xen::xen_result<xen::netfront::front_handles> {
    auto g = hv->open_grant_sharer(self);
    auto e = hv->open_event_channels(self);
    if (!g) return g.error();
    if (!e) return e.error();
    return xen::netfront::front_handles{std::move(*g), std::move(*e)};
  };
  return p;
}

}  // namespace aw::test
