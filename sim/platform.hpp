// sim/platform.hpp — a domain's Xen handles on the simulated hypervisor, as the service and
// the simulated qubes open them: grant mapper or sharer plus event channels.
#pragma once

#include <memory>
#include <string>

#include "xen/platform.hpp"
#include "xen/sim/hypervisor.hpp"

namespace aw::sim {

// Openers of domain d's handles: a backend's (grant mapper) and a frontend's (grant sharer).
xen::netback::open_handles_fn backend_handles(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid d);
xen::netfront::open_front_handles_fn frontend_handles(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid d);

// The Xen platform the service sees as domain `self`: its XenStore connections through the
// real libxenstore to xenstore_socket (the project's xenstored's socket for `self`), and its
// handles as above.
xen::xen_platform xen_platform_of(std::shared_ptr<xen::sim::hypervisor> hv, xen::domid self,
                                     std::string xenstore_socket);

}  // namespace aw::sim
