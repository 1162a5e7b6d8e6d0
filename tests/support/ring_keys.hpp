// tests/support/ring_keys.hpp — what a netback would read from XenStore for one of our
// netfronts (its ring refs and event channel, all offloads offered), for tests and
// benchmarks that connect the two ends directly over the simulated hypervisor.
#pragma once

#include "xen/netback/connection.hpp"
#include "xen/netfront/connection.hpp"

namespace aw::test {

inline xen::netback::frontend_keys netback_keys_of(const xen::netfront::connection& front, xen::domid frontend) {
  xen::netback::frontend_keys k;
  k.frontend = frontend;
  k.tx_ring_ref = front.keys().tx_ring_ref;
  k.rx_ring_ref = front.keys().rx_ring_ref;
  k.tx_port = k.rx_port = front.keys().event_channel;
  k.sg = k.gso_tcpv4 = k.gso_tcpv6 = true;
  return k;
}

}  // namespace aw::test
