// tests/supervisor/restart_policy_test.cpp — the supervisor's port-end decision, with no
// actor and no clock: crash backoff, crash-loop give-up, lost devices and detached vifs.
#include <doctest/doctest.h>

#include <vector>

#include "supervisor/restart_policy.hpp"

using namespace aw::supervisor;
using namespace std::chrono_literals;
using clock_point = std::chrono::steady_clock::time_point;

namespace {
const restart_limits limits{100ms, 1000ms, 3, 60s};
const clock_point t0{};
}  // namespace

TEST_CASE("restart policy: a crash restarts after a backoff that doubles up to its maximum") {
  port_history h;
  const restart_limits loose{100ms, 1000ms, 100, 60s};
  std::vector<long> delays;
  for (int i = 0; i < 6; ++i) {
    auto d = decide_port_end(h, port_end::crash, false, t0 + std::chrono::seconds{i}, loose);
    REQUIRE(d.action == port_action::restart);
    delays.push_back(static_cast<long>(d.delay.count()));
  }
  CHECK(delays == std::vector<long>{100, 200, 400, 800, 1000, 1000});
}

TEST_CASE("restart policy: more than max_restarts crashes within the window gives up, crashes further apart do not") {
  port_history h;
  for (int i = 0; i < 3; ++i) CHECK(decide_port_end(h, port_end::crash, false, t0 + std::chrono::seconds{i}, limits).action == port_action::restart);
  CHECK(decide_port_end(h, port_end::crash, false, t0 + 3s, limits).action == port_action::give_up);

  port_history spread;
  for (int i = 0; i < 10; ++i)  // one crash every 61 s: the window never holds two
    CHECK(decide_port_end(spread, port_end::crash, false, t0 + std::chrono::seconds{61 * i}, limits).action ==
          port_action::restart);
  CHECK(spread.crashes.size() == 1);
}

TEST_CASE("restart policy: a lost device is waited for (not a crash), and the backoff starts again after it") {
  port_history h;
  (void)decide_port_end(h, port_end::crash, false, t0, limits);
  (void)decide_port_end(h, port_end::crash, false, t0 + 1s, limits);
  CHECK(h.backoff == 200ms);
  auto d = decide_port_end(h, port_end::device_gone, false, t0 + 2s, limits);
  CHECK(d.action == port_action::wait_for_device);
  CHECK(h.crashes.size() == 2);  // not counted as a crash
  CHECK(decide_port_end(h, port_end::crash, false, t0 + 3s, limits).delay == 100ms);
}

TEST_CASE("restart policy: a client vif whose device is gone (dom0 detached it) is retired, not waited for") {
  port_history h;
  CHECK(decide_port_end(h, port_end::device_gone, true, t0, limits).action == port_action::retire);
  // A crashing vif restarts like any port.
  CHECK(decide_port_end(h, port_end::crash, true, t0, limits).action == port_action::restart);
}

TEST_CASE("restart policy: a normal end (shutdown) does nothing and leaves the history alone") {
  port_history h;
  CHECK(decide_port_end(h, port_end::normal, false, t0, limits).action == port_action::none);
  CHECK(h.crashes.empty());
  CHECK(h.backoff == 0ms);
}
