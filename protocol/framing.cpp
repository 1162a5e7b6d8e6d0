// protocol/framing.cpp — Ethernet strip and add.
#include "protocol/framing.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/ipv4.hpp"

namespace aw::proto {

result<unframed, wire_error> strip_ethernet(const packet& frame) noexcept {
  auto eth = ethernet_view::make(frame.head());
  if (!eth) return eth.error();
  packet payload = frame.drop_front(eth->header_length());
  if (eth->type() == ethertype::ipv4) {
    auto ip = ipv4_view::make(payload.head(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
    if (!ip) return ip.error();
    if (ip->total_length() > payload.size()) return wire_error::total_exceeds_buffer;
    payload = payload.truncated(ip->total_length());
  }
  return unframed{ethernet_repr::parse(*eth), std::move(payload)};
}

result<packet, wire_error> add_ethernet(const packet& p, const ethernet_repr& link, buffer_pool& pool) noexcept {
  const std::size_t hl = link.header_length();
  // The new head holds the Ethernet header and the packet's own headers (a
  // sender's offload code parses them there): the whole head when p has a
  // tail, else up to small_packet_copy bytes, which covers IPv4 + TCP with
  // options (and all of a small packet). The rest stays shared.
  const std::size_t copied = p.contiguous() ? std::min(p.head().size(), small_packet_copy) : p.head().size();
  auto buf = pool.acquire(hl + copied);
  if (!buf) return wire_error::pool_exhausted;
  link.emit(buf->data().first(hl));
  if (copied != 0) std::memcpy(buf->data().data() + hl, p.head().data(), copied);
  return p.with_new_prefix(std::move(*buf).freeze(hl + copied), copied);
}

result<packet, wire_error> make_arp_frame(const mac_address& dst, const mac_address& src, const arp_repr& arp,
                                          buffer_pool& pool) noexcept {
  constexpr std::size_t len = ethernet_view::header_len + arp_view::length;
  auto buf = pool.acquire(len);
  if (!buf) return wire_error::pool_exhausted;
  mutable_bytes out = buf->data().first(len);
  ethernet_repr{dst, src, ethertype::arp, std::nullopt}.emit(out);
  arp.emit(out.subspan(ethernet_view::header_len));
  return packet{std::move(*buf).freeze(len)};
}

}  // namespace aw::proto
