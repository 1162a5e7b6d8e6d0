// The service serving client vifs over the simulated hypervisor and the project's xenstored:
// a vif dom0 adds is found by the XenStore watcher, gets a port within libxl's limits,
// connects, answers its client, and is retired cleanly when dom0 detaches it.
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <chrono>
#include <thread>

#include "actors/messages.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "support/fake_device.hpp"
#include "support/packets.hpp"
#include "supervisor/supervisor.hpp"
#include "xen/real/real_xen.hpp"
#include "sim/platform.hpp"
#include "xen/xenbus_peers.hpp"

using namespace aw;
using namespace std::chrono_literals;
using proto::ipv4_address;

namespace {
const ipv4_address fw_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 10);
const proto::mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const proto::mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};

std::vector<std::uint8_t> ping_gateway(std::uint16_t seq) {
  auto ip = test::icmp_echo({.src = client_ip, .dst = fw_ip}, proto::icmp_type::echo_request, 7, seq, {});
  std::vector<std::uint8_t> f(14 + ip.size());
  proto::ethernet_repr{fw_mac, client_mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  return f;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 3s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  return pred();
}

struct service {
  test::xenstored_fixture xsd;
  test::sim_machine m;
  std::unique_ptr<xen::xenstore> d0 = xsd.client(xen::dom0);
  std::unique_ptr<xen::xenstore> fe = xsd.client(test::fe_dom);
  test::toolstack ts{*d0};
  caf::actor_system_config cfg;
  actors::reactor io;  // outlives the system: actors forget their fds in their cleanup
  std::unique_ptr<caf::actor_system> sys;
  actors::supervisor_actor sup;

  service() {
    cfg.add_message_types<caf::id_block::actorwall>();
    sys = std::make_unique<caf::actor_system>(cfg);
    supervisor::supervisor_config c;
    c.firewall.firewall.gateway = fw_ip;
    c.firewall.firewall.uplink_address = fw_ip;
    c.uplink = {{.role = actors::port_role::uplink, .name = "uplink", .own_ip = fw_ip,
                 .gateway_ip = ipv4_address::from_octets(10, 137, 0, 5)},
                [] { return std::unique_ptr<actors::frame_device>{std::make_unique<test::fake_device>()}; }};
    // Every XenStore connection the service opens is the backend domain's.
    c.xen = sim::xen_platform_of(m.hv, test::backend_dom, xsd.socket_of(test::backend_dom));
    c.vif_removal_delay = std::chrono::milliseconds{5};  // churn fast; libxl's pacing is not simulated
    sup = supervisor::spawn_supervisor(*sys, c, io);
  }
  ~service() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
  std::string status() {
    caf::scoped_actor self{*sys};
    std::string s;
    self->request(sup, 5s, actors::stats_atom_v).receive([&](const std::string& t) { s = t; }, [](const caf::error&) {});
    return s;
  }
  std::string be_state() {
    auto v = d0->read(test::be_path + "/state");
    return v ? *v : "-";
  }
  // The frontend pings the gateway until an echo reply comes back.
  bool gateway_answers(test::raw_frontend& rings, std::uint16_t seq) {
    rings.post_rx(40, 1);
    auto f = ping_gateway(seq);
    rings.send_frame(f, static_cast<std::size_t>(seq % 32), seq);
    rings.push_tx();
    std::vector<test::raw_frontend::rx_frame> got;
    wait_until([&] {
      auto more = rings.take_rx();
      got.insert(got.end(), more.begin(), more.end());
      return !got.empty();
    }, 2s);
    if (got.empty() || got[0].bytes.size() < 14 + 20 + 8) return false;
    auto ip = proto::ipv4_view::make(std::span(got[0].bytes).subspan(14));
    return ip && ip->protocol() == proto::ip_protocol::icmp && ip->src() == fw_ip &&
           got[0].bytes[14 + ip->header_length()] == 0;  // echo reply
  }
};

}  // namespace

TEST_CASE("service over Xen: a vif dom0 adds gets InitWait well within 10 s, connects, and its client is answered") {
  service s;
  auto t0 = std::chrono::steady_clock::now();
  s.ts.add_vif();
  REQUIRE(wait_until([&] { return s.be_state() == "2"; }));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // libxl gives up at 10 s
  test::raw_frontend rings(*s.m.hv, test::fe_dom);
  test::netfront_xenbus front{*s.fe, rings};
  front.publish_and_connect();
  REQUIRE(wait_until([&] { return s.be_state() == "4"; }));
  CHECK(s.gateway_answers(rings, 1));
  auto st = s.status();
  CHECK(st.find("supervisor.vifs_started 1") != std::string::npos);
  CHECK(st.find("port.vif5.0.") != std::string::npos);
}

