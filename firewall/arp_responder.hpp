// firewall/arp_responder.hpp — answers a client's ARP requests: every who-has except for
// the client's own address gets the firewall's MAC, so no other client is ever revealed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/bytes.hpp"
#include "protocol/packet.hpp"

namespace aw::firewall {

enum class arp_outcome : std::uint8_t {
  replied,
  ignored_own_address,  // who-has for the client's own IP (duplicate address detection)
  ignored_gratuitous,   // an announcement, not a question
  ignored_not_request,  // replies and unknown operations
  ignored_spoofed,      // sender IP or MAC is not the client's
  malformed,
  pool_exhausted,
};
std::string_view to_string(arp_outcome o) noexcept;

struct arp_identity {
  proto::ipv4_address client_ip;
  proto::mac_address client_mac;
  proto::mac_address firewall_mac;
};

struct arp_answer {
  arp_outcome outcome = arp_outcome::malformed;
  std::optional<proto::packet> reply;  // an Ethernet frame, for outcome == replied
};

// frame: a whole Ethernet frame (ethertype ARP) from the client.
arp_answer answer_arp(proto::bytes frame, const arp_identity& id, proto::buffer_pool& pool) noexcept;

}  // namespace aw::firewall
