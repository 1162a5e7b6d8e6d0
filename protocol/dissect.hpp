// protocol/dissect.hpp — parse a frame or IP packet down to L4 and describe it in one line
// (for logs, traces, the demo and the fuzz target).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/arp.hpp"
#include "protocol/bytes.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/ipv6.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"
#include "protocol/wire_error.hpp"

namespace aw::proto {

struct dissection {
  std::optional<ethernet_repr> ethernet;
  std::optional<arp_repr> arp;
  std::optional<ipv4_repr> ipv4;
  std::optional<ipv6_repr> ipv6;
  std::optional<tcp_repr> tcp;
  std::optional<udp_repr> udp;
  std::optional<icmpv4_repr> icmp;  // data points into the dissected bytes
  std::size_t l4_payload_length = 0;
  // The first layer that failed to parse, and why.
  std::string_view error_layer;
  std::optional<wire_error> error;
};

dissection dissect_frame(bytes frame) noexcept;
// An IPv4 or IPv6 packet without link header.
dissection dissect_ip(bytes packet) noexcept;
// e.g. "ipv4 10.137.0.5 > 8.8.8.8 ttl 64 udp 40000 > 53 len 32".
std::string describe(const dissection& d);

}  // namespace aw::proto
