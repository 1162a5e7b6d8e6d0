// actors/firewall_actor.cpp — handlers over the pure firewall.
#include "actors/firewall_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <climits>
#include <memory>
#include <unordered_map>

#include "actors/egress_credit.hpp"
#include "actors/messages.hpp"
#include "actors/trace.hpp"
#include "actors/status.hpp"

namespace aw::actors {
namespace {

struct firewall_state {
  std::unique_ptr<firewall::firewall> fw;  // set when the actor starts (CAF 0.17 states are default-built)
  proto::buffer_pool pool;
  std::unordered_map<proto::ipv4_address, port_actor> clients;
  // Each client's last rules, kept while its port is down: a restarted or re-created
  // port gets them back at once (QubesDB sends them only when they change).
  std::unordered_map<proto::ipv4_address, rules::ruleset_ptr> rules;
  port_actor uplink;
  resolver_actor resolver;           // resolves dsthost names; none: they stay unresolved
  std::vector<std::string> wanted;   // the names last sent to it
  // Egress back-pressure: a port answers each transmit_packets with credit once it has
  // taken it (the uplink: once its device has room).
  egress_credit egress;
  std::vector<firewall::outgoing> out;
  std::uint64_t no_port = 0;  // packets for a client or uplink with no port up

  static inline const char* name = "firewall";
};

using firewall_self = firewall_actor::stateful_pointer<firewall_state>;

nat::clock_time now() {
  return std::chrono::duration_cast<nat::clock_time>(std::chrono::steady_clock::now().time_since_epoch());
}

// Sends what the firewall produced: one batch per destination port.
void dispatch(firewall_self self) {
  auto& st = self->state;
  if (st.out.empty()) return;
  std::vector<proto::packet> to_uplink, to_resolver;
  // Sized at once: a batch grown packet by packet reallocates 9 times on its way to 256.
  to_uplink.reserve(static_cast<std::size_t>(std::count_if(
      st.out.begin(), st.out.end(), [](const firewall::outgoing& o) { return o.to == firewall::egress::uplink; })));
  std::unordered_map<proto::ipv4_address, std::vector<proto::packet>> to_clients;
  for (auto& o : st.out) {
    switch (o.to) {
      case firewall::egress::uplink: to_uplink.push_back(std::move(o.pkt)); break;
      case firewall::egress::client: to_clients[o.client].push_back(std::move(o.pkt)); break;
      case firewall::egress::resolver: to_resolver.push_back(std::move(o.pkt)); break;
    }
  }
  st.out.clear();
  auto& trace = tracer::instance();
  auto transmit = [&](const port_actor& port, std::vector<proto::packet>&& pkts, const std::string& to) {
    if (trace.messages_on()) trace.message("firewall", to, "transmit_packets", pkts);
    st.egress.sent(port.address());
    self->send(port, transmit_packets{std::move(pkts)});
  };
  if (!to_uplink.empty()) {
    if (st.uplink) transmit(st.uplink, std::move(to_uplink), "port uplink");
    else st.no_port += to_uplink.size();
  }
  if (!to_resolver.empty()) {
    if (st.resolver) {
      if (trace.messages_on()) trace.message("firewall", "resolver", "dns_responses", to_resolver);
      self->send(st.resolver, dns_responses{std::move(to_resolver)});
    } else {
      st.no_port += to_resolver.size();
    }
  }
  for (auto& [ip, pkts] : to_clients) {
    auto it = st.clients.find(ip);
    if (it != st.clients.end())
      transmit(it->second, std::move(pkts), trace.messages_on() ? "port of client " + ip.to_string() : std::string{});
    else st.no_port += pkts.size();
  }
}

// The batch's producer (the port named in the message) gets its credit back, now or once
// no other port is behind.
void give_credit(firewall_self self, const port_actor& producer) {
  if (producer && self->state.egress.admit(producer)) self->send(producer, credit{1});
}

// A port took transmit batches, or went away with its queue: owed credit goes out
// once no port is behind.
void egress_done(firewall_self self, const caf::actor_addr& port, std::uint32_t batches) {
  for (auto& a : self->state.egress.answered(port, batches)) self->send(a, credit{1});
}

// The dsthost names of every client's rules (also those whose port is down: their
// answers are ready when it comes back), sent to the resolver when they change.
void update_wanted(firewall_self self, bool force) {
  auto& st = self->state;
  std::vector<std::string> names;
  for (const auto& [ip, r] : st.rules)
    for (auto& n : r->host_names()) names.push_back(std::move(n));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names == st.wanted && !force) return;
  st.wanted = std::move(names);
  if (st.resolver) self->send(st.resolver, wanted_hosts{st.wanted});
}

firewall_actor::behavior_type firewall_behavior(firewall_self self, firewall_actor_config config) {
  self->state.fw = std::make_unique<firewall::firewall>(std::move(config.firewall));
  const auto tick = config.tick;
  self->delayed_send(self, tick, tick_atom_v);
  return {
      [=](const client_packets& in) {
        self->state.fw->from_client(in.client, in.packets, now(), self->state.pool, self->state.out);
        dispatch(self);
        give_credit(self, in.from);
      },
      [=](const uplink_packets& in) {
        self->state.fw->from_uplink(in.packets, now(), self->state.pool, self->state.out);
        dispatch(self);
        give_credit(self, in.from);
      },
      [=](const client_port_up& up) {
        self->state.fw->add_client(up.client);
        self->state.clients[up.client] = up.port;
        if (auto it = self->state.rules.find(up.client); it != self->state.rules.end())
          self->state.fw->set_rules(up.client, it->second);
      },
      [=](const client_port_down& down) {
        // Every mapping of the client goes, in both directions.
        self->state.fw->remove_client(down.client);
        if (auto it = self->state.clients.find(down.client); it != self->state.clients.end()) {
          auto port = it->second.address();
          self->state.clients.erase(it);
          egress_done(self, port, UINT32_MAX);
        }
      },
      [=](const uplink_port& up) {
        if (self->state.uplink && self->state.uplink != up.port) egress_done(self, self->state.uplink.address(), UINT32_MAX);
        self->state.uplink = up.port;
      },
      [=](credit c) { egress_done(self, caf::actor_cast<caf::actor_addr>(self->current_sender()), c.batches); },
      [=](const client_rules& r) {
        self->state.rules[r.client] = r.rules;
        self->state.fw->set_rules(r.client, r.rules);
        update_wanted(self, false);
      },
      [=](const resolver_handle& h) {
        self->state.resolver = h.resolver;
        update_wanted(self, true);
      },
      [=](const host_answers& a) { self->state.fw->set_host_addresses(a.hosts); },
      [=](dns_queries& q) {
        for (auto& p : q.packets) self->state.out.push_back({firewall::egress::uplink, {}, std::move(p)});
        dispatch(self);
      },
      [=](const connected_ips& c) { self->state.fw->set_connected_ips(c.ips); },
      [=](tick_atom) {
        self->state.fw->tick(now(), self->state.out);
        dispatch(self);
        self->delayed_send(self, tick, tick_atom_v);
      },
      [=](stats_atom) -> std::string {
        return format_firewall_status(*self->state.fw, self->state.no_port) + "credit_withheld " +
               std::to_string(self->state.egress.withheld_total()) + "\n";
      },
  };
}

}  // namespace

firewall_actor spawn_firewall_actor(caf::actor_system& sys, firewall_actor_config config) {
  return sys.spawn(firewall_behavior, std::move(config));
}

}  // namespace aw::actors
