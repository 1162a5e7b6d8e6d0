// firewall/icmp_reply.cpp — building ICMP errors and echo replies.
#include "firewall/icmp_reply.hpp"

#include <algorithm>

#include "protocol/ipv4.hpp"

namespace aw::firewall {
using namespace aw::proto;

namespace {
constexpr std::size_t max_error_size = 576;
constexpr std::uint8_t default_ttl = 64;

bool unicast_host(ipv4_address a) noexcept {
  return !(a.is_unspecified() || (a.value >> 24) == 0 || a.is_broadcast() || a.is_multicast() ||
           a.is_loopback() || (a.value >> 28) == 0xf);
}
}  // namespace

bool may_answer_with_error(const ipv4_view& v) noexcept {
  if (!v.is_first_fragment_or_whole()) return false;
  if (!unicast_host(v.src()) || v.dst().is_broadcast() || v.dst().is_multicast()) return false;
  if (v.protocol() == ip_protocol::icmp) {
    bytes l4 = v.payload();
    // An error about an error could loop; an unreadable ICMP header counts as one.
    if (l4.empty() || is_error(icmp_type{l4[0]}) || !is_query(icmp_type{l4[0]})) return false;
  }
  return true;
}

result<packet, wire_error> make_icmp_error(const packet& offending, icmp_type type, std::uint8_t code,
                                           std::uint32_t rest, ipv4_address from, buffer_pool& pool) noexcept {
  auto v = ipv4_view::make(offending.head(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v) return v.error();
  const std::size_t header = 20 + icmpv4_view::header_len;
  const std::size_t quoted = std::min(offending.size(), max_error_size - header);
  // An error must quote the offending header and 8 bytes after it.
  if (quoted < v->header_length() + icmpv4_view::min_quoted_payload) return wire_error::truncated;
  auto buf = pool.acquire(header + quoted);
  if (!buf) return wire_error::pool_exhausted;
  mutable_bytes out = buf->data().first(header + quoted);
  // The quote may span both slices of the offending packet.
  std::vector<std::uint8_t> scratch;  // only for split packets
  bytes src = offending.head();
  if (src.size() < quoted) {
    scratch.resize(quoted);
    offending.copy_to(scratch);
    src = scratch;
  }
  std::copy_n(src.begin(), quoted, out.begin() + static_cast<std::ptrdiff_t>(header));

  icmpv4_repr{type, code, rest, out.subspan(header, quoted)}.emit(out.subspan(20));
  ipv4_repr ip;
  ip.src = from;
  ip.dst = v->src();
  ip.protocol = ip_protocol::icmp;
  ip.payload_length = static_cast<std::uint16_t>(icmpv4_view::header_len + quoted);
  ip.ttl = default_ttl;
  ip.emit(out.first(20));
  return packet{std::move(*buf).freeze(out.size())};
}

result<packet, wire_error> make_echo_reply(const packet& request, buffer_pool& pool) noexcept {
  std::vector<std::uint8_t> scratch(request.size());
  request.copy_to(scratch);
  auto v = ipv4_view::make(scratch);
  if (!v) return v.error();
  if (v->protocol() != ip_protocol::icmp || v->is_fragment()) return wire_error::unsupported_protocol;
  auto icmp = icmpv4_view::make(v->payload());
  if (!icmp) return icmp.error();
  if (icmp->type() != icmp_type::echo_request) return wire_error::unsupported_protocol;
  const std::size_t len = 20 + icmp->raw().size();
  auto buf = pool.acquire(len);
  if (!buf) return wire_error::pool_exhausted;
  mutable_bytes out = buf->data().first(len);
  icmpv4_repr::echo(icmp_type::echo_reply, icmp->query_id(), icmp->query_seq(), icmp->data()).emit(out.subspan(20));
  ipv4_repr ip;
  ip.src = v->dst();
  ip.dst = v->src();
  ip.protocol = ip_protocol::icmp;
  ip.payload_length = static_cast<std::uint16_t>(icmp->raw().size());
  ip.ttl = default_ttl;
  ip.emit(out.first(20));
  return packet{std::move(*buf).freeze(len)};
}

}  // namespace aw::firewall
