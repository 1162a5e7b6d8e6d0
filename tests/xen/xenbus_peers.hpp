// tests/xen/xenbus_peers.hpp — the other xenbus parties of a vif, as real libxenstore clients of
// the project's xenstored: the toolstack (what libxl writes as dom0) and Linux netfront's xenbus side.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "raw_frontend.hpp"
#include "xenstored_fixture.hpp"
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
    const std::string bdir = "/local/domain/1/backend/vif/" + std::to_string(front) + "/0";
    const std::string fdir = "/local/domain/" + std::to_string(front) + "/device/vif/0";
    REQUIRE(xen::with_transaction(xs, [&](xen::xs_transaction t) -> xen::status {
      const std::pair<std::string, std::string> be[] = {
          {"frontend", fdir}, {"frontend-id", std::to_string(front)}, {"online", "1"}, {"state", "1"},
          {"script", "/bin/true"}, {"mac", "00:16:3e:5e:6c:00"}, {"ip", ip}, {"handle", "0"}, {"type", "vif"}};
      // As libxl: every node gets its ACL (owner, and the other end may read).
      const xen::xs_permissions be_perms{{backend_dom, xen::xs_access::none}, {front, xen::xs_access::read}};
      const xen::xs_permissions fe_perms{{front, xen::xs_access::none}, {backend_dom, xen::xs_access::read}};
      if (auto s = xs.mkdir(bdir, t); !s) return s;
      if (auto s = xs.set_permissions(bdir, be_perms, t); !s) return s;
      for (const auto& [k, v] : be) {
        if (auto s = xs.write(bdir + "/" + k, v, t); !s) return s;
        if (auto s = xs.set_permissions(bdir + "/" + k, be_perms, t); !s) return s;
      }
      const std::pair<std::string, std::string> fe[] = {
          {"backend", bdir}, {"backend-id", "1"}, {"state", "1"}, {"handle", "0"}, {"mac", "00:16:3e:5e:6c:00"}};
      if (auto s = xs.mkdir(fdir, t); !s) return s;
      if (auto s = xs.set_permissions(fdir, fe_perms, t); !s) return s;
      for (const auto& [k, v] : fe) {
        if (auto s = xs.write(fdir + "/" + k, v, t); !s) return s;
        if (auto s = xs.set_permissions(fdir + "/" + k, fe_perms, t); !s) return s;
      }
      return xen::done{};
    }));
  }
  void detach() {
    REQUIRE(xs.write(be_path + "/online", "0"));
    REQUIRE(xs.write(be_path + "/state", "5"));
  }
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
