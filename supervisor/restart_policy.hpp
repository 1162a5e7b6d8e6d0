// supervisor/restart_policy.hpp — what the supervisor does when a port's actor ends, as a
// pure decision over the port's history: retire a detached vif, wait for a lost device,
// restart a crash after a doubling backoff, give up on a crash loop, or nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace aw::supervisor {

struct restart_limits {
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10000};
  unsigned max_restarts = 5;  // crashes within window before giving up
  std::chrono::seconds window{60};
};

// Why the port's actor ended, as far as the policy cares.
enum class port_end {
  normal,       // asked to stop (shutdown): nothing to do
  device_gone,  // its device went away for good (frame_device::gone)
  crash,        // anything else
};

// A port's crash history (kept by the supervisor, changed only by decide_port_end).
struct port_history {
  std::deque<std::chrono::steady_clock::time_point> crashes;  // within the window
  std::chrono::milliseconds backoff{0};                      // the last restart's delay
};

enum class port_action {
  none,             // a normal end
  retire,           // a client vif dom0 detached: the slot is free; the watcher reports it if it returns
  wait_for_device,  // reopen every reopen interval, as long as it takes; not a crash
  restart,          // after `delay`
  give_up,          // crashed more than max_restarts times within the window
};

struct port_decision {
  port_action action = port_action::none;
  std::chrono::milliseconds delay{0};  // for restart
};

// A vif port (it has a backend directory) is retired when its device is gone; other ports
// wait for theirs. Waiting resets the backoff: a device coming back is a fresh start.
port_decision decide_port_end(port_history& h, port_end why, bool is_vif, std::chrono::steady_clock::time_point now,
                              const restart_limits& limits);

}  // namespace aw::supervisor
