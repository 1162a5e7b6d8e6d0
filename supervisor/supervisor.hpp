// supervisor/supervisor.hpp — starts and watches the service's actors: the firewall (NAT
// table) actor, the uplink port and one port per client. A crashed port is restarted with
// backoff (its client reconnects; nothing else notices); a crash loop gives up on that port
// and says why; a shutdown stops every port before the firewall.
#pragma once

#include <caf/fwd.hpp>
#include <caf/actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "actors/firewall_actor.hpp"
#include "actors/frame_device.hpp"
#include "actors/port_actor.hpp"
#include "actors/reactor.hpp"

namespace aw::supervisor {

struct port_spec {
  actors::port_config config;
  // Opens (or re-opens, after a crash) the port's device; nullptr on failure.
  std::function<std::unique_ptr<actors::frame_device>()> open;
};

struct supervisor_config {
  actors::firewall_actor_config firewall;
  port_spec uplink;
  std::vector<port_spec> clients;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10000};
  unsigned max_restarts = 5;                    // within restart_window, then give up
  std::chrono::seconds restart_window{60};
};

// Messages: stats_atom -> std::string (every actor's counters plus
// supervisor.* lines); firewall_handle_atom -> caf::actor (for the config actor).
caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_config config, actors::reactor& io);

}  // namespace aw::supervisor
