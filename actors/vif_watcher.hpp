// actors/vif_watcher.hpp — the XenStore watcher: follows backend/vif of this domain and
// tells the supervisor of each client vif that appears (with the client's address), once,
// until the supervisor releases it after its port ended.
#pragma once

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/reactor.hpp"
#include "xen/platform.hpp"

namespace aw::actors {

// Sends vif_added to `supervisor` for each new vif directory; listens for
// vif_released; answers stats_atom with watcher.* lines.
vif_watcher_actor spawn_vif_watcher(caf::actor_system& sys, xen::xen_platform platform, reactor& io,
                                    supervisor_actor supervisor);

}  // namespace aw::actors
