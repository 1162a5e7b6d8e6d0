// xen/real/real_platform.cpp — the Xen platform over the real libxen libraries.
#include "xen/platform.hpp"

#include "xen/real/real_xen.hpp"
#include "xen/xenbus.hpp"

namespace aw::xen {
namespace {

// Opens the grant device open_grants names and /dev/xen/evtchn, as one Handles.
template <class Handles, class OpenGrants>
auto handles_opener(OpenGrants open_grants) {
  return [open_grants]() -> xen_result<Handles> {
    auto g = open_grants();
    if (!g) return g.error();
    auto e = real::open_event_channels();
    if (!e) return e.error();
    return Handles{std::move(*g), std::move(*e)};
  };
}

}  // namespace

xen_result<xen_platform> real_xen_platform() {
  auto xs = real::open_xenstore();
  if (!xs) return xs.error();
  auto self_id = (*xs)->read("domid");
  if (!self_id) return self_id.error();
  auto self = parse_xs_uint(*self_id);
  if (!self || *self > 0x7fefu) return xen_error::invalid_argument;
  xen_platform p;
  p.self = static_cast<domid>(*self);
  p.open_xenstore = [] { return real::open_xenstore(); };
  p.open_handles = handles_opener<netback::xen_handles>([] { return real::open_grant_mapper(); });
  p.open_front_handles = handles_opener<netfront::front_handles>([] { return real::open_grant_sharer(); });
  return p;
}

}  // namespace aw::xen
