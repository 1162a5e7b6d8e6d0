// nat/fragment_table.hpp — IPv4 fragments through the NAT: the translation learnt from a
// first fragment, keyed by (direction, src, dst, protocol, IP id), bounded and time-limited;
// and a small bounded hold for non-first fragments that arrive before their first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nat/config.hpp"
#include "nat/flow.hpp"
#include "nat/index_list.hpp"
#include "nat/index_table.hpp"
#include "protocol/address.hpp"
#include "protocol/packet.hpp"

namespace aw::nat {

struct fragment_key {
  direction dir = direction::outbound;
  std::uint8_t protocol = 0;
  std::uint16_t id = 0;
  proto::ipv4_address src, dst;  // as received
  friend constexpr bool operator==(const fragment_key&, const fragment_key&) = default;
};
constexpr std::uint32_t hash(const fragment_key& k) noexcept {
  return mix64(((std::uint64_t{k.src.value} << 32) | k.dst.value) ^
               ((std::uint64_t{k.id} << 9 | std::uint64_t{k.protocol} << 1 | static_cast<std::uint64_t>(k.dir)) *
                0x9e3779b97f4a7c15ULL));
}

// What the first fragment's translation did to the addresses; later
// fragments have no L4 header, so the addresses are all they need.
struct fragment_action {
  proto::ipv4_address new_src, new_dst;
  destination to = destination::uplink;
  proto::ipv4_address client;
  std::uint32_t mapping = npos;     // the mapping slot used, valid while its generation holds
  std::uint32_t generation = 0;
  bool refused = false;  // the first fragment was refused: the others go at once, not to the hold
};

class fragment_table {
 public:
  // salt: secret, mixed into the index's slot choice (inbound fragments' keys are anyone's).
  fragment_table(std::size_t max_flows, std::size_t max_held, clock_time timeout, std::uint64_t salt);

  // Remembers (or renews) the action for key; at the bound the oldest entry goes.
  void learn(const fragment_key& key, const fragment_action& a, clock_time now) noexcept;
  // The live action for key; nullptr when unknown or timed out.
  [[nodiscard]] const fragment_action* find(const fragment_key& key, clock_time now) const noexcept;

  // Holds a non-first fragment until its first arrives; false when the hold is full.
  bool hold(const fragment_key& key, const proto::packet& p, clock_time now) noexcept;
  // Calls f(packet) for every held fragment of key, oldest first, and forgets them.
  template <class F>
  std::size_t release(const fragment_key& key, F&& f) {
    std::size_t n = 0;
    for (held_fragment& h : held_) {
      if (!h.used || !(h.key == key)) continue;
      h.used = false;
      --held_count_;
      ++n;
      proto::packet p = std::move(h.pkt);
      h.pkt = {};
      f(p);
    }
    return n;
  }

  // Forgets timed-out entries; returns how many held fragments were dropped.
  std::size_t expire(clock_time now) noexcept;

  [[nodiscard]] std::size_t flows() const noexcept { return index_.size(); }
  [[nodiscard]] std::size_t held() const noexcept { return held_count_; }
  [[nodiscard]] std::size_t longest_probe() const noexcept { return index_.longest_probe(); }  // for tests
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  struct entry {
    fragment_key key;
    fragment_action action;
    clock_time deadline{};
    list_links links;
  };
  struct held_fragment {
    fragment_key key;
    proto::packet pkt;
    clock_time deadline{};
    bool used = false;
  };
  void drop_entry(std::uint32_t i) noexcept;
  [[nodiscard]] std::uint32_t slot_hash(const fragment_key& k) const noexcept { return salted_hash(hash(k), salt_); }
  auto links() noexcept {
    return [this](std::uint32_t i) -> list_links& { return entries_[i].links; };
  }

  clock_time timeout_;
  std::uint64_t salt_;
  std::vector<entry> entries_;
  std::vector<std::uint32_t> free_;
  index_table index_;
  list_head fifo_;  // by time learnt: all share one timeout
  std::vector<held_fragment> held_;
  std::size_t held_count_ = 0;
};

}  // namespace aw::nat
