// protocol/packet.hpp — the immutable packet: up to two read-only slices of shared
// buffers (fresh header bytes + a shared payload) plus metadata.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/buffer.hpp"
#include "protocol/bytes.hpp"
#include "protocol/result.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

// What is known of the L4 checksum (the Xen netif / virtio-net flags map onto it).
enum class checksum_state : std::uint8_t {
  unverified,  // nobody checked it yet
  verified,    // checked here, or the sender said data_validated
  partial,     // csum_blank: the field holds only the pseudo-header sum
};
std::string_view to_string(checksum_state s) noexcept;

enum class gso_type : std::uint8_t { none, tcpv4, tcpv6 };

struct packet_meta {
  std::uint32_t interface = 0;  // ingress interface id
  checksum_state l4_checksum = checksum_state::unverified;
  gso_type gso = gso_type::none;
  std::uint16_t gso_size = 0;   // MSS of a GSO super-packet
  friend bool operator==(const packet_meta&, const packet_meta&) = default;
};

class packet;
template <class Edit>
result<packet, wire_error> copy_prefix_and_edit(const packet& in, std::size_t prefix_length, buffer_pool& pool,
                                                Edit&& edit) noexcept;

// A packet never changes after construction; operations return new packets.
// The head holds at least every header a parser needs; the tail, when
// present, is payload shared with the packet it was derived from.
class packet {
 public:
  packet() noexcept = default;
  // The bytes [offset, offset + length) of buf, clamped to its size.
  packet(shared_buffer buf, std::size_t offset, std::size_t length, packet_meta meta = {}) noexcept;
  explicit packet(shared_buffer buf, packet_meta meta = {}) noexcept;
  // A head slice followed by a tail slice.
  static packet join(shared_buffer head, std::size_t head_offset, std::size_t head_length, shared_buffer tail,
                     std::size_t tail_offset, std::size_t tail_length, packet_meta meta) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return std::size_t{head_.length} + tail_.length; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] bytes head() const noexcept { return head_.view(); }
  [[nodiscard]] bytes tail() const noexcept { return tail_.view(); }
  [[nodiscard]] bool contiguous() const noexcept { return tail_.length == 0; }
  [[nodiscard]] const packet_meta& meta() const noexcept { return meta_; }

  [[nodiscard]] packet with_meta(packet_meta meta) const noexcept;
  // Without its first n bytes (e.g. the Ethernet header); n is clamped to the head.
  [[nodiscard]] packet drop_front(std::size_t n) const noexcept;
  // Only the first length bytes (e.g. without Ethernet padding).
  [[nodiscard]] packet truncated(std::size_t length) const noexcept;
  // Copies min(size(), out.size()) bytes; returns how many.
  std::size_t copy_to(mutable_bytes out) const noexcept;
  // Checksum sum of the bytes [offset, size()), across both slices.
  [[nodiscard]] std::uint16_t sum_from(std::size_t offset, std::uint16_t initial = 0) const noexcept;
  // Shares the same bytes (tests and leak checks).
  [[nodiscard]] bool shares_buffer_with(const packet& other) const noexcept;
  // The bytes of fresh followed by this packet's bytes from offset `replaced`
  // on (shared). replaced is clamped to the head; when this packet has a
  // tail, the whole head counts as replaced (fresh must hold it), so the
  // result still has two slices.
  [[nodiscard]] packet with_new_prefix(shared_buffer fresh, std::size_t replaced) const noexcept;

 private:
  struct slice {
    shared_buffer buf;
    std::uint32_t offset = 0, length = 0;
    [[nodiscard]] bytes view() const noexcept { return buf.data().subspan(offset, length); }
  };
  slice head_, tail_;
  packet_meta meta_;
};

// A new contiguous packet holding a copy of content.
result<packet, wire_error> make_packet(buffer_pool& pool, bytes content, packet_meta meta = {}) noexcept;

// A new packet whose first prefix_length bytes are a fresh copy passed to
// edit(mutable_bytes) and whose remaining bytes are shared with in: the input
// is never touched. The prefix must lie in in's head (wire_error::truncated
// otherwise). The whole head is copied (and passed to edit) when in already
// has a tail, so the result still has two slices, or when in is at most
// small_packet_copy bytes, where a copy costs less than sharing.
inline constexpr std::size_t small_packet_copy = 128;
namespace detail {
struct prefix_copy {
  unique_buffer buffer;
  std::size_t copied = 0;  // bytes of in's head now in buffer
};
result<prefix_copy, wire_error> start_prefix_copy(const packet& in, std::size_t prefix_length,
                                                  buffer_pool& pool) noexcept;
}  // namespace detail

template <class Edit>
result<packet, wire_error> copy_prefix_and_edit(const packet& in, std::size_t prefix_length, buffer_pool& pool,
                                                Edit&& edit) noexcept {
  auto copy = detail::start_prefix_copy(in, prefix_length, pool);
  if (!copy) return copy.error();
  edit(copy->buffer.data().first(copy->copied));
  std::size_t n = copy->copied;
  return in.with_new_prefix(std::move(copy->buffer).freeze(n), n);
}

}  // namespace aw::proto