TEST_CASE("service over Xen: dom0 detaching a vif removes its backend directory and retires its port, re-attach serves it again") {
  service s;
  s.ts.add_vif();
  REQUIRE(wait_until([&] { return s.be_state() == "2"; }));
  {
    test::raw_frontend rings(*s.m.hv, test::fe_dom);
    test::netfront_xenbus front{*s.fe, rings};
    front.publish_and_connect();
    REQUIRE(wait_until([&] { return s.be_state() == "4"; }));
    REQUIRE(s.gateway_answers(rings, 1));
    s.ts.detach();
    REQUIRE(wait_until([&] { return s.be_state() == "5"; }));
    front.set_state(xen::xenbus_state::closed);
    REQUIRE(wait_until([&] { return !s.d0->read(test::be_path); }));
    CHECK(wait_until([&] { return s.status().find("supervisor.vifs_retired 1") != std::string::npos; }));
    CHECK(s.m.hv->mappings_held(test::backend_dom) == 0);
    REQUIRE(s.d0->rm(test::fe_path));  // libxl removes the frontend side too
  }
  // xl network-attach: the same vif path again, a fresh frontend.
  s.ts.add_vif();
  REQUIRE(wait_until([&] { return s.be_state() == "2"; }));
  test::raw_frontend rings(*s.m.hv, test::fe_dom);
  test::netfront_xenbus front{*s.fe, rings};
  front.publish_and_connect();
  REQUIRE(wait_until([&] { return s.be_state() == "4"; }));
  CHECK(s.gateway_answers(rings, 2));
  CHECK(s.status().find("supervisor.vifs_started 2") != std::string::npos);
}

TEST_CASE("service over Xen: 1,000 attach/traffic/detach cycles leave no grant mapping, event channel, port or NAT entry behind") {
  service s;
  for (int cycle = 0; cycle < 1000; ++cycle) {
    s.ts.add_vif();
    test::raw_frontend rings(*s.m.hv, test::fe_dom);
    test::netfront_xenbus front{*s.fe, rings};
    REQUIRE(wait_until([&] { return s.be_state() == "2"; }));
    front.publish_and_connect();
    REQUIRE(wait_until([&] { return s.be_state() == "4"; }));
    if (cycle % 50 == 0) REQUIRE(s.gateway_answers(rings, static_cast<std::uint16_t>(cycle)));
    s.ts.detach();
    front.set_state(xen::xenbus_state::closed);
    REQUIRE(wait_until([&] { return !s.d0->read(test::be_path); }));
    REQUIRE(s.d0->rm(test::fe_path));
  }
  REQUIRE(wait_until([&] { return s.status().find("supervisor.vifs_retired 1000") != std::string::npos; }, 5s));
  auto st = s.status();
  CHECK(st.find("supervisor.vifs_started 1000") != std::string::npos);
  CHECK(s.m.hv->mappings_held(test::backend_dom) == 0);
  CHECK(s.m.hv->ports_bound(test::backend_dom) == 0);
  CHECK(st.find("nat.mappings 0\n") != std::string::npos);
  CHECK(st.find("port.vif5.0.") == std::string::npos);  // no vif port left running
  CHECK(s.io.watched() == 2);  // the uplink and the watcher
}

TEST_CASE("service over Xen: a hostile client is cut off while a well-behaved one beside it keeps working") {
  service s;
  // A second vif (frontend domain 6) beside the first.
  const std::string be2 = "/local/domain/1/backend/vif/6/0", fe2 = "/local/domain/6/device/vif/0";
  s.ts.add_vif();
  s.ts.add_vif("10.137.0.11", 6);
  REQUIRE(wait_until([&] { return s.be_state() == "2" && s.d0->read(be2 + "/state").value() == "2"; }));
  test::raw_frontend good(*s.m.hv, test::fe_dom);
  test::netfront_xenbus good_xb{*s.fe, good};
  good_xb.publish_and_connect();
  test::raw_frontend bad(*s.m.hv, 6);
  const auto k = bad.keys();
  for (const auto& [key, v] : std::vector<std::pair<std::string, std::string>>{
           {"tx-ring-ref", std::to_string(k.tx_ring_ref)}, {"rx-ring-ref", std::to_string(k.rx_ring_ref)},
           {"event-channel", std::to_string(k.tx_port)}, {"request-rx-copy", "1"}, {"state", "4"}})
    REQUIRE(s.d0->write(fe2 + "/" + key, v));
  REQUIRE(wait_until([&] { return s.be_state() == "4" && s.d0->read(be2 + "/state").value() == "4"; }));
  // The hostile one claims more requests than its ring holds.
  bad.tx().set_req_prod(100000);
  (void)bad.events->notify(bad.port);
  REQUIRE(wait_until([&] { return s.d0->read(be2 + "/state").value() == "5"; }));
  CHECK(s.gateway_answers(good, 1));
  CHECK(s.status().find("fatal_tx_req_prod_implausible 1") != std::string::npos);
}
