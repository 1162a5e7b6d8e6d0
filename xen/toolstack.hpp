// xen/toolstack.hpp — what dom0's toolstack (libxl) writes to XenStore to attach and detach
// a vif: the backend and frontend directories with their ACLs. For the simulation and tests,
// which play dom0.
#pragma once

#include <optional>
#include <string>

#include "xen/xenstore.hpp"

namespace aw::xen {

struct vif_spec {
  domid backend = 0;   // the domain serving the vif (the firewall, or the netvm for its uplink)
  domid frontend = 0;  // the domain whose network card it is
  unsigned devid = 0;
  std::string mac = "00:16:3e:5e:6c:00";  // the frontend's MAC
  std::optional<std::string> ip;          // Qubes writes the client's address for its firewall
  // libxl writes hotplug-status="" (the backend then waits for the vif's hotplug script);
  // off by default here, where no script runs.
  bool hotplug_status = false;
};

std::string vif_backend_path(const vif_spec& v);   // /local/domain/<backend>/backend/vif/<frontend>/<devid>
std::string vif_frontend_path(const vif_spec& v);  // /local/domain/<frontend>/device/vif/<devid>

// xl network-attach (and domain creation): both directories in state Initialising, online=1,
// in one transaction; each node owned by its domain and readable by the other end.
status attach_vif(xenstore& as_dom0, const vif_spec& v);

// xl network-detach's first step: online=0 and the backend asked to close (Closing), in one
// transaction. The backend answers by closing and, once the frontend is Closed, removing its
// directory.
status request_vif_detach(xenstore& as_dom0, const vif_spec& v);

}  // namespace aw::xen
