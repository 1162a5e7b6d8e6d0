// fuzz/frame_fuzzer.cpp — arbitrary bytes as an Ethernet frame: parse down to L4,
// re-emit every layer and re-parse it, put the IP packet through the NAT rewrite and
// checksum checks, and take its L4 payload (protocol/build). Any inconsistency aborts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/build.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/dissect.hpp"
#include "protocol/packet.hpp"
#include "protocol/rewrite.hpp"

namespace {
using namespace aw::proto;

void require(bool ok) {
  if (!ok) std::abort();
}

void round_trip_layers(const dissection& d) {
  std::vector<std::uint8_t> buf(128);
  if (d.ethernet) {
    d.ethernet->emit(buf);
    auto v = ethernet_view::make(bytes{buf}.first(d.ethernet->header_length()));
    require(v && ethernet_repr::parse(*v) == *d.ethernet);
  }
  if (d.arp) {
    d.arp->emit(buf);
    auto v = arp_view::make(bytes{buf}.first(arp_view::length));
    require(v && arp_repr::parse(*v) == *d.arp);
  }
  if (d.ipv4) {
    d.ipv4->emit(buf);
    auto v = ipv4_view::make(bytes{buf}.first(d.ipv4->header_length()), ipv4_view::length_check::truncated_ok);
    require(v && ipv4_repr::parse(*v) == *d.ipv4);
  }
  if (d.ipv6) {
    d.ipv6->emit(buf);
    std::vector<std::uint8_t> whole(ipv6_view::header_len + d.ipv6->payload_length);
    std::copy_n(buf.begin(), ipv6_view::header_len, whole.begin());
    auto v = ipv6_view::make(whole);
    require(v && ipv6_repr::parse(*v) == *d.ipv6);
  }
  const auto any = ipv4_address{};
  if (d.tcp) {
    d.tcp->emit(mutable_bytes{buf}.first(d.tcp->header_length()), any, any);
    auto v = tcp_view::make(bytes{buf}.first(d.tcp->header_length()));
    require(v && tcp_repr::parse(*v) == *d.tcp && v->verify_checksum(any, any));
  }
  if (d.udp) {
    d.udp->emit(mutable_bytes{buf}.first(udp_view::header_len), any, any);
    auto v = udp_view::make(bytes{buf}.first(udp_view::header_len));
    require(v && udp_repr::parse(*v) == *d.udp && v->verify_checksum(any, any));
  }
  if (d.icmp) {
    std::vector<std::uint8_t> out(d.icmp->length());
    d.icmp->emit(out);
    auto v = icmpv4_view::make(out);
    require(v && icmpv4_repr::parse(*v) == *d.icmp && v->verify_checksum());
  }
}

// NAT-style rewrite of a well-formed IPv4 packet: the input stays untouched,
// the output parses with a valid header checksum, and a valid L4 checksum
// stays valid (incremental update == full recomputation).
void rewrite_checks(bytes ip_bytes, const dissection& d, std::uint8_t variant) {
  if (!d.ipv4 || d.error) return;
  static buffer_pool pool;
  std::size_t total = d.ipv4->header_length() + d.ipv4->payload_length;
  auto in = make_packet(pool, ip_bytes.first(total));
  if (!in) return;
  std::vector<std::uint8_t> before(in->size());
  in->copy_to(before);

  const checksum_policy strict{false, false};
  checksum_verdict verdict_in = check_l4_checksum(*in, strict);

  ipv4_rewrite r;
  r.src = ipv4_address::from_octets(192, 0, 2, static_cast<std::uint8_t>(variant));
  if (variant & 1u) r.dst = ipv4_address::from_octets(10, 137, 0, variant);
  if ((d.tcp || d.udp) && (variant & 2u)) r.src_port = static_cast<std::uint16_t>(1024u + variant * 97u);
  if ((d.tcp || d.udp) && (variant & 4u)) r.dst_port = static_cast<std::uint16_t>(variant * 13u);
  if (d.icmp && is_query(d.icmp->type) && (variant & 8u)) r.icmp_id = static_cast<std::uint16_t>(variant * 31u);
  r.decrement_ttl = (variant & 16u) != 0;
  auto out = rewrite_ipv4(*in, r, pool);

  std::vector<std::uint8_t> after(in->size());
  in->copy_to(after);
  require(before == after);
  if (!out) return;
  require(out->size() == in->size());
  std::vector<std::uint8_t> flat(out->size());
  out->copy_to(flat);
  require(ipv4_view::make(flat).has_value());
  if (verdict_in == checksum_verdict::valid) {
    auto flat_packet = make_packet(pool, flat);
    require(flat_packet && check_l4_checksum(*flat_packet, strict) == checksum_verdict::valid);
  }
  // A partial checksum completes without fault.
  packet_meta m;
  m.l4_checksum = checksum_state::partial;
  (void)complete_l4_checksum(out->with_meta(m), pool);
}

// build::l4_payload of any bytes: a view inside them, after at least a minimal IPv4 and L4
// header, and no further than the packet's total length says.
void l4_payload_checks(bytes ip) {
  const bytes p = build::l4_payload(ip);
  if (p.empty()) return;
  require(p.data() >= ip.data() + 20 + 8 && p.data() + p.size() <= ip.data() + ip.size());
  const std::size_t total = (std::size_t{ip[2]} << 8) | ip[3];
  require(static_cast<std::size_t>(p.data() + p.size() - ip.data()) <= total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes in{data, size};
  dissection d = dissect_frame(in);
  (void)describe(d);
  round_trip_layers(d);
  if (d.ethernet) {
    auto eth = ethernet_view::make(in);
    std::uint8_t variant = size > 0 ? data[size - 1] : 0;
    rewrite_checks(eth->payload(), d, variant);
  }
  // The same bytes as a bare IP packet, as the actors see them after the link.
  dissection ip = dissect_ip(in);
  (void)describe(ip);
  round_trip_layers(ip);
  rewrite_checks(in, ip, size > 1 ? data[0] : 0);
  l4_payload_checks(in);
  return 0;
}
