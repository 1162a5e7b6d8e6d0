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
#include "qubes/fake_qubesdb.hpp"
#include "supervisor/supervisor.hpp"
#include "support/dns_answer.hpp"
#include "support/packets.hpp"

using namespace aw;
using proto::ipv4_address;
using proto::mac_address;

namespace {
const ipv4_address fw_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 10);
const mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
const ipv4_address netvm_ip = ipv4_address::from_octets(10, 137, 0, 5);
const mac_address netvm_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05}};
const ipv4_address dns_ip = ipv4_address::from_octets(10, 139, 1, 1);

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
  actors::reactor io;  // outlives the system: actors forget their fds in their cleanup
  std::unique_ptr<caf::actor_system> sys;
  device_factory uplink, client;
  actors::supervisor_actor sup;

  explicit running(unsigned max_restarts = 5, std::optional<std::string> qubesdb = std::nullopt) {
    cfg.add_message_types<caf::id_block::actorwall>();
    sys = std::make_unique<caf::actor_system>(cfg);
    supervisor::supervisor_config c;
    c.firewall.firewall.gateway = fw_ip;
    c.firewall.firewall.uplink_address = fw_ip;
    c.firewall.firewall.dns_servers = {dns_ip};
    c.uplink = {{.role = actors::port_role::uplink, .name = "uplink", .own_ip = fw_ip, .gateway_ip = netvm_ip,
                 .gateway_mac = netvm_mac},
                uplink.opener()};
    c.clients.push_back({{.role = actors::port_role::client, .name = "vif1.0", .interface = 1, .client_ip = client_ip},
                         client.opener()});
    c.backoff_initial = std::chrono::milliseconds{10};
    c.max_restarts = max_restarts;
    if (qubesdb) c.config = actors::config_actor_config{*qubesdb};
    sup = supervisor::spawn_supervisor(*sys, c, io);
    // Both ports up: their devices opened and watched.
    for (int i = 0; i < 500 && io.watched() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  ~running() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
  bool gateway_answers(std::uint16_t seq) {
    // The device the port runs on now, once its port watches it (a restarted port
    // opens its device before the reactor knows the new actor).
    auto* d = client.latest.load();
    for (int i = 0; i < 200 && (d == nullptr || !io.owner_of(d->fd())); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
      d = client.latest.load();
    }
    if (d == nullptr || !io.owner_of(d->fd())) return false;
    std::size_t before = d->sent_count();
    d->inject(ping_gateway(seq));
    return d->wait_sent(before);
  }
  // The supervisor's answer to `question` (a default value if it does not answer).
  template <class Answer, class Question>
  Answer ask(Question question) {
    caf::scoped_actor self{*sys};
    Answer answer{};
    self->request(sup, std::chrono::seconds{5}, question)
        .receive([&](const Answer& a) { answer = a; }, [&](const caf::error&) {});
    return answer;
  }
  actors::firewall_actor firewall() { return ask<actors::firewall_actor>(actors::firewall_handle_atom_v); }
  std::string status() { return ask<std::string>(actors::stats_atom_v); }
  // The index of the first frame the uplink sent from `from` on that is a UDP datagram to
  // the DNS server's port 53, waiting for it.
  std::optional<std::size_t> wait_dns_query(std::size_t from) {
    auto* d = uplink.latest.load();
    for (std::size_t i = from; d != nullptr && d->wait_sent(i); ++i) {
      auto f = d->sent(i);
      auto ip = proto::dissect_ip(proto::bytes{f}.subspan(14));
      if (ip.ipv4 && ip.ipv4->dst == dns_ip && ip.udp && ip.udp->dst_port == 53) return i;
    }
    return std::nullopt;
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

// The answer of the netvm's DNS to the query frame `query` (Ethernet + IPv4 + UDP).
std::vector<std::uint8_t> dns_answer_frame(const std::vector<std::uint8_t>& query, ipv4_address addr) {
  auto ip = proto::dissect_ip(proto::bytes{query}.subspan(14));
  REQUIRE(ip.udp);
  auto udp = proto::udp_view::make(proto::ipv4_view::make(proto::bytes{query}.subspan(14))->payload()).value();
  auto answer = test::dns_answer(udp.payload(), {.addresses = {addr}, .ttl = 300});
  auto packet = test::udp_packet({.src = dns_ip, .dst = fw_ip}, 53, ip.udp->src_port, answer);
  std::vector<std::uint8_t> f(14 + packet.size());
  proto::ethernet_repr{fw_mac, netvm_mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(packet.begin(), packet.end(), f.begin() + 14);
  return f;
}

std::vector<std::uint8_t> syn_frame(ipv4_address dst, std::uint16_t sport) {
  auto ip = test::tcp_packet({.src = client_ip, .dst = dst}, sport, 80, proto::tcp_flag::syn, {});
  std::vector<std::uint8_t> f(14 + ip.size());
  proto::ethernet_repr{fw_mac, client_mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  return f;
}

const ipv4_address web_ip = ipv4_address::from_octets(192, 0, 2, 80);

void set_dsthost_rules(running& r) {
  auto rules = std::make_shared<const rules::ruleset>(rules::compile_ruleset(
      "drop", {{"0000", "action=accept dsthost=www.lab.example proto=tcp dstports=80-80"}}));
  caf::anon_send(r.firewall(), actors::client_rules{client_ip, rules});
}

// True when a SYN of the client to dst leaves on the uplink.
bool syn_leaves(running& r, ipv4_address dst, std::uint16_t sport) {
  auto* up = r.uplink.latest.load();
  auto* cl = r.client.latest.load();
  std::size_t before = up->sent_count();
  cl->inject(syn_frame(dst, sport));
  if (!up->wait_sent(before, std::chrono::milliseconds{500})) return false;
  auto f = up->sent(before);
  auto ip = proto::dissect_ip(proto::bytes{f}.subspan(14));
  return ip.ipv4 && ip.ipv4->dst == dst && ip.tcp;
}

TEST_CASE("supervisor: the resolver asks the netvm's DNS for a rule's dsthost and the answer opens the flows") {
  running r;
  REQUIRE(r.gateway_answers(1));
  set_dsthost_rules(r);
  auto q = r.wait_dns_query(0);
  REQUIRE(q);
  // Unresolved: the client's new flows are refused (fail closed).
  CHECK_FALSE(syn_leaves(r, web_ip, 40000));
  r.uplink.latest.load()->inject(dns_answer_frame(r.uplink.latest.load()->sent(*q), web_ip));
  bool open = false;
  for (int i = 0; i < 50 && !open; ++i) open = syn_leaves(r, web_ip, static_cast<std::uint16_t>(40001 + i));
  CHECK(open);
  CHECK_FALSE(syn_leaves(r, ipv4_address::from_octets(192, 0, 2, 81), 41000));
  CHECK(r.status().find("resolver.answers 1") != std::string::npos);
}

TEST_CASE("supervisor: a crashed resolver is restarted and asks for the names again") {
  running r;
  REQUIRE(r.gateway_answers(1));
  set_dsthost_rules(r);
  auto first = r.wait_dns_query(0);
  REQUIRE(first);
  auto resolver = r.ask<actors::resolver_actor>(actors::resolver_handle_atom_v);
  REQUIRE(resolver);
  caf::anon_send_exit(resolver, caf::exit_reason::kill);
  // Restarted after 1 s, it is told the names again and asks for them.
  auto again = r.wait_dns_query(*first + 1);
  REQUIRE(again);
  r.uplink.latest.load()->inject(dns_answer_frame(r.uplink.latest.load()->sent(*again), web_ip));
  bool open = false;
  for (int i = 0; i < 50 && !open; ++i) open = syn_leaves(r, web_ip, static_cast<std::uint16_t>(42000 + i));
  CHECK(open);
}

// A QubesDB daemon on its own thread with one client's rules.
struct qubesdb_daemon {
  std::string path = "/tmp/aw-supervisor-test-" + std::to_string(::getpid()) + ".sock";
  std::unique_ptr<qubes::fake_qubesdb> db;
  std::thread loop;
  qubesdb_daemon() {
    auto started = qubes::fake_qubesdb::start(path, {{"/qubes-firewall/10.137.0.10", ""},
                                                     {"/qubes-firewall/10.137.0.10/policy", "accept"},
                                                     {"/connected-ips", "10.137.0.10"}});
    REQUIRE(started);
    db = std::move(*started);
    loop = std::thread{[this] { db->run(); }};
  }
  ~qubesdb_daemon() {
    db->stop();
    loop.join();
  }
};

TEST_CASE("supervisor: the config actor is supervised - killed, it is restarted and reads the rules again") {
  qubesdb_daemon qdb;
  running r{5, qdb.path};
  auto has = [&](const std::string& line) { return r.status().find(line) != std::string::npos; };
  auto wait_for = [&](const std::string& line) {
    for (int i = 0; i < 300 && !has(line); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
    return has(line);
  };
  REQUIRE(wait_for("config.rule_loads 1"));
  // The config actor is the owner of the one watched fd that is not a port's device.
  actors::fd_owner_actor config;
  for (int fd = 0; fd < 1024 && !config; ++fd) {
    if (fd == r.client.latest.load()->fd() || fd == r.uplink.latest.load()->fd()) continue;
    config = r.io.owner_of(fd);
  }
  REQUIRE(config);
  caf::anon_send_exit(config, caf::exit_reason::kill);
  // Gone from the status while it is down, then a new one (restarted after 1 s) reads
  // the rules again.
  for (int i = 0; i < 100 && has("config.rule_loads"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK_FALSE(has("config.rule_loads"));
  CHECK(wait_for("config.rule_loads 1"));
  CHECK(r.gateway_answers(1));
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
