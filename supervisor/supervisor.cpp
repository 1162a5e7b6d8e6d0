// supervisor/supervisor.cpp — spawn, monitor, restart with backoff, orderly shutdown.
#include "supervisor/supervisor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "actors/netback_device.hpp"
#include "supervisor/restart_policy.hpp"

namespace aw::supervisor {
namespace {

using namespace std::chrono;

struct supervised_port {
  port_spec spec;
  actors::port_actor handle;
  port_history history;  // crashes and backoff (restart_policy)
  bool given_up = false;
  bool waiting = false;  // its device is gone: reopening every reopen_interval
  bool retired = false;  // a vif that went away: the slot may be reused
};

struct supervisor_state {
  supervisor_config config;
  actors::reactor* io = nullptr;
  actors::firewall_actor firewall;
  actors::resolver_actor resolver;
  actors::config_actor config_actor;
  std::vector<supervised_port> ports;  // [0] is the uplink
  std::uint64_t restarts = 0;
  std::uint64_t gave_up = 0;
  std::uint64_t devices_lost = 0;  // ports stopped because their device went away
  std::uint64_t devices_back = 0;  // ... and started again on a new device
  bool stopping = false;
  actors::vif_watcher_actor vif_watcher;
  std::uint64_t vifs_started = 0, vifs_retired = 0, vif_open_failures = 0;
  std::uint32_t next_interface = 100;  // interface ids of vif ports
  static inline const char* name = "supervisor";
};

using supervisor_self = actors::supervisor_actor::stateful_pointer<supervisor_state>;

bool is_crash(const caf::error& reason) {
  return reason && reason != caf::exit_reason::user_shutdown && reason != caf::exit_reason::normal;
}

// Starts port i and tells the firewall where it is.
bool start_port(supervisor_self self, std::size_t i) {
  auto& st = self->state;
  auto& p = st.ports[i];
  auto device = p.spec.open ? p.spec.open() : nullptr;
  if (!device) {
    if (!p.waiting) actors::log_error("cannot open port " + p.spec.config.name);
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

void on_port_down(supervisor_self self, std::size_t i, const caf::error& reason) {
  auto& st = self->state;
  auto& p = st.ports[i];
  p.handle = nullptr;
  if (p.spec.config.role == actors::port_role::uplink) self->send(st.firewall, actors::uplink_port{});
  else self->send(st.firewall, actors::client_port_down{p.spec.config.client_ip});
  if (st.stopping) return;
  const port_end why = reason == actors::port_device_gone() ? port_end::device_gone
                       : is_crash(reason)                      ? port_end::crash
                                                               : port_end::normal;
  const restart_limits limits{st.config.backoff_initial, st.config.backoff_max, st.config.max_restarts,
                              st.config.restart_window};
  const auto d = decide_port_end(p.history, why, !p.spec.vif_backend_path.empty(), steady_clock::now(), limits);
  switch (d.action) {
    case port_action::none: return;
    case port_action::retire:
      // dom0 detached the vif and its backend directory is gone: the client's flows went
      // with client_port_down above; the slot is free for a new vif.
      p.retired = true;
      ++st.vifs_retired;
      actors::log_info("vif " + p.spec.config.name + " detached");
      if (st.vif_watcher) self->send(st.vif_watcher, actors::vif_released{p.spec.vif_backend_path});
      return;
    case port_action::wait_for_device:
      // The client (or netvm) went away with its device: its flows are gone (above), and
      // the port comes back when a device can be opened again.
      ++st.devices_lost;
      p.waiting = true;
      actors::log_warning("port " + p.spec.config.name + ": its device is gone; waiting for it to come back");
      self->delayed_send(self, st.config.reopen_interval, actors::restart_atom_v, static_cast<std::uint32_t>(i));
      return;
    case port_action::give_up:
      p.given_up = true;
      ++st.gave_up;
      actors::log_error("port " + p.spec.config.name + " crashed " + std::to_string(p.history.crashes.size()) +
                        " times in " + std::to_string(st.config.restart_window.count()) + " s (last: " +
                        caf::to_string(reason) + "): giving up on it");
      return;
    case port_action::restart:
      actors::log_warning("port " + p.spec.config.name + " crashed (" + caf::to_string(reason) + "), restarting in " +
                          std::to_string(d.delay.count()) + " ms");
      self->delayed_send(self, d.delay, actors::restart_atom_v, static_cast<std::uint32_t>(i));
      return;
  }
}

// Ports for the resolver's queries: unpredictable (RFC 5452), above the well-known range.
std::vector<std::uint16_t> random_ports(std::size_t n) {
  std::random_device rd;
  std::set<std::uint16_t> ports;
  while (ports.size() < n) ports.insert(static_cast<std::uint16_t>(1024 + rd() % (65536 - 1024)));
  return {ports.begin(), ports.end()};
}

void start_resolver(supervisor_self self) {
  auto& st = self->state;
  st.resolver = actors::spawn_resolver_actor(self->system(), st.config.resolver, st.firewall);
  self->monitor(st.resolver);
  self->send(st.firewall, actors::resolver_handle{st.resolver});
}

void start_config(supervisor_self self) {
  auto& st = self->state;
  st.config_actor = actors::spawn_config_actor(self->system(), *st.config.config, *st.io, st.firewall);
  self->monitor(st.config_actor);
}

// A vif the watcher reported: a client port on a netback device of its own.
void add_vif(supervisor_self self, const actors::vif_added& v) {
  auto& st = self->state;
  if (st.stopping || !st.config.xen) return;
  for (const auto& p : st.ports)
    if (!p.retired && p.spec.vif_backend_path == v.backend_path) return;  // already served
  port_spec spec;
  spec.vif_backend_path = v.backend_path;
  spec.config.role = actors::port_role::client;
  spec.config.name = v.name;
  spec.config.client_ip = v.client;
  spec.config.client_mac = v.client_mac;
  spec.config.interface = st.next_interface++;
  spec.open = [platform = *st.config.xen, path = v.backend_path, cfg = st.config.netback,
               delay = st.config.vif_removal_delay]() -> std::unique_ptr<actors::frame_device> {
    auto xs = platform.open_xenstore();
    if (!xs) return nullptr;
    auto d = actors::netback_device::open(std::move(*xs), path, platform.open_handles, cfg, delay);
    if (!d) return nullptr;
    return std::move(*d);
  };
  std::size_t slot = st.ports.size();
  for (std::size_t i = 1; i < st.ports.size(); ++i)
    if (st.ports[i].retired) slot = i;
  supervised_port entry{std::move(spec), {}, {}, false, false, false};
  if (slot == st.ports.size()) st.ports.push_back(std::move(entry));
  else st.ports[slot] = std::move(entry);
  if (!start_port(self, slot)) {
    // Removed meanwhile, or malformed: release it after a pause so a vif that
    // keeps failing is retried at a bounded rate, not in a loop.
    ++st.vif_open_failures;
    st.ports[slot].retired = true;
    if (st.vif_watcher) self->delayed_send(st.vif_watcher, seconds{1}, actors::vif_released{v.backend_path});
    return;
  }
  ++st.vifs_started;
  actors::log_info("vif " + v.name + " (" + v.client.to_string() + ") served at " + v.backend_path);
}

actors::supervisor_actor::behavior_type supervisor_fn(supervisor_self self, supervisor_config config,
                                                      actors::reactor* io) {
  auto& st = self->state;
  st.config = std::move(config);
  st.io = io;
  auto& fwc = st.config.firewall.firewall;
  if (fwc.resolver_ports.empty()) fwc.resolver_ports = random_ports(st.config.resolver_port_count);
  st.config.resolver.resolver.source = fwc.uplink_address;
  st.config.resolver.resolver.servers = fwc.dns_servers;
  st.config.resolver.resolver.ports = fwc.resolver_ports;
  st.firewall = actors::spawn_firewall_actor(self->system(), st.config.firewall);
  self->monitor(st.firewall);
  start_resolver(self);
  if (st.config.config) start_config(self);
  st.ports.push_back({st.config.uplink, {}, {}, false, false, false});
  for (auto& c : st.config.clients) st.ports.push_back({c, {}, {}, false, false, false});
  for (std::size_t i = 0; i < st.ports.size(); ++i) start_port(self, i);
  if (st.config.xen) {
    st.vif_watcher = actors::spawn_vif_watcher(self->system(), *st.config.xen, *st.io, self);
    self->monitor(st.vif_watcher);
  }

  self->set_down_handler([self](const caf::down_msg& down) {
    auto& s = self->state;
    if (down.source == s.firewall.address()) {
      // The NAT state is gone with it: every flow restarts. Nothing to do but say so loudly.
      actors::log_error("the firewall actor stopped (" + caf::to_string(down.reason) + "): shutting down");
      self->quit(down.reason);
      return;
    }
    if (s.resolver && down.source == s.resolver.address()) {
      // Its answers are in the firewall's snapshot; a new one asks every name again.
      s.resolver = nullptr;
      self->send(s.firewall, actors::resolver_handle{});
      if (s.stopping) return;
      actors::log_error("the resolver stopped (" + caf::to_string(down.reason) + "): restarting it in 1 s");
      self->delayed_send(self, seconds{1}, actors::restart_resolver_atom_v);
      return;
    }
    if (s.config_actor && down.source == s.config_actor.address()) {
      // The firewall keeps the rules it has; a new config actor reads them all again.
      s.config_actor = nullptr;
      if (s.stopping) return;
      actors::log_error("the config actor stopped (" + caf::to_string(down.reason) + "): restarting it in 1 s");
      self->delayed_send(self, seconds{1}, actors::restart_config_atom_v);
      return;
    }
    if (s.vif_watcher && down.source == s.vif_watcher.address()) {
      // It holds no state the vifs need: a new one lists backend/vif again.
      s.vif_watcher = nullptr;
      if (s.stopping) return;
      actors::log_error("the vif watcher stopped (" + caf::to_string(down.reason) + "): restarting it in 1 s");
      self->delayed_send(self, seconds{1}, actors::restart_watcher_atom_v);
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
    if (s.vif_watcher) self->send_exit(s.vif_watcher, caf::exit_reason::user_shutdown);
    if (s.resolver) self->send_exit(s.resolver, caf::exit_reason::user_shutdown);
    if (s.config_actor) self->send_exit(s.config_actor, caf::exit_reason::user_shutdown);
    for (auto& p : s.ports)
      if (p.handle) self->send_exit(p.handle, caf::exit_reason::user_shutdown);
    self->send_exit(s.firewall, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
      [self](actors::restart_resolver_atom) {
        if (!self->state.stopping && !self->state.resolver) start_resolver(self);
      },
      [self](actors::restart_config_atom) {
        if (!self->state.stopping && !self->state.config_actor) start_config(self);
      },
      [self](actors::restart_atom, std::uint32_t i) {
        auto& s = self->state;
        if (s.stopping || i >= s.ports.size() || s.ports[i].handle || s.ports[i].given_up || s.ports[i].retired) return;
        if (auto& p = s.ports[i]; p.waiting) {
          if (!start_port(self, i)) {
            self->delayed_send(self, s.config.reopen_interval, actors::restart_atom_v, i);
            return;
          }
          p.waiting = false;
          ++s.devices_back;
          actors::log_info("port " + p.spec.config.name + ": running again on a new device");
          return;
        }
        ++s.restarts;
        if (!start_port(self, i)) on_port_down(self, i, caf::sec::runtime_error);
      },
      [self](const actors::vif_added& v) { add_vif(self, v); },
      [self](actors::restart_watcher_atom) {
        auto& s = self->state;
        if (s.stopping || s.vif_watcher || !s.config.xen) return;
        s.vif_watcher = actors::spawn_vif_watcher(self->system(), *s.config.xen, *s.io, self);
        self->monitor(s.vif_watcher);
        // Its fresh listing reports every vif again; those already served are skipped.
      },
      [self](actors::firewall_handle_atom) { return self->state.firewall; },
      [self](actors::resolver_handle_atom) { return self->state.resolver; },
      [self](actors::reload_atom) {
        if (self->state.config_actor) self->send(self->state.config_actor, actors::reload_atom_v);
      },
      [self](actors::stats_atom) -> caf::result<std::string> {
        auto& s = self->state;
        auto rp = self->make_response_promise<std::string>();
        const auto waiting = std::count_if(s.ports.begin(), s.ports.end(), [](const auto& p) { return p.waiting; });
        auto text = std::make_shared<std::string>(
            "supervisor.restarts " + std::to_string(s.restarts) + "\nsupervisor.gave_up " + std::to_string(s.gave_up) +
            "\nsupervisor.devices_lost " + std::to_string(s.devices_lost) + "\nsupervisor.devices_back " +
            std::to_string(s.devices_back) + "\nsupervisor.waiting " + std::to_string(waiting) +
            "\nsupervisor.vifs_started " + std::to_string(s.vifs_started) + "\nsupervisor.vifs_retired " +
            std::to_string(s.vifs_retired) + "\nsupervisor.vif_open_failures " + std::to_string(s.vif_open_failures) +
            "\n");
        std::vector<actors::stats_actor> targets{s.firewall};
        if (s.resolver) targets.push_back(s.resolver);
        if (s.config_actor) targets.push_back(s.config_actor);
        if (s.vif_watcher) targets.push_back(s.vif_watcher);
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

actors::supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_config config, actors::reactor& io) {
  return sys.spawn(supervisor_fn, std::move(config), &io);
}

}  // namespace aw::supervisor
