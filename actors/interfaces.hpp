// actors/interfaces.hpp — the typed interface of each actor: which messages it takes and what it answers.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>

// The message types (and atoms) the interfaces name; the messages that carry handles are
// completed below. Code that sends or receives those includes this header.
#include "actors/messages.hpp"

namespace aw::actors {

// What the reactor sees of an actor that watches a file descriptor. Every such
// actor (port, config, vif watcher) has fd_ready in its interface and converts to this.
using fd_owner_actor = caf::typed_actor<caf::reacts_to<fd_ready>>;

// Anything that answers stats_atom with its "name value" lines (the supervisor's
// status gathering; every actor below converts to this).
using stats_actor = caf::typed_actor<caf::replies_to<stats_atom>::with<std::string>>;

// A port (actors/port_actor): the reactor's fd_ready, the firewall's transmit batches
// and credit, its own ARP retry tick, egress-hold deadline and pause for buffers.
using port_actor = caf::typed_actor<caf::reacts_to<fd_ready>,
                                    caf::reacts_to<credit>,
                                    caf::reacts_to<transmit_packets>,
                                    caf::reacts_to<tick_atom>,
                                    caf::reacts_to<egress_hold_expired>,
                                    caf::reacts_to<pool_wait_over>,
                                    caf::replies_to<stats_atom>::with<std::string>>;

// The DNS resolver (actors/resolver_actor): names from the firewall, the datagrams that
// came back, its own timer tick.
using resolver_actor = caf::typed_actor<caf::reacts_to<wanted_hosts>,
                                        caf::reacts_to<dns_responses>,
                                        caf::reacts_to<tick_atom>,
                                        caf::replies_to<stats_atom>::with<std::string>>;

// Messages that carry handles: defined here, after the interfaces they name
// (declared, and given their type IDs, in messages.hpp).

// IP packets (Ethernet stripped) a client sent, for the firewall actor; `from`, the port,
// gets the batch's credit back (typed: no cast of the current sender).
struct client_packets {
  proto::ipv4_address client;
  std::vector<proto::packet> packets;
  port_actor from;
};

// IP packets that arrived on the uplink, for the firewall actor.
struct uplink_packets {
  std::vector<proto::packet> packets;
  port_actor from;
};

// A client port is up: where the firewall sends that client's packets.
struct client_port_up {
  proto::ipv4_address client;
  port_actor port;
};

// The uplink port to use (an invalid handle: none, the uplink is down).
struct uplink_port {
  port_actor port;
};

// Where the firewall finds the resolver (an invalid handle: none).
struct resolver_handle {
  resolver_actor resolver;
};

// The firewall (actors/firewall_actor): packet batches from the ports (answered with
// credit), credit from the ports for transmit batches, the supervisor's wiring, the
// config actor's rules, the resolver's queries and answers, its own expiry tick.
using firewall_actor = caf::typed_actor<caf::reacts_to<client_packets>,
                                        caf::reacts_to<uplink_packets>,
                                        caf::reacts_to<client_port_up>,
                                        caf::reacts_to<client_port_down>,
                                        caf::reacts_to<uplink_port>,
                                        caf::reacts_to<credit>,
                                        caf::reacts_to<client_rules>,
                                        caf::reacts_to<resolver_handle>,
                                        caf::reacts_to<host_answers>,
                                        caf::reacts_to<dns_queries>,
                                        caf::reacts_to<connected_ips>,
                                        caf::reacts_to<tick_atom>,
                                        caf::replies_to<stats_atom>::with<std::string>>;

// The QubesDB config actor (actors/config_actor): its socket's fd_ready, its own
// reconnect (restart_atom) and retries of busy reads (tick_atom), a reload (SIGHUP,
// through the supervisor).
using config_actor = caf::typed_actor<caf::reacts_to<fd_ready>,
                                      caf::reacts_to<restart_atom>,
                                      caf::reacts_to<tick_atom>,
                                      caf::reacts_to<reload_atom>,
                                      caf::replies_to<stats_atom>::with<std::string>>;

// The XenStore vif watcher (actors/vif_watcher): its watch fd, the supervisor's releases.
using vif_watcher_actor = caf::typed_actor<caf::reacts_to<fd_ready>,
                                           caf::reacts_to<vif_released>,
                                           caf::replies_to<stats_atom>::with<std::string>>;

// The supervisor (supervisor/): the watcher's vifs, its own restarts (restart_atom with
// a port index; one atom for each helper child), the handles it hands out,
// reload_atom for the config actor, and the status of everything.
using supervisor_actor = caf::typed_actor<caf::reacts_to<restart_atom, std::uint32_t>,
                                          caf::reacts_to<restart_resolver_atom>,
                                          caf::reacts_to<restart_config_atom>,
                                          caf::reacts_to<restart_watcher_atom>,
                                          caf::reacts_to<vif_added>,
                                          caf::replies_to<firewall_handle_atom>::with<firewall_actor>,
                                          caf::replies_to<resolver_handle_atom>::with<resolver_actor>,
                                          caf::reacts_to<reload_atom>,
                                          caf::replies_to<stats_atom>::with<std::string>>;

}  // namespace aw::actors
