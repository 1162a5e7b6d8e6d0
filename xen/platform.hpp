// xen/platform.hpp — how this process reaches Xen: its domain id, XenStore connections and
// the openers of a vif's grant and event-channel handles; the real libraries
// (real_xen_platform) or the simulated hypervisor (sim/platform) fill it in.
#pragma once

#include <functional>
#include <memory>

#include "xen/netback/vif_backend.hpp"
#include "xen/netfront/vif_frontend.hpp"
#include "xen/xen_error.hpp"
#include "xen/xenstore.hpp"

namespace aw::xen {

struct xen_platform {
  domid self = 0;  // the backend domain: this one
  std::function<xen_result<std::unique_ptr<xenstore>>()> open_xenstore;
  netback::open_handles_fn open_handles;              // client vifs: grant mapper + event channels
  netfront::open_front_handles_fn open_front_handles;  // the uplink vif: grant sharer + event channels
};

// The real /dev/xen devices and xenstored; self is read from XenStore ("domid").
xen_result<xen_platform> real_xen_platform();

}  // namespace aw::xen
