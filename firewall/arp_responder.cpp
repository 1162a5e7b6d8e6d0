// firewall/arp_responder.cpp — the ARP responder's decisions and reply frames.
#include "firewall/arp_responder.hpp"

#include "protocol/arp.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/framing.hpp"

namespace aw::firewall {
using namespace aw::proto;

std::string_view to_string(arp_outcome o) noexcept {
  switch (o) {
    case arp_outcome::replied: return "replied";
    case arp_outcome::ignored_own_address: return "ignored_own_address";
    case arp_outcome::ignored_gratuitous: return "ignored_gratuitous";
    case arp_outcome::ignored_not_request: return "ignored_not_request";
    case arp_outcome::ignored_spoofed: return "ignored_spoofed";
    case arp_outcome::malformed: return "malformed";
    case arp_outcome::pool_exhausted: return "pool_exhausted";
  }
  return "unknown";
}

arp_answer answer_arp(bytes frame, const arp_identity& id, buffer_pool& pool) noexcept {
  auto eth = ethernet_view::make(frame);
  if (!eth || eth->type() != ethertype::arp) return {arp_outcome::malformed, {}};
  auto arp = arp_view::make(eth->payload());
  if (!arp) return {arp_outcome::malformed, {}};
  const arp_repr req = arp_repr::parse(*arp);
  if (req.operation != arp_operation::request) return {arp_outcome::ignored_not_request, {}};
  if (req.is_gratuitous()) return {arp_outcome::ignored_gratuitous, {}};
  // An ARP probe (RFC 5227) has sender IP 0.0.0.0; anything else must be the client itself.
  if (eth->src() != id.client_mac || req.sender_mac != id.client_mac ||
      (req.sender_ip != id.client_ip && !req.sender_ip.is_unspecified()))
    return {arp_outcome::ignored_spoofed, {}};
  if (req.target_ip == id.client_ip) return {arp_outcome::ignored_own_address, {}};

  auto reply = make_arp_frame(req.sender_mac, id.firewall_mac,
                              {arp_operation::reply, id.firewall_mac, req.target_ip, req.sender_mac, req.sender_ip},
                              pool);
  if (!reply) return {arp_outcome::pool_exhausted, {}};
  return {arp_outcome::replied, std::move(*reply)};
}

}  // namespace aw::firewall
