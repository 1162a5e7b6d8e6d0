// sim/responder.hpp — what sys-net and the hosts behind it answer in the simulation (pure):
// ping, DNS for a few names, UDP echo, a minimal TCP server, and the ICMP errors a router
// and a closed port send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace aw::sim {

using byte_vector = std::vector<std::uint8_t>;

struct internet {
  proto::ipv4_address gateway;                   // sys-net: the firewall's uplink gateway
  std::vector<proto::ipv4_address> dns_servers;  // answered as sys-net's DNAT to its resolver would
  std::vector<std::pair<std::string, proto::ipv4_address>> names;  // A records (TTL 300)
  // Every other address is a host that answers ping, echoes UDP on port 7 (other ports:
  // port unreachable) and listens on TCP 80 and 8080 (other ports: RST).
};

// The answer to an IPv4 packet the netvm received, if any. A packet with TTL 1 for beyond
// the gateway gets time exceeded from the gateway (as a router would), so traceroute works.
std::optional<byte_vector> answer(const internet& net, proto::bytes ip);

// The initial sequence number of the TCP server's connections.
inline constexpr std::uint32_t tcp_server_isn = 7000;

}  // namespace aw::sim
