// xen/netback/vif_directory.cpp — listing backend/vif, names parsed strictly.
#include "xen/netback/vif_directory.hpp"

#include <algorithm>

#include "xen/xenbus.hpp"

namespace aw::xen::netback {

std::string vif_backend_root(domid self) { return "/local/domain/" + std::to_string(self) + "/backend/vif"; }

xen_result<vif_listing> list_vif_backends(xenstore& xs, domid self) {
  vif_listing out;
  const std::string root = vif_backend_root(self);
  auto frontends = xs.directory(root);
  if (!frontends) {
    if (frontends.error() == xen_error::not_found) return out;
    return frontends.error();
  }
  for (const auto& fe : *frontends) {
    auto fe_id = parse_xs_uint(fe);
    if (!fe_id || *fe_id >= 0x7ff0u) {
      ++out.malformed;
      continue;
    }
    auto devs = xs.directory(root + "/" + fe);
    if (!devs) continue;  // removed meanwhile
    for (const auto& dev : *devs) {
      if (!parse_xs_uint(dev)) {
        ++out.malformed;
        continue;
      }
      out.backend_paths.push_back(root + "/" + fe + "/" + dev);
    }
  }
  std::sort(out.backend_paths.begin(), out.backend_paths.end());
  return out;
}

}  // namespace aw::xen::netback
