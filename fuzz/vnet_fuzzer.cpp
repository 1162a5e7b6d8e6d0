// fuzz/vnet_fuzzer.cpp — arbitrary bytes as a virtio_net_hdr plus the frame a TAP or
// AF_PACKET socket handed over: decode it as a receive would (header checks, software
// completion across head and tail), and check that a frame's decoded meta encodes back to
// the same offload request. Any inconsistency aborts.
//
// Input: 10 header bytes (host order), 1 byte choosing the head size, then the frame.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "link/frame_layout.hpp"
#include "link/vnet_header.hpp"
#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"

namespace {
using namespace aw;

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < link::vnet_header_size + 1) return 0;
  link::vnet_header h;
  std::memcpy(&h, data, sizeof h);
  const std::size_t split_choice = data[sizeof h];
  std::vector<std::uint8_t> frame(data + sizeof h + 1, data + size);
  // As rx_slot: the head holds the first bytes, the tail (a GSO frame's rest) the others.
  const std::size_t head_len = std::min(frame.size(), 14 + split_choice * 8);
  proto::mutable_bytes all{frame};
  proto::mutable_bytes head = all.first(head_len), tail = all.subspan(head_len);

  (void)link::locate_l4(head);
  auto rx = link::decode_vnet_header(h, head, frame.size());
  if (!rx) return 0;
  const bool needs_csum = (h.flags & link::vnet::f_needs_csum) != 0;
  if (rx->complete_in_software) {
    require(needs_csum && rx->meta.gso == proto::gso_type::none);
    link::complete_checksum(head, tail, rx->csum_start, rx->csum_offset);
    return 0;
  }
  require(needs_csum == (rx->meta.l4_checksum == proto::checksum_state::partial));

  // Encoding the decoded meta asks the kernel for the same work.
  static proto::buffer_pool pool;
  auto p = proto::make_packet(pool, proto::bytes{frame}.first(head_len), rx->meta);
  if (!p) return 0;
  auto tx = link::encode_vnet_header(*p);
  require(tx.has_value());
  if (needs_csum) {
    require(tx->flags == link::vnet::f_needs_csum);
    require(tx->csum_start == h.csum_start && tx->csum_offset == h.csum_offset);
  }
  if (rx->meta.gso != proto::gso_type::none) {
    require(tx->gso_type == (h.gso_type & ~link::vnet::gso_ecn) && tx->gso_size == h.gso_size);
    require(tx->hdr_len <= head_len);
  }
  return 0;
}
