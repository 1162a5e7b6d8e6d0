// actors/resolver_actor.cpp — handlers over the pure resolver.
#include "actors/resolver_actor.hpp"

#include <caf/all.hpp>

#include <memory>

#include "actors/messages.hpp"
#include "actors/trace.hpp"

namespace aw::actors {
namespace {

struct resolver_state {
  std::unique_ptr<firewall::dns_resolver> resolver;  // set when the actor starts
  proto::buffer_pool pool{{.max_small = 1024, .max_large = 0}};  // queries are small; bounded
  firewall_actor firewall;
  std::vector<proto::packet> out;
  static inline const char* name = "resolver";
};

using resolver_self = resolver_actor::stateful_pointer<resolver_state>;

rules::clock_time now() {
  return std::chrono::duration_cast<rules::clock_time>(std::chrono::steady_clock::now().time_since_epoch());
}

// What follows a change: queries that are due go out, changed answers go to the firewall.
void flush(resolver_self self, bool changed) {
  auto& st = self->state;
  changed = st.resolver->poll(now(), st.pool, st.out) || changed;
  if (!st.out.empty()) {
    if (tracer::instance().messages_on()) tracer::instance().message("resolver", "firewall", "dns_queries", st.out);
    self->send(st.firewall, dns_queries{std::move(st.out)});
    st.out.clear();
  }
  if (changed) self->send(st.firewall, host_answers{st.resolver->snapshot()});
}

resolver_actor::behavior_type resolver_behavior(resolver_self self, resolver_actor_config config,
                                                firewall_actor fw) {
  self->state.resolver = std::make_unique<firewall::dns_resolver>(std::move(config.resolver));
  self->state.firewall = std::move(fw);
  const auto tick = config.tick;
  self->delayed_send(self, tick, tick_atom_v);
  return {
      [=](const wanted_hosts& w) {
        self->state.resolver->set_wanted(w.names);
        // Forgotten names leave the snapshot: always republish after a new list.
        self->send(self->state.firewall, host_answers{self->state.resolver->snapshot()});
        flush(self, false);
      },
      [=](const dns_responses& in) {
        bool changed = false;
        for (const auto& p : in.packets) changed = self->state.resolver->on_response(p, now()) || changed;
        flush(self, changed);
      },
      [=](tick_atom) {
        flush(self, false);
        self->delayed_send(self, tick, tick_atom_v);
      },
      [=](stats_atom) -> std::string {
        std::string s;
        const auto& r = *self->state.resolver;
        for (std::size_t i = 0; i < firewall::resolver_event_count; ++i) {
          auto e = static_cast<firewall::resolver_event>(i);
          s += "resolver." + std::string{to_string(e)} + ' ' + std::to_string(r.count(e)) + '\n';
        }
        s += "resolver.in_flight " + std::to_string(r.in_flight()) + "\nresolver.names_resolved " +
             std::to_string(r.snapshot()->size()) + '\n';
        return s;
      },
  };
}

}  // namespace

resolver_actor spawn_resolver_actor(caf::actor_system& sys, resolver_actor_config config, firewall_actor firewall) {
  return sys.spawn(resolver_behavior, std::move(config), std::move(firewall));
}

}  // namespace aw::actors
