// sim/client_qube.cpp — a simulated client qube's traffic script.
#include "sim/client_qube.hpp"

#include <algorithm>

#include "protocol/build.hpp"
#include "protocol/dissect.hpp"
#include "protocol/dns.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/ipv4.hpp"
#include "sim/netvm.hpp"

namespace aw::sim {
namespace {

namespace build = proto::build;

// Each round uses its own source ports and ICMP sequence number (round = the low bits).
constexpr std::uint16_t ping_id = 0x5151, warmup_id = 0x5152;
constexpr std::uint16_t dns_port_base = 40000, udp_port_base = 41000, tcp_port_base = 42000, refused_port_base = 43000;
constexpr std::uint16_t ports_per_kind = 1000;
const byte_vector request_data = {'h', 'e', 'l', 'l', 'o'};

std::uint16_t port_of(std::uint16_t base, std::uint16_t round) {
  return static_cast<std::uint16_t>(base + round % ports_per_kind);
}

bool in_range(std::uint16_t port, std::uint16_t base) { return port >= base && port < base + ports_per_kind; }

}  // namespace

std::string_view to_string(probe p) noexcept {
  switch (p) {
    case probe::ping: return "ping";
    case probe::dns: return "dns";
    case probe::udp_echo: return "udp_echo";
    case probe::tcp_exchange: return "tcp_exchange";
    case probe::tcp_refused: return "tcp_refused";
  }
  return "unknown";
}

client_qube::client_qube(client_plan plan, std::unique_ptr<actors::netfront_device> vif)
    : plan_(std::move(plan)), vif_(std::move(vif)) {}

bool client_qube::poll(bool round_due) {
  frames_.clear();
  vif_->receive(frames_, 256, pool_);
  byte_vector ip;
  for (const auto& f : frames_) {
    const auto got = ipv4_of(f, ip, pool_);
    if (got == frame_ipv4::not_ipv4) continue;  // ARP: not asked
    if (got != frame_ipv4::ok) ++bad_checksums_;
    if (got != frame_ipv4::malformed) on_packet(ip);
  }
  if (round_due && connected()) start_round();
  return !frames_.empty();
}

void client_qube::send(const byte_vector& ip) {
  byte_vector f(14 + ip.size());
  proto::ethernet_repr{plan_.gateway_mac, plan_.mac, proto::ethertype::ipv4, std::nullopt}.emit(f);
  std::copy(ip.begin(), ip.end(), f.begin() + 14);
  auto p = proto::make_packet(pool_, f);
  if (p) vif_->send(std::span(&*p, 1));
}

void client_qube::start_round() {
  const proto::ip_params out{.src = plan_.ip, .dst = plan_.remote};
  if (!ready_) {
    send(build::icmp_echo(out, proto::icmp_type::echo_request, warmup_id, 0, request_data));
    return;
  }
  ++round_;
  send(build::icmp_echo(out, proto::icmp_type::echo_request, ping_id, round_, request_data));
  ++count(probe::ping).sent;

  proto::dns::query q;
  q.id = round_;
  q.name = plan_.dns_name;
  q.type = proto::dns::record_type::a;
  send(build::udp({.src = plan_.ip, .dst = plan_.dns_server}, port_of(dns_port_base, round_), 53, q.to_bytes()));
  ++count(probe::dns).sent;

  send(build::udp(out, port_of(udp_port_base, round_), 7, request_data));
  ++count(probe::udp_echo).sent;

  send(build::tcp(out, {.sport = port_of(tcp_port_base, round_), .dport = 80, .seq = 100000u * round_,
                        .flags = proto::tcp_flag::syn}));
  ++count(probe::tcp_exchange).sent;

  send(build::tcp(out, {.sport = port_of(refused_port_base, round_), .dport = 8080, .seq = 1,
                        .flags = proto::tcp_flag::syn}));
  ++count(probe::tcp_refused).sent;
}

// Matches an arrival to its probe. The TCP exchange: SYN-ACK -> ACK with data; the data
// echoed -> FIN; FIN-ACK -> the last ACK, and the exchange counts as answered.
void client_qube::on_packet(const byte_vector& ip) {
  auto d = proto::dissect_ip(ip);
  if (!d.ipv4 || d.ipv4->dst != plan_.ip) return;
  using namespace proto::tcp_flag;
  if (d.icmp && d.icmp->type == proto::icmp_type::echo_reply) {
    if (d.ipv4->src != plan_.remote) return;
    if ((d.icmp->rest >> 16) == warmup_id) ready_ = true;
    else if ((d.icmp->rest >> 16) == ping_id) ++count(probe::ping).answered;
    return;
  }
  if (d.icmp && d.icmp->type == proto::icmp_type::dest_unreachable) {
    // The firewall's reject of TCP 8080: admin prohibited, quoting our SYN.
    auto v = proto::ipv4_view::make(d.icmp->data, proto::ipv4_view::length_check::truncated_ok,
                                    proto::ipv4_view::checksum_check::skip);
    if (v && d.icmp->data.size() >= v->header_length() + 4) {
      const auto* l4 = d.icmp->data.data() + v->header_length();
      const auto sport = static_cast<std::uint16_t>(l4[0] << 8 | l4[1]);
      if (in_range(sport, refused_port_base)) {
        if (d.icmp->code == proto::icmp_unreach::admin_prohibited) ++count(probe::tcp_refused).answered;
        else ++count(probe::tcp_refused).wrong;
        return;
      }
    }
    return;
  }
  if (d.udp && d.ipv4->src == plan_.dns_server && d.udp->src_port == 53 && in_range(d.udp->dst_port, dns_port_base)) {
    auto h = proto::dns::header::parse(build::l4_payload(ip));
    // The query's id is its round: the same round as the port it was sent from.
    const bool ours = h && h->id % ports_per_kind == d.udp->dst_port - dns_port_base;
    if (ours && h->rcode == static_cast<std::uint8_t>(proto::dns::rcode::no_error) && h->ancount == 1)
      ++count(probe::dns).answered;
    else ++count(probe::dns).wrong;
    return;
  }
  if (d.udp && d.ipv4->src == plan_.remote && d.udp->src_port == 7 && in_range(d.udp->dst_port, udp_port_base)) {
    const auto data = build::l4_payload(ip);
    if (std::equal(data.begin(), data.end(), request_data.begin(), request_data.end())) ++count(probe::udp_echo).answered;
    else ++count(probe::udp_echo).wrong;
    return;
  }
  if (d.tcp && d.ipv4->src == plan_.remote && d.tcp->src_port == 8080 && in_range(d.tcp->dst_port, refused_port_base)) {
    ++count(probe::tcp_refused).wrong;  // the rules should have refused it
    return;
  }
  if (d.tcp && d.ipv4->src == plan_.remote && d.tcp->src_port == 80 && in_range(d.tcp->dst_port, tcp_port_base)) {
    const auto& t = *d.tcp;
    const proto::ip_params out{.src = plan_.ip, .dst = plan_.remote};
    const auto data = build::l4_payload(ip);
    auto reply = [&](std::uint32_t seq, std::uint32_t ack_no, std::uint8_t flags, proto::bytes payload = {}) {
      send(build::tcp(out, {.sport = t.dst_port, .dport = 80, .seq = seq, .ack = ack_no, .flags = flags}, payload));
    };
    if (t.flags & rst) {
      ++count(probe::tcp_exchange).wrong;
    } else if ((t.flags & syn) && (t.flags & ack)) {
      reply(t.ack, t.seq + 1, ack | psh, request_data);
    } else if (t.flags & fin) {
      reply(t.ack, t.seq + static_cast<std::uint32_t>(data.size()) + 1, ack);
      ++count(probe::tcp_exchange).answered;
    } else if (!data.empty()) {
      reply(t.ack, t.seq + static_cast<std::uint32_t>(data.size()), fin | ack);
    }
  }
}

}  // namespace aw::sim
