// The uplink over Xen as a port's frame device: this domain's frontend vif, served by the
// userspace netfront behind one fd, against the project's netback state machine in a "netvm"
// domain, over the project's xenstored and the simulated hypervisor: connect, frames both
// ways, the netvm closing, vanishing and coming back, and a hostile backend.
#include <doctest/doctest.h>

#include <chrono>

#include "actors/netfront_device.hpp"
#include "xen/netback/vif_backend.hpp"
#include "xen/xenbus_peers.hpp"

using namespace aw;
using namespace std::chrono_literals;

namespace {

constexpr xen::domid netvm = test::backend_dom;  // the backend's domain (sys-net)
constexpr xen::domid self = test::fe_dom;        // the firewall qube: our own frontend vif

struct uplink_bench {
  test::xenstored_fixture xsd;
  test::sim_machine m;
  std::unique_ptr<xen::xenstore> d0 = xsd.client(xen::dom0);
  std::unique_ptr<xen::xenstore> nv = xsd.client(netvm);
  test::toolstack ts{*d0};
  xen::xenstore* bxs = nv.get();                    // the netvm's XenStore connection
  std::unique_ptr<xen::netback::vif_backend> back;  // the netvm's netback
  proto::buffer_pool pool;

  // The netvm's side: the toolstack's directories and its backend state machine.
  void start_netvm() {
    ts.add_vif("10.137.0.6", self);
    start_backend(*nv, netvm, test::be_path);
  }
  void start_backend(xen::xenstore& xs, xen::domid dom, const std::string& path) {
    auto hv = m.hv;
    bxs = &xs;
    back = xen::netback::vif_backend::open(xs, path, [hv, dom]() -> xen::xen_result<xen::netback::xen_handles> {
             return xen::netback::xen_handles{hv->open_grant_mapper(dom).value(), hv->open_event_channels(dom).value()};
           }).value();
    back->set_removal_delay(10ms);
    for (const auto& [watched, token] : {std::pair{path, "b"}, std::pair{test::fe_path, "f"}}) {
      auto w = xs.watch(watched, token);
      REQUIRE((w || w.error() == xen::xen_error::exists));  // the netvm back: still watched
    }
  }
  xen::xen_result<std::unique_ptr<actors::netfront_device>> open() {
    auto hv = m.hv;
    return actors::netfront_device::open(xsd.client(self), test::fe_path,
                                         [hv]() -> xen::xen_result<xen::netfront::front_handles> {
                                           return xen::netfront::front_handles{hv->open_grant_sharer(self).value(),
                                                                               hv->open_event_channels(self).value()};
                                         });
  }
  // Polls the device's fd and drains it as the port actor does, and steps the netvm's
  // backend on its watch events, until pred holds.
  template <class Pred>
  bool run(actors::netfront_device& d, std::vector<proto::packet>& got, Pred pred) {
    return run(&d, got, pred);
  }
  // Without a device (after it is destroyed): the backend alone.
  template <class Pred>
  bool run(actors::netfront_device* d, std::vector<proto::packet>& got, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      pollfd p[2] = {{bxs->watch_fd(), POLLIN, 0}, {d != nullptr ? d->fd() : -1, POLLIN, 0}};
      (void)::poll(p, 2, 20);
      if (d != nullptr) d->receive(got, 256, pool);
      (void)bxs->read_watch_events();
      if (back) {
        (void)back->update();
        (void)back->take_retired();
      }
    }
    return pred();
  }
  // The netvm up, and a device connected to it.
  std::unique_ptr<actors::netfront_device> netvm_and_device() {
    start_netvm();
    auto d = std::move(open().value());
    std::vector<proto::packet> got;
    REQUIRE(run(*d, got, [&] { return connected(*d); }));
    return d;
  }
  bool connected(actors::netfront_device& d) {
    return d.connected() && back && back->state() == xen::xenbus_state::connected;
  }
  // The netvm's netback receives what the device sent.
  std::vector<proto::packet> at_netvm(actors::netfront_device& d, std::size_t want) {
    std::vector<proto::packet> mine, theirs;
    (void)run(d, mine, [&] {
      if (back && back->conn() != nullptr) back->conn()->receive(theirs, 256, pool);
      return theirs.size() >= want;
    });
    return theirs;
  }
  proto::packet frame(std::size_t n, std::uint8_t fill) {
    std::vector<std::uint8_t> bytes(n, fill);
    return proto::make_packet(pool, bytes, proto::packet_meta{}).value();
  }
  // Nothing of ours is shared or bound any more, and no netvm maps anything of ours.
  [[nodiscard]] bool all_released() const {
    return m.hv->pages_in_use(self) == 0 && m.hv->ports_bound(self) == 0 && m.hv->mappings_held(netvm) == 0 &&
           m.hv->mappings_held(xen::dom0) == 0;
  }
};

bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

