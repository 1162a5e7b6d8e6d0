// actors/firewall_actor.hpp — the NAT table actor: owns the pure firewall (rules + NAT),
// turns each batch from a port into batches for the uplink and the clients, gives the
// producer its credit back, and runs the expiry timer.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>

#include "actors/interfaces.hpp"
#include "firewall/firewall.hpp"

namespace aw::actors {

struct firewall_actor_config {
  firewall::firewall_config firewall;
  std::chrono::milliseconds tick{1000};  // expiry and fragment timers
};

// Spawns it (its messages: firewall_actor in actors/interfaces.hpp; stats_atom is
// answered with a counter dump as a string).
firewall_actor spawn_firewall_actor(caf::actor_system& sys, firewall_actor_config config);

}  // namespace aw::actors
