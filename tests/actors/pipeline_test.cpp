// The actor pipeline on the real scheduler: client port -> firewall actor -> uplink port
// and back, ARP on both sides, credit-bounded ingress.
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <thread>

#include "actors/firewall_actor.hpp"
#include "actors/messages.hpp"
#include "actors/port_actor.hpp"
#include "actors/scheduler.hpp"
#include "support/fake_device.hpp"
#include "protocol/dissect.hpp"
#include "protocol/ethernet.hpp"
#include "support/packets.hpp"

using namespace aw;
using namespace aw::actors;
using proto::ipv4_address;
using proto::mac_address;

namespace {
const ipv4_address fw_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address netvm_ip = ipv4_address::from_octets(10, 137, 0, 5);
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 10);
const ipv4_address remote = ipv4_address::from_octets(192, 0, 2, 80);
const mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
const mac_address uplink_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x06}};
const mac_address netvm_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0x05}};

std::vector<std::uint8_t> frame(mac_address dst, mac_address src, proto::ethertype t, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> f(14 + payload.size());
  proto::ethernet_repr{dst, src, t, std::nullopt}.emit(f);
  std::copy(payload.begin(), payload.end(), f.begin() + 14);
  return f;
}

struct pipeline {
  caf::actor_system_config cfg;
  std::unique_ptr<reactor> io;  // outlives the system: actors forget their fds in their cleanup
  std::unique_ptr<caf::actor_system> sys;
  firewall_actor fw;
  port_actor client_port, uplink_port_actor;
  test::fake_device* client_dev = nullptr;
  test::fake_device* uplink_dev = nullptr;

  pipeline() {
    cfg.add_message_types<caf::id_block::actorwall>();
    configure_scheduler(cfg, 2);  // as the service sets it
    sys = std::make_unique<caf::actor_system>(cfg);
    io = std::make_unique<reactor>();
    firewall_actor_config fc;
    fc.firewall.gateway = fw_ip;
    fc.firewall.uplink_address = fw_ip;
    fw = spawn_firewall_actor(*sys, fc);
    auto cd = std::make_unique<test::fake_device>();
    auto ud = std::make_unique<test::fake_device>();
    client_dev = cd.get();
    uplink_dev = ud.get();
    port_config cc{.role = port_role::client, .name = "vif1.0", .interface = 1, .own_mac = fw_mac,
                   .client_ip = client_ip, .client_mac = client_mac};
    port_config uc{.role = port_role::uplink, .name = "uplink", .interface = 0, .own_mac = uplink_mac,
                   .own_ip = fw_ip, .gateway_ip = netvm_ip};
    client_port = spawn_port_actor(*sys, cc, std::move(cd), *io, fw);
    uplink_port_actor = spawn_port_actor(*sys, uc, std::move(ud), *io, fw);
    caf::anon_send(fw, client_port_up{client_ip, client_port});
    caf::anon_send(fw, uplink_port{uplink_port_actor});
    caf::anon_send(fw, client_rules{client_ip, std::make_shared<const rules::ruleset>(rules::compile_ruleset(
                                                   "drop", {{"0000", "action=accept proto=udp dstports=53-53"}}))});
  }
  ~pipeline() {
    for (auto& a : {client_port.address(), uplink_port_actor.address(), fw.address()})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
};
}  // namespace

TEST_CASE("pipeline: the uplink learns the gateway MAC by ARP and answers ARP for its own address") {
  pipeline p;
  REQUIRE(p.uplink_dev->wait_sent(0));
  auto req = proto::dissect_frame(p.uplink_dev->sent(0));
  REQUIRE(req.arp);
  CHECK(req.arp->target_ip == netvm_ip);
  // The netvm answers, then asks for us.
  std::vector<std::uint8_t> arp(28);
  proto::arp_repr{proto::arp_operation::reply, netvm_mac, netvm_ip, uplink_mac, fw_ip}.emit(arp);
  p.uplink_dev->inject(frame(uplink_mac, netvm_mac, proto::ethertype::arp, arp));
  proto::arp_repr{proto::arp_operation::request, netvm_mac, netvm_ip, mac_address{}, fw_ip}.emit(arp);
  p.uplink_dev->inject(frame(mac_address::broadcast(), netvm_mac, proto::ethertype::arp, arp));
  // The first reply may take an extra retry round.
  bool replied = false;
  for (std::size_t i = 1; i < 4 && p.uplink_dev->wait_sent(i); ++i) {
    auto d = proto::dissect_frame(p.uplink_dev->sent(i));
    if (d.arp && d.arp->operation == proto::arp_operation::reply) {
      CHECK(d.arp->sender_mac == uplink_mac);
      CHECK(d.arp->target_mac == netvm_mac);
      replied = true;
      break;
    }
  }
  CHECK(replied);
}

