// A client vif as a port's frame device: xenbus steps and the data path behind one fd,
// over the project's xenstored and the simulated hypervisor.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "actors/netback_device.hpp"
#include "xen/xenbus_peers.hpp"

using namespace aw;
using namespace std::chrono_literals;

namespace {

struct vif_bench {
  test::xenstored_fixture xsd;
  test::sim_machine m;
  std::unique_ptr<xen::xenstore> d0 = xsd.client(xen::dom0);
  std::unique_ptr<xen::xenstore> fe = xsd.client(test::fe_dom);
  test::raw_frontend rings{*m.hv, test::fe_dom};
  test::toolstack ts{*d0};
  test::netfront_xenbus front{*fe, rings};
  proto::buffer_pool pool;

  std::unique_ptr<actors::netback_device> open() {
    auto hv = m.hv;
    auto d = actors::netback_device::open(xsd.client(test::backend_dom), test::be_path,
                                          [hv]() -> xen::xen_result<xen::netback::xen_handles> {
                                            return xen::netback::xen_handles{
                                                hv->open_grant_mapper(test::backend_dom).value(),
                                                hv->open_event_channels(test::backend_dom).value()};
                                          });
    REQUIRE(d);
    return std::move(*d);
  }
  // Polls the device's fd and drains it, as the port actor does, until pred holds.
  template <class Pred>
  bool run(actors::netback_device& d, std::vector<proto::packet>& got, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{d.fd(), POLLIN, 0};
      (void)::poll(&p, 1, 20);
      d.receive(got, 256, pool);
    }
    return pred();
  }
};

}  // namespace

TEST_CASE("netback device: InitWait at open, Connected on the frontend's keys, frames both ways, gone after detach") {
  vif_bench b;
  b.ts.add_vif();
  auto d = b.open();
  CHECK(d->state() == xen::xenbus_state::init_wait);  // written before any event loop runs
  CHECK(d->identity().ip == proto::ipv4_address::parse("10.137.0.10"));
  std::vector<proto::packet> got;
  b.front.publish_and_connect();
  REQUIRE(b.run(*d, got, [&] { return d->state() == xen::xenbus_state::connected; }));

  std::vector<std::uint8_t> frame(100, 0x42);
  b.rings.send_frame(frame, 0, 1);
  b.rings.push_tx();
  REQUIRE(b.run(*d, got, [&] { return got.size() == 1; }));
  CHECK(got[0].size() == 100);
  b.rings.post_rx(10, 2);
  CHECK(d->send(std::span(&got[0], 1)) == 1);
  CHECK(b.rings.take_rx().size() == 1);
  CHECK(d->counters("vif.").find("vif.tx_packets 1\n") != std::string::npos);

  b.ts.detach();
  b.front.set_state(xen::xenbus_state::closed);
  REQUIRE(b.run(*d, got, [&] { return d->gone(); }));
  CHECK_FALSE(b.d0->read(test::be_path));
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
  CHECK(d->send(std::span(&got[0], 1)) == 0);
  CHECK(d->counters("vif.").find("vif.rx_packets 1\n") != std::string::npos);  // kept after the connection went
}

TEST_CASE("netback device: a fatal error found while sending to the frontend tells it Closing at once") {
  vif_bench b;
  b.ts.add_vif();
  auto d = b.open();
  std::vector<proto::packet> got;
  b.front.publish_and_connect();
  REQUIRE(b.run(*d, got, [&] { return d->state() == xen::xenbus_state::connected; }));
  // The frontend claims more rx requests than its ring holds: fatal on the rx side.
  b.rings.rx().set_req_prod(b.rings.rx_front.req_prod_pvt + 5000);
  std::vector<std::uint8_t> frame(100, 0x42);
  auto p = proto::make_packet(b.pool, frame).value();
  (void)d->send(std::span(&p, 1));
  // No event will come from a closed connection: the state changed in send() itself.
  CHECK(d->state() == xen::xenbus_state::closing);
  CHECK(b.m.hv->mappings_held(test::backend_dom) == 0);
}
