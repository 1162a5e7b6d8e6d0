// link/tx_frame.cpp — one frame to send as iovecs.
#include "link/tx_frame.hpp"

#include "protocol/ethernet.hpp"

namespace aw::link {

namespace {
iovec iov_of(proto::bytes b) noexcept {
  // writev/sendmsg take iovec's non-const pointer but only read through it.
  return {const_cast<std::uint8_t*>(b.data()), b.size()};
}
}  // namespace

result<std::size_t, link_error> tx_iovecs(const proto::packet& frame, bool vnet, vnet_header& hdr,
                                          std::span<iovec, 3> iov) noexcept {
  if (frame.size() < proto::ethernet_view::header_len) return link_error::runt;
  std::size_t n = 0;
  if (vnet) {
    auto h = encode_vnet_header(frame);
    if (!h) return h.error();
    hdr = *h;
    iov[n++] = {&hdr, sizeof hdr};
  } else if (frame.meta().l4_checksum == proto::checksum_state::partial || frame.meta().gso != proto::gso_type::none) {
    return link_error::bad_offload;
  }
  iov[n++] = iov_of(frame.head());
  if (!frame.contiguous()) iov[n++] = iov_of(frame.tail());
  return n;
}

}  // namespace aw::link