// Both directions once over a connected device.
void round_trip(uplink_bench& b, actors::netfront_device& d, std::uint8_t fill) {
  auto out = b.frame(1200, fill);
  REQUIRE(d.send(std::span(&out, 1)) == 1);
  auto there = b.at_netvm(d, 1);
  REQUIRE(there.size() == 1);
  CHECK(there[0].size() == 1200);
  CHECK(there[0].head()[0] == fill);
  auto in = b.frame(300, static_cast<std::uint8_t>(fill + 1));
  REQUIRE(b.back->conn()->send(std::span(&in, 1)) == 1);
  std::vector<proto::packet> got;
  REQUIRE(b.run(d, got, [&] { return !got.empty(); }));
  CHECK(got[0].size() == 300);
  CHECK(got[0].head()[0] == static_cast<std::uint8_t>(fill + 1));
}

}  // namespace

TEST_CASE("netfront device: connects to the netvm's backend, frames both ways, drops and counts while not connected") {
  uplink_bench b;
  b.start_netvm();
  auto d = std::move(b.open().value());
  std::vector<proto::packet> got;
  auto early = b.frame(60, 1);
  CHECK(d->send(std::span(&early, 1)) == 0);  // the backend has not answered yet
  CHECK(d->receive(got, 16, b.pool) == 0);
  REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));
  CHECK(d->state() == xen::xenbus_state::connected);
  CHECK(d->backend_path() == test::be_path);
  round_trip(b, *d, 0x40);
  const auto text = d->counters("uplink.");
  CHECK(has(text, "uplink.xenbus_state 4\n"));
  CHECK(has(text, "uplink.connects 1\n"));
  CHECK(has(text, "uplink.tx_not_connected 1\n"));
  CHECK(has(text, "uplink.tx_packets 1\n"));
  CHECK(has(text, "uplink.rx_packets 1\n"));
  CHECK_FALSE(d->gone());
}

TEST_CASE("netfront device: a frontend directory that names no valid backend is refused at open") {
  uplink_bench b;
  CHECK_FALSE(b.open());  // no directory at all (a wrong vif id)
  b.start_netvm();
  REQUIRE(b.d0->write(test::fe_path + "/backend", "/local/domain/0/backend/vif/5/0"));  // not backend-id's tree
  CHECK(b.open().error() == xen::xen_error::invalid_argument);
  REQUIRE(b.d0->write(test::fe_path + "/backend", test::be_path));
  REQUIRE(b.d0->write(test::fe_path + "/backend-id", "70000"));
  CHECK(b.open().error() == xen::xen_error::invalid_argument);
  CHECK(b.all_released());
}

TEST_CASE("netfront device: the netvm closing releases every grant and event channel, and its return reconnects") {
  uplink_bench b;
  auto d = b.netvm_and_device();
  std::vector<proto::packet> got;
  round_trip(b, *d, 0x10);
  CHECK(b.m.hv->pages_in_use(self) > 0);
  CHECK(b.m.hv->ports_bound(self) == 1);

  // The netvm detached (shut down): Closing, the frontend answers Closed, the backend
  // removes its directory.
  b.ts.detach();
  REQUIRE(b.run(*d, got, [&] { return !b.d0->read(test::be_path); }));
  REQUIRE(b.run(*d, got, [&] { return b.all_released(); }));
  CHECK(d->state() == xen::xenbus_state::closed);
  CHECK_FALSE(d->connected());
  CHECK(b.d0->read(test::fe_path + "/state").value() == "6");
  auto lost = b.frame(60, 2);
  CHECK(d->send(std::span(&lost, 1)) == 0);
  CHECK(d->receive(got, 16, b.pool) == 0);
  CHECK_FALSE(d->gone());

  // The netvm back: the toolstack writes the vif again, a new backend waits.
  b.start_netvm();
  REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));
  round_trip(b, *d, 0x20);
  const auto text = d->counters("uplink.");
  CHECK(has(text, "uplink.connects 2\n"));
  CHECK(has(text, "uplink.tx_packets 2\n"));  // kept over the reconnect
  CHECK(has(text, "uplink.tx_not_connected 1\n"));
}

TEST_CASE("netfront device: destroyed, it tells the backend to let go, and a new device (a restarted service) connects again") {
  uplink_bench b;
  auto d = b.netvm_and_device();
  std::vector<proto::packet> got;
  round_trip(b, *d, 0x30);
  d.reset();
  REQUIRE(b.run(nullptr, got, [&] { return b.all_released(); }));
  CHECK(b.back->state() != xen::xenbus_state::connected);
  d = std::move(b.open().value());
  REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));
  round_trip(b, *d, 0x31);
}

