// protocol/packet.cpp — packet slices, copies and sums.
#include "protocol/packet.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/checksum.hpp"

namespace aw::proto {

std::string_view to_string(checksum_state s) noexcept {
  switch (s) {
    case checksum_state::unverified: return "unverified";
    case checksum_state::verified: return "verified";
    case checksum_state::partial: return "partial";
  }
  return "unknown";
}

packet::packet(shared_buffer buf, std::size_t offset, std::size_t length, packet_meta meta) noexcept : meta_(meta) {
  std::size_t size = buf.size();
  offset = std::min(offset, size);
  length = std::min(length, size - offset);
  head_ = {std::move(buf), static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)};
}

packet::packet(shared_buffer buf, packet_meta meta) noexcept : meta_(meta) {
  auto size = static_cast<std::uint32_t>(buf.size());
  head_ = {std::move(buf), 0, size};
}

packet packet::join(shared_buffer head, std::size_t head_offset, std::size_t head_length, shared_buffer tail,
                    std::size_t tail_offset, std::size_t tail_length, packet_meta meta) noexcept {
  packet p{std::move(head), head_offset, head_length, meta};
  packet t{std::move(tail), tail_offset, tail_length};
  if (t.head_.length != 0) p.tail_ = std::move(t.head_);
  return p;
}

packet packet::with_meta(packet_meta meta) const noexcept {
  packet p = *this;
  p.meta_ = meta;
  return p;
}

packet packet::drop_front(std::size_t n) const noexcept {
  packet p = *this;
  auto k = static_cast<std::uint32_t>(std::min<std::size_t>(n, head_.length));
  p.head_.offset += k;
  p.head_.length -= k;
  return p;
}

packet packet::truncated(std::size_t length) const noexcept {
  packet p = *this;
  if (length <= head_.length) {
    p.head_.length = static_cast<std::uint32_t>(length);
    p.tail_ = {};
  } else if (length < size()) {
    p.tail_.length = static_cast<std::uint32_t>(length - head_.length);
  }
  return p;
}

std::size_t packet::copy_to(mutable_bytes out) const noexcept {
  bytes h = head(), t = tail();
  std::size_t n1 = std::min(h.size(), out.size());
  if (n1 != 0) std::memcpy(out.data(), h.data(), n1);  // memcpy with a null pointer is UB even for 0 bytes
  std::size_t n2 = std::min(t.size(), out.size() - n1);
  if (n2 != 0) std::memcpy(out.data() + n1, t.data(), n2);
  return n1 + n2;
}

std::uint16_t packet::sum_from(std::size_t offset, std::uint16_t initial) const noexcept {
  bytes h = head(), t = tail();
  std::uint16_t s = initial;
  if (offset < h.size()) {
    s = checksum::sum(h.subspan(offset), s);
    // The tail continues the range at an odd position when the head part is odd.
    return checksum::sum(t, s, ((h.size() - offset) & 1u) != 0);
  }
  offset -= h.size();
  if (offset < t.size()) s = checksum::sum(t.subspan(offset), s);
  return s;
}

bool packet::shares_buffer_with(const packet& other) const noexcept {
  auto same = [](const slice& a, const slice& b) {
    return a.length != 0 && b.length != 0 && a.buf.data().data() == b.buf.data().data();
  };
  return same(head_, other.head_) || same(head_, other.tail_) || same(tail_, other.head_) ||
         same(tail_, other.tail_);
}

result<packet, wire_error> make_packet(buffer_pool& pool, bytes content, packet_meta meta) noexcept {
  auto buf = pool.acquire(content.size());
  if (!buf) return wire_error::pool_exhausted;
  if (!content.empty()) std::memcpy(buf->data().data(), content.data(), content.size());
  return packet{std::move(*buf).freeze(content.size()), meta};
}

packet packet::with_new_prefix(shared_buffer fresh, std::size_t replaced) const noexcept {
  packet p;
  p.meta_ = meta_;
  auto n = static_cast<std::uint32_t>(fresh.size());
  p.head_ = {std::move(fresh), 0, n};
  if (contiguous()) {
    auto k = static_cast<std::uint32_t>(std::min<std::size_t>(replaced, head_.length));
    if (k < head_.length) p.tail_ = {head_.buf, head_.offset + k, head_.length - k};
  } else {
    p.tail_ = tail_;
  }
  return p;
}

namespace detail {

result<prefix_copy, wire_error> start_prefix_copy(const packet& in, std::size_t prefix_length,
                                                  buffer_pool& pool) noexcept {
  bytes h = in.head();
  if (prefix_length > h.size()) return wire_error::truncated;
  // With a tail already present, copy the whole head so at most two slices
  // remain. A small packet is copied whole: cheaper than sharing its buffer.
  std::size_t n = !in.contiguous() || h.size() <= small_packet_copy ? h.size() : prefix_length;
  auto buf = pool.acquire(n);
  if (!buf) return wire_error::pool_exhausted;
  if (n != 0) std::memcpy(buf->data().data(), h.data(), n);
  return prefix_copy{std::move(*buf), n};
}

}  // namespace detail
}  // namespace aw::proto
