// nat/fragment_table.cpp — fragment actions and the held fragments.
#include "nat/fragment_table.hpp"

namespace aw::nat {

fragment_table::fragment_table(std::size_t max_flows, std::size_t max_held, clock_time timeout,
                               std::uint64_t salt)
    : timeout_(timeout), salt_(salt), entries_(max_flows == 0 ? 1 : max_flows), index_(entries_.size()), held_(max_held) {
  free_.reserve(entries_.size());
  for (std::size_t i = entries_.size(); i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
}

void fragment_table::drop_entry(std::uint32_t i) noexcept {
  index_.erase(slot_hash(entries_[i].key), i);
  list_unlink(fifo_, i, links());
  free_.push_back(i);
}

void fragment_table::learn(const fragment_key& key, const fragment_action& a, clock_time now) noexcept {
  std::uint32_t i = index_.find(slot_hash(key), [&](std::uint32_t j) { return entries_[j].key == key; });
  if (i != npos) {
    list_unlink(fifo_, i, links());
  } else {
    if (free_.empty()) drop_entry(fifo_.first);
    i = free_.back();
    free_.pop_back();
    entries_[i].key = key;
    index_.insert(slot_hash(key), i);
  }
  entries_[i].action = a;
  entries_[i].deadline = now + timeout_;
  list_push_back(fifo_, i, links());
}

const fragment_action* fragment_table::find(const fragment_key& key, clock_time now) const noexcept {
  std::uint32_t i = index_.find(slot_hash(key), [&](std::uint32_t j) { return entries_[j].key == key; });
  if (i == npos || now >= entries_[i].deadline) return nullptr;
  return &entries_[i].action;
}

bool fragment_table::hold(const fragment_key& key, const proto::packet& p, clock_time now) noexcept {
  for (held_fragment& h : held_) {
    if (h.used) continue;
    h = {key, p, now + timeout_, true};
    ++held_count_;
    return true;
  }
  return false;
}

std::size_t fragment_table::expire(clock_time now) noexcept {
  while (fifo_.first != npos && now >= entries_[fifo_.first].deadline) drop_entry(fifo_.first);
  std::size_t dropped = 0;
  for (held_fragment& h : held_) {
    if (h.used && now >= h.deadline) {
      h.used = false;
      h.pkt = {};
      --held_count_;
      ++dropped;
    }
  }
  return dropped;
}

std::size_t fragment_table::memory_bytes() const noexcept {
  return entries_.capacity() * sizeof(entry) + free_.capacity() * sizeof(std::uint32_t) + index_.memory_bytes() +
         held_.capacity() * sizeof(held_fragment);
}

}  // namespace aw::nat
