// The xenbus backend state machine of one vif against the project's xenstored (real
// libxenstore clients for dom0, the backend and the frontend) and the simulated hypervisor:
// connect within libxl's limits, every teardown path, reconnect, reattach after a restart.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "raw_frontend.hpp"
#include "xenbus_peers.hpp"
#include "xenstored_fixture.hpp"
#include "xen/netback/vif_backend.hpp"

using namespace aw;
using namespace aw::xen;
using namespace std::chrono_literals;
using netback::vif_backend;
using netback::vif_change;

namespace {

std::string read_or(xenstore& xs, const std::string& path, const char* fallback) {
  auto v = xs.read(path);
  return v ? *v : std::string{fallback};
}

using test::be_path;
using test::fe_dom;
using test::fe_path;
using test::netfront_xenbus;
using test::toolstack;

struct bench {
  test::xenstored_fixture xsd;
  test::sim_machine m;
  std::unique_ptr<xenstore> d0 = xsd.client(dom0);
  std::unique_ptr<xenstore> be = xsd.client(test::backend_dom);
  std::unique_ptr<xenstore> fe = xsd.client(fe_dom);
  test::raw_frontend rings{*m.hv, fe_dom};
  toolstack ts{*d0};
  netfront_xenbus front{*fe, rings};
  std::unique_ptr<vif_backend> vif;

  netback::open_handles_fn handles() {
    return [hv = m.hv]() -> xen_result<netback::xen_handles> {
      auto g = hv->open_grant_mapper(test::backend_dom);
      auto e = hv->open_event_channels(test::backend_dom);
      if (!g) return g.error();
      if (!e) return e.error();
      return netback::xen_handles{std::move(*g), std::move(*e)};
    };
  }
  void open() {
    auto v = vif_backend::open(*be, be_path, handles());
    REQUIRE(v);
    vif = std::move(*v);
    REQUIRE(be->watch(be_path, "be"));
    REQUIRE(be->watch(fe_path, "fe"));
  }
  // Runs the backend on watch events until pred holds; the last change seen is kept.
  template <class Pred>
  bool pump(Pred pred, std::chrono::milliseconds timeout = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{be->watch_fd(), POLLIN, 0};
      (void)::poll(&p, 1, 20);
      (void)be->read_watch_events();
      auto c = vif->update();
      if (c != vif_change::none) changes.push_back(c);
      (void)vif->take_retired();
      if (pred()) return true;
    }
    return pred();
  }
  std::vector<vif_change> changes;
  std::string be_state() { return read_or(*be, be_path + "/state", "-"); }
  bool be_dir_exists() { return static_cast<bool>(d0->read(be_path)); }

  void connect_fully() {
    ts.add_vif();
    open();
    REQUIRE(pump([&] { return be_state() == "2"; }));
    front.publish_and_connect();
    REQUIRE(pump([&] { return be_state() == "4"; }));
    REQUIRE(vif->conn() != nullptr);
  }
};

bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 3000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  return pred();
}

}  // namespace

TEST_CASE("vif backend: the path names the frontend and device, malformed paths are refused") {
  CHECK(netback::parse_vif_backend_path("/local/domain/1/backend/vif/5/0", 1) == std::pair<domid, std::uint32_t>{5, 0});
  CHECK_FALSE(netback::parse_vif_backend_path("/local/domain/1/backend/vif/05/0", 1));
  CHECK_FALSE(netback::parse_vif_backend_path("/local/domain/1/backend/vif/5", 1));
  CHECK_FALSE(netback::parse_vif_backend_path("/local/domain/2/backend/vif/5/0", 1));
  CHECK_FALSE(netback::parse_vif_backend_path("/local/domain/1/backend/vif/5/0/x", 1));
}

