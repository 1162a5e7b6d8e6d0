// actors/egress_credit.hpp — egress back-pressure bookkeeping for whoever forwards port
// batches (the firewall actor, the benchmark's no-op forwarder): transmit batches each
// port has not answered with credit yet, and the producers whose ingress credit waits
// while some port is behind. A flood then waits in its own device, and is dropped there,
// instead of queueing ahead of every other client's packets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/interfaces.hpp"

namespace aw::actors {

class egress_credit {
 public:
  // A port is behind with this many transmit batches unanswered.
  explicit egress_credit(std::uint32_t max_in_flight = 2) : max_in_flight_(max_in_flight) {}

  // One transmit batch went to `port`.
  void sent(const caf::actor_addr& port) { ++in_flight_[port]; }

  // A producer's ingress batch was handled: true when its credit may go back now;
  // otherwise it is kept until no port other than its own is behind (see answered()). A
  // port's own egress does not hold its ingress: the uplink holding its transmit credit
  // for a slow netvm must not stop the netvm's traffic to the clients.
  bool admit(port_actor producer) {
    if (!behind(producer.address())) return true;
    ++withheld_total_;
    withheld_.push_back(std::move(producer));
    return false;
  }

  // `port` answered `batches` transmit batches (or went away with them all: UINT32_MAX).
  // Returns the producers whose credit may go back now.
  std::vector<port_actor> answered(const caf::actor_addr& port, std::uint32_t batches) {
    if (auto it = in_flight_.find(port); it != in_flight_.end()) {
      it->second -= std::min(it->second, batches);
      if (it->second == 0) in_flight_.erase(it);
    }
    std::vector<port_actor> now;
    std::erase_if(withheld_, [&](const port_actor& p) {
      if (behind(p.address())) return false;
      now.push_back(p);
      return true;
    });
    return now;
  }

  // Some port (other than `except`) has max_in_flight transmit batches unanswered.
  [[nodiscard]] bool behind(const caf::actor_addr& except = {}) const {
    return std::any_of(in_flight_.begin(), in_flight_.end(),
                       [&](const auto& e) { return e.second >= max_in_flight_ && e.first != except; });
  }
  // Ingress batches whose credit had to wait (a counter).
  [[nodiscard]] std::uint64_t withheld_total() const { return withheld_total_; }

 private:
  std::uint32_t max_in_flight_;
  std::unordered_map<caf::actor_addr, std::uint32_t> in_flight_;
  std::vector<port_actor> withheld_;
  std::uint64_t withheld_total_ = 0;
};

}  // namespace aw::actors
