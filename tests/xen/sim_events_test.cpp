// The simulated hypervisor's event channels: Xen's masking, coalescing and binding rules.
#include <doctest/doctest.h>

#include <poll.h>

#include "xen/sim/hypervisor.hpp"

using namespace aw::xen;

namespace {
constexpr domid front = 5;
constexpr domid back = 1;

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

struct pair_of_ends {
  std::shared_ptr<sim::hypervisor> hv = sim::hypervisor::create();
  std::unique_ptr<event_channels> fe, be;
  evtchn_port fe_port = 0, be_port = 0;
  pair_of_ends() {
    (void)hv->add_domain(back);
    (void)hv->add_domain(front);
    fe = hv->open_event_channels(front).value();
    be = hv->open_event_channels(back).value();
    fe_port = *fe->bind_unbound_port(back);
    be_port = *be->bind_interdomain(front, fe_port);
    // Binding raises the new port (see the case below): take that event and unmask,
    // so each case starts from a quiet channel.
    (void)be->pending();
    (void)be->unmask(be_port);
  }
};
}  // namespace

TEST_CASE("sim events: a notification makes the peer's fd readable and pending() names the port") {
  pair_of_ends p;
  CHECK_FALSE(readable(p.be->fd()));
  CHECK(p.be->pending().value() == std::nullopt);
  REQUIRE(p.fe->notify(p.fe_port));
  CHECK(readable(p.be->fd()));
  CHECK(p.be->pending().value() == p.be_port);
  CHECK_FALSE(readable(p.be->fd()));
  CHECK_FALSE(readable(p.fe->fd()));  // the notifier hears nothing
}

TEST_CASE("sim events: a fired port stays masked until unmask, and notifications meanwhile coalesce into one") {
  pair_of_ends p;
  REQUIRE(p.fe->notify(p.fe_port));
  REQUIRE(p.fe->notify(p.fe_port));  // coalesces with the first
  CHECK(p.be->pending().value() == p.be_port);
  CHECK(p.be->pending().value() == std::nullopt);
  for (int i = 0; i < 5; ++i) REQUIRE(p.fe->notify(p.fe_port));  // masked: remembered once
  CHECK_FALSE(readable(p.be->fd()));
  REQUIRE(p.be->unmask(p.be_port));
  CHECK(readable(p.be->fd()));
  CHECK(p.be->pending().value() == p.be_port);
  CHECK(p.be->pending().value() == std::nullopt);
  REQUIRE(p.be->unmask(p.be_port));
  CHECK_FALSE(readable(p.be->fd()));  // nothing was pending
  REQUIRE(p.fe->notify(p.fe_port));
  CHECK(p.be->pending().value() == p.be_port);
}

TEST_CASE("sim events: bind_interdomain leaves the new local port pending, as Xen does, and masked until unmask") {
  // Xen's evtchn_bind_interdomain sets the new local port pending ("we may have lost
  // notifications on the remote unbound port"); observed on Xen 4.17 by aw-xen-probe.
  std::shared_ptr<sim::hypervisor> hv = sim::hypervisor::create();
  REQUIRE(hv->add_domain(back));
  REQUIRE(hv->add_domain(front));
  auto fe = hv->open_event_channels(front).value();
  auto be = hv->open_event_channels(back).value();
  evtchn_port fe_port = *fe->bind_unbound_port(back);
  CHECK_FALSE(readable(be->fd()));
  evtchn_port be_port = *be->bind_interdomain(front, fe_port);
  CHECK(readable(be->fd()));  // before the frontend sent anything
  CHECK(be->pending().value() == be_port);
  CHECK(be->pending().value() == std::nullopt);
  CHECK_FALSE(readable(fe->fd()));  // only the binder's end is raised
  CHECK(fe->pending().value() == std::nullopt);
  // Masked like any fired port: a notification now is held until unmask.
  REQUIRE(fe->notify(fe_port));
  CHECK_FALSE(readable(be->fd()));
  REQUIRE(be->unmask(be_port));
  CHECK(be->pending().value() == be_port);
  REQUIRE(be->unmask(be_port));
  CHECK_FALSE(readable(be->fd()));
  // Binding again after an unbind raises the new port again.
  REQUIRE(be->unbind(be_port));
  auto again = be->bind_interdomain(front, fe_port);
  REQUIRE(again);
  CHECK(be->pending().value() == *again);
}

TEST_CASE("sim events: notifications travel both ways") {
  pair_of_ends p;
  REQUIRE(p.be->notify(p.be_port));
  CHECK(p.fe->pending().value() == p.fe_port);
}

TEST_CASE("sim events: binding needs a port offered to the binding domain") {
  pair_of_ends p;
  REQUIRE(p.hv->add_domain(9));
  auto third = p.hv->open_event_channels(9).value();
  CHECK(third->bind_interdomain(front, p.fe_port).error() == xen_error::invalid_argument);  // taken
  auto offered_to_back = *p.fe->bind_unbound_port(back);
  CHECK(third->bind_interdomain(front, offered_to_back).error() == xen_error::invalid_argument);
  CHECK(third->bind_interdomain(front, 999).error() == xen_error::invalid_argument);
  CHECK(third->bind_interdomain(42, 1).error() == xen_error::bad_domain);
  CHECK(p.be->notify(p.fe_port + 100).error() == xen_error::bad_port);
  CHECK(third->notify(p.be_port).error() == xen_error::bad_port);  // not its port
}

TEST_CASE("sim events: after the backend unbinds, the frontend's port can be bound again") {
  pair_of_ends p;
  REQUIRE(p.fe->notify(p.fe_port));
  REQUIRE(p.be->unbind(p.be_port));
  CHECK_FALSE(readable(p.be->fd()));  // the queued event went with the port
  CHECK(p.fe->notify(p.fe_port));     // goes nowhere, no error
  CHECK(p.be->unmask(p.be_port).error() == xen_error::bad_port);
  auto again = p.be->bind_interdomain(front, p.fe_port);
  REQUIRE(again);
  CHECK(p.be->pending().value() == *again);  // the event of the bind itself
  REQUIRE(p.be->unmask(*again));
  REQUIRE(p.fe->notify(p.fe_port));
  CHECK(p.be->pending().value() == *again);
}

TEST_CASE("sim events: closing a handle unbinds its ports") {
  pair_of_ends p;
  p.be.reset();
  auto be2 = p.hv->open_event_channels(back).value();
  CHECK(be2->bind_interdomain(front, p.fe_port));
}
