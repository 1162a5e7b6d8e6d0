// The supervisor: ports restarted with backoff after a crash, crash loops given up on,
// orderly shutdown.
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <atomic>
#include <thread>

#include "actors/messages.hpp"
#include "support/fake_device.hpp"
#include "protocol/dissect.hpp"
#include "protocol/ethernet.hpp"
#include "supervisor/supervisor.hpp"
#include "support/packets.hpp"

using namespace aw;
using proto::ipv4_address;
using proto::mac_address;

namespace {
const ipv4_address fw_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 10);
const mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};

// Hands out fake devices and remembers the latest one of each port.
struct device_factory {
  std::atomic<test::fake_device*> latest{nullptr};
  std::atomic<int> opened{0};
  std::atomic<bool> available{true};  // false: open fails (a namespace not there yet)
  std::function<std::unique_ptr<actors::frame_device>()> opener() {
    return [this]() -> std::unique_ptr<actors::frame_device> {
      if (!available) return nullptr;
      auto d = std::make_unique<test::fake_device>();
      latest = d.get();
      ++opened;
      return std::unique_ptr<actors::frame_device>{std::move(d)};
    };
  }
};

std::vector<std::uint8_t> ping_gateway(std::uint16_t seq) {
  auto ip = test::icmp_echo({.src = client_ip, .dst = fw_ip}, proto::icmp_type::echo_request, 1, seq, {});
  std::vector<std::uint8_t> f(14 + ip.size());
  proto::ethernet_repr{fw_mac, client_mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  return f;
}

struct running {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::reactor io;
  device_factory uplink, client;
  caf::actor sup;

  explicit running(unsigned max_restarts = 5) {
    cfg.add_message_types<caf::id_block::actorwall>();
    sys = std::make_unique<caf::actor_system>(cfg);
    supervisor::supervisor_config c;
    c.firewall.firewall.gateway = fw_ip;
    c.firewall.firewall.uplink_address = fw_ip;
    c.uplink = {{.role = actors::port_role::uplink, .name = "uplink", .own_ip = fw_ip,
                 .gateway_ip = ipv4_address::from_octets(10, 137, 0, 5)},
                uplink.opener()};
    c.clients.push_back({{.role = actors::port_role::client, .name = "vif1.0", .interface = 1, .client_ip = client_ip},
                         client.opener()});
    c.backoff_initial = std::chrono::milliseconds{10};
    c.max_restarts = max_restarts;
    sup = supervisor::spawn_supervisor(*sys, c, io);
    // Both ports up: their devices opened and watched.
    for (int i = 0; i < 500 && io.watched() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  ~running() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
  bool gateway_answers(std::uint16_t seq) {
    auto* d = client.latest.load();
    if (d == nullptr || !io.owner_of(d->fd())) return false;
    std::size_t before = d->sent_count();
    d->inject(ping_gateway(seq));
    return d->wait_sent(before);
  }
  std::string status() {
    caf::scoped_actor self{*sys};
    std::string s;
    self->request(sup, std::chrono::seconds{5}, actors::stats_atom_v)
        .receive([&](const std::string& text) { s = text; }, [&](const caf::error&) {});
    return s;
  }
};

}  // namespace

TEST_CASE("supervisor: a crashed client port is restarted with a fresh device and serves again") {
  running r;
  REQUIRE(r.gateway_answers(1));
  CHECK(r.client.opened == 1);
  // Crash the port: an abnormal exit, as an exception escaping a handler would cause.
  auto port = r.io.owner_of(r.client.latest.load()->fd());
  REQUIRE(port);
  caf::anon_send_exit(port, caf::exit_reason::kill);
  for (int i = 0; i < 200 && r.client.opened < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(r.client.opened == 2);
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) served = r.gateway_answers(static_cast<std::uint16_t>(10 + i));
  CHECK(served);
  CHECK(r.status().find("supervisor.restarts 1") != std::string::npos);
}

TEST_CASE("supervisor: a crash loop is given up on after the bound, the rest keeps running") {
  running r{2};
  for (int crash = 0; crash < 3; ++crash) {
    int opened = r.client.opened;
    auto port = r.io.owner_of(r.client.latest.load()->fd());
    REQUIRE(port);
    caf::anon_send_exit(port, caf::exit_reason::kill);
    for (int i = 0; i < 300 && r.client.opened == opened && crash < 2; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  for (int i = 0; i < 100 && r.status().find("supervisor.gave_up 1") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(r.status().find("supervisor.gave_up 1") != std::string::npos);
  CHECK(r.client.opened == 3);
  CHECK(r.status().find("port.uplink.") != std::string::npos);  // the uplink still runs
}

TEST_CASE("supervisor: a port whose device is gone waits for a new one without counting crashes") {
  running r{2};
  REQUIRE(r.gateway_answers(1));
  r.client.available = false;
  r.client.latest.load()->make_gone();
  auto has = [&](const std::string& line) { return r.status().find(line) != std::string::npos; };
  for (int i = 0; i < 200 && !has("supervisor.waiting 1"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(has("supervisor.devices_lost 1"));
  CHECK(has("supervisor.waiting 1"));
  CHECK_FALSE(has("port.vif1.0."));  // the port is stopped
  // Far longer than the crash bound (2) at one attempt per reopen_interval (200 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds{1200});
  CHECK(has("supervisor.gave_up 0"));
  CHECK(has("supervisor.restarts 0"));
  CHECK(r.client.opened == 1);
  r.client.available = true;
  for (int i = 0; i < 200 && r.client.opened < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(r.client.opened == 2);
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) served = r.gateway_answers(static_cast<std::uint16_t>(10 + i));
  CHECK(served);
  CHECK(has("supervisor.devices_back 1"));
  CHECK(has("supervisor.waiting 0"));
}

TEST_CASE("supervisor: shutdown stops every actor and releases every watched fd") {
  auto r = std::make_unique<running>();
  REQUIRE(r->gateway_answers(1));
  CHECK(r->io.watched() == 2);
  caf::anon_send_exit(r->sup, caf::exit_reason::user_shutdown);
  r->sys->await_all_actors_done();
  // Each port forgets its fd while it cleans up, which may finish just after.
  for (int i = 0; i < 100 && r->io.watched() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(r->io.watched() == 0);
}
