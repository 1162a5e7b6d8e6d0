// protocol/icmpv4.cpp — ICMPv4 view and repr.
#include "protocol/icmpv4.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/checksum.hpp"

namespace aw::proto {

std::string_view to_string(icmp_type t) noexcept {
  switch (t) {
    case icmp_type::echo_reply: return "echo-reply";
    case icmp_type::dest_unreachable: return "dest-unreachable";
    case icmp_type::source_quench: return "source-quench";
    case icmp_type::redirect: return "redirect";
    case icmp_type::echo_request: return "echo-request";
    case icmp_type::time_exceeded: return "time-exceeded";
    case icmp_type::parameter_problem: return "parameter-problem";
    case icmp_type::timestamp: return "timestamp";
    case icmp_type::timestamp_reply: return "timestamp-reply";
  }
  return "unknown";
}

result<icmpv4_view, wire_error> icmpv4_view::make(bytes message) noexcept {
  if (message.size() < header_len) return wire_error::truncated;
  auto t = icmp_type{message[icmp_field::type]};
  if ((t == icmp_type::timestamp || t == icmp_type::timestamp_reply) && message.size() < timestamp_len)
    return wire_error::truncated;
  if (is_error(t)) {
    auto inner = ipv4_view::make(message.subspan(header_len), ipv4_view::length_check::truncated_ok,
                                 ipv4_view::checksum_check::skip);
    if (!inner) return wire_error::bad_embedded_packet;
    if (message.size() - header_len < inner->header_length() + min_quoted_payload)
      return wire_error::bad_embedded_packet;
  }
  return icmpv4_view{message};
}

ipv4_view icmpv4_view::embedded() const noexcept {
  return *ipv4_view::make(data(), ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
}

bool icmpv4_view::verify_checksum() const noexcept { return checksum::verifies(b_); }

icmpv4_repr icmpv4_repr::parse(const icmpv4_view& v) noexcept {
  return {v.type(), v.code(), v.rest_of_header(), v.data()};
}

void icmpv4_repr::emit(mutable_bytes out) const noexcept {
  std::uint8_t* p = out.data();
  p[icmp_field::type] = static_cast<std::uint8_t>(type);
  p[icmp_field::code] = code;
  store16(p + icmp_field::checksum, 0);
  store32(p + icmp_field::rest, rest);
  // data may already sit in place (emit over a parsed buffer): copy only if not.
  // memmove: data may overlap out (an error quoting the datagram in place).
  if (!data.empty() && data.data() != p + icmp_field::data) std::memmove(p + icmp_field::data, data.data(), data.size());
  store16(p + icmp_field::checksum, checksum::internet(out.first(length())));
}

bool operator==(const icmpv4_repr& a, const icmpv4_repr& b) noexcept {
  return a.type == b.type && a.code == b.code && a.rest == b.rest &&
         std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
}

}  // namespace aw::proto