TEST_CASE("vif backend: reads the client's identity, a frontend path the toolstack did not write is refused") {
  bench b;
  b.ts.add_vif("10.137.0.10 fd09:24ef:4179::a89:a");
  b.open();
  CHECK(b.vif->identity().frontend == fe_dom);
  CHECK(b.vif->identity().frontend_path == fe_path);
  CHECK(b.vif->identity().ip == proto::ipv4_address::parse("10.137.0.10"));
  CHECK(b.vif->identity().mac == proto::mac_address::parse("00:16:3e:5e:6c:00"));
  REQUIRE(b.d0->write(be_path + "/frontend", "/local/domain/6/device/vif/0"));
  CHECK_FALSE(vif_backend::open(*b.be, be_path, b.handles()));
}

TEST_CASE("vif backend: features then InitWait well within libxl's 10 s, then Connected once the frontend is") {
  bench b;
  auto t0 = std::chrono::steady_clock::now();
  b.ts.add_vif();
  b.open();
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  auto init_wait = std::chrono::steady_clock::now() - t0;
  CHECK(init_wait < 1s);  // libxl gives up at 10 s
  CHECK(read_or(*b.be, be_path + "/feature-rx-copy", "") == "1");
  CHECK(read_or(*b.be, be_path + "/feature-sg", "") == "1");
  CHECK(read_or(*b.be, be_path + "/feature-gso-tcpv4", "") == "1");
  CHECK(b.vif->conn() == nullptr);
  b.front.publish_and_connect();
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  REQUIRE(b.vif->conn() != nullptr);
  CHECK(b.changes.back() == vif_change::connected);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 2);
  // Traffic flows over what it mapped.
  proto::buffer_pool pool;
  std::vector<std::uint8_t> f(60, 0xab);
  b.rings.send_frame(f, 0, 1);
  b.rings.push_tx();
  std::vector<proto::packet> got;
  b.vif->conn()->receive(got, 64, pool);
  CHECK(got.size() == 1);
}

TEST_CASE("vif backend: frontend keys missing or malformed → error node and Closing, nothing mapped") {
  bench b;
  b.ts.add_vif();
  b.open();
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  REQUIRE(b.fe->write(fe_path + "/tx-ring-ref", "12abc"));
  REQUIRE(b.fe->write(fe_path + "/state", "4"));
  REQUIRE(b.pump([&] { return b.be_state() == "5"; }));
  CHECK(read_or(*b.be, be_path + "/error", "").find("tx-ring-ref") != std::string::npos);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
}

TEST_CASE("vif backend: frontend Closing stops I/O and answers Closing, Closed unmaps and answers Closed") {
  bench b;
  b.connect_fully();
  b.front.set_state(xenbus_state::closing);
  REQUIRE(b.pump([&] { return b.be_state() == "5"; }));
  CHECK(b.vif->conn() == nullptr);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  CHECK(b.be_dir_exists());  // online = 1: the frontend may come back
}

TEST_CASE("vif backend: online=1 reconnect — a frontend that returns to Initialising gets InitWait and connects again") {
  bench b;
  b.connect_fully();
  b.front.set_state(xenbus_state::closing);
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  // A client reboot or driver reload: new rings, Initialising, then Connected.
  test::raw_frontend rings2(*b.m.hv, fe_dom);
  netfront_xenbus front2{*b.fe, rings2};
  front2.set_state(xenbus_state::initialising);
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  front2.publish_and_connect();
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(b.vif->connects() == 2);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 2);
}

TEST_CASE("vif backend: a frontend that starts over from Connected without closing gets InitWait and connects again") {
  bench b;
  b.connect_fully();
  test::raw_frontend rings2(*b.m.hv, fe_dom);
  netfront_xenbus front2{*b.fe, rings2};
  front2.set_state(xenbus_state::initialising);
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);  // the old rings are let go
  front2.publish_and_connect();
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(b.vif->connects() == 2);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 2);
}

TEST_CASE("vif backend: dom0 detach (online=0, state 5) → Closing, Closed, backend directory removed within libxl's limits") {
  bench b;
  b.connect_fully();
  auto t0 = std::chrono::steady_clock::now();
  b.ts.detach();
  REQUIRE(b.pump([&] { return b.be_state() == "5"; }));
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
  // Linux netfront answers the backend's Closing with Closed.
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return !b.be_dir_exists(); }));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // libxl: ≤ 10 s for Closed, ≤ 10 s more for removal
  CHECK(b.changes.back() == vif_change::removed);
  // Only our own directory: the parent stays.
  CHECK(b.d0->read("/local/domain/1/backend/vif/5"));
  CHECK(b.vif->update() == vif_change::none);
}

