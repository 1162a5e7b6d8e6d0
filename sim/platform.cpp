// sim/platform.cpp — a domain's Xen handles on the simulated hypervisor.
#include "sim/platform.hpp"

#include "xen/real/real_xen.hpp"

namespace aw::sim {

xen::netback::open_handles_fn backend_handles(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid d) {
  return [hv = std::move(hv), d]() -> xen::xen_result<xen::netback::xen_handles> {
    auto g = hv->open_grant_mapper(d);
    auto e = hv->open_event_channels(d);
    if (!g) return g.error();
    if (!e) return e.error();
    return xen::netback::xen_handles{std::move(*g), std::move(*e)};
  };
}

xen::netfront::open_front_handles_fn frontend_handles(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid d) {
  return [hv = std::move(hv), d]() -> xen::xen_result<xen::netfront::front_handles> {
    auto g = hv->open_grant_sharer(d);
    auto e = hv->open_event_channels(d);
    if (!g) return g.error();
    if (!e) return e.error();
    return xen::netfront::front_handles{std::move(*g), std::move(*e)};
  };
}

xen::xen_platform xen_platform_of(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid self,
                                     std::string xenstore_socket) {
  xen::xen_platform p;
  p.self = self;
  p.open_xenstore = [socket = std::move(xenstore_socket)] { return xen::real::open_xenstore(socket); };
  p.open_handles = backend_handles(hv, self);
  p.open_front_handles = frontend_handles(std::move(hv), self);
  return p;
}

}  // namespace aw::sim
