// nat/index_list.hpp — intrusive doubly-linked lists over slot indices (O(1) append,
// unlink, move to tail), the links living in the caller's slot arrays.
#pragma once

#include <cstdint>
#include <limits>

namespace aw::nat {

inline constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

struct list_links {
  std::uint32_t prev = npos, next = npos;
};

struct list_head {
  std::uint32_t first = npos, last = npos;
  std::uint32_t size = 0;
  [[nodiscard]] bool empty() const noexcept { return first == npos; }
};

// links(id) returns the list_links& of slot id.
template <class Links>
void list_push_back(list_head& h, std::uint32_t id, Links&& links) noexcept {
  list_links& l = links(id);
  l.prev = h.last;
  l.next = npos;
  if (h.last != npos) links(h.last).next = id;
  else h.first = id;
  h.last = id;
  ++h.size;
}

template <class Links>
void list_unlink(list_head& h, std::uint32_t id, Links&& links) noexcept {
  list_links& l = links(id);
  if (l.prev != npos) links(l.prev).next = l.next;
  else h.first = l.next;
  if (l.next != npos) links(l.next).prev = l.prev;
  else h.last = l.prev;
  l.prev = l.next = npos;
  --h.size;
}

}  // namespace aw::nat
