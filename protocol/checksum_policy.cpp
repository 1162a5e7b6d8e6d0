// protocol/checksum_policy.cpp — L4 checksum checks and completion.
#include "protocol/checksum_policy.hpp"

#include "protocol/checksum.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::proto {

std::string_view to_string(checksum_verdict v) noexcept {
  switch (v) {
    case checksum_verdict::valid: return "valid";
    case checksum_verdict::invalid: return "invalid";
    case checksum_verdict::partial: return "partial";
    case checksum_verdict::not_checked: return "not_checked";
  }
  return "unknown";
}

checksum_verdict check_l4_checksum(const packet& p, const checksum_policy& policy) noexcept {
  switch (p.meta().l4_checksum) {
    case checksum_state::verified:
      if (policy.trust_data_validated) return checksum_verdict::valid;
      break;
    case checksum_state::partial:
      return policy.accept_partial ? checksum_verdict::partial : checksum_verdict::invalid;
    case checksum_state::unverified: break;
  }
  auto v = ipv4_view::make(p.head(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v || v->total_length() != p.size()) return checksum_verdict::invalid;
  if (v->is_fragment()) return checksum_verdict::not_checked;
  const std::size_t ihl = v->header_length();
  const auto l4_len = static_cast<std::uint16_t>(v->total_length() - ihl);
  bytes head = p.head();
  switch (v->protocol()) {
    case ip_protocol::tcp:
      if (l4_len < tcp_view::min_header_len) return checksum_verdict::invalid;
      break;
    case ip_protocol::udp:
      if (l4_len < udp_view::header_len || head.size() < ihl + udp_view::header_len) return checksum_verdict::invalid;
      if (load16(head.data() + ihl + udp_field::checksum) == 0) return checksum_verdict::valid;  // none sent
      break;
    case ip_protocol::icmp:
      return p.sum_from(ihl) == 0xffff ? checksum_verdict::valid : checksum_verdict::invalid;
    default: return checksum_verdict::not_checked;
  }
  std::uint16_t pseudo =
      checksum::pseudo_header_v4(v->src(), v->dst(), static_cast<std::uint8_t>(v->protocol()), l4_len);
  return p.sum_from(ihl, pseudo) == 0xffff ? checksum_verdict::valid : checksum_verdict::invalid;
}

result<packet, wire_error> complete_l4_checksum(const packet& p, buffer_pool& pool) noexcept {
  if (p.meta().l4_checksum != checksum_state::partial) return p;
  auto v = ipv4_view::make(p.head(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v) return v.error();
  if (v->total_length() != p.size()) return wire_error::bad_length;
  const std::size_t ihl = v->header_length();
  std::size_t field = 0;
  switch (v->protocol()) {
    case ip_protocol::tcp: field = tcp_field::checksum; break;
    case ip_protocol::udp: field = udp_field::checksum; break;
    default: return wire_error::unsupported_protocol;
  }
  if (ihl + field + 2 > p.head().size()) return wire_error::truncated;
  // The field holds the pseudo-header sum, so the sum over the L4 bytes as
  // they stand already includes it: its complement is the checksum.
  std::uint16_t c = checksum::finish(p.sum_from(ihl));
  if (v->protocol() == ip_protocol::udp) c = checksum::udp_field(c);
  packet_meta meta = p.meta();
  meta.l4_checksum = checksum_state::verified;
  auto out = copy_prefix_and_edit(p, ihl + field + 2, pool,
                                  [&](mutable_bytes h) { store16(h.data() + ihl + field, c); });
  if (!out) return out.error();
  return out->with_meta(meta);
}

}  // namespace aw::proto
