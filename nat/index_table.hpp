// nat/index_table.hpp — a fixed-capacity open-addressing hash index (linear probing,
// backward-shift deletion) from a key's 32-bit hash to a slot index; keys live in the
// caller's slots and are compared through a callback. No allocation after construction.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nat/index_list.hpp"

namespace aw::nat {

class index_table {
 public:
  // Room for max_entries at a load factor of at most one half.
  explicit index_table(std::size_t max_entries) {
    std::size_t cap = 16;
    while (cap < 2 * max_entries) cap *= 2;
    slots_.assign(cap, slot{});
    mask_ = cap - 1;
  }

  // The slot index whose stored hash is h and for which same(index) holds; npos if none.
  template <class Same>
  [[nodiscard]] std::uint32_t find(std::uint32_t h, Same&& same) const noexcept {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.index == npos) return npos;
      if (s.hash == h && same(s.index)) return s.index;
    }
  }

  // Precondition: size() < max entries, and index not present.
  void insert(std::uint32_t h, std::uint32_t index) noexcept {
    std::size_t i = h & mask_;
    while (slots_[i].index != npos) i = (i + 1) & mask_;
    slots_[i] = {h, index};
    ++size_;
  }

  // Removes the entry (h, index); returns false when absent.
  bool erase(std::uint32_t h, std::uint32_t index) noexcept {
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].index == npos) return false;
      if (slots_[i].index == index) break;
    }
    // Backward shift: pull later members of the probe run into the hole.
    for (std::size_t j = (i + 1) & mask_; slots_[j].index != npos; j = (j + 1) & mask_) {
      std::size_t home = slots_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = slot{};
    --size_;
    return true;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  // The most slots a find of a present entry walks (its distance from its home slot, plus one);
  // 0 when empty. O(capacity): for tests of how keys spread.
  [[nodiscard]] std::size_t longest_probe() const noexcept {
    std::size_t longest = 0;
    for (std::size_t j = 0; j < slots_.size(); ++j)
      if (slots_[j].index != npos) longest = std::max(longest, ((j - (slots_[j].hash & mask_)) & mask_) + 1);
    return longest;
  }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(slot); }

 private:
  struct slot {
    std::uint32_t hash = 0;
    std::uint32_t index = npos;
  };
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace aw::nat
