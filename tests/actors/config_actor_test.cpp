// The QubesDB actor against the fake daemon: initial load, live reload on the commit
// signal, /connected-ips, and reconnection after a daemon restart.
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>
#include <unistd.h>

#include "actors/config_actor.hpp"
#include "actors/messages.hpp"
#include "qubes/fake_qubesdb.hpp"

using namespace aw;
using namespace std::chrono_literals;

namespace {
const qubes::qdb_map initial_keys = {
    {"/qubes-firewall/10.137.0.10", ""},
    {"/qubes-firewall/10.137.0.10/policy", "drop"},
    {"/qubes-firewall/10.137.0.10/0000", "action=accept specialtarget=dns"},
    {"/qubes-firewall/10.137.0.10/0003", "action=accept proto=tcp dstports=443-443"},
    {"/qubes-firewall/10.137.0.11", ""},
    {"/qubes-firewall/10.137.0.11/policy", "drop"},
    {"/qubes-firewall/10.137.0.11/0000", "action=accept proto=gre"},
    {"/connected-ips", "10.137.0.10 10.137.0.11 10.137.0.12"},
};

struct daemon_thread {
  std::unique_ptr<qubes::fake_qubesdb> db;
  std::thread loop;
  daemon_thread(const std::string& path, qubes::qdb_map keys) {
    auto started = qubes::fake_qubesdb::start(path, std::move(keys));
    REQUIRE(started);
    db = std::move(*started);
    loop = std::thread{[this] { db->run(); }};
  }
  ~daemon_thread() {
    db->stop();
    loop.join();
  }
};

// Receives what the config actor sends to "the firewall".
struct recorder {
  caf::scoped_actor& self;
  std::map<std::string, rules::ruleset_ptr> rules;  // the last snapshot per client
  std::vector<std::pair<std::string, rules::ruleset_ptr>> history;  // every snapshot, in order
  std::vector<proto::ipv4_address> connected;
  void drain(std::chrono::milliseconds wait) {
    bool more = true;
    while (more) {
      self->receive([&](const actors::client_rules& r) {
                      rules[r.client.to_string()] = r.rules;
                      history.emplace_back(r.client.to_string(), r.rules);
                    },
                    [&](const actors::connected_ips& c) { connected = c.ips; },
                    caf::after(wait) >> [&] { more = false; });
    }
  }
};
}  // namespace