TEST_CASE("netfront device hostile backend: a response producer beyond the requests is counted, the device closes, "
          "releases, and connects again") {
  uplink_bench b;
  auto d = b.netvm_and_device();
  std::vector<proto::packet> got;
  {
    // The netvm's side of our rx ring, written by hand.
    auto mapper = b.m.hv->open_grant_mapper(netvm).value();
    const auto ref = xen::parse_xs_uint(b.d0->read(test::fe_path + "/rx-ring-ref").value());
    REQUIRE(ref);
    const xen::grant_ref refs[] = {static_cast<xen::grant_ref>(*ref)};
    auto page = mapper->map(self, refs, true).value();
    auto ring = xen::netif::ring_view::make(page.bytes(), xen::netif::rx_slot_size).value();
    ring.set_rsp_prod(ring.req_prod() + 5);
    REQUIRE(b.run(*d, got, [&] { return !d->connected(); }));
  }
  CHECK(has(d->counters("uplink."), "uplink.fatal_rx_rsp_prod_implausible 1\n"));
  // Closing, the backend closes, both Closed with the vif online: the frontend starts again.
  REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));
  CHECK(has(d->counters("uplink."), "uplink.connects 2\n"));
  round_trip(b, *d, 0x50);
  CHECK(b.m.hv->ports_bound(self) == 1);  // the first connection's port went
}

TEST_CASE("netfront device hostile backend: a state that is no xenbus state closes the frontend, and the backend's "
          "Closed brings it back") {
  uplink_bench b;
  auto d = b.netvm_and_device();
  std::vector<proto::packet> got;
  for (const char* junk : {"banana", "99", "-1", ""}) {
    REQUIRE(b.nv->write(test::be_path + "/state", junk));
    REQUIRE(b.run(*d, got, [&] { return !d->connected(); }));
    CHECK(d->state() == xen::xenbus_state::closed);
    REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));  // the backend answered the frontend's Closed
  }
  round_trip(b, *d, 0x60);
  CHECK(has(d->counters("uplink."), "uplink.connects 5\n"));
  CHECK(b.m.hv->ports_bound(self) == 1);
}

TEST_CASE("netfront device: the netvm changed (vif detached, written again with a backend in another domain) is "
          "followed without a new device") {
  uplink_bench b;
  auto d = b.netvm_and_device();
  std::vector<proto::packet> got;
  round_trip(b, *d, 0x70);
  b.ts.detach();
  REQUIRE(b.run(*d, got, [&] { return !b.d0->read(test::be_path) && b.all_released(); }));
  REQUIRE(b.d0->rm(test::fe_path));  // libxl removes the frontend directory too
  REQUIRE(b.run(*d, got, [&] { return d->backend_path().empty(); }));
  CHECK(d->state() == xen::xenbus_state::closed);
  CHECK_FALSE(b.d0->read(test::fe_path));  // not written again by the device

  // The new netvm is dom0 itself: the same toolstack writes, then the backend moved there.
  const std::string other = "/local/domain/0/backend/vif/5/0";
  b.ts.add_vif("10.137.0.6", self);
  const xen::xs_permissions perms{{xen::dom0, xen::xs_access::none}, {self, xen::xs_access::read}};
  REQUIRE(xen::with_transaction(*b.d0, [&](xen::xs_transaction t) -> xen::status {
    if (auto s = b.d0->mkdir(other, t); !s) return s;
    if (auto s = b.d0->set_permissions(other, perms, t); !s) return s;
    for (const char* key : {"frontend", "frontend-id", "online", "state", "mac", "ip", "handle", "type"}) {
      auto v = b.d0->read(test::be_path + "/" + key, t);
      if (!v) return v.error();
      if (auto s = b.d0->write(other + "/" + key, *v, t); !s) return s;
      if (auto s = b.d0->set_permissions(other + "/" + key, perms, t); !s) return s;
    }
    if (auto s = b.d0->rm(test::be_path, t); !s) return s;
    if (auto s = b.d0->write(test::fe_path + "/backend-id", "0", t); !s) return s;
    return b.d0->write(test::fe_path + "/backend", other, t);
  }));
  b.back.reset();
  b.start_backend(*b.d0, xen::dom0, other);
  REQUIRE(b.run(*d, got, [&] { return b.connected(*d); }));
  CHECK(d->backend_path() == other);
  round_trip(b, *d, 0x71);
  CHECK(has(d->counters("uplink."), "uplink.connects 2\n"));
  CHECK(has(d->counters("uplink."), "uplink.tx_packets 2\n"));
}

TEST_CASE("netfront device: after another frontend took the vif over, destroying the device leaves that frontend's state alone") {
  // Found in review: the kernel's netfront bound the vif again and wrote its own rings;
  // the device let go, but at shutdown it still wrote Closing over the state the kernel
  // now owns, tearing down the kernel's working link.
  uplink_bench b;
  auto d = b.netvm_and_device();
  auto other = b.xsd.client(self);
  const auto ours = other->read(test::fe_path + "/tx-ring-ref").value();
  REQUIRE(other->write(test::fe_path + "/tx-ring-ref", std::to_string(std::stoul(ours) + 7)));
  std::vector<proto::packet> got;
  REQUIRE(b.run(*d, got, [&] { return has(d->counters("uplink."), "uplink.taken_over 1"); }));
  REQUIRE(other->write(test::fe_path + "/state", "4"));  // the other frontend's Connected
  d.reset();
  CHECK(other->read(test::fe_path + "/state").value() == "4");
}
