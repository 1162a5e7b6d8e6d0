// xen/toolstack.cpp — libxl's XenStore writes for a vif.
#include "xen/toolstack.hpp"

#include <utility>
#include <vector>

#include "xen/xenbus.hpp"

namespace aw::xen {

std::string vif_backend_path(const vif_spec& v) {
  return "/local/domain/" + std::to_string(v.backend) + "/backend/vif/" + std::to_string(v.frontend) + "/" +
         std::to_string(v.devid);
}

std::string vif_frontend_path(const vif_spec& v) {
  return "/local/domain/" + std::to_string(v.frontend) + "/device/vif/" + std::to_string(v.devid);
}

status attach_vif(xenstore& as_dom0, const vif_spec& v) {
  const std::string be = vif_backend_path(v), fe = vif_frontend_path(v);
  std::vector<std::pair<std::string, std::string>> be_keys = {
      {"frontend", fe},     {"frontend-id", std::to_string(v.frontend)}, {"online", "1"},
      {"state", "1"},       {"script", "/etc/xen/scripts/vif-route-qubes"}, {"mac", v.mac},
      {"handle", std::to_string(v.devid)}, {"type", "vif"}};
  if (v.ip) be_keys.emplace_back("ip", *v.ip);
  if (v.hotplug_status) be_keys.emplace_back("hotplug-status", "");
  const std::pair<std::string, std::string> fe_keys[] = {{"backend", be},
                                                         {"backend-id", std::to_string(v.backend)},
                                                         {"state", "1"},
                                                         {"handle", std::to_string(v.devid)},
                                                         {"mac", v.mac}};
  const xs_permissions be_perms{{v.backend, xs_access::none}, {v.frontend, xs_access::read}};
  const xs_permissions fe_perms{{v.frontend, xs_access::none}, {v.backend, xs_access::read}};
  return with_transaction(as_dom0, [&](xs_transaction t) -> status {
    auto node = [&](const std::string& path, const std::string& value, const xs_permissions& perms) -> status {
      if (auto s = as_dom0.write(path, value, t); !s) return s;
      return as_dom0.set_permissions(path, perms, t);
    };
    if (auto s = node(be, "", be_perms); !s) return s;
    for (const auto& [k, value] : be_keys)
      if (auto s = node(be + "/" + k, value, be_perms); !s) return s;
    if (auto s = node(fe, "", fe_perms); !s) return s;
    for (const auto& [k, value] : fe_keys)
      if (auto s = node(fe + "/" + k, value, fe_perms); !s) return s;
    return done{};
  });
}

status request_vif_detach(xenstore& as_dom0, const vif_spec& v) {
  const std::string be = vif_backend_path(v);
  // One transaction, as libxl: the backend never sees online=0 without Closing, or the reverse.
  return with_transaction(as_dom0, [&](xs_transaction t) -> status {
    // A backend directory already removed stays removed: writing would create it again.
    if (auto st = as_dom0.read(be + "/state", t); !st) {
      if (st.error() == xen_error::not_found) return done{};
      return st.error();
    }
    if (auto s = as_dom0.write(be + "/online", "0", t); !s) return s;
    return as_dom0.write(be + "/state", format_xenbus_state(xenbus_state::closing), t);
  });
}

}  // namespace aw::xen
