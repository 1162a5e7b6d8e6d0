// tests/support/packets.hpp — well-formed IPv4 packets (TCP, UDP, ICMP) as byte vectors, over protocol/build.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/build.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"
#include "support/bytes.hpp"

namespace aw::test {

using proto::ip_params;

inline byte_vector ipv4_with(const ip_params& p, proto::ip_protocol protocol, const byte_vector& l4) {
  return proto::build::ipv4_with(p, protocol, l4);
}

inline byte_vector payload_of(std::size_t n, std::uint8_t seed = 1) {
  byte_vector v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 31);
  return v;
}

inline byte_vector udp_packet(const ip_params& p, std::uint16_t sport, std::uint16_t dport, const byte_vector& data) {
  return proto::build::udp(p, sport, dport, data);
}

// A segment with fixed sequence numbers (1000, and 2000 acknowledged when ACK is set).
inline byte_vector tcp_packet(const ip_params& p, std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                              const byte_vector& data) {
  const std::uint32_t ack = (flags & proto::tcp_flag::ack) ? 2000 : 0;
  return proto::build::tcp(p, {.sport = sport, .dport = dport, .seq = 1000, .ack = ack, .flags = flags}, data);
}

inline byte_vector icmp_echo(const ip_params& p, proto::icmp_type type, std::uint16_t id, std::uint16_t seq,
                             const byte_vector& data) {
  return proto::build::icmp_echo(p, type, id, seq, data);
}

// An ICMP error (type/code) from p.src to p.dst quoting the first
// header + 8 bytes of `offending`.
inline byte_vector icmp_error(const ip_params& p, proto::icmp_type type, std::uint8_t code,
                              const byte_vector& offending) {
  return proto::build::icmp_error(p, type, code, offending);
}

}  // namespace aw::test
