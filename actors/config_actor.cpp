// actors/config_actor.cpp — QubesDB client driven by the reactor; rules compiled per client.
#include "actors/config_actor.hpp"

#include <caf/all.hpp>

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "qubes/network_config.hpp"
#include "qubes/qdb_client.hpp"
#include "rules/ruleset.hpp"

namespace aw::actors {
namespace {

struct config_counters {
  std::uint64_t connects = 0, disconnects = 0, rule_loads = 0, rule_errors = 0, watch_events = 0;
};

struct config_state {
  config_actor_config config;
  reactor* io = nullptr;
  firewall_actor firewall;
  std::unique_ptr<qubes::qdb_client> qdb;
  qubes::qdb_backoff backoff;
  int watched_fd = -1;
  caf::actor_addr self_addr;
  // Reads refused as busy (a burst of reloads), read again shortly (tick_atom).
  std::set<std::string> retry_clients;
  bool retry_connected_ips = false;
  bool retry_all = false;
  bool retry_scheduled = false;
  config_counters stats;
  static inline const char* name = "config";
  // Runs before the members go, so the socket is forgotten while it is still open
  // (CAF destroys the state before the actor's attached cleanup runs).
  ~config_state() {
    if (io != nullptr && watched_fd >= 0) io->forget(watched_fd, self_addr);
  }
};

using config_actor_t = config_actor::stateful_base<config_state>;

constexpr auto busy_retry_delay = std::chrono::milliseconds{100};

void retry_later(config_actor_t* self) {
  auto& st = self->state;
  if (st.retry_scheduled) return;
  st.retry_scheduled = true;
  self->delayed_send(self, busy_retry_delay, tick_atom_v);
}

// A read that failed for want of a connection or a request slot says nothing
// about the rules: the old snapshot stays (a reconnect reads everything again,
// a busy read is retried: `mark` notes what to read again). Only an answer, or the
// daemon's own error, changes them. True when the failure was such a one.
template <class Mark>
bool set_aside(config_actor_t* self, qubes::qdb_failure f, Mark mark) {
  if (f == qubes::qdb_failure::busy) {
    mark();
    retry_later(self);
  }
  return f == qubes::qdb_failure::disconnected || f == qubes::qdb_failure::busy;
}

// Compiles one client's keys into a snapshot for the firewall (deny-all on any error).
void load_client_rules(config_actor_t* self, const std::string& ip_text) {
  auto ip = proto::ipv4_address::parse(ip_text);
  if (!ip) return;  // IPv6 clients: not handled yet
  auto prefix = std::string{qubes::firewall_prefix} + ip_text + "/";
  self->state.qdb->multiread(prefix, [self, ip = *ip, ip_text](qubes::qdb_reply<qubes::qdb_entries> reply) {
    auto& st = self->state;
    if (!reply && set_aside(self, reply.error(), [&] { st.retry_clients.insert(ip_text); })) return;
    rules::ruleset set;
    if (!reply) {
      set = rules::deny_all({rules::rule_error_kind::missing_policy, "policy",
                             "QubesDB: " + std::string{qubes::to_string(reply.error())}});
    } else {
      auto lines = qubes::firewall_rules_for(qubes::to_map(std::move(*reply)), ip_text);
      if (!lines) set = rules::deny_all({rules::rule_error_kind::bad_rule_number, lines.error().key, lines.error().reason});
      else set = rules::compile_ordered_ruleset(lines->policy, lines->lines, lines->numbers);
    }
    ++st.stats.rule_loads;
    if (set.failed_closed()) {
      ++st.stats.rule_errors;
      log_warning("rules for " + ip_text + " refused, blocking its traffic: " + set.error->to_string());
    } else {
      log_info("rules for " + ip_text + ": " + std::to_string(set.rules.size()) + " rules, policy " +
               std::string{rules::to_string(set.policy)});
    }
    self->send(st.firewall, client_rules{ip, std::make_shared<const rules::ruleset>(std::move(set))});
  });
}

void load_connected_ips(config_actor_t* self) {
  self->state.qdb->read("/connected-ips", [self](qubes::qdb_reply<std::string> reply) {
    if (!reply && set_aside(self, reply.error(), [self] { self->state.retry_connected_ips = true; })) return;
    connected_ips c;  // the key gone (not_found) or refused: nobody is connected
    if (reply) {
      std::string_view text = *reply;
      while (!text.empty()) {
        auto sp = text.find(' ');
        auto word = text.substr(0, sp);
        if (auto a = proto::ipv4_address::parse(word)) c.ips.push_back(*a);
        text = sp == std::string_view::npos ? std::string_view{} : text.substr(sp + 1);
      }
    }
    self->send(self->state.firewall, std::move(c));
  });
}

// Clients with Qubes' net.fake-ip feature (/mapped-ip/<ip>/visible-ip) send from an
// address actorwall does not translate yet: say so plainly, once per connection, rather
// than leave the user to find every packet of theirs counted as a spoofed source.
void warn_mapped_ips(config_actor_t* self) {
  self->state.qdb->list("/mapped-ip/", [](qubes::qdb_reply<std::vector<std::string>> keys) {
    if (!keys) return;
    for (const auto& k : *keys) {
      const std::string_view prefix = "/mapped-ip/", suffix = "/visible-ip";
      if (k.size() <= prefix.size() + suffix.size() || k.compare(0, prefix.size(), prefix) != 0 ||
          k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      log_warning("client " + k.substr(prefix.size(), k.size() - prefix.size() - suffix.size()) +
                  " uses net.fake-ip (" + k + "), which actorwall does not support: its packets will be dropped "
                  "as spoofed_source");
    }
  });
}

// Everything watched is read again: events missed while disconnected are not replayed.
void load_all(config_actor_t* self) {
  self->state.qdb->list(std::string{qubes::firewall_prefix},
                        [self](qubes::qdb_reply<std::vector<std::string>> keys) {
                          if (!keys) {
                            // The daemon's own error: nothing to go on, the rules stay as they are.
                            (void)set_aside(self, keys.error(), [self] { self->state.retry_all = true; });
                            return;
                          }
                          // A daemon that answers: the next loss starts its backoff afresh (not at
                          // the connect: one that accepts and then hangs up would be retried, and
                          // everything read again, every 100 ms for ever).
                          self->state.backoff = qubes::qdb_backoff{};
                          std::set<std::string> clients;
                          for (const auto& k : *keys) {
                            std::string_view rest = std::string_view{k}.substr(qubes::firewall_prefix.size());
                            clients.insert(std::string{rest.substr(0, rest.find('/'))});
                          }
                          for (const auto& c : clients) load_client_rules(self, c);
                        });
  load_connected_ips(self);
  warn_mapped_ips(self);
}

void rearm(config_actor_t* self) {
  auto& st = self->state;
  if (st.qdb->connected()) st.io->rearm(st.qdb->fd(), st.qdb->wants_write());
}

void try_connect(config_actor_t* self) {
  auto& st = self->state;
  auto r = st.qdb->connect();
  if (!r) {
    auto delay = std::chrono::milliseconds{st.backoff.next_delay_ms()};
    log_warning("QubesDB at " + st.config.qubesdb_socket + " unreachable (" + st.qdb->last_error_detail() +
                "), retrying in " + std::to_string(delay.count()) + " ms");
    self->delayed_send(self, delay, restart_atom_v);
    return;
  }
  st.watched_fd = st.qdb->fd();
  st.io->watch(st.watched_fd, fd_owner_actor{self});
  rearm(self);
}

config_actor::behavior_type config_behavior(config_actor_t* self, config_actor_config config, reactor* io,
                                            firewall_actor firewall) {
  auto& st = self->state;
  st.config = std::move(config);
  st.io = io;
  st.self_addr = self->address();
  st.firewall = std::move(firewall);
  qubes::qdb_client::handlers h;
  h.on_connect = [self] {
    ++self->state.stats.connects;
    load_all(self);
  };
  h.on_watch = [self](const std::string& path) {
    ++self->state.stats.watch_events;
    if (path == "/connected-ips") return load_connected_ips(self);
    if (auto client = qubes::commit_signal_client(path)) load_client_rules(self, *client);
  };
  h.on_disconnect = [self](qubes::qdb_error, const std::string& detail) {
    auto& s = self->state;
    ++s.stats.disconnects;
    if (s.watched_fd >= 0) s.io->forget(s.watched_fd, self->address());
    s.watched_fd = -1;
    auto delay = std::chrono::milliseconds{s.backoff.next_delay_ms()};
    log_warning("QubesDB connection lost (" + detail + "), reconnecting in " + std::to_string(delay.count()) + " ms");
    self->delayed_send(self, delay, restart_atom_v);
  };
  st.qdb = std::make_unique<qubes::qdb_client>(st.config.qubesdb_socket, std::move(h), st.config.limits);
  st.qdb->watch(std::string{qubes::firewall_prefix});
  st.qdb->watch("/connected-ips");
  try_connect(self);
  return {
      [self](const fd_ready& ev) {
        auto& s = self->state;
        if (ev.fd != s.watched_fd) return;  // from a connection since closed
        if (ev.writable) s.qdb->on_writable();
        if (ev.readable && s.qdb->connected()) s.qdb->on_readable();
        rearm(self);
      },
      [self](restart_atom) {
        if (!self->state.qdb->connected()) try_connect(self);
      },
      [self](tick_atom) {  // the busy reads' retry
        auto& s = self->state;
        s.retry_scheduled = false;
        if (!s.qdb->connected()) return;  // the reconnect (on its own backoff) reads everything
        if (std::exchange(s.retry_all, false)) {
          s.retry_clients.clear();
          s.retry_connected_ips = false;
          load_all(self);
          return rearm(self);
        }
        auto clients = std::exchange(s.retry_clients, {});
        for (const auto& c : clients) load_client_rules(self, c);
        if (std::exchange(s.retry_connected_ips, false)) load_connected_ips(self);
        rearm(self);
      },
      [self](reload_atom) {
        if (self->state.qdb->connected()) {
          load_all(self);
          rearm(self);
        }
      },
      [self](stats_atom) -> std::string {
        const auto& c = self->state.stats;
        return "config.connects " + std::to_string(c.connects) + "\nconfig.disconnects " +
               std::to_string(c.disconnects) + "\nconfig.rule_loads " + std::to_string(c.rule_loads) +
               "\nconfig.rule_errors " + std::to_string(c.rule_errors) + "\nconfig.watch_events " +
               std::to_string(c.watch_events) + "\n";
      },
  };
}

}  // namespace

config_actor spawn_config_actor(caf::actor_system& sys, config_actor_config config, reactor& io,
                                firewall_actor firewall) {
  return sys.spawn(config_behavior, std::move(config), &io, std::move(firewall));
}

}  // namespace aw::actors
