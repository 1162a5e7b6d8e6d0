// tests/support/packets.hpp — builds well-formed IPv4 packets (TCP, UDP, ICMP) with the reprs.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"
#include "support/bytes.hpp"

namespace aw::test {

struct ip_params {
  proto::ipv4_address src = proto::ipv4_address::from_octets(10, 137, 0, 5);
  proto::ipv4_address dst = proto::ipv4_address::from_octets(192, 0, 2, 10);
  std::uint8_t ttl = 64;
  std::uint16_t id = 0x4242;
  bool df = true;
};

inline byte_vector ipv4_with(const ip_params& p, proto::ip_protocol protocol, const byte_vector& l4) {
  proto::ipv4_repr ip;
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

inline byte_vector payload_of(std::size_t n, std::uint8_t seed = 1) {
  byte_vector v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 31);
  return v;
}

inline byte_vector udp_packet(const ip_params& p, std::uint16_t sport, std::uint16_t dport, const byte_vector& data) {
  byte_vector l4(8 + data.size());
  std::copy(data.begin(), data.end(), l4.begin() + 8);
  proto::udp_repr{sport, dport}.emit(l4, p.src, p.dst);
  return ipv4_with(p, proto::ip_protocol::udp, l4);
}

inline byte_vector tcp_packet(const ip_params& p, std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                              const byte_vector& data) {
  proto::tcp_repr t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = 1000;
  t.ack = (flags & proto::tcp_flag::ack) ? 2000 : 0;
  t.flags = flags;
  t.window = 64240;
  byte_vector l4(20 + data.size());
  std::copy(data.begin(), data.end(), l4.begin() + 20);
  t.emit(l4, p.src, p.dst);
  return ipv4_with(p, proto::ip_protocol::tcp, l4);
}

inline byte_vector icmp_echo(const ip_params& p, proto::icmp_type type, std::uint16_t id, std::uint16_t seq,
                             const byte_vector& data) {
  byte_vector l4(8 + data.size());
  proto::icmpv4_repr::echo(type, id, seq, data).emit(l4);
  return ipv4_with(p, proto::ip_protocol::icmp, l4);
}

// An ICMP error (type/code) from p.src to p.dst quoting the first
// header + 8 bytes of `offending`.
inline byte_vector icmp_error(const ip_params& p, proto::icmp_type type, std::uint8_t code,
                              const byte_vector& offending) {
  std::size_t quoted = std::min<std::size_t>(offending.size(), 20 + 8);
  byte_vector data(offending.begin(), offending.begin() + static_cast<std::ptrdiff_t>(quoted));
  byte_vector l4(8 + data.size());
  proto::icmpv4_repr{type, code, 0, data}.emit(l4);
  return ipv4_with(p, proto::ip_protocol::icmp, l4);
}

}  // namespace aw::test
