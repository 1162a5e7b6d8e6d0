// protocol/build.cpp — builds well-formed IPv4 packets from the reprs.
#include "protocol/build.hpp"

#include <algorithm>

#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"

namespace aw::proto::build {

byte_vector ipv4_with(const ip_params& p, ip_protocol protocol, bytes l4) {
  ipv4_repr ip;
  ip.src = p.src;
  ip.dst = p.dst;
  ip.protocol = protocol;
  ip.payload_length = static_cast<std::uint16_t>(l4.size());
  ip.ttl = p.ttl;
  ip.identification = p.id;
  ip.dont_fragment = p.df;
  byte_vector out(20 + l4.size());
  ip.emit(out);
  std::copy(l4.begin(), l4.end(), out.begin() + 20);
  return out;
}

byte_vector udp(const ip_params& p, std::uint16_t sport, std::uint16_t dport, bytes data) {
  byte_vector l4(8 + data.size());
  std::copy(data.begin(), data.end(), l4.begin() + 8);
  udp_repr{sport, dport}.emit(l4, p.src, p.dst);
  return ipv4_with(p, ip_protocol::udp, l4);
}

byte_vector tcp(const ip_params& p, const tcp_fields& f, bytes data) {
  tcp_repr t;
  t.src_port = f.sport;
  t.dst_port = f.dport;
  t.seq = f.seq;
  t.ack = f.ack;
  t.flags = f.flags;
  t.window = f.window;
  byte_vector l4(20 + data.size());
  std::copy(data.begin(), data.end(), l4.begin() + 20);
  t.emit(l4, p.src, p.dst);
  return ipv4_with(p, ip_protocol::tcp, l4);
}

byte_vector icmp_echo(const ip_params& p, icmp_type type, std::uint16_t id, std::uint16_t seq, bytes data) {
  byte_vector l4(8 + data.size());
  icmpv4_repr::echo(type, id, seq, data).emit(l4);
  return ipv4_with(p, ip_protocol::icmp, l4);
}

byte_vector icmp_error(const ip_params& p, icmp_type type, std::uint8_t code, bytes offending) {
  const std::size_t ihl = offending.empty() ? 20 : std::size_t{offending[0] & 0x0fu} * 4;
  const std::size_t quoted = std::min<std::size_t>(offending.size(), ihl + 8);
  byte_vector l4(8 + quoted);
  icmpv4_repr{type, code, 0, offending.first(quoted)}.emit(l4);
  return ipv4_with(p, ip_protocol::icmp, l4);
}

bytes l4_payload(bytes ip) {
  auto v = ipv4_view::make(ip, ipv4_view::length_check::truncated_ok, ipv4_view::checksum_check::skip);
  if (!v) return {};
  const std::size_t ihl = v->header_length();
  const std::size_t end = std::min<std::size_t>(ip.size(), v->total_length());
  std::size_t l4h = 0;
  switch (v->protocol()) {
    case ip_protocol::udp:
    case ip_protocol::icmp: l4h = 8; break;
    case ip_protocol::tcp:
      if (end < ihl + 13) return {};
      l4h = static_cast<std::size_t>(ip[ihl + 12] >> 4) * 4;
      if (l4h < 20) return {};  // a data offset below the fixed header: malformed
      break;
    default: return {};
  }
  if (end < ihl + l4h) return {};
  return ip.subspan(ihl + l4h, end - ihl - l4h);
}

}  // namespace aw::proto::build
