// tests/xen/xenbus_peers.hpp — the other xenbus parties of a vif, as real libxenstore clients of
// the project's xenstored: the toolstack (what libxl writes as dom0) and Linux netfront's xenbus side.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "raw_frontend.hpp"
#include "xenstored_fixture.hpp"
#include "xen/toolstack.hpp"
#include "xen/xenbus.hpp"

namespace aw::test {

static_assert(backend_dom == netback_dom);
inline constexpr xen::domid fe_dom = frontend_dom;
inline const std::string be_path = "/local/domain/1/backend/vif/5/0";
inline const std::string fe_path = "/local/domain/5/device/vif/0";

// What libxl does, as dom0.
struct toolstack {
  xen::xenstore& xs;
  void add_vif(const std::string& ip = "10.137.0.10", xen::domid front = fe_dom) {
    REQUIRE(xen::attach_vif(xs, {.backend = backend_dom, .frontend = front, .ip = ip}));
  }
  void detach() { REQUIRE(xen::request_vif_detach(xs, {.backend = backend_dom, .frontend = fe_dom})); }
};

// Linux netfront's side of xenbus, over a raw_frontend's rings.
struct netfront_xenbus {
  xen::xenstore& xs;
  raw_frontend& rings;
  void publish_and_connect() {
    auto k = rings.keys();
    const std::pair<std::string, std::string> keys[] = {
        {"tx-ring-ref", std::to_string(k.tx_ring_ref)}, {"rx-ring-ref", std::to_string(k.rx_ring_ref)},
        {"event-channel", std::to_string(k.tx_port)}, {"request-rx-copy", "1"}, {"feature-rx-notify", "1"},
        {"feature-sg", "1"}, {"feature-gso-tcpv4", "1"}, {"state", "4"}};
    for (const auto& [key, v] : keys) REQUIRE(xs.write(fe_path + "/" + key, v));
  }
  void set_state(xen::xenbus_state s) { REQUIRE(xs.write(fe_path + "/state", xen::format_xenbus_state(s))); }
};

}  // namespace aw::test
