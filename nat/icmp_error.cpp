// nat/icmp_error.cpp — ICMP error inspection and translation.
#include "nat/icmp_error.hpp"

#include <algorithm>

#include "protocol/checksum.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::nat {

using namespace aw::proto;

namespace {

// Where the parts of an ICMP error sit in a packet's head.
struct layout {
  std::size_t outer_ihl = 0;
  std::size_t inner = 0;  // offset of the quoted IP header
  std::size_t l4 = 0;     // offset of the quoted L4 header
  std::size_t quoted_l4 = 0;  // quoted L4 bytes present in the head
};

result<layout, nat_drop> locate(const packet& p) noexcept {
  bytes head = p.head();
  auto v = ipv4_view::make(head, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v || v->total_length() != p.size() || v->is_fragment() || v->protocol() != ip_protocol::icmp)
    return nat_drop::malformed;
  layout l;
  l.outer_ihl = v->header_length();
  const std::size_t limit = std::min<std::size_t>(head.size(), v->total_length());
  auto icmp = icmpv4_view::make(head.subspan(l.outer_ihl, limit - l.outer_ihl));
  if (!icmp || !is_error(icmp->type())) return nat_drop::malformed;
  l.inner = l.outer_ihl + icmpv4_view::header_len;
  l.l4 = l.inner + icmp->embedded().header_length();
  if (limit < l.l4 + icmpv4_view::min_quoted_payload) return nat_drop::malformed;
  l.quoted_l4 = limit - l.l4;
  return l;
}

}  // namespace

result<quoted_flow, nat_drop> inspect_icmp_error(const packet& p) noexcept {
  auto l = locate(p);
  if (!l) return l.error();
  bytes head = p.head();
  if (p.sum_from(l->outer_ihl) != 0xffff) return nat_drop::icmp_error_bad_checksum;
  auto inner = ipv4_view::make(head.subspan(l->inner, l->l4 + l->quoted_l4 - l->inner),
                               ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::verify);
  if (!inner) return inner.error() == wire_error::bad_checksum ? nat_drop::icmp_error_bad_checksum : nat_drop::malformed;
  quoted_flow f;
  f.outer_src = {load32(head.data() + ipv4_field::src)};
  f.outer_dst = {load32(head.data() + ipv4_field::dst)};
  f.src = inner->src();
  f.dst = inner->dst();
  auto np = to_nat_protocol(inner->protocol());
  if (!np || !inner->is_first_fragment_or_whole()) return nat_drop::icmp_error_no_mapping;
  f.proto = *np;
  const std::uint8_t* l4 = head.data() + l->l4;
  if (f.proto == nat_protocol::icmp) {
    if (!is_query(icmp_type{l4[icmp_field::type]})) return nat_drop::icmp_error_no_mapping;
    f.src_port = f.dst_port = load16(l4 + icmp_field::id);
  } else {
    f.src_port = load16(l4 + udp_field::src_port);  // same offsets in TCP
    f.dst_port = load16(l4 + udp_field::dst_port);
  }
  return f;
}

result<packet, wire_error> rewrite_icmp_error(const packet& p, const icmp_error_rewrite& r,
                                              buffer_pool& pool) noexcept {
  auto l = locate(p);
  if (!l) return wire_error::unsupported_format;
  const ip_protocol inner_proto{p.head()[l->inner + ipv4_field::protocol]};
  // Copy through the quoted TCP checksum when it is there (20 bytes), else the 8 quoted.
  const std::size_t prefix = l->l4 + std::min<std::size_t>(l->quoted_l4, tcp_view::min_header_len);

  return copy_prefix_and_edit(p, prefix, pool, [&](mutable_bytes h) {
    std::uint8_t* ip = h.data();
    std::uint8_t* icmp = ip + l->outer_ihl;
    std::uint8_t* inner = ip + l->inner;
    std::uint8_t* l4 = ip + l->l4;
    std::uint16_t hc = load16(ip + ipv4_field::checksum);
    std::uint16_t ic = load16(icmp + icmp_field::checksum);

    // A 16-bit word inside the ICMP message: every change moves the ICMP checksum.
    auto put16 = [&](std::uint8_t* at, std::uint16_t v) {
      ic = checksum::update(ic, load16(at), v);
      store16(at, v);
    };
    // The quoted L4 checksum field, if quoted and in use.
    std::uint8_t* l4sum = nullptr;
    if (inner_proto == ip_protocol::tcp && l->quoted_l4 >= tcp_field::checksum + 2) l4sum = l4 + tcp_field::checksum;
    if (inner_proto == ip_protocol::udp && load16(l4 + udp_field::checksum) != 0) l4sum = l4 + udp_field::checksum;
    if (inner_proto == ip_protocol::icmp) l4sum = l4 + icmp_field::checksum;
    auto fix_udp = [&](std::uint16_t c) {
      return inner_proto == ip_protocol::udp ? checksum::udp_field(c) : c;
    };

    auto set_outer = [&](std::size_t at, ipv4_address a) {
      hc = checksum::update32(hc, load32(ip + at), a.value);
      store32(ip + at, a.value);
    };
    auto set_inner = [&](std::size_t at, ipv4_address a) {
      const std::uint32_t old_v = load32(inner + at);
      put16(inner + ipv4_field::checksum,
            checksum::update32(load16(inner + ipv4_field::checksum), old_v, a.value));
      // TCP and UDP sums cover the addresses (pseudo-header); ICMP's does not.
      if (l4sum != nullptr && inner_proto != ip_protocol::icmp)
        put16(l4sum, fix_udp(checksum::update32(load16(l4sum), old_v, a.value)));
      put16(inner + at, static_cast<std::uint16_t>(a.value >> 16));
      put16(inner + at + 2, static_cast<std::uint16_t>(a.value));
    };
    auto set_port = [&](std::size_t at, std::uint16_t v) {
      if (l4sum != nullptr) put16(l4sum, fix_udp(checksum::update(load16(l4sum), load16(l4 + at), v)));
      put16(l4 + at, v);
    };

    if (r.outer_src) set_outer(ipv4_field::src, *r.outer_src);
    if (r.outer_dst) set_outer(ipv4_field::dst, *r.outer_dst);
    if (r.quoted_src) set_inner(ipv4_field::src, *r.quoted_src);
    if (r.quoted_dst) set_inner(ipv4_field::dst, *r.quoted_dst);
    if (inner_proto == ip_protocol::icmp) {
      if (r.quoted_src_port) set_port(icmp_field::id, *r.quoted_src_port);
      else if (r.quoted_dst_port) set_port(icmp_field::id, *r.quoted_dst_port);
    } else {
      if (r.quoted_src_port) set_port(udp_field::src_port, *r.quoted_src_port);
      if (r.quoted_dst_port) set_port(udp_field::dst_port, *r.quoted_dst_port);
    }
    if (r.decrement_ttl && ip[ipv4_field::ttl] > 0) {
      const std::uint16_t old_w = load16(ip + ipv4_field::ttl);
      ip[ipv4_field::ttl] = static_cast<std::uint8_t>(ip[ipv4_field::ttl] - 1);
      hc = checksum::update(hc, old_w, load16(ip + ipv4_field::ttl));
    }
    store16(icmp + icmp_field::checksum, ic);
    store16(ip + ipv4_field::checksum, hc);
  });
}

}  // namespace aw::nat
