// protocol/dissect.cpp — layered parse and one-line description.
#include "protocol/dissect.hpp"

#include <cstdio>

namespace aw::proto {
namespace {

void fail(dissection& d, std::string_view layer, wire_error e) noexcept {
  d.error_layer = layer;
  d.error = e;
}

void dissect_l4(dissection& d, const ipv4_view& ip) noexcept {
  if (!ip.is_first_fragment_or_whole()) return;  // no L4 header in this fragment
  bytes l4 = ip.payload();
  switch (ip.protocol()) {
    case ip_protocol::tcp: {
      auto t = tcp_view::make(l4);
      if (!t) return fail(d, "tcp", t.error());
      d.tcp = tcp_repr::parse(*t);
      d.l4_payload_length = t->payload().size();
      break;
    }
    case ip_protocol::udp: {
      if (ip.more_fragments()) return;  // the UDP length covers the whole datagram
      auto u = udp_view::make(l4);
      if (!u) return fail(d, "udp", u.error());
      d.udp = udp_repr::parse(*u);
      d.l4_payload_length = u->payload().size();
      break;
    }
    case ip_protocol::icmp: {
      auto i = icmpv4_view::make(l4);
      if (!i) return fail(d, "icmp", i.error());
      d.icmp = icmpv4_repr::parse(*i);
      d.l4_payload_length = i->data().size();
      break;
    }
    default: break;
  }
}

}  // namespace

dissection dissect_ip(bytes packet) noexcept {
  dissection d;
  if (packet.empty()) {
    fail(d, "ip", wire_error::truncated);
    return d;
  }
  if ((packet[0] >> 4) == 6) {
    auto v6 = ipv6_view::make(packet);
    if (!v6) {
      fail(d, "ipv6", v6.error());
      return d;
    }
    d.ipv6 = ipv6_repr::parse(*v6);
    return d;
  }
  auto ip = ipv4_view::make(packet);
  if (!ip) {
    fail(d, "ipv4", ip.error());
    return d;
  }
  d.ipv4 = ipv4_repr::parse(*ip);
  dissect_l4(d, *ip);
  return d;
}

dissection dissect_frame(bytes frame) noexcept {
  dissection d;
  auto eth = ethernet_view::make(frame);
  if (!eth) {
    fail(d, "ethernet", eth.error());
    return d;
  }
  d.ethernet = ethernet_repr::parse(*eth);
  switch (eth->type()) {
    case ethertype::arp: {
      auto a = arp_view::make(eth->payload());
      if (!a) fail(d, "arp", a.error());
      else d.arp = arp_repr::parse(*a);
      break;
    }
    case ethertype::ipv4:
    case ethertype::ipv6: {
      dissection inner = dissect_ip(eth->payload());
      inner.ethernet = d.ethernet;
      return inner;
    }
    default: break;
  }
  return d;
}

std::string describe(const dissection& d) {
  std::string s;
  auto add = [&s](std::string_view part) {
    if (!s.empty()) s += ' ';
    s += part;
  };
  if (d.ethernet) {
    add(d.ethernet->src.to_string() + " > " + d.ethernet->dst.to_string());
    if (d.ethernet->vlan_tci) add("vlan " + std::to_string(*d.ethernet->vlan_tci & 0x0fffu));
    if (!d.arp && !d.ipv4 && !d.ipv6 && !d.error)
      add("ethertype 0x" + [&] {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(d.ethernet->type));
        return std::string{buf};
      }());
  }
  if (d.arp) {
    if (d.arp->operation == arp_operation::request)
      add("arp who-has " + d.arp->target_ip.to_string() + " tell " + d.arp->sender_ip.to_string());
    else if (d.arp->operation == arp_operation::reply)
      add("arp reply " + d.arp->sender_ip.to_string() + " is-at " + d.arp->sender_mac.to_string());
    else
      add("arp op " + std::to_string(static_cast<unsigned>(d.arp->operation)));
  }
  if (d.ipv4) {
    const ipv4_repr& ip = *d.ipv4;
    add("ipv4 " + ip.src.to_string() + " > " + ip.dst.to_string() + " ttl " + std::to_string(ip.ttl));
    if (ip.more_fragments || ip.fragment_offset != 0)
      add("frag id " + std::to_string(ip.identification) + " off " + std::to_string(ip.fragment_offset) +
          (ip.more_fragments ? "+" : ""));
    if (d.tcp) {
      std::string flags;
      const char* names = "FSRPAUEC";
      for (int i = 0; i < 8; ++i)
        if (((d.tcp->flags >> i) & 1) != 0) flags += names[i];
      add("tcp " + std::to_string(d.tcp->src_port) + " > " + std::to_string(d.tcp->dst_port) + " [" + flags +
          "] len " + std::to_string(d.l4_payload_length));
    } else if (d.udp) {
      add("udp " + std::to_string(d.udp->src_port) + " > " + std::to_string(d.udp->dst_port) + " len " +
          std::to_string(d.l4_payload_length));
    } else if (d.icmp) {
      add("icmp " + std::string{to_string(d.icmp->type)});
      if (to_string(d.icmp->type) == "unknown") add(std::to_string(static_cast<unsigned>(d.icmp->type)));
      add("code " + std::to_string(d.icmp->code));
      if (is_query(d.icmp->type))
        add("id " + std::to_string(d.icmp->rest >> 16) + " seq " + std::to_string(d.icmp->rest & 0xffffu));
    } else if (!d.error) {
      add("proto " + std::to_string(static_cast<unsigned>(ip.protocol)));
    }
  }
  if (d.ipv6) {
    add("ipv6 " + d.ipv6->src.to_string() + " > " + d.ipv6->dst.to_string() + " next " +
        std::to_string(static_cast<unsigned>(d.ipv6->next_header)) + " len " +
        std::to_string(d.ipv6->payload_length));
  }
  if (d.error) add("malformed " + std::string{d.error_layer} + ": " + std::string{to_string(*d.error)});
  return s;
}

}  // namespace aw::proto
