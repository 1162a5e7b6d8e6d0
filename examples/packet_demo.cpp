// examples/packet_demo.cpp — the packet core at work: a client's frames parsed,
// Ethernet stripped, checksums checked, NATed into new packets (the originals
// untouched, payloads shared), and hostile bytes refused with a named error.
#include <cstdio>
#include <string>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/checksum.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/dissect.hpp"
#include "protocol/packet.hpp"
#include "protocol/rewrite.hpp"

using namespace aw::proto;

namespace {

const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
const mac_address firewall_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 5);
const ipv4_address uplink_ip = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address server_ip = ipv4_address::from_octets(192, 0, 2, 80);

int failures = 0;

void row(const char* check, const std::string& observed, bool ok) {
  std::printf("  %-48s %-44s %s\n", check, observed.c_str(), ok ? "ok" : "FAIL");
  if (!ok) ++failures;
}

// A client's frame: Ethernet + IPv4 + (TCP with payload | ICMP echo).
std::vector<std::uint8_t> client_frame(ip_protocol proto, std::size_t payload) {
  std::size_t l4_header = proto == ip_protocol::tcp ? 24 : 8;
  std::vector<std::uint8_t> f(14 + 20 + l4_header + payload);
  ethernet_repr{firewall_mac, client_mac, ethertype::ipv4, std::nullopt}.emit(f);
  for (std::size_t i = 0; i < payload; ++i) f[14 + 20 + l4_header + i] = static_cast<std::uint8_t>('a' + i % 26);
  ipv4_repr ip;
  ip.src = client_ip;
  ip.dst = server_ip;
  ip.protocol = proto;
  ip.payload_length = static_cast<std::uint16_t>(l4_header + payload);
  ip.dont_fragment = true;
  ip.identification = 0x1c46;
  ip.emit(mutable_bytes{f}.subspan(14, 20));
  mutable_bytes l4 = mutable_bytes{f}.subspan(34);
  if (proto == ip_protocol::tcp) {
    tcp_repr t;
    t.src_port = 40000;
    t.dst_port = 80;
    t.seq = 0x01020304;
    t.flags = tcp_flag::syn;
    t.window = 64240;
    t.set_mss(1460);
    t.emit(l4, ip.src, ip.dst);
  } else {
    icmpv4_repr::echo(icmp_type::echo_request, 0x0777, 1, bytes{l4}.subspan(8)).emit(l4);
  }
  return f;
}

std::string flat_description(const packet& p) {
  std::vector<std::uint8_t> v(p.size());
  p.copy_to(v);
  return describe(dissect_ip(v));
}

}  // namespace

int main() {
  buffer_pool pool;
  const checksum_policy policy{};

  std::printf("actorwall packet core demo\n\n1. A client's TCP SYN arrives as an Ethernet frame\n");
  auto frame_bytes = client_frame(ip_protocol::tcp, 300);
  auto frame = make_packet(pool, frame_bytes, {.interface = 1});
  std::printf("  frame: %s\n", describe(dissect_frame(frame_bytes)).c_str());
  auto eth = ethernet_view::make(frame->head());
  packet ip = frame->drop_front(eth->header_length());
  row("Ethernet stripped at arrival", std::to_string(ip.size()) + " IP bytes", ip.size() == frame_bytes.size() - 14);
  auto verdict = check_l4_checksum(ip, policy);
  row("TCP checksum validated", std::string{to_string(verdict)}, verdict == checksum_verdict::valid);
  auto tcp = tcp_view::make(ipv4_view::make(ip.head())->payload());
  row("TCP MSS option parsed", std::to_string(tcp->mss().value_or(0)), tcp->mss() == 1460);

  std::printf("\n2. Source NAT to the uplink address, TTL decremented: a new packet\n");
  auto nat = rewrite_ipv4(ip, {.src = uplink_ip, .src_port = 61001, .decrement_ttl = true}, pool);
  row("rewrite succeeded", nat ? "yes" : std::string{to_string(nat.error())}, nat.has_value());
  std::printf("  before: %s\n  after:  %s\n", flat_description(ip).c_str(), flat_description(*nat).c_str());
  row("original packet unchanged", flat_description(ip).substr(0, 30), ipv4_view::make(ip.head())->src() == client_ip);
  row("payload shared, header bytes fresh",
      std::to_string(nat->head().size()) + " fresh + " + std::to_string(nat->tail().size()) + " shared",
      nat->shares_buffer_with(ip) && nat->head().size() == 44);
  auto nat_verdict = check_l4_checksum(*nat, {.trust_data_validated = false, .accept_partial = false});
  row("checksums still valid (RFC 1624 update)", std::string{to_string(nat_verdict)}, nat_verdict == checksum_verdict::valid);

  std::printf("\n3. ICMP echo: the query identifier is NATed too\n");
  auto ping_bytes = client_frame(ip_protocol::icmp, 56);
  auto ping = make_packet(pool, bytes{ping_bytes}.subspan(14));
  auto ping_nat = rewrite_ipv4(*ping, {.src = uplink_ip, .icmp_id = 0x5150}, pool);
  std::printf("  before: %s\n  after:  %s\n", flat_description(*ping).c_str(), flat_description(*ping_nat).c_str());
  row("ICMP checksum valid after id rewrite",
      std::string{to_string(check_l4_checksum(*ping_nat, {.trust_data_validated = false}))},
      check_l4_checksum(*ping_nat, {.trust_data_validated = false}) == checksum_verdict::valid);

  std::printf("\n4. Checksum offload: a csum_blank packet is completed, not trusted blindly\n");
  auto partial_bytes = std::vector<std::uint8_t>(frame_bytes.begin() + 14, frame_bytes.end());
  store16(&partial_bytes[36], checksum::pseudo_header_v4(client_ip, server_ip, 6, 324));
  auto partial = make_packet(pool, partial_bytes, {.l4_checksum = checksum_state::partial});
  auto completed = complete_l4_checksum(*partial, pool);
  row("partial checksum accepted under Xen policy", std::string{to_string(check_l4_checksum(*partial, policy))},
      check_l4_checksum(*partial, policy) == checksum_verdict::partial);
  row("completed checksum equals the sender's full one",
      std::to_string(load16(completed->head().data() + 36)) + " == " + std::to_string(load16(&frame_bytes[50])),
      load16(completed->head().data() + 36) == load16(&frame_bytes[50]));

  std::printf("\n5. Hostile bytes are refused with a named reason, never read out of bounds\n");
  auto hostile = [&](const char* what, std::vector<std::uint8_t> bytes_in, const char* expect) {
    auto d = dissect_frame(bytes_in);
    std::string got = d.error ? std::string{d.error_layer} + ": " + std::string{to_string(*d.error)} : "accepted";
    row(what, got, got == expect);
  };
  auto f = frame_bytes;
  hostile("frame cut inside the IP header", std::vector<std::uint8_t>(f.begin(), f.begin() + 30), "ipv4: truncated");
  f = frame_bytes;
  f[14] = 0x43;
  hostile("IHL 3 (header shorter than 20 bytes)", f, "ipv4: bad_header_length");
  f = frame_bytes;
  f[25] ^= 0x01;
  hostile("IPv4 header checksum wrong", f, "ipv4: bad_checksum");
  f = frame_bytes;
  store16(&f[16], 2000);
  hostile("total length beyond the frame", f, "ipv4: total_length_exceeds_buffer");
  f = frame_bytes;
  f[46] = 0x30;
  hostile("TCP data offset 3", f, "tcp: bad_header_length");

  std::printf("\n%s: %d failed checks\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
