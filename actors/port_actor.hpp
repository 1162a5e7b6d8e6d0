// actors/port_actor.hpp — one port of the firewall (a client's interface or the uplink):
// drains its frame device when the reactor says so, answers ARP, strips Ethernet and
// hands IP batches to the firewall actor under a credit limit; frames and transmits
// what the firewall sends back, and (the uplink) answers a transmit batch's credit only
// once its device has room, so the firewall slows the clients instead of dropping.
#pragma once

#include <caf/fwd.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "actors/frame_device.hpp"
#include "actors/interfaces.hpp"
#include "actors/reactor.hpp"
#include "protocol/address.hpp"

namespace aw::actors {

enum class port_role : std::uint8_t { client, uplink };

struct port_config {
  port_role role = port_role::client;
  std::string name;                  // for logs and status, e.g. "vif3.0" or "uplink"
  std::uint32_t interface = 0;       // ingress interface id stamped on packets
  proto::mac_address own_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};  // the firewall's MAC on this port
  // Client ports: who is on the other side.
  proto::ipv4_address client_ip;
  proto::mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
  // Uplink port: our address there and the netvm's gateway.
  proto::ipv4_address own_ip;
  proto::ipv4_address gateway_ip;
  std::optional<proto::mac_address> gateway_mac;  // static; otherwise learned by ARP
  std::uint32_t max_batches_in_flight = 4;        // credit towards the firewall actor
  // Uplink: how long a transmit batch's credit may wait for the device's queue to go down
  // without any progress (a netvm that stopped taking frames must not stall the clients
  // for longer).
  std::chrono::milliseconds egress_hold_max{100};
  std::chrono::milliseconds arp_retry{1000};
};

// The exit reason of a port whose device went away for good (frame_device::gone()):
// not a crash; the supervisor waits for the device to come back.
inline caf::error port_device_gone() { return caf::make_error(caf::sec::socket_disconnected); }

// The port's counters, answered to stats_atom as "name value" lines.
port_actor spawn_port_actor(caf::actor_system& sys, port_config config, std::unique_ptr<frame_device> device,
                            reactor& io, firewall_actor firewall);

}  // namespace aw::actors
