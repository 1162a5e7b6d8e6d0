// protocol/rewrite.cpp — header copy + incremental checksum updates.
#include "protocol/rewrite.hpp"

#include "protocol/checksum.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::proto {
namespace {

// Position of the L4 checksum field relative to the L4 header.
std::size_t l4_checksum_offset(ip_protocol p) noexcept {
  switch (p) {
    case ip_protocol::tcp: return tcp_field::checksum;
    case ip_protocol::udp: return udp_field::checksum;
    default: return icmp_field::checksum;
  }
}

// The L4 checksum field being edited, in one of its three forms.
class l4_checksum_editor {
 public:
  l4_checksum_editor(std::uint8_t* field, ip_protocol proto, bool partial) noexcept
      : field_(field), proto_(proto), partial_(partial) {
    // A UDP checksum of zero means "none" and stays so.
    skip_ = field == nullptr || (proto == ip_protocol::udp && load16(field) == 0 && !partial);
  }
  // A word covered by the pseudo-header (addresses) changed.
  void pseudo_header_word(std::uint32_t old_v, std::uint32_t new_v) noexcept {
    if (skip_ || proto_ == ip_protocol::icmp) return;
    std::uint16_t f = load16(field_);
    if (partial_) {
      store16(field_, checksum::update_sum32(f, old_v, new_v));
    } else {
      store16(field_, fix_udp(checksum::update32(f, old_v, new_v)));
    }
  }
  // A word inside the L4 header (ports, ICMP id) changed.
  void header_word(std::uint16_t old_v, std::uint16_t new_v) noexcept {
    if (skip_ || partial_) return;  // a partial sum is completed over the new bytes later
    store16(field_, fix_udp(checksum::update(load16(field_), old_v, new_v)));
  }

 private:
  std::uint16_t fix_udp(std::uint16_t c) const noexcept {
    return proto_ == ip_protocol::udp ? checksum::udp_field(c) : c;
  }
  std::uint8_t* field_;
  ip_protocol proto_;
  bool partial_;
  bool skip_ = false;
};

}  // namespace

namespace {

result<std::size_t, wire_error> l4_header_length(const ipv4_view& v, bytes ip_head) noexcept {
  if (!v.is_first_fragment_or_whole()) return std::size_t{0};
  std::size_t ihl = v.header_length();
  std::size_t l4_total = v.total_length() - ihl;
  std::size_t need = 0;
  switch (v.protocol()) {
    case ip_protocol::tcp: {
      if (ip_head.size() < ihl + tcp_view::min_header_len || l4_total < tcp_view::min_header_len)
        return wire_error::truncated;
      need = static_cast<std::size_t>(ip_head[ihl + tcp_field::offset] >> 4) * 4;
      if (need < tcp_view::min_header_len) return wire_error::bad_header_length;
      break;
    }
    case ip_protocol::udp: need = udp_view::header_len; break;
    case ip_protocol::icmp: need = icmpv4_view::header_len; break;
    default: return std::size_t{0};
  }
  if (need > l4_total || ihl + need > ip_head.size()) return wire_error::truncated;
  return need;
}

}  // namespace

result<std::size_t, wire_error> l4_header_length(bytes ip_head) noexcept {
  auto v = ipv4_view::make(ip_head, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v) return v.error();
  return l4_header_length(*v, ip_head);
}

result<packet, wire_error> rewrite_ipv4(const packet& in, const ipv4_rewrite& r, buffer_pool& pool) noexcept {
  bytes head = in.head();
  auto v = ipv4_view::make(head, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v) return v.error();
  if (v->total_length() != in.size()) return wire_error::bad_length;
  const ip_protocol proto = v->protocol();
  const bool first = v->is_first_fragment_or_whole();
  const bool ports = r.src_port || r.dst_port;
  if (ports && proto != ip_protocol::tcp && proto != ip_protocol::udp) return wire_error::unsupported_protocol;
  auto l4_len = l4_header_length(*v, head);
  if (!l4_len) return l4_len.error();
  const std::size_t ihl = v->header_length();
  if (r.icmp_id && first) {
    if (proto != ip_protocol::icmp || !is_query(icmp_type{head[ihl + icmp_field::type]}))
      return wire_error::unsupported_protocol;
  }
  const bool partial = in.meta().l4_checksum == checksum_state::partial;

  return copy_prefix_and_edit(in, ihl + *l4_len, pool, [&](mutable_bytes h) {
    std::uint8_t* ip = h.data();
    std::uint8_t* l4 = ip + ihl;
    std::uint16_t hc = load16(ip + ipv4_field::checksum);
    l4_checksum_editor l4sum{*l4_len != 0 ? l4 + l4_checksum_offset(proto) : nullptr, proto, partial};

    auto set_address = [&](std::size_t at, ipv4_address to) {
      std::uint32_t old_v = load32(ip + at);
      store32(ip + at, to.value);
      hc = checksum::update32(hc, old_v, to.value);
      l4sum.pseudo_header_word(old_v, to.value);
    };
    auto set_l4_word = [&](std::size_t at, std::uint16_t to) {
      std::uint16_t old_v = load16(l4 + at);
      store16(l4 + at, to);
      l4sum.header_word(old_v, to);
    };

    if (r.src) set_address(ipv4_field::src, *r.src);
    if (r.dst) set_address(ipv4_field::dst, *r.dst);
    if (*l4_len != 0) {
      if (r.src_port) set_l4_word(tcp_field::src_port, *r.src_port);  // same offset for UDP
      if (r.dst_port) set_l4_word(tcp_field::dst_port, *r.dst_port);
      if (r.icmp_id) set_l4_word(icmp_field::id, *r.icmp_id);
    }
    if (r.decrement_ttl && ip[ipv4_field::ttl] > 0) {
      std::uint16_t old_w = load16(ip + ipv4_field::ttl);
      ip[ipv4_field::ttl] = static_cast<std::uint8_t>(ip[ipv4_field::ttl] - 1);
      hc = checksum::update(hc, old_w, load16(ip + ipv4_field::ttl));
    }
    store16(ip + ipv4_field::checksum, hc);
  });
}

}  // namespace aw::proto
