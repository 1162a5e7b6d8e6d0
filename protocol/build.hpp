// protocol/build.hpp — builds well-formed IPv4 packets (UDP, TCP, ICMP echo and errors) from
// the reprs, checksums filled in: for simulated hosts and tests.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"

namespace aw::proto {

// The IPv4 header fields a built packet gets (in aw::proto, not build: argument-dependent
// lookup then never finds these builders for callers' own helpers of the same names).
struct ip_params {
  ipv4_address src = ipv4_address::from_octets(10, 137, 0, 5);
  ipv4_address dst = ipv4_address::from_octets(192, 0, 2, 10);
  std::uint8_t ttl = 64;
  std::uint16_t id = 0x4242;
  bool df = true;
};

}  // namespace aw::proto

namespace aw::proto::build {

using byte_vector = std::vector<std::uint8_t>;

// An IPv4 header (no options) in front of an L4 message already built for these addresses.
byte_vector ipv4_with(const ip_params& p, ip_protocol protocol, bytes l4);

byte_vector udp(const ip_params& p, std::uint16_t sport, std::uint16_t dport, bytes data);

struct tcp_fields {
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 64240;
};
byte_vector tcp(const ip_params& p, const tcp_fields& t, bytes data = {});

byte_vector icmp_echo(const ip_params& p, icmp_type type, std::uint16_t id, std::uint16_t seq, bytes data);

// An ICMP error (type, code) from p.src to p.dst quoting the offending packet's header (with
// its options) and first 8 bytes of data (RFC 792).
byte_vector icmp_error(const ip_params& p, icmp_type type, std::uint8_t code, bytes offending);

// The L4 payload of an IPv4 packet (after the UDP, TCP or ICMP header); empty when there is
// none or the packet is not one of these.
bytes l4_payload(bytes ip);

}  // namespace aw::proto::build
