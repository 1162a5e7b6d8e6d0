// xen/real/real_xen.hpp — opening the real Xen interfaces (libxenstore, libxenevtchn, libxengnttab).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "xen/event_channels.hpp"
#include "xen/grant_mapper.hpp"
#include "xen/grant_sharer.hpp"
#include "xen/xenstore.hpp"

namespace aw::xen::real {

// Connects to socket_path if given (that socket only, no fallback), else to $XENSTORED_PATH
// if set, else the local xenstored socket or /dev/xen/xenbus.
xen_result<std::unique_ptr<xenstore>> open_xenstore(std::string_view socket_path = {});
// /dev/xen/evtchn
xen_result<std::unique_ptr<event_channels>> open_event_channels();
// /dev/xen/gntdev; max_grants bounds how many pages may be mapped at once.
xen_result<std::unique_ptr<grant_mapper>> open_grant_mapper(std::uint32_t max_grants = 1024);
// /dev/xen/gntalloc
xen_result<std::unique_ptr<grant_sharer>> open_grant_sharer();

}  // namespace aw::xen::real
