// protocol/ipv4.cpp — IPv4 view and repr.
#include "protocol/ipv4.hpp"

#include <algorithm>

#include "protocol/checksum.hpp"

namespace aw::proto {

std::string_view to_string(ip_protocol p) noexcept {
  switch (p) {
    case ip_protocol::icmp: return "icmp";
    case ip_protocol::tcp: return "tcp";
    case ip_protocol::udp: return "udp";
    case ip_protocol::ipv6_icmp: return "ipv6-icmp";
  }
  return "unknown";
}

result<ipv4_view, wire_error> ipv4_view::make(bytes packet, length_check lc, checksum_check cc) noexcept {
  if (packet.size() < min_header_len) return wire_error::truncated;
  if ((packet[0] >> 4) != 4) return wire_error::bad_version;
  std::size_t ihl = std::size_t{packet[0] & 0x0fu} * 4;
  if (ihl < min_header_len) return wire_error::bad_header_length;
  if (ihl > packet.size()) return wire_error::truncated;
  std::uint16_t total = load16(packet.data() + ipv4_field::total_length);
  if (total < ihl) return wire_error::header_exceeds_total;
  if (lc == length_check::exact && total > packet.size()) return wire_error::total_exceeds_buffer;
  ipv4_view v{packet.first(std::min<std::size_t>(packet.size(), total))};
  if (cc == checksum_check::verify && !v.verify_checksum()) return wire_error::bad_checksum;
  return v;
}

bool ipv4_view::verify_checksum() const noexcept { return checksum::verifies(header()); }

ipv4_repr ipv4_repr::parse(const ipv4_view& v) noexcept {
  ipv4_repr r;
  r.src = v.src();
  r.dst = v.dst();
  r.protocol = v.protocol();
  r.payload_length = static_cast<std::uint16_t>(v.total_length() - v.header_length());
  r.ttl = v.ttl();
  r.dscp_ecn = v.dscp_ecn();
  r.identification = v.identification();
  r.dont_fragment = v.dont_fragment();
  r.more_fragments = v.more_fragments();
  r.fragment_offset = static_cast<std::uint16_t>(v.fragment_offset());
  bytes opts = v.options();
  r.options_length = static_cast<std::uint8_t>(opts.size());
  std::copy(opts.begin(), opts.end(), r.options.begin());
  return r;
}

void ipv4_repr::emit(mutable_bytes out) const noexcept {
  std::uint8_t* p = out.data();
  std::size_t hl = header_length();
  p[ipv4_field::ver_ihl] = static_cast<std::uint8_t>(0x40u | (hl / 4));
  p[ipv4_field::tos] = dscp_ecn;
  store16(p + ipv4_field::total_length, static_cast<std::uint16_t>(hl + payload_length));
  store16(p + ipv4_field::ident, identification);
  std::uint16_t ff = static_cast<std::uint16_t>((fragment_offset / 8) & 0x1fffu);
  if (dont_fragment) ff |= 0x4000u;
  if (more_fragments) ff |= 0x2000u;
  store16(p + ipv4_field::flags_frag, ff);
  p[ipv4_field::ttl] = ttl;
  p[ipv4_field::protocol] = static_cast<std::uint8_t>(protocol);
  store16(p + ipv4_field::checksum, 0);
  store32(p + ipv4_field::src, src.value);
  store32(p + ipv4_field::dst, dst.value);
  std::copy_n(options.begin(), options_length, p + ipv4_field::options);
  store16(p + ipv4_field::checksum, checksum::internet(out.first(hl)));
}

}  // namespace aw::proto
