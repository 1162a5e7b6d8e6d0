// nat/flow.hpp — flow vocabulary: the protocols the NAT translates, directions, mapping and
// session keys with their hashes, and the read-only description of a session.
#pragma once

#include <cstdint>
#include <optional>

#include "nat/config.hpp"
#include "protocol/address.hpp"
#include "protocol/ipv4.hpp"

namespace aw::nat {

enum class nat_protocol : std::uint8_t { tcp, udp, icmp };
inline constexpr std::size_t nat_protocol_count = 3;

constexpr std::optional<nat_protocol> to_nat_protocol(proto::ip_protocol p) noexcept {
  switch (p) {
    case proto::ip_protocol::tcp: return nat_protocol::tcp;
    case proto::ip_protocol::udp: return nat_protocol::udp;
    case proto::ip_protocol::icmp: return nat_protocol::icmp;
    default: return std::nullopt;
  }
}
constexpr proto::ip_protocol to_ip_protocol(nat_protocol p) noexcept {
  switch (p) {
    case nat_protocol::tcp: return proto::ip_protocol::tcp;
    case nat_protocol::udp: return proto::ip_protocol::udp;
    case nat_protocol::icmp: return proto::ip_protocol::icmp;
  }
  return proto::ip_protocol::udp;
}

enum class direction : std::uint8_t { outbound, inbound };

// Where a translated packet goes.
enum class destination : std::uint8_t {
  uplink,  // out through the external address
  client,  // to a client: inbound traffic, or hairpinned from another client
};

// 64 -> 32 bit mixing (murmur3 fmix64, high half).
constexpr std::uint32_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<std::uint32_t>(x >> 32) ^ static_cast<std::uint32_t>(x);
}

// A key's hash mixed with a table's secret salt: the slot hash an index is given. Keys chosen
// from outside (addresses, ports, IP ids) must not let their sender aim many of them at one
// probe run (hash flooding).
constexpr std::uint32_t salted_hash(std::uint32_t h, std::uint64_t salt) noexcept {
  return mix64(std::uint64_t{h} ^ salt);
}

// A mapping is named by the internal endpoint: (protocol, client address,
// client port or ICMP query id) — endpoint-independent mapping.
struct mapping_key {
  proto::ipv4_address client;
  std::uint16_t port = 0;
  nat_protocol proto = nat_protocol::udp;
  friend constexpr bool operator==(const mapping_key&, const mapping_key&) = default;
};
constexpr std::uint32_t hash(const mapping_key& k) noexcept {
  return mix64((std::uint64_t{k.client.value} << 32) | (std::uint64_t{k.port} << 8) |
               static_cast<std::uint64_t>(k.proto));
}

// A session is a mapping plus the remote endpoint (port 0 for ICMP queries).
// Its hash covers the whole 5-tuple, so one lookup finds it from an outbound
// packet (internal endpoint + remote) and from an inbound one (the mapping
// found by external port + remote).
struct session_key {
  mapping_key mapping;
  proto::ipv4_address remote;
  std::uint16_t remote_port = 0;
  friend constexpr bool operator==(const session_key&, const session_key&) = default;
};
constexpr std::uint32_t hash(const session_key& k) noexcept {
  return mix64(((std::uint64_t{k.remote.value} << 32) | (std::uint64_t{k.remote_port} << 16) | k.mapping.port) ^
               ((std::uint64_t{k.mapping.client.value} << 8 | static_cast<std::uint64_t>(k.mapping.proto)) *
                0x9e3779b97f4a7c15ULL));
}

// What a selective flush (retain_sessions) and tests see of a session.
struct session_info {
  nat_protocol proto = nat_protocol::udp;
  proto::ipv4_address client;
  std::uint16_t client_port = 0;    // or ICMP query id
  std::uint16_t external_port = 0;  // or external ICMP id
  proto::ipv4_address remote;
  std::uint16_t remote_port = 0;    // 0 for ICMP
  bool tcp_established = false;
  clock_time last_refresh{};
};

}  // namespace aw::nat
