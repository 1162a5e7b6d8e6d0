// supervisor/supervisor.hpp — starts and watches the service's actors: the firewall (NAT
// table) actor, the QubesDB config actor, the DNS resolver, the XenStore watcher, the uplink
// port and one port per client. A crashed port is restarted with
// backoff (its client reconnects; nothing else notices); a crash loop gives up on that port
// and says why; a shutdown stops every port before the firewall.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/config_actor.hpp"
#include "actors/firewall_actor.hpp"
#include "actors/frame_device.hpp"
#include "actors/interfaces.hpp"
#include "actors/port_actor.hpp"
#include "actors/reactor.hpp"
#include "actors/resolver_actor.hpp"
#include "actors/vif_watcher.hpp"
#include "xen/netback/connection.hpp"

namespace aw::supervisor {

struct port_spec {
  actors::port_config config;
  // Opens (or re-opens, after a crash) the port's device; nullptr on failure.
  std::function<std::unique_ptr<actors::frame_device>()> open;
  // A client vif (set: its backend directory): when its device is gone (dom0
  // detached it) the port is retired, not waited for; the watcher reports it
  // again if the directory comes back.
  std::string vif_backend_path;
};

struct supervisor_config {
  actors::firewall_actor_config firewall;
  port_spec uplink;
  std::vector<port_spec> clients;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10000};
  unsigned max_restarts = 5;                    // within restart_window, then give up
  std::chrono::seconds restart_window{60};
  // A port whose device is gone (actors::port_device_gone, e.g. its namespace was
  // deleted) is not a crash: open is retried this often, for as long as it takes.
  std::chrono::milliseconds reopen_interval{200};
  // Serve the client vifs of this domain (userspace netback): a XenStore
  // watcher reports each vif, which gets a client port of its own.
  std::optional<xen::xen_platform> xen;
  xen::netback::connection_config netback;
  // After Closed, a driver domain removes a detached vif's directory this much
  // later (dom0's libxl must see Closed first).
  std::chrono::milliseconds vif_removal_delay{500};
  // The dsthost resolver: its servers are the firewall's dns_servers and its source
  // the uplink address; it queries from this many UDP ports, drawn at random at
  // start and kept from the NAT (unless firewall.firewall.resolver_ports names them).
  std::size_t resolver_port_count = 16;
  actors::resolver_actor_config resolver;
  // The QubesDB config actor (rules, /connected-ips), restarted like the resolver if
  // it stops; none: rules come from elsewhere (tests send client_rules themselves).
  std::optional<actors::config_actor_config> config;
};

// Messages (actors::supervisor_actor): stats_atom -> std::string (every actor's counters
// plus supervisor.* lines: restarts, gave_up, devices_lost, devices_back, waiting);
// firewall_handle_atom -> actors::firewall_actor (for the config actor);
// resolver_handle_atom -> actors::resolver_actor (the current resolver, possibly
// invalid); reload_atom is passed on to the config actor (SIGHUP).
actors::supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_config config, actors::reactor& io);

}  // namespace aw::supervisor
