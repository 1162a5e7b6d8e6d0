// sim/responder.cpp — the simulated Internet's answers.
#include "sim/responder.hpp"

#include <algorithm>

#include "protocol/build.hpp"
#include "protocol/dissect.hpp"
#include "protocol/dns.hpp"

namespace aw::sim {
namespace {

namespace build = proto::build;

// A minimal TCP server: SYN -> SYN-ACK, data -> the data echoed (acking it), FIN -> FIN-ACK;
// RST for a port nobody listens on. No state: the client's own sequence numbers drive it.
std::optional<byte_vector> tcp_answer(const proto::ipv4_repr& ip, const proto::tcp_repr& t, proto::bytes data) {
  using namespace proto::tcp_flag;
  if (t.flags & rst) return std::nullopt;
  const proto::ip_params back{.src = ip.dst, .dst = ip.src};
  const auto n = static_cast<std::uint32_t>(data.size());
  const bool listening = t.dst_port == 80 || t.dst_port == 8080;
  if (!listening)
    return build::tcp(back, {.sport = t.dst_port, .dport = t.src_port, .seq = 0,
                             .ack = t.seq + n + ((t.flags & (syn | fin)) ? 1u : 0u), .flags = rst | ack});
  if (t.flags & syn)
    return build::tcp(back, {.sport = t.dst_port, .dport = t.src_port, .seq = tcp_server_isn, .ack = t.seq + 1,
                             .flags = syn | ack});
  const bool f = (t.flags & fin) != 0;
  if (n == 0 && !f) return std::nullopt;  // a pure ACK
  return build::tcp(back,
                    {.sport = t.dst_port, .dport = t.src_port, .seq = t.ack, .ack = t.seq + n + (f ? 1u : 0u),
                     .flags = static_cast<std::uint8_t>(ack | (n ? psh : 0) | (f ? fin : 0))},
                    data);
}

// An A answer for a known name, NXDOMAIN for anything else.
std::optional<byte_vector> dns_answer(const internet& net, proto::bytes message) {
  auto q = proto::dns::query::parse(message);
  if (!q) return std::nullopt;
  auto known = std::find_if(net.names.begin(), net.names.end(), [&](const auto& n) { return n.first == q->name; });
  const bool found = known != net.names.end() && q->type == proto::dns::record_type::a;
  byte_vector m = q->to_bytes();
  proto::dns::header h;
  h.id = q->id;
  h.qr = true;
  h.rd = true;
  h.ra = true;
  h.qdcount = 1;
  h.ancount = static_cast<std::uint16_t>(found ? 1 : 0);
  // A known name asked for another type exists: NOERROR without an answer (RFC 2308 NODATA).
  const bool exists = known != net.names.end();
  h.rcode = static_cast<std::uint8_t>(exists ? proto::dns::rcode::no_error : proto::dns::rcode::name_error);
  h.emit(m);
  if (found) {
    const std::uint32_t a = known->second.value;
    auto octet = [a](int i) { return static_cast<std::uint8_t>(a >> (24 - 8 * i)); };
    // The question's name (a pointer to offset 12), type A, class IN, TTL 300, 4 bytes.
    const std::uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, octet(0), octet(1), octet(2), octet(3)};
    m.insert(m.end(), std::begin(rr), std::end(rr));
  }
  return m;
}

}  // namespace

std::optional<byte_vector> answer(const internet& net, proto::bytes ip) {
  auto d = proto::dissect_ip(ip);
  if (!d.ipv4 || d.error) return std::nullopt;
  const auto src = d.ipv4->src, dst = d.ipv4->dst;
  const proto::ip_params back{.src = dst, .dst = src};
  if (dst != net.gateway && d.ipv4->ttl <= 1)  // a router: it would forward with TTL 0
    return build::icmp_error({.src = net.gateway, .dst = src}, proto::icmp_type::time_exceeded,
                             proto::icmp_time_exceeded::ttl, ip);
  if (d.icmp) {
    if (d.icmp->type != proto::icmp_type::echo_request) return std::nullopt;
    return build::icmp_echo(back, proto::icmp_type::echo_reply, static_cast<std::uint16_t>(d.icmp->rest >> 16),
                            static_cast<std::uint16_t>(d.icmp->rest), d.icmp->data);
  }
  const auto data = build::l4_payload(ip);
  if (d.udp) {
    const bool dns = std::find(net.dns_servers.begin(), net.dns_servers.end(), dst) != net.dns_servers.end();
    if (dns && d.udp->dst_port == 53) {
      auto reply = dns_answer(net, data);
      if (!reply) return std::nullopt;
      return build::udp(back, 53, d.udp->src_port, *reply);
    }
    if (!dns && dst != net.gateway && d.udp->dst_port == 7) return build::udp(back, 7, d.udp->src_port, data);
    return build::icmp_error(back, proto::icmp_type::dest_unreachable, proto::icmp_unreach::port, ip);
  }
  if (d.tcp && dst != net.gateway) return tcp_answer(*d.ipv4, *d.tcp, data);
  return std::nullopt;
}

}  // namespace aw::sim
