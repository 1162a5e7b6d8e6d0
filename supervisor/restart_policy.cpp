// supervisor/restart_policy.cpp — the port-end decision.
#include "supervisor/restart_policy.hpp"

#include <algorithm>

namespace aw::supervisor {

port_decision decide_port_end(port_history& h, port_end why, bool is_vif, std::chrono::steady_clock::time_point now,
                              const restart_limits& limits) {
  switch (why) {
    case port_end::normal: return {};
    case port_end::device_gone:
      if (is_vif) return {port_action::retire, {}};
      h.backoff = std::chrono::milliseconds{0};
      return {port_action::wait_for_device, {}};
    case port_end::crash: break;
  }
  h.crashes.push_back(now);
  while (!h.crashes.empty() && now - h.crashes.front() > limits.window) h.crashes.pop_front();
  if (h.crashes.size() > limits.max_restarts) return {port_action::give_up, {}};
  h.backoff = h.backoff.count() == 0 ? limits.backoff_initial : std::min(h.backoff * 2, limits.backoff_max);
  return {port_action::restart, h.backoff};
}

}  // namespace aw::supervisor
