// link/rx_slot.cpp — one receive slot: buffers in, a checked packet out.
#include "link/rx_slot.hpp"

#include <algorithm>

#include "protocol/ethernet.hpp"

namespace aw::link {

bool rx_slot::prepare(proto::buffer_pool& pool, bool large) noexcept {
  if (pool_ != &pool) {
    release();
    pool_ = &pool;
  }
  if (!small_) {
    small_ = pool.acquire(1);  // the small class
    if (!small_) return false;
  }
  if (large && !large_) {
    // Anything above the small class comes from the large one (64 KiB + headroom).
    large_ = pool.acquire(small_->capacity() + 1);
    if (!large_) return false;
  }
  if (!large && large_) large_.reset();
  return true;
}

std::size_t rx_slot::iovecs(std::span<iovec, 3> out, bool vnet) noexcept {
  std::size_t n = 0;
  if (vnet) out[n++] = {&hdr_, sizeof hdr_};
  if (small_) out[n++] = {small_->data().data(), small_->capacity()};
  if (large_) out[n++] = {large_->data().data(), large_->capacity()};
  return n;
}

std::size_t rx_slot::capacity() const noexcept {
  return (small_ ? small_->capacity() : 0) + (large_ ? large_->capacity() : 0);
}

void rx_slot::deliver(std::size_t n, bool truncated, bool vnet, std::uint32_t interface, link_counters& counters,
                      std::vector<proto::packet>& out) noexcept {
  if (truncated || n > capacity()) {
    counters.count(link_error::truncated);
    return;
  }
  if (n < proto::ethernet_view::header_len || !small_) {
    counters.count(link_error::runt);
    return;
  }
  const std::size_t head_len = std::min(n, small_->capacity());
  const std::size_t tail_len = n - head_len;
  proto::mutable_bytes head = small_->data().first(head_len);
  proto::mutable_bytes tail = tail_len != 0 ? large_->data().first(tail_len) : proto::mutable_bytes{};

  proto::packet_meta meta;
  if (vnet) {
    auto offload = decode_vnet_header(hdr_, head, n);
    if (!offload) {
      counters.count(offload.error());
      return;
    }
    if (offload->complete_in_software) complete_checksum(head, tail, offload->csum_start, offload->csum_offset);
    meta = offload->meta;
  }
  meta.interface = interface;
  if (meta.l4_checksum == proto::checksum_state::partial) ++counters.rx_partial;
  if (meta.l4_checksum == proto::checksum_state::verified) ++counters.rx_verified;
  if (meta.gso != proto::gso_type::none) ++counters.rx_gso;
  ++counters.rx_frames;
  counters.rx_bytes += n;

  proto::shared_buffer h = std::move(*small_).freeze(head_len);
  small_.reset();
  if (tail_len == 0) {
    out.emplace_back(std::move(h), 0, head_len, meta);
    return;
  }
  proto::shared_buffer t = std::move(*large_).freeze(tail_len);
  large_.reset();
  out.push_back(proto::packet::join(std::move(h), 0, head_len, std::move(t), 0, tail_len, meta));
}

void rx_slot::release() noexcept {
  small_.reset();
  large_.reset();
  pool_ = nullptr;
}

}  // namespace aw::link
