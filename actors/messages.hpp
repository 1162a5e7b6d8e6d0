// actors/messages.hpp — the messages actors exchange: immutable packet batches, control
// events and atoms, in one CAF type-ID block.
#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/packet.hpp"
#include "rules/host_table.hpp"
#include "rules/ruleset.hpp"

namespace aw::actors {

// At most this many packets per message: one ring or link drain.
inline constexpr std::size_t max_batch = 256;

// IP packets (Ethernet stripped) a client sent, and those that arrived on the uplink, for
// the firewall actor. They carry the sending port's handle, to which the firewall returns
// the batch's credit: defined in actors/interfaces.hpp, after port_actor.
struct client_packets;
struct uplink_packets;

// IP packets to transmit on a port (a client's vif/link or the uplink).
struct transmit_packets {
  std::vector<proto::packet> packets;
};

// A port's producer credit came back: it may send `batches` more.
struct credit {
  std::uint32_t batches = 1;
};

// A port's own deadline for holding egress credit (its `hold`-th hold) passed.
struct egress_hold_expired {
  std::uint64_t hold = 0;
};

// A port's pause after finding its buffer pool exhausted is over: it looks at its device again.
struct pool_wait_over {};

// A file descriptor the reactor watches became readable.
struct fd_ready {
  int fd = -1;
  bool readable = true;
  bool writable = false;  // only when write interest was armed
};

// A client port is up (or down): where the firewall sends that client's packets.
// client_port_up, uplink_port and resolver_handle carry typed handles: declared here (for
// the type-ID block), defined in actors/interfaces.hpp after the interfaces they name, so
// the two headers do not include each other: interfaces.hpp includes this one.
struct client_port_up;
struct client_port_down {
  proto::ipv4_address client;
};

// The uplink port to use (an invalid handle: none, the uplink is down).
struct uplink_port;

// New rules for a client (an immutable snapshot).
struct client_rules {
  proto::ipv4_address client;
  rules::ruleset_ptr rules;
};

// The clients this firewall serves, running or not (/connected-ips).
struct connected_ips {
  std::vector<proto::ipv4_address> ips;
};

// The dsthost names every client's rules use (the firewall to the resolver, when they change).
struct wanted_hosts {
  std::vector<std::string> names;
};
// The resolver's answers (the resolver to the firewall, when they change).
struct host_answers {
  rules::host_addresses_ptr hosts;
};
// DNS queries for the uplink (the resolver to the firewall, which sends them on).
struct dns_queries {
  std::vector<proto::packet> packets;
};
// Datagrams that came back to the resolver's ports (the firewall to the resolver).
struct dns_responses {
  std::vector<proto::packet> packets;
};
// Where the firewall finds the resolver (an invalid handle: none).
struct resolver_handle;

// A client vif's backend directory appeared (the XenStore watcher to the supervisor).
struct vif_added {
  std::string backend_path;
  proto::ipv4_address client;  // from the toolstack's `ip`
  proto::mac_address client_mac;
  std::string name;  // "vif<frontend>.<devid>"
};
// The port of that vif ended (the supervisor to the watcher): report it again if it is back.
struct vif_released {
  std::string backend_path;
};

}  // namespace aw::actors

CAF_BEGIN_TYPE_ID_BLOCK(actorwall, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::client_packets))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::uplink_packets))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::transmit_packets))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::credit))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::fd_ready))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::client_port_up))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::client_port_down))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::uplink_port))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::client_rules))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::connected_ips))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::vif_added))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::vif_released))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::wanted_hosts))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::host_answers))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::dns_queries))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::dns_responses))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::resolver_handle))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::egress_hold_expired))
  CAF_ADD_TYPE_ID(actorwall, (aw::actors::pool_wait_over))
  CAF_ADD_ATOM(actorwall, aw::actors, tick_atom, "tick")
  CAF_ADD_ATOM(actorwall, aw::actors, stats_atom, "stats")
  CAF_ADD_ATOM(actorwall, aw::actors, restart_atom, "restart")
  CAF_ADD_ATOM(actorwall, aw::actors, reload_atom, "reload")
  CAF_ADD_ATOM(actorwall, aw::actors, firewall_handle_atom, "fwhandle")
  CAF_ADD_ATOM(actorwall, aw::actors, resolver_handle_atom, "reshandle")
  // The supervisor's restarts of its helper children, one atom per kind (ports restart
  // with restart_atom and their index).
  CAF_ADD_ATOM(actorwall, aw::actors, restart_resolver_atom, "rsresolver")
  CAF_ADD_ATOM(actorwall, aw::actors, restart_config_atom, "rsconfig")
  CAF_ADD_ATOM(actorwall, aw::actors, restart_watcher_atom, "rswatcher")
CAF_END_TYPE_ID_BLOCK(actorwall)

// Packets hold refcounted buffers: these messages never leave the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::client_packets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::uplink_packets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::transmit_packets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::credit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::fd_ready)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::client_port_up)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::client_port_down)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::uplink_port)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::client_rules)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::connected_ips)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::vif_added)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::vif_released)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::wanted_hosts)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::host_answers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::dns_queries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::dns_responses)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::resolver_handle)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::egress_hold_expired)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aw::actors::pool_wait_over)
