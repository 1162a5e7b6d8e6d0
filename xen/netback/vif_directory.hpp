// xen/netback/vif_directory.hpp — which client vifs dom0 has given this backend domain:
// the directories under /local/domain/<self>/backend/vif/<frontend>/<devid>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xen/xenstore.hpp"

namespace aw::xen::netback {

// "/local/domain/<self>/backend/vif"
std::string vif_backend_root(domid self);

struct vif_listing {
  std::vector<std::string> backend_paths;  // sorted
  std::uint32_t malformed = 0;             // entries that are not canonical domid/devid numbers
};

// Lists the vif backend directories now present; a missing root is an empty listing.
xen_result<vif_listing> list_vif_backends(xenstore& xs, domid self);

}  // namespace aw::xen::netback