TEST_CASE("pipeline: a client's DNS query leaves NATed on the uplink and the answer comes back") {
  pipeline p;
  // Teach the uplink the gateway MAC first.
  std::vector<std::uint8_t> arp(28);
  proto::arp_repr{proto::arp_operation::reply, netvm_mac, netvm_ip, uplink_mac, fw_ip}.emit(arp);
  p.uplink_dev->inject(frame(uplink_mac, netvm_mac, proto::ethertype::arp, arp));

  auto query = test::udp_packet({.src = client_ip, .dst = remote}, 5353, 53, test::payload_of(30));
  p.client_dev->inject(frame(fw_mac, client_mac, proto::ethertype::ipv4, query));
  // Skip the uplink's ARP requests.
  std::optional<proto::dissection> out;
  for (std::size_t i = 0; i < 10 && p.uplink_dev->wait_sent(i); ++i) {
    auto d = proto::dissect_frame(p.uplink_dev->sent(i));
    if (d.udp) {
      out = d;
      break;
    }
  }
  REQUIRE(out);
  CHECK(out->ethernet->dst == netvm_mac);
  CHECK(out->ethernet->src == uplink_mac);
  CHECK(out->ipv4->src == fw_ip);
  CHECK(out->ipv4->ttl == 63);
  auto answer = test::udp_packet({.src = remote, .dst = fw_ip}, 53, out->udp->src_port, test::payload_of(60));
  p.uplink_dev->inject(frame(uplink_mac, netvm_mac, proto::ethertype::ipv4, answer));
  REQUIRE(p.client_dev->wait_sent(0));
  auto back = proto::dissect_frame(p.client_dev->sent(0));
  REQUIRE(back.udp);
  CHECK(back.ethernet->dst == client_mac);
  CHECK(back.ethernet->src == fw_mac);
  CHECK(back.ipv4->dst == client_ip);
  CHECK(back.udp->dst_port == 5353);
}

TEST_CASE("pipeline: the client port answers the client's ARP with the firewall's MAC") {
  pipeline p;
  std::vector<std::uint8_t> arp(28);
  proto::arp_repr{proto::arp_operation::request, client_mac, client_ip, mac_address{}, fw_ip}.emit(arp);
  p.client_dev->inject(frame(mac_address::broadcast(), client_mac, proto::ethertype::arp, arp));
  REQUIRE(p.client_dev->wait_sent(0));
  auto d = proto::dissect_frame(p.client_dev->sent(0));
  REQUIRE(d.arp);
  CHECK(d.arp->sender_mac == fw_mac);
  CHECK(d.arp->sender_ip == fw_ip);
}

TEST_CASE("pipeline: a refused packet is answered with ICMP admin-prohibited through the actors") {
  pipeline p;
  auto refused = test::tcp_packet({.src = client_ip, .dst = remote}, 40000, 25, proto::tcp_flag::syn, {});
  p.client_dev->inject(frame(fw_mac, client_mac, proto::ethertype::ipv4, refused));
  REQUIRE(p.client_dev->wait_sent(0));
  auto d = proto::dissect_frame(p.client_dev->sent(0));
  REQUIRE(d.icmp);
  CHECK(d.icmp->code == proto::icmp_unreach::admin_prohibited);
}

TEST_CASE("pipeline: the status of the firewall actor names its counters") {
  pipeline p;
  auto refused = test::tcp_packet({.src = client_ip, .dst = remote}, 40000, 25, proto::tcp_flag::syn, {});
  p.client_dev->inject(frame(fw_mac, client_mac, proto::ethertype::ipv4, refused));
  REQUIRE(p.client_dev->wait_sent(0));
  caf::scoped_actor self{*p.sys};
  std::string status;
  self->request(p.fw, std::chrono::seconds{5}, stats_atom_v)
      .receive([&](const std::string& s) { status = s; }, [&](const caf::error&) {});
  CHECK(status.find("drop.rule_drop 1") != std::string::npos);
  CHECK(status.find("client.10.137.0.10.icmp_sent 1") != std::string::npos);
}

namespace {
// A port alone, its firewall a stand-in that hands every credit it gets to the test.
struct lone_port {
  caf::actor_system_config cfg;
  std::unique_ptr<reactor> io;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> test;
  firewall_actor fw;
  port_actor port;
  test::fake_device* dev = nullptr;

