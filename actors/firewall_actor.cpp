// actors/firewall_actor.cpp — handlers over the pure firewall.
#include "actors/firewall_actor.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/status.hpp"

namespace aw::actors {
namespace {

struct firewall_state {
  std::unique_ptr<firewall::firewall> fw;  // set when the actor starts (CAF 0.17 states are default-built)
  proto::buffer_pool pool;
  std::unordered_map<proto::ipv4_address, caf::actor> clients;
  caf::actor uplink;
  std::vector<firewall::outgoing> out;
  std::uint64_t no_port = 0;  // packets for a client or uplink with no port up

  static inline const char* name = "firewall";
};

nat::clock_time now() {
  return std::chrono::duration_cast<nat::clock_time>(std::chrono::steady_clock::now().time_since_epoch());
}

// Sends what the firewall produced: one batch per destination port.
void dispatch(caf::stateful_actor<firewall_state>* self) {
  auto& st = self->state;
  if (st.out.empty()) return;
  std::vector<proto::packet> to_uplink;
  std::unordered_map<proto::ipv4_address, std::vector<proto::packet>> to_clients;
  for (auto& o : st.out) {
    if (o.to == firewall::egress::uplink) to_uplink.push_back(std::move(o.pkt));
    else to_clients[o.client].push_back(std::move(o.pkt));
  }
  st.out.clear();
  if (!to_uplink.empty()) {
    if (st.uplink) self->send(st.uplink, transmit_packets{std::move(to_uplink)});
    else st.no_port += to_uplink.size();
  }
  for (auto& [ip, pkts] : to_clients) {
    auto it = st.clients.find(ip);
    if (it != st.clients.end()) self->send(it->second, transmit_packets{std::move(pkts)});
    else st.no_port += pkts.size();
  }
}

void give_credit(caf::stateful_actor<firewall_state>* self) {
  if (auto sender = caf::actor_cast<caf::actor>(self->current_sender())) self->send(sender, credit{1});
}

caf::behavior firewall_actor(caf::stateful_actor<firewall_state>* self, firewall_actor_config config) {
  self->state.fw = std::make_unique<firewall::firewall>(std::move(config.firewall));
  const auto tick = config.tick;
  self->delayed_send(self, tick, tick_atom_v);
  return {
      [=](const client_packets& in) {
        self->state.fw->from_client(in.client, in.packets, now(), self->state.pool, self->state.out);
        dispatch(self);
        give_credit(self);
      },
      [=](const uplink_packets& in) {
        self->state.fw->from_uplink(in.packets, now(), self->state.pool, self->state.out);
        dispatch(self);
        give_credit(self);
      },
      [=](const client_port_up& up) {
        self->state.fw->add_client(up.client);
        self->state.clients[up.client] = up.port;
      },
      [=](const client_port_down& down) {
        // Every mapping of the client goes, in both directions.
        self->state.fw->remove_client(down.client);
        self->state.clients.erase(down.client);
      },
      [=](const uplink_port& up) { self->state.uplink = up.port; },
      [=](const client_rules& r) { self->state.fw->set_rules(r.client, r.rules); },
      [=](const connected_ips& c) { self->state.fw->set_connected_ips(c.ips); },
      [=](tick_atom) {
        self->state.fw->tick(now(), self->state.out);
        dispatch(self);
        self->delayed_send(self, tick, tick_atom_v);
      },
      [=](stats_atom) -> std::string { return format_firewall_status(*self->state.fw, self->state.no_port); },
  };
}

}  // namespace

caf::actor spawn_firewall_actor(caf::actor_system& sys, firewall_actor_config config) {
  return sys.spawn(firewall_actor, std::move(config));
}

}  // namespace aw::actors