TEST_CASE("vif backend: a frontend that disappears (domain destroyed) is torn down, online=0 removes the directory") {
  bench b;
  b.connect_fully();
  REQUIRE(b.d0->rm("/local/domain/5/device"));
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
  CHECK(b.be_dir_exists());
  // dom0 detaches seconds later: Closing written over our Closed, then it waits for
  // Closed again (and a driver domain's directory to go).
  std::this_thread::sleep_for(600ms);  // past the removal delay (500 ms) counted from our first Closed
  REQUIRE(b.d0->write(be_path + "/online", "0"));
  REQUIRE(b.d0->write(be_path + "/state", "5"));
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  REQUIRE(b.pump([&] { return !b.be_dir_exists(); }));
}

TEST_CASE("vif backend: dom0 closing a vif whose frontend never connected goes straight to Closed and removal") {
  bench b;
  b.ts.add_vif();
  b.open();
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  b.ts.detach();
  REQUIRE(b.pump([&] { return !b.be_dir_exists(); }));
}

TEST_CASE("vif backend: dom0 removing the backend directory itself ends the vif") {
  bench b;
  b.connect_fully();
  REQUIRE(b.d0->rm(be_path));
  REQUIRE(b.pump([&] { return !b.changes.empty() && b.changes.back() == vif_change::removed; }));
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
}

TEST_CASE("vif backend: a data path that gives up on a hostile frontend tells it Closing") {
  bench b;
  b.connect_fully();
  b.rings.tx().set_req_prod(5000);
  (void)b.rings.events->notify(b.rings.port);
  proto::buffer_pool pool;
  std::vector<proto::packet> got;
  REQUIRE(wait_for([&] { return test::readable(b.vif->conn()->fd()); }));
  b.vif->conn()->receive(got, 64, pool);
  CHECK(b.vif->conn()->closed());
  CHECK(b.vif->update() == vif_change::disconnected);
  CHECK(b.be_state() == "5");
  auto retired = b.vif->take_retired();
  REQUIRE(retired);
  CHECK(retired->counters().fatal == netback::netback_fatal::tx_req_prod_implausible);
}

TEST_CASE("vif backend: a backend restarted while its vif was Closing (online=1) is not taken for a detach") {
  bench b;
  b.connect_fully();
  b.front.set_state(xenbus_state::closing);
  REQUIRE(b.pump([&] { return b.be_state() == "5"; }));  // our own Closing
  b.vif.reset();  // the service stops here
  auto again = vif_backend::open(*b.be, be_path, b.handles());
  REQUIRE(again);
  b.vif = std::move(*again);
  // The frontend finishes closing, then comes back (a driver reload).
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  test::raw_frontend rings2(*b.m.hv, fe_dom);
  netfront_xenbus front2{*b.fe, rings2};
  front2.set_state(xenbus_state::initialising);
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  front2.publish_and_connect();
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(b.be_dir_exists());
}

TEST_CASE("vif backend: a restarted backend attaches to a frontend still Connected") {
  bench b;
  b.connect_fully();
  b.vif.reset();  // the service stops without closing (rings unmapped)
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
  auto again = vif_backend::open(*b.be, be_path, b.handles());
  REQUIRE(again);
  b.vif = std::move(*again);
  CHECK(b.vif->update() == vif_change::connected);
  CHECK(b.be_state() == "4");
  proto::buffer_pool pool;
  std::vector<std::uint8_t> f(80, 0x11);
  b.rings.send_frame(f, 0, 1);
  b.rings.push_tx();
  std::vector<proto::packet> got;
  REQUIRE(wait_for([&] { return test::readable(b.vif->conn()->fd()); }));
  b.vif->conn()->receive(got, 64, pool);
  CHECK(got.size() == 1);
}

