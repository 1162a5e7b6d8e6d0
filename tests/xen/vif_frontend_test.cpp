// The frontend xenbus state machine against the project's netback state machine, both
// over the project's xenstored and the simulated hypervisor: connect, traffic, dom0 detach.
#include <doctest/doctest.h>

#include <chrono>

#include "xen/netback/vif_backend.hpp"
#include "xen/netfront/vif_frontend.hpp"
#include "xenbus_peers.hpp"

using namespace aw;
using namespace aw::xen;
using namespace std::chrono_literals;

namespace {
struct both_ends {
  test::xenstored_fixture xsd;
  test::sim_machine m;
  std::unique_ptr<xenstore> d0 = xsd.client(dom0);
  std::unique_ptr<xenstore> be = xsd.client(test::backend_dom);
  std::unique_ptr<xenstore> fe = xsd.client(test::fe_dom);
  test::toolstack ts{*d0};
  std::unique_ptr<netback::vif_backend> back;
  std::unique_ptr<netfront::vif_frontend> front;
  proto::buffer_pool pool;

  both_ends() {
    ts.add_vif();
    auto hv = m.hv;
    back = netback::vif_backend::open(*be, test::be_path, [hv]() -> xen_result<netback::xen_handles> {
             return netback::xen_handles{hv->open_grant_mapper(test::backend_dom).value(),
                                         hv->open_event_channels(test::backend_dom).value()};
           }).value();
    front = netfront::vif_frontend::open(*fe, test::fe_path, [hv]() -> xen_result<netfront::front_handles> {
              return netfront::front_handles{hv->open_grant_sharer(test::fe_dom).value(),
                                             hv->open_event_channels(test::fe_dom).value()};
            }).value();
    REQUIRE(be->watch(test::be_path, "b"));
    REQUIRE(be->watch(test::fe_path, "f"));
    REQUIRE(fe->watch(test::be_path, "b"));
  }
  // Both ends react to their watch events until pred holds.
  template <class Pred>
  bool pump(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      pollfd p[2] = {{be->watch_fd(), POLLIN, 0}, {fe->watch_fd(), POLLIN, 0}};
      (void)::poll(p, 2, 20);
      (void)be->read_watch_events();
      (void)fe->read_watch_events();
      back->update();
      front->update();
      (void)back->take_retired();
      (void)front->take_retired();
    }
    return pred();
  }
};
}  // namespace

TEST_CASE("vif frontend: connects to a backend in InitWait, publishes its rings, and traffic flows both ways") {
  both_ends e;
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  CHECK(e.front->state() == xenbus_state::connected);
  std::vector<std::uint8_t> bytes(3000, 0x33);
  proto::packet_meta meta;
  auto p = proto::make_packet(e.pool, bytes, meta).value();
  REQUIRE(e.front->conn()->send(std::span(&p, 1)) == 1);
  std::vector<proto::packet> got;
  REQUIRE(e.pump([&] {
    e.back->conn()->receive(got, 16, e.pool);
    return !got.empty();
  }));
  CHECK(got[0].size() == 3000);
  REQUIRE(e.back->conn()->send(std::span(&got[0], 1)) == 1);
  std::vector<proto::packet> back;
  REQUIRE(e.pump([&] {
    e.front->conn()->receive(back, 16, e.pool);
    return !back.empty();
  }));
  CHECK(back[0].size() == 3000);
}

TEST_CASE("vif frontend: dom0 detaching the vif closes both ends and the backend removes its directory") {
  both_ends e;
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  e.ts.detach();
  REQUIRE(e.pump([&] { return !e.d0->read(test::be_path); }));
  CHECK(e.front->state() == xenbus_state::closed);
  CHECK(e.front->conn() == nullptr);
  CHECK(e.m.hv->mappings_held(test::backend_dom) == 0);
}

TEST_CASE("vif frontend: a backend that comes back (netvm restarted) is connected to again") {
  both_ends e;
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  e.ts.detach();
  REQUIRE(e.pump([&] { return !e.d0->read(test::be_path); }));
  // The toolstack re-creates the backend side (same path), state Initialising.
  e.ts.add_vif();
  auto hv = e.m.hv;
  e.back = netback::vif_backend::open(*e.be, test::be_path, [hv]() -> xen_result<netback::xen_handles> {
             return netback::xen_handles{hv->open_grant_mapper(test::backend_dom).value(),
                                         hv->open_event_channels(test::backend_dom).value()};
           }).value();
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  CHECK(e.front->connects() == 2);
}

TEST_CASE("vif frontend: keys an earlier frontend left (the kernel netfront's split event channels, queues) are removed at connect") {
  // Found on Xen with a Linux sys-net: after the kernel's netfront was unbound from the vif,
  // its event-channel-tx/-rx stayed, and Linux netback, which reads them before
  // event-channel, bound ports that were no longer anyone's: no frame ever came back.
  both_ends e;
  for (const char* key : {"event-channel-tx", "event-channel-rx", "multi-queue-num-queues", "queue-0/tx-ring-ref"})
    REQUIRE(e.fe->write(test::fe_path + "/" + key, "8"));
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  for (const char* key : {"event-channel-tx", "event-channel-rx", "multi-queue-num-queues", "queue-0"}) {
    CAPTURE(key);
    CHECK_FALSE(e.d0->read(test::fe_path + "/" + key));
  }
  CHECK(e.d0->read(test::fe_path + "/event-channel"));
}

TEST_CASE("vif frontend: another frontend writing its rings over ours (the kernel's netfront bound again) makes it let go, once") {
  both_ends e;
  REQUIRE(e.pump([&] { return e.back->state() == xenbus_state::connected && e.front->conn() != nullptr; }));
  const auto ours = e.front->conn()->keys().tx_ring_ref;
  REQUIRE(e.fe->write(test::fe_path + "/tx-ring-ref", std::to_string(ours + 7)));
  CHECK(e.front->update() == netfront::front_change::disconnected);
  CHECK(e.front->taken_over());
  CHECK(e.front->conn() == nullptr);
  CHECK(e.front->update() == netfront::front_change::none);  // it stays out of the way
  CHECK(e.d0->read(test::fe_path + "/tx-ring-ref").value() == std::to_string(ours + 7));
}
