// supervisor/supervisor.cpp — spawn, monitor, restart with backoff, orderly shutdown.
#include "supervisor/supervisor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <deque>

#include "actors/log.hpp"
#include "actors/messages.hpp"

namespace aw::supervisor {
namespace {

using namespace std::chrono;

struct supervised_port {
  port_spec spec;
  caf::actor handle;
  std::deque<steady_clock::time_point> crashes;  // within the restart window
  milliseconds backoff{0};
  bool given_up = false;
};

struct supervisor_state {
  supervisor_config config;
  actors::reactor* io = nullptr;
  caf::actor firewall;
  std::vector<supervised_port> ports;  // [0] is the uplink
  std::uint64_t restarts = 0;
  std::uint64_t gave_up = 0;
  bool stopping = false;
  static inline const char* name = "supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

bool is_crash(const caf::error& reason) {
  return reason && reason != caf::exit_reason::user_shutdown && reason != caf::exit_reason::normal;
}

// Starts port i and tells the firewall where it is.
bool start_port(supervisor_actor* self, std::size_t i) {
  auto& st = self->state;
  auto& p = st.ports[i];
  auto device = p.spec.open ? p.spec.open() : nullptr;
  if (!device) {
    actors::log_error("cannot open port " + p.spec.config.name);
    return false;
  }
  p.handle = actors::spawn_port_actor(self->system(), p.spec.config, std::move(device), *st.io, st.firewall);
  self->monitor(p.handle);
  if (p.spec.config.role == actors::port_role::uplink)
    self->send(st.firewall, actors::uplink_port{p.handle});
  else
    self->send(st.firewall, actors::client_port_up{p.spec.config.client_ip, p.handle});
  return true;
}

void on_port_down(supervisor_actor* self, std::size_t i, const caf::error& reason) {
  auto& st = self->state;
  auto& p = st.ports[i];
  p.handle = nullptr;
  if (p.spec.config.role == actors::port_role::uplink) self->send(st.firewall, actors::uplink_port{});
  else self->send(st.firewall, actors::client_port_down{p.spec.config.client_ip});
  if (st.stopping || !is_crash(reason)) return;
  const auto now = steady_clock::now();
  p.crashes.push_back(now);
  while (!p.crashes.empty() && now - p.crashes.front() > st.config.restart_window) p.crashes.pop_front();
  if (p.crashes.size() > st.config.max_restarts) {
    p.given_up = true;
    ++st.gave_up;
    actors::log_error("port " + p.spec.config.name + " crashed " + std::to_string(p.crashes.size()) + " times in " +
                      std::to_string(st.config.restart_window.count()) + " s (last: " + caf::to_string(reason) +
                      "): giving up on it");
    return;
  }
  p.backoff = p.backoff.count() == 0 ? st.config.backoff_initial : std::min(p.backoff * 2, st.config.backoff_max);
  actors::log_warning("port " + p.spec.config.name + " crashed (" + caf::to_string(reason) + "), restarting in " +
                      std::to_string(p.backoff.count()) + " ms");
  self->delayed_send(self, p.backoff, actors::restart_atom_v, static_cast<std::uint32_t>(i));
}

caf::behavior supervisor_fn(supervisor_actor* self, supervisor_config config, actors::reactor* io) {
  auto& st = self->state;
  st.config = std::move(config);
  st.io = io;
  st.firewall = actors::spawn_firewall_actor(self->system(), st.config.firewall);
  self->monitor(st.firewall);
  st.ports.push_back({st.config.uplink, nullptr, {}, milliseconds{0}, false});
  for (auto& c : st.config.clients) st.ports.push_back({c, nullptr, {}, milliseconds{0}, false});
  for (std::size_t i = 0; i < st.ports.size(); ++i) start_port(self, i);

  self->set_down_handler([self](const caf::down_msg& down) {
    auto& s = self->state;
    if (down.source == s.firewall.address()) {
      // The NAT state is gone with it: every flow restarts. Nothing to do but say so loudly.
      actors::log_error("the firewall actor stopped (" + caf::to_string(down.reason) + "): shutting down");
      self->quit(down.reason);
      return;
    }
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
      if (s.ports[i].handle && s.ports[i].handle.address() == down.source) return on_port_down(self, i, down.reason);
    }
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    // Orderly shutdown: ports first (each tears its device down), then the firewall.
    auto& s = self->state;
    s.stopping = true;
    for (auto& p : s.ports)
      if (p.handle) self->send_exit(p.handle, caf::exit_reason::user_shutdown);
    self->send_exit(s.firewall, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
      [self](actors::restart_atom, std::uint32_t i) {
        auto& s = self->state;
        if (s.stopping || i >= s.ports.size() || s.ports[i].handle || s.ports[i].given_up) return;
        ++s.restarts;
        if (!start_port(self, i)) on_port_down(self, i, caf::sec::runtime_error);
      },
      [self](actors::firewall_handle_atom) { return self->state.firewall; },
      [self](actors::stats_atom) -> caf::result<std::string> {
        auto& s = self->state;
        auto rp = self->make_response_promise<std::string>();
        auto text = std::make_shared<std::string>("supervisor.restarts " + std::to_string(s.restarts) +
                                                  "\nsupervisor.gave_up " + std::to_string(s.gave_up) + "\n");
        std::vector<caf::actor> targets{s.firewall};
        for (auto& p : s.ports)
          if (p.handle) targets.push_back(p.handle);
        auto pending = std::make_shared<std::size_t>(targets.size());
        for (auto& t : targets) {
          self->request(t, seconds{2}, actors::stats_atom_v)
              .then(
                  [=](const std::string& part) mutable {
                    *text += part;
                    if (--*pending == 0) rp.deliver(*text);
                  },
                  [=](const caf::error&) mutable {
                    if (--*pending == 0) rp.deliver(*text);
                  });
        }
        return rp;
      },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_config config, actors::reactor& io) {
  return sys.spawn(supervisor_fn, std::move(config), &io);
}

}  // namespace aw::supervisor
