// tests/link/responder.hpp — a hand-written host on the far side of a TAP: answers ARP for
// its address and ICMP echo requests to it, built with the protocol reprs.
#pragma once

#include <vector>

#include "link/link.hpp"
#include "protocol/arp.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "link_lab.hpp"

namespace aw::test {

struct responder {
  proto::ipv4_address ip;
  proto::mac_address mac;
  int arp_requests = 0, echo_requests = 0;

  // Answers what it can among frames; replies go out through l.
  void handle(link::link& l, proto::buffer_pool& pool, const std::vector<proto::packet>& frames) {
    std::vector<proto::packet> replies;
    for (const auto& f : frames) {
      auto eth = proto::ethernet_view::make(f.head());
      if (!eth) continue;
      if (eth->type() == proto::ethertype::arp) {
        auto a = proto::arp_view::make(eth->payload());
        if (!a || a->operation() != proto::arp_operation::request || a->target_ip() != ip) continue;
        ++arp_requests;
        byte_vector body(proto::arp_view::length);
        proto::arp_repr{proto::arp_operation::reply, mac, ip, a->sender_mac(), a->sender_ip()}.emit(body);
        replies.push_back(packet_of(pool, ethernet_frame(a->sender_mac(), mac, proto::ethertype::arp, body)));
      } else if (eth->type() == proto::ethertype::ipv4) {
        auto v = proto::ipv4_view::make(eth->payload());
        if (!v || v->dst() != ip || v->protocol() != proto::ip_protocol::icmp) continue;
        auto icmp = proto::icmpv4_view::make(v->payload());
        if (!icmp || icmp->type() != proto::icmp_type::echo_request) continue;
        ++echo_requests;
        byte_vector data(icmp->data().begin(), icmp->data().end());
        auto reply = icmp_echo({.src = ip, .dst = v->src(), .ttl = 64, .id = 1, .df = false},
                               proto::icmp_type::echo_reply, icmp->query_id(), icmp->query_seq(), data);
        replies.push_back(packet_of(pool, ethernet_frame(eth->src(), mac, proto::ethertype::ipv4, reply)));
      }
    }
    if (!replies.empty()) CHECK(l.send(replies) == replies.size());
  }
};

}  // namespace aw::test