TEST_CASE("config actor: loads every client's rules and /connected-ips, then follows reloads and restarts") {
  const std::string path = "/tmp/aw-config-test-" + std::to_string(::getpid()) + ".sock";
  auto db = std::make_unique<daemon_thread>(path, initial_keys);
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::actorwall>();
  actors::reactor io;  // outlives the system (the actor forgets its fd in its cleanup)
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  // The scoped actor stands in for the firewall (it receives what the config actor sends).
  auto cfg_actor = actors::spawn_config_actor(sys, {path}, io, caf::actor_cast<actors::firewall_actor>(self));
  recorder rec{self, {}, {}, {}};
  rec.drain(500ms);

  REQUIRE(rec.rules.count("10.137.0.10") == 1);
  const auto& a = *rec.rules["10.137.0.10"];
  CHECK_FALSE(a.failed_closed());
  CHECK(a.rules.size() == 2);
  // A bad rule blocks the whole client.
  REQUIRE(rec.rules.count("10.137.0.11") == 1);
  CHECK(rec.rules["10.137.0.11"]->failed_closed());
  CHECK(rec.connected.size() == 3);

  SUBCASE("a reload is applied on the commit write, not before") {
    db->db->post([](qubes::fake_qubesdb& d) {
      d.remove("/qubes-firewall/10.137.0.10/");
      d.set("/qubes-firewall/10.137.0.10/policy", "accept");
    });
    rec.rules.clear();
    rec.drain(300ms);
    CHECK(rec.rules.empty());
    db->db->post([](qubes::fake_qubesdb& d) { d.set("/qubes-firewall/10.137.0.10", ""); });
    rec.drain(300ms);
    REQUIRE(rec.rules.count("10.137.0.10") == 1);
    CHECK(rec.rules["10.137.0.10"]->policy == rules::action::accept);
    CHECK(rec.rules["10.137.0.10"]->rules.empty());
  }
  SUBCASE("after a daemon restart the actor reconnects and reads everything again") {
    db.reset();
    auto keys = initial_keys;
    keys["/qubes-firewall/10.137.0.10/policy"] = "accept";
    db = std::make_unique<daemon_thread>(path, keys);
    rec.rules.clear();
    for (int i = 0; i < 30 && rec.rules.count("10.137.0.10") == 0; ++i) rec.drain(200ms);
    REQUIRE(rec.rules.count("10.137.0.10") == 1);
    CHECK(rec.rules["10.137.0.10"]->policy == rules::action::accept);
  }
  caf::anon_send_exit(cfg_actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("config actor: reads refused for want of a request slot (the start-up list, /connected-ips) are retried, never turned into deny-all or an empty list") {
  const std::string path = "/tmp/aw-config-busy-test-" + std::to_string(::getpid()) + ".sock";
  daemon_thread db{path, initial_keys};
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::actorwall>();
  actors::reactor io;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  // One request in flight at a time: the initial load's list, its reads and the
  // /connected-ips read already queue behind each other.
  auto cfg_actor = actors::spawn_config_actor(sys, {path, {.max_outstanding = 1}}, io,
                                              caf::actor_cast<actors::firewall_actor>(self));
  recorder rec{self, {}, {}, {}};
  for (int i = 0; i < 10 && (rec.rules.size() < 2 || rec.connected.empty()); ++i) rec.drain(200ms);
  CHECK(rec.rules.count("10.137.0.10") == 1);
  CHECK(rec.rules.count("10.137.0.11") == 1);  // (refused for its own bad rule, proto=gre)
  CHECK(rec.connected.size() == 3);
  // A reload later still applies, with no deny-all for 10.137.0.10 at any point.
  db.db->post([](qubes::fake_qubesdb& d) {
    d.set("/qubes-firewall/10.137.0.10/policy", "accept");
    for (int i = 0; i < 20; ++i) d.set("/qubes-firewall/10.137.0.10", "");
  });
  for (int i = 0; i < 5; ++i) rec.drain(200ms);
  std::size_t refused = 0;
  for (const auto& [client, r] : rec.history) refused += client == "10.137.0.10" && r->failed_closed() ? 1u : 0u;
  CHECK(refused == 0);
  REQUIRE(rec.rules.count("10.137.0.10") == 1);
  CHECK_FALSE(rec.rules["10.137.0.10"]->failed_closed());
  CHECK(rec.rules["10.137.0.10"]->policy == rules::action::accept);
  caf::anon_send_exit(cfg_actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("config actor: a client with net.fake-ip (/mapped-ip) is named in a warning, not left to look spoofed") {
  const std::string path = "/tmp/aw-config-mapped-test-" + std::to_string(::getpid()) + ".sock";
  auto keys = initial_keys;
  keys["/mapped-ip/10.137.0.10/visible-ip"] = "10.137.1.10";
  keys["/mapped-ip/10.137.0.10/visible-gateway"] = "10.137.1.1";
  daemon_thread db{path, keys};
  // The log goes to stderr: into a file for the time of the load.
  char log_path[] = "/tmp/aw-config-mapped-log-XXXXXX";
  const int log_fd = ::mkstemp(log_path);
  REQUIRE(log_fd >= 0);
  const int saved = ::dup(2);
  ::dup2(log_fd, 2);
  {
    caf::actor_system_config cfg;
    cfg.add_message_types<caf::id_block::actorwall>();
    actors::reactor io;
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto cfg_actor = actors::spawn_config_actor(sys, {path}, io, caf::actor_cast<actors::firewall_actor>(self));
    recorder rec{self, {}, {}, {}};
    rec.drain(500ms);
    caf::anon_send_exit(cfg_actor, caf::exit_reason::user_shutdown);
  }
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(log_path);
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::close(log_fd);
  ::unlink(log_path);
  CHECK(log.find("client 10.137.0.10 uses net.fake-ip") != std::string::npos);
  CHECK(log.find("visible-gateway") == std::string::npos);  // one line per client, from visible-ip
}

TEST_CASE("config actor: a daemon that accepts and hangs up at once is retried with a growing backoff, not every 100 ms") {
  // The backoff used to start afresh at each connect: a daemon that accepts and closes made
  // the actor reconnect (and ask to read everything) ten times a second for ever.
  const std::string path = "/tmp/aw-config-hangup-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 16) == 0);
  std::atomic<int> accepts{0};
  std::atomic<bool> stop{false};
  std::thread hangups{[&] {
    while (!stop) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 20) != 1) continue;
      const int c = ::accept(listener, nullptr, nullptr);
      if (c < 0) continue;
      ++accepts;
      ::close(c);
    }
  }};
  {
    caf::actor_system_config cfg;
    cfg.add_message_types<caf::id_block::actorwall>();
    actors::reactor io;
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto cfg_actor = actors::spawn_config_actor(sys, {path}, io, caf::actor_cast<actors::firewall_actor>(self));
    std::this_thread::sleep_for(1600ms);  // a window to count connections in: 100+200+400+800 ms of backoff
    caf::anon_send_exit(cfg_actor, caf::exit_reason::user_shutdown);
  }
  stop = true;
  hangups.join();
  ::close(listener);
  ::unlink(path.c_str());
  MESSAGE("connections in 1.6 s: " << accepts.load());
  CHECK(accepts >= 2);
  CHECK(accepts <= 7);
}
