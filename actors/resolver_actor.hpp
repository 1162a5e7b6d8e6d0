// actors/resolver_actor.hpp — the DNS resolver actor: resolves the rules' dsthost names through
// the uplink (queries and answers pass through the firewall actor, which owns the way out)
// and hands the firewall a new snapshot of the answers whenever they change.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>

#include "actors/interfaces.hpp"
#include "firewall/dns_resolver.hpp"

namespace aw::actors {

struct resolver_actor_config {
  firewall::dns_resolver_config resolver;
  std::chrono::milliseconds tick{250};  // timeouts and refreshes are checked this often
};

// Messages: wanted_hosts, dns_responses, tick_atom, stats_atom (-> "resolver.*" lines).
// Sends the firewall dns_queries and host_answers.
resolver_actor spawn_resolver_actor(caf::actor_system& sys, resolver_actor_config config, firewall_actor firewall);

}  // namespace aw::actors
