// actors/config_actor.hpp — the QubesDB actor: reads each client's firewall rules and
// /connected-ips, watches them (a rule reload is committed by the write of
// /qubes-firewall/<ip>), and sends immutable rule snapshots to the firewall actor;
// reconnects with backoff when the daemon goes away.
#pragma once

#include <caf/fwd.hpp>

#include <string>

#include "actors/interfaces.hpp"
#include "actors/reactor.hpp"
#include "qubes/qdb_client.hpp"

namespace aw::actors {

struct config_actor_config {
  std::string qubesdb_socket = "/var/run/qubes/qubesdb.sock";
  qubes::qdb_client_limits limits = {};
};

// Answers stats_atom with config.* counter lines.
config_actor spawn_config_actor(caf::actor_system& sys, config_actor_config config, reactor& io,
                                firewall_actor firewall);

}  // namespace aw::actors
