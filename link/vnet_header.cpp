// link/vnet_header.cpp — virtio_net_hdr to and from packet_meta.
#include "link/vnet_header.hpp"

#include "link/frame_layout.hpp"
#include "protocol/checksum.hpp"
#include "protocol/ethernet.hpp"

namespace aw::link {

using proto::checksum_state;
using proto::gso_type;
using proto::ip_protocol;

namespace {

bool is_tcp_for(const l4_location& loc, gso_type g) noexcept {
  return loc.protocol == ip_protocol::tcp && loc.ipv6 == (g == gso_type::tcpv6);
}

}  // namespace

result<rx_offload, link_error> decode_vnet_header(const vnet_header& h, proto::bytes head,
                                                  std::size_t frame_length) noexcept {
  rx_offload out;
  const auto loc = locate_l4(head);

  gso_type gso = gso_type::none;
  switch (static_cast<std::uint8_t>(h.gso_type & ~vnet::gso_ecn)) {
    case vnet::gso_none: break;
    case vnet::gso_tcpv4: gso = gso_type::tcpv4; break;
    case vnet::gso_tcpv6: gso = gso_type::tcpv6; break;
    case vnet::gso_udp:
    case vnet::gso_udp_l4: return link_error::unsupported_gso;
    default: return link_error::bad_vnet_header;
  }

  if ((h.flags & vnet::f_needs_csum) != 0) {
    const std::size_t start = h.csum_start, offset = h.csum_offset;
    if (start < proto::ethernet_view::header_len || start + offset + 2 > frame_length ||
        start + offset + 2 > head.size())
      return link_error::bad_vnet_header;
    if (loc && start == loc->l4_offset && offset == loc->checksum_field()) {
      out.meta.l4_checksum = checksum_state::partial;
    } else {
      if (gso != gso_type::none) return link_error::bad_vnet_header;
      out.complete_in_software = true;
      out.csum_start = h.csum_start;
      out.csum_offset = h.csum_offset;
      out.meta.l4_checksum = checksum_state::verified;
    }
  } else if ((h.flags & vnet::f_data_valid) != 0) {
    out.meta.l4_checksum = checksum_state::verified;
  }

  if (gso != gso_type::none) {
    // A super-packet is segmented later, each segment's sum filled then:
    // it must carry a partial TCP checksum of the matching IP version.
    if (out.meta.l4_checksum != checksum_state::partial || !loc || !is_tcp_for(*loc, gso) || h.gso_size == 0 ||
        h.hdr_len > frame_length)
      return link_error::bad_vnet_header;
    out.meta.gso = gso;
    out.meta.gso_size = h.gso_size;
  }
  return out;
}

result<vnet_header, link_error> encode_vnet_header(const proto::packet& frame) noexcept {
  vnet_header h{};
  const proto::packet_meta& meta = frame.meta();
  std::optional<l4_location> loc;
  if (meta.l4_checksum == checksum_state::partial || meta.gso != gso_type::none) {
    loc = locate_l4(frame.head());
    if (!loc) return link_error::bad_offload;
  }
  switch (meta.l4_checksum) {
    case checksum_state::partial:
      h.flags = vnet::f_needs_csum;
      h.csum_start = static_cast<std::uint16_t>(loc->l4_offset);
      h.csum_offset = static_cast<std::uint16_t>(loc->checksum_field());
      break;
    case checksum_state::verified: h.flags = vnet::f_data_valid; break;
    case checksum_state::unverified: break;
  }
  if (meta.gso != gso_type::none) {
    if (meta.l4_checksum != checksum_state::partial || !is_tcp_for(*loc, meta.gso) || meta.gso_size == 0)
      return link_error::bad_offload;
    h.gso_type = meta.gso == gso_type::tcpv4 ? vnet::gso_tcpv4 : vnet::gso_tcpv6;
    h.gso_size = meta.gso_size;
    h.hdr_len = static_cast<std::uint16_t>(loc->headers_end());
  }
  return h;
}

void complete_checksum(proto::mutable_bytes head, proto::mutable_bytes tail, std::size_t start,
                       std::size_t offset) noexcept {
  std::uint16_t s = proto::checksum::sum(head.subspan(start));
  s = proto::checksum::sum(tail, s, ((head.size() - start) & 1u) != 0);
  std::uint16_t c = proto::checksum::finish(s);
  if (c == 0) c = 0xffff;  // as the kernel's skb_checksum_help: 0 would mean "none" for UDP
  proto::store16(head.data() + start + offset, c);
}

}  // namespace aw::link