TEST_CASE("vif backend: a driver domain removes its directory a moment after Closed, so libxl sees Closed first") {
  bench b;
  b.connect_fully();
  b.vif->set_removal_delay(300ms);
  b.ts.detach();
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  CHECK(b.be_dir_exists());  // Closed is there to be read
  REQUIRE(b.vif->next_deadline());
  const auto due = *b.vif->next_deadline();
  CHECK(b.vif->update() == vif_change::none);  // not before it is due
  std::this_thread::sleep_until(due + 10ms);
  CHECK(b.vif->update() == vif_change::removed);
  CHECK_FALSE(b.be_dir_exists());
  CHECK_FALSE(b.vif->next_deadline());
}

TEST_CASE("vif backend: a frontend that ignores dom0's detach is closed without it after the grace, its directory removed") {
  bench b;
  b.connect_fully();
  b.vif->set_frontend_close_grace(300ms);
  b.vif->set_removal_delay(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  b.ts.detach();
  REQUIRE(b.pump([&] { return b.be_state() == "5"; }));
  // The frontend stays Connected (hung, or hostile): the vif waits for it, with a deadline.
  REQUIRE(b.vif->next_deadline());
  CHECK(*b.vif->next_deadline() > std::chrono::steady_clock::now());
  REQUIRE(b.pump([&] { return !b.be_dir_exists(); }));
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // well within libxl's 10 s
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
}

TEST_CASE("vif backend: a frontend that writes Connected back after Closed sets no deadline in the past (no 1 ms polling)") {
  // The removal deadline set at Closed stayed when the frontend's state went back to
  // Connected: it came due at every look, and the device's timer fired every millisecond.
  bench b;
  b.connect_fully();
  b.vif->set_removal_delay(200ms);
  b.ts.detach();
  b.front.set_state(xenbus_state::closed);
  REQUIRE(b.pump([&] { return b.be_state() == "6"; }));
  REQUIRE(b.vif->next_deadline());
  b.front.set_state(xenbus_state::connected);  // the client's own key, written back
  std::this_thread::sleep_for(250ms);  // past the old removal deadline
  (void)b.vif->update();
  if (auto due = b.vif->next_deadline()) CHECK(*due > std::chrono::steady_clock::now());
  // And the detach still completes (the close grace, 5 s by default, at the latest).
  REQUIRE(b.pump([&] { return !b.be_dir_exists(); }, 8000ms));
}

TEST_CASE("vif backend: with hotplug-status asked for, InitWait stays until the script answers, so dom0 and xl devd see it") {
  // libxl writes hotplug-status="" and waits (10 s) to read InitWait; a backend in a driver
  // domain that went on to Connected before dom0 or xl devd read its state failed the attach.
  bench b;
  REQUIRE(xen::attach_vif(*b.d0, {.backend = test::backend_dom, .frontend = fe_dom, .ip = "10.137.0.10",
                                  .hotplug_status = true}));
  b.open();
  b.vif->set_hotplug_wait_max(5000ms);
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  b.front.publish_and_connect();
  CHECK_FALSE(b.pump([&] { return b.be_state() == "4"; }, 300ms));  // still InitWait
  REQUIRE(b.vif->next_deadline());  // ...with a deadline: it goes on without a script at the latest then
  REQUIRE(b.d0->write(be_path + "/hotplug-status", "connected"));  // the script's success()
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(b.vif->hotplug_timeouts() == 0);
}

TEST_CASE("vif backend: with no hotplug script to answer, InitWait goes on to Connected after the wait, counted") {
  bench b;
  REQUIRE(xen::attach_vif(*b.d0, {.backend = test::backend_dom, .frontend = fe_dom, .ip = "10.137.0.10",
                                  .hotplug_status = true}));
  b.open();
  b.vif->set_hotplug_wait_max(200ms);
  REQUIRE(b.pump([&] { return b.be_state() == "2"; }));
  b.front.publish_and_connect();
  REQUIRE(b.pump([&] { return b.be_state() == "4"; }));
  CHECK(b.vif->hotplug_timeouts() == 1);
}
