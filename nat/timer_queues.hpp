// nat/timer_queues.hpp — session expiry: one FIFO per timeout class ordered by the time
// an entry was queued, so expiring is O(1) per expired entry and independent of the table
// size. A refresh records the time and moves the entry to the tail only when its queue
// position is a granule (1 s) old: a busy flow costs one store per packet, not four
// scattered list writes. The price: an entry refreshed within the granule after it was
// queued is due up to a granule after its place says, and stops the walk meanwhile, so
// the entries behind it may expire up to one granule late (never early). The nodes live
// inside the caller's slots (one cache line with the session they time).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "nat/config.hpp"
#include "nat/index_list.hpp"

namespace aw::nat {

enum class timeout_class : std::uint8_t { udp, icmp_query, tcp_transitory, tcp_established };
inline constexpr std::size_t timeout_class_count = 4;

struct timer_node {
  list_links links;
  clock_time last{};    // last refresh
  clock_time queued{};  // when it took its place in the queue: queued <= last < queued + granule
  timeout_class klass = timeout_class::udp;
};

// Slot: any type with a `timer_node timer` member; the queues index an array
// of them owned by the caller (fixed size: the pointer must stay valid).
//
// Invariant: each list is sorted by queued (appends happen at the latest time
// seen), and every entry's deadline (last + timeout) is at least queued +
// timeout. So when the head is not due by queued, nothing in its list is due.
template <class Slot>
class timer_queues {
 public:
  static constexpr clock_time default_granule = std::chrono::seconds{1};
  timer_queues(Slot* slots, const nat_timeouts& t, clock_time granule = default_granule) noexcept
      : slots_(slots), timeout_{t.udp, t.icmp_query, t.tcp_transitory, t.tcp_established}, granule_(granule) {}

  // Precondition for all: now never goes backwards (the engine clamps it).
  void add(std::uint32_t id, timeout_class c, clock_time now) noexcept {
    timer_node& n = node(id);
    n.last = n.queued = now;
    n.klass = c;
    list_push_back(head(c), id, links());
  }
  void refresh(std::uint32_t id, clock_time now) noexcept {
    timer_node& n = node(id);
    n.last = now;
    if (now - n.queued >= granule_) requeue(id, now);
  }
  // Moves id to another class, refreshed at now (a TCP state change).
  void reclass(std::uint32_t id, timeout_class c, clock_time now) noexcept {
    remove(id);
    add(id, c, now);
  }
  void remove(std::uint32_t id) noexcept { list_unlink(head(node(id).klass), id, links()); }

  [[nodiscard]] clock_time last_refresh(std::uint32_t id) const noexcept { return node(id).last; }
  [[nodiscard]] timeout_class class_of(std::uint32_t id) const noexcept { return node(id).klass; }
  [[nodiscard]] clock_time deadline(std::uint32_t id) const noexcept {
    return node(id).last + timeout_[static_cast<std::size_t>(node(id).klass)];
  }
  [[nodiscard]] bool expired(std::uint32_t id, clock_time now) const noexcept { return now >= deadline(id); }
  // The entry at the head of class c (about the idlest); npos when empty.
  [[nodiscard]] std::uint32_t front(timeout_class c) const noexcept {
    return heads_[static_cast<std::size_t>(c)].first;
  }
  // The entry queued after id in its class; npos at the tail.
  [[nodiscard]] std::uint32_t next(std::uint32_t id) const noexcept { return node(id).links.next; }
  // Some entry whose deadline is at or before now; npos when none is due (see
  // above: entries behind a head refreshed within its granule wait for it). O(1).
  [[nodiscard]] std::uint32_t due(clock_time now) const noexcept {
    for (std::size_t c = 0; c < timeout_class_count; ++c) {
      const std::uint32_t id = heads_[c].first;
      // The head is the first due of its class, by queued + timeout: if it is not due
      // by its last refresh (less than a granule later), it soon is. Moving it to the
      // tail with a deadline earlier than its neighbours' would break the order the
      // walk relies on, and could leave it there for a whole timeout.
      if (id != npos && now >= node(id).last + timeout_[c]) return id;
    }
    return npos;
  }
  [[nodiscard]] std::size_t size(timeout_class c) const noexcept { return heads_[static_cast<std::size_t>(c)].size; }

 private:
  timer_node& node(std::uint32_t id) noexcept { return slots_[id].timer; }
  const timer_node& node(std::uint32_t id) const noexcept { return slots_[id].timer; }
  list_head& head(timeout_class c) noexcept { return heads_[static_cast<std::size_t>(c)]; }
  auto links() noexcept {
    return [this](std::uint32_t i) -> list_links& { return slots_[i].timer.links; };
  }
  void requeue(std::uint32_t id, clock_time now) noexcept {
    list_head& h = head(node(id).klass);
    node(id).queued = now;
    if (h.last == id) return;
    list_unlink(h, id, links());
    list_push_back(h, id, links());
  }

  Slot* slots_;
  std::array<list_head, timeout_class_count> heads_{};
  std::array<clock_time, timeout_class_count> timeout_{};
  clock_time granule_;
};

}  // namespace aw::nat