  lone_port(port_role role, std::chrono::milliseconds hold_max) {
    cfg.add_message_types<caf::id_block::actorwall>();
    configure_scheduler(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    io = std::make_unique<reactor>();
    test = std::make_unique<caf::scoped_actor>(*sys);
    caf::actor observer = caf::actor_cast<caf::actor>(*test);
    // The observer travels as an argument: CAF 0.17 dereferences a null argument tuple
    // when a function actor is spawned without any.
    fw = sys->spawn([](firewall_actor::pointer, caf::actor to_test) -> firewall_actor::behavior_type {
      return {
          [=](credit c) { caf::anon_send(to_test, c); },
          [](const client_packets&) {}, [](const uplink_packets&) {}, [](const client_port_up&) {},
          [](const client_port_down&) {}, [](const uplink_port&) {}, [](const client_rules&) {},
          [](const resolver_handle&) {}, [](const host_answers&) {}, [](const dns_queries&) {},
          [](const connected_ips&) {}, [](tick_atom) {}, [](stats_atom) { return std::string{}; },
      };
    }, observer);
    auto d = std::make_unique<test::fake_device>();
    dev = d.get();
    port_config c{.role = role, .name = "p", .interface = 0, .own_mac = uplink_mac, .client_ip = client_ip,
                  .client_mac = client_mac, .own_ip = fw_ip, .gateway_ip = netvm_ip, .gateway_mac = netvm_mac,
                  .egress_hold_max = hold_max};
    port = spawn_port_actor(*sys, c, std::move(d), *io, fw);
  }
  ~lone_port() {
    caf::anon_send_exit(port, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(fw, caf::exit_reason::user_shutdown);
    test.reset();
    sys->await_all_actors_done();
  }
  void transmit() {
    proto::buffer_pool pool;
    auto pkt = test::udp_packet({.src = fw_ip, .dst = remote}, 1000, 53, test::payload_of(10));
    std::vector<proto::packet> v{proto::make_packet(pool, pkt).value()};
    caf::anon_send(port, transmit_packets{std::move(v)});
  }
  // Frames from the netvm until the port's 4 ingress credits are used up and it pauses
  // (the stand-in never pays them back).
  void use_up_ingress_credit() {
    for (int i = 0; i < 5; ++i) {
      dev->inject(frame(uplink_mac, netvm_mac, proto::ethertype::ipv4,
                        test::udp_packet({.src = remote, .dst = fw_ip}, 53, 1000, test::payload_of(10))));
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  }
  // The credits the port paid within `wait` (0: none came).
  std::uint32_t credit_within(std::chrono::milliseconds wait) {
    std::uint32_t got = 0;
    (*test)->receive([&](credit c) { got = c.batches; }, caf::after(wait) >> [] {});
    return got;
  }
  std::string stats() {
    std::string out;
    (*test)->request(port, std::chrono::seconds{5}, stats_atom_v)
        .receive([&](const std::string& s) { out = s; }, [](const caf::error&) {});
    return out;
  }
};
}  // namespace

TEST_CASE("egress back-pressure: the uplink pays a transmit batch's credit once its device has room") {
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.transmit();
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);  // room: at once
  p.dev->set_queued(300);                                 // the netvm fell behind
  p.transmit();
  p.transmit();
  CHECK(p.credit_within(std::chrono::milliseconds{200}) == 0);
  p.dev->set_queued(0);  // the netvm took them: the device's event
  CHECK(p.credit_within(std::chrono::seconds{5}) == 2);
  auto s = p.stats();
  CHECK(s.find("port.p.egress_held 1\n") != std::string::npos);
  CHECK(s.find("port.p.egress_hold_expired 0\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: a netvm that stops taking frames holds the credit no longer than the bound") {
  lone_port p{port_role::uplink, std::chrono::milliseconds{100}};
  p.dev->set_queued(300);
  p.transmit();
  CHECK(p.credit_within(std::chrono::milliseconds{30}) == 0);
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);  // the bound passed
  // Not held again until the queue has drained once: a stuck netvm costs drops, not time.
  p.transmit();
  CHECK(p.credit_within(std::chrono::milliseconds{50}) == 1);
  CHECK(p.stats().find("port.p.egress_hold_expired 1\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: a client port never holds credit (a client that stops reading slows only itself)") {
  lone_port p{port_role::client, std::chrono::seconds{30}};
  p.dev->set_queued(300);
  p.transmit();
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);
  CHECK(p.stats().find("port.p.egress_held 0\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: a paused uplink keeps its device's egress moving while it owes credit") {
  // Out of ingress credit (the firewall waits for this port's egress), the uplink still
  // has to see its device's queue drain, or the two would wait for each other.
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.dev->set_queued(300);
  p.transmit();
  p.use_up_ingress_credit();
  const auto flushes = p.dev->flushes();
  p.dev->set_queued(0);
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);
  CHECK(p.dev->flushes() > flushes);
  CHECK(p.stats().find("port.p.rx_paused 1\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: an uplink that starts holding while paused still sees its device drain") {
  // Paused first (its ingress credit used up, nothing owed yet: its fd left unarmed), then
  // a transmit batch finds the device's queue high: the port must arm its fd again, or
  // neither it nor the firewall would move until the hold's deadline.
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.use_up_ingress_credit();
  REQUIRE(p.stats().find("port.p.rx_paused 1\n") != std::string::npos);
  p.dev->set_queued(300);
  p.transmit();
  CHECK(p.credit_within(std::chrono::milliseconds{100}) == 0);
  p.dev->set_queued(0);
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);
}

TEST_CASE("egress back-pressure: up to one batch waiting in the device does not hold credit") {
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.dev->set_queued(256);  // the low-water mark: the netvm has work, the queue is short
  p.transmit();
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);
  CHECK(p.stats().find("port.p.egress_held 0\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: a slow netvm (its queue shrinking) keeps the hold past the deadline") {
  lone_port p{port_role::uplink, std::chrono::milliseconds{500}};
  p.dev->set_queued(300);
  p.transmit();
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  p.dev->set_queued(290);  // progress, still above the mark
  CHECK(p.credit_within(std::chrono::milliseconds{700}) == 0);  // the first deadline saw progress
  CHECK(p.credit_within(std::chrono::seconds{5}) == 1);         // the second saw none
  CHECK(p.stats().find("port.p.egress_hold_expired 1\n") != std::string::npos);
}

TEST_CASE("egress back-pressure: a transmit batch that finds room pays the credit still owed too") {
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.dev->set_queued(300);
  p.transmit();
  CHECK(p.credit_within(std::chrono::milliseconds{100}) == 0);
  p.dev->set_queued_quietly(10);  // the netvm caught up, no event seen yet
  p.transmit();
  CHECK(p.credit_within(std::chrono::seconds{5}) == 2);
}

TEST_CASE("port: a device whose pool is exhausted is looked at again after a growing pause, not at once in a loop") {
  // A TAP or AF_PACKET link out of buffers leaves its frames in the kernel and its fd
  // readable: re-armed at once, the port and the reactor would go round until blocks came
  // back (the uplink's 256 large blocks can all wait in slow clients' queues).
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  p.dev->starve_pool();
  p.dev->inject(frame(uplink_mac, netvm_mac, proto::ethertype::ipv4,
                      test::udp_packet({.src = remote, .dst = fw_ip}, 53, 1000, test::payload_of(10))));
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds{300});  // a window to count looks in, not a wait
  const auto looks = p.dev->receives();
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("receive() calls in " << window.count() << " ms with the pool exhausted: " << looks);
  CHECK(looks >= 2);  // it does look again...
  // ...1, 2, 4, ... 64 ms apart (8 looks in the first 127 ms, then one per 64 ms), not
  // thousands of times.
  CHECK(looks <= 10 + static_cast<std::size_t>(window.count() / 64));
  CHECK(p.stats().find("port.p.rx_pool_exhausted ") != std::string::npos);
  CHECK(p.stats().find("port.p.rx_frames 0") != std::string::npos);
  p.dev->feed_pool();  // blocks back: the frame that waited comes in at the next look
  bool arrived = false;
  for (int i = 0; i < 100 && !arrived; ++i) {
    arrived = p.stats().find("port.p.rx_frames 1") != std::string::npos;
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  CHECK(arrived);
}

TEST_CASE("port: a buffer refused to its egress does not pause its ingress (only a receive that found the pool dry does)") {
  lone_port p{port_role::uplink, std::chrono::seconds{30}};
  const proto::buffer_pool_config pool;
  p.dev->hold_small_blocks(pool.max_small);  // every small block of the port's pool, taken without a refusal
  for (int i = 0; i < 100 && p.dev->receives() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{5});
  p.transmit();  // framing it needs a small block: refused
  for (int i = 0; i < 100 && p.stats().find("port.p.tx_dropped 1") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  REQUIRE(p.stats().find("port.p.tx_dropped 1") != std::string::npos);
  p.dev->feed_pool();  // the blocks back
  const auto looks = p.dev->receives();
  p.dev->make_readable();  // a look that finds nothing, the pool fine
  for (int i = 0; i < 100 && p.dev->receives() == looks; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{5});
  CHECK(p.stats().find("port.p.rx_pool_exhausted 0") != std::string::npos);
}
