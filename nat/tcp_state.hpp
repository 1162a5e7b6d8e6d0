// nat/tcp_state.hpp — TCP connection tracking from flags only (SYN each way, FIN each
// way, RST), enough to pick the established or the transitory timeout (RFC 5382 REQ-5).
#pragma once

#include <cstdint>

#include "nat/flow.hpp"
#include "nat/timer_queues.hpp"

namespace aw::nat {

class tcp_tracker {
 public:
  // The state after the packet that created the session (outbound). A SYN-ACK
  // (the client answering an inbound SYN the filter let in) counts as
  // established; a packet picked up mid-stream (no SYN) only once the remote
  // answers it (conntrack's "assured"): until then it has the transitory
  // timeout and can be evicted, so ACKs sent to nowhere cannot fill the table
  // with sessions that are never evicted.
  static tcp_tracker start(std::uint8_t flags) noexcept;
  void update(direction d, std::uint8_t flags) noexcept;

  [[nodiscard]] bool established() const noexcept;
  [[nodiscard]] timeout_class timeout() const noexcept {
    return established() ? timeout_class::tcp_established : timeout_class::tcp_transitory;
  }
  [[nodiscard]] std::uint8_t bits() const noexcept { return bits_; }

 private:
  static constexpr std::uint8_t syn_out = 1, syn_in = 2, fin_out = 4, fin_in = 8, rst = 16, picked_up = 32;
  std::uint8_t bits_ = 0;
};

}  // namespace aw::nat
