// The forwarding decision: packets x rule sets -> verdicts and counters.
#include <doctest/doctest.h>

#include "firewall/firewall.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/dissect.hpp"
#include "nat/nat_test_support.hpp"  // tests/nat/: split() into fragments
#include "support/packets.hpp"

using namespace aw::firewall;
using namespace aw::proto;
using namespace aw::test;
using namespace std::chrono_literals;
namespace rules = aw::rules;
using lines = std::vector<std::pair<std::string, std::string>>;

namespace {
const ipv4_address fw = ipv4_address::from_octets(10, 137, 0, 6);  // gateway and uplink address, as in Qubes
const ipv4_address client_a = ipv4_address::from_octets(10, 137, 0, 10);
const ipv4_address client_b = ipv4_address::from_octets(10, 137, 0, 11);
const ipv4_address offline_c = ipv4_address::from_octets(10, 137, 0, 12);  // connected, not running
const ipv4_address remote = ipv4_address::from_octets(192, 0, 2, 80);
const ipv4_address router = ipv4_address::from_octets(198, 51, 100, 1);
const ipv4_address dns1 = ipv4_address::from_octets(10, 139, 1, 1);

firewall_config config() {
  firewall_config c;
  c.gateway = fw;
  c.uplink_address = fw;
  c.dns_servers = {dns1, ipv4_address::from_octets(10, 139, 1, 2)};
  c.checksums = {.trust_data_validated = true, .accept_partial = true};
  return c;
}

rules::ruleset_ptr rules_of(std::string policy, lines l) {
  return std::make_shared<const rules::ruleset>(rules::compile_ruleset(policy, l));
}

struct fixture {
  firewall f{config()};
  buffer_pool pool;
  std::vector<outgoing> out;
  clock_time now{1s};

  fixture() {
    f.add_client(client_a);
    f.add_client(client_b);
    const ipv4_address connected[] = {client_a, client_b, offline_c};
    f.set_connected_ips(connected);
    f.set_rules(client_a, rules_of("drop", {{"0000", "action=accept specialtarget=dns"},
                                            {"0001", "action=accept proto=icmp"},
                                            {"0002", "action=accept proto=tcp dstports=80-80"},
                                            {"0003", "action=accept proto=udp dstports=33434-33534"}}));
    f.set_rules(client_b, rules_of("accept", {}));
  }
  packet make(const byte_vector& b, packet_meta m = {}) { return *make_packet(pool, b, m); }
  void send_from(ipv4_address client, const byte_vector& b, packet_meta m = {}) {
    packet p = make(b, m);
    f.from_client(client, std::span<const packet>{&p, 1}, now, pool, out);
  }
  void send_from_uplink(const byte_vector& b) {
    packet p = make(b);
    f.from_uplink(std::span<const packet>{&p, 1}, now, pool, out);
  }
  // The last packet sent, parsed; its ICMP data points into last_bytes.
  byte_vector last_bytes;
  dissection last() {
    REQUIRE_FALSE(out.empty());
    last_bytes.assign(out.back().pkt.size(), 0);
    out.back().pkt.copy_to(last_bytes);
    return dissect_ip(last_bytes);
  }
  std::uint64_t dropped(drop_reason r) const { return f.totals().dropped(r); }
};

ip_params from_a_to(ipv4_address dst) { return {.src = client_a, .dst = dst}; }
}  // namespace

TEST_CASE("firewall: an accepted new flow is NATed to the uplink address with the TTL decremented") {
  fixture t;
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 80, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  CHECK(t.out[0].to == egress::uplink);
  auto d = t.last();
  CHECK(d.ipv4->src == fw);
  CHECK(d.ipv4->dst == remote);
  CHECK(d.ipv4->ttl == 63);
  CHECK(d.tcp->dst_port == 80);
  CHECK(check_l4_checksum(t.out[0].pkt, {.trust_data_validated = false}) == checksum_verdict::valid);
  CHECK(t.f.totals().forwarded == 1);
  CHECK(t.f.client_counters(client_a)->forwarded == 1);
}

TEST_CASE("firewall: replies come back through the mapping to the right client") {
  fixture t;
  t.send_from(client_a, udp_packet(from_a_to(dns1), 5353, 53, payload_of(20)));
  REQUIRE(t.out.size() == 1);
  auto sent = t.last();
  CHECK(sent.ipv4->dst == dns1);  // DNS goes upstream like other traffic; sys-net DNATs it
  std::uint16_t ext_port = sent.udp->src_port;
  t.out.clear();
  t.send_from_uplink(udp_packet({.src = dns1, .dst = fw}, 53, ext_port, payload_of(40)));
  REQUIRE(t.out.size() == 1);
  CHECK(t.out[0].to == egress::client);
  CHECK(t.out[0].client == client_a);
  auto back = t.last();
  CHECK(back.ipv4->dst == client_a);
  CHECK(back.udp->dst_port == 5353);
}

TEST_CASE("firewall: unsolicited inbound traffic is dropped") {
  fixture t;
  t.send_from_uplink(tcp_packet({.src = remote, .dst = fw}, 4444, 22, tcp_flag::syn, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::nat) == 1);
}

TEST_CASE("firewall: the flow table is consulted first, the rules only on a miss") {
  fixture t;
  t.f.set_rules(client_a, rules_of("drop", {{"0000", "action=accept dsthost=web.example proto=tcp"}}));
  t.f.set_host_addresses(std::make_shared<const rules::host_addresses>(rules::host_addresses{{"web.example", {remote}}}));
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 443, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  // The name stops resolving: new flows are refused, the open one continues.
  t.f.set_host_addresses(std::make_shared<const rules::host_addresses>());
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 443, tcp_flag::ack, {}));
  CHECK(t.out.size() == 2);
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40001, 443, tcp_flag::syn, {}));
  CHECK(t.out.size() == 3);  // the ICMP reject
  CHECK(t.dropped(drop_reason::dsthost_unresolved) == 1);
  // Re-checking the flows (as after a resolution change) cuts the open one too.
  CHECK(t.f.recheck_flows() == 1);
}

TEST_CASE("firewall: a rule reload removes the open flows the new rules refuse, keeps the others") {
  fixture t;
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 80, tcp_flag::syn, {}));
  t.send_from(client_a, udp_packet(from_a_to(dns1), 5353, 53, {}));
  REQUIRE(t.f.nat().session_count() == 2);
  CHECK(t.f.set_rules(client_a, rules_of("drop", {{"0000", "action=accept specialtarget=dns"}})) == 1);
  CHECK(t.f.nat().session_count() == 1);
}

TEST_CASE("firewall: a client may only send from its own address (anti-spoofing)") {
  fixture t;
  t.send_from(client_a, tcp_packet({.src = client_b, .dst = remote}, 1, 80, tcp_flag::syn, {}));
  t.send_from(client_a, tcp_packet({.src = ipv4_address::from_octets(8, 8, 8, 8), .dst = remote}, 1, 80,
                                   tcp_flag::syn, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::spoofed_source) == 2);
  CHECK(t.f.client_counters(client_a)->dropped(drop_reason::spoofed_source) == 2);
}

TEST_CASE("firewall: the uplink may not send from a client's or the firewall's address") {
  fixture t;
  t.send_from_uplink(udp_packet({.src = client_b, .dst = fw}, 53, 1000, {}));
  t.send_from_uplink(udp_packet({.src = offline_c, .dst = fw}, 53, 1000, {}));
  t.send_from_uplink(udp_packet({.src = fw, .dst = fw}, 53, 1000, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::spoofed_from_uplink) == 3);
}

TEST_CASE("firewall: uplink packets for another address are not forwarded") {
  fixture t;
  t.send_from_uplink(udp_packet({.src = remote, .dst = client_a}, 53, 1000, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::not_for_us) == 1);
}

TEST_CASE("firewall: clients cannot reach each other, running or not, and nothing is NATed") {
  fixture t;
  t.send_from(client_b, tcp_packet({.src = client_b, .dst = client_a}, 1, 80, tcp_flag::syn, {}));
  t.send_from(client_b, icmp_echo({.src = client_b, .dst = offline_c}, icmp_type::echo_request, 1, 1, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::client_to_client) == 2);
  CHECK(t.f.nat().session_count() == 0);
}

TEST_CASE("firewall: a rule's drop is a reject (ICMP 3/13 from the gateway), as the Linux sys-firewall") {
  fixture t;
  auto refused = tcp_packet(from_a_to(remote), 40000, 25, tcp_flag::syn, {});
  t.send_from(client_a, refused);
  REQUIRE(t.out.size() == 1);
  CHECK(t.out[0].to == egress::client);
  CHECK(t.out[0].client == client_a);
  auto d = t.last();
  CHECK(d.ipv4->src == fw);
  CHECK(d.ipv4->dst == client_a);
  CHECK(d.icmp->type == icmp_type::dest_unreachable);
  CHECK(d.icmp->code == icmp_unreach::admin_prohibited);
  // It quotes the refused packet's header and the start of its payload.
  CHECK(std::equal(d.icmp->data.begin(), d.icmp->data.begin() + 28, refused.begin()));
  CHECK(t.dropped(drop_reason::rule_drop) == 1);
  CHECK(check_l4_checksum(t.out[0].pkt, {.trust_data_validated = false}) == checksum_verdict::valid);
}

TEST_CASE("firewall: with rejects switched off a rule's drop is silent") {
  auto c = config();
  c.reject_with_icmp = false;
  firewall f{c};
  buffer_pool pool;
  std::vector<outgoing> out;
  f.add_client(client_a);
  f.set_rules(client_a, rules_of("drop", {}));
  packet p = *make_packet(pool, tcp_packet(from_a_to(remote), 1, 25, tcp_flag::syn, {}));
  f.from_client(client_a, std::span<const packet>{&p, 1}, 1s, pool, out);
  CHECK(out.empty());
  CHECK(f.totals().dropped(drop_reason::rule_drop) == 1);
}

TEST_CASE("firewall: a client whose rules failed to parse is refused everything") {
  fixture t;
  t.f.set_rules(client_b, rules_of("accept", {{"0000", "action=accept proto=gre"}}));
  t.send_from(client_b, udp_packet({.src = client_b, .dst = dns1}, 1, 53, {}));
  CHECK(t.dropped(drop_reason::rules_failed_closed) == 1);
  CHECK(t.last().icmp->code == icmp_unreach::admin_prohibited);
}

TEST_CASE("firewall: a client with no rules read yet is refused (fail closed)") {
  fixture t;
  const ipv4_address fresh = ipv4_address::from_octets(10, 137, 0, 20);
  t.f.add_client(fresh);
  t.send_from(fresh, udp_packet({.src = fresh, .dst = dns1}, 1, 53, {}));
  CHECK(t.dropped(drop_reason::rules_failed_closed) == 1);
}

TEST_CASE("firewall: the gateway answers pings and refuses everything else with host-prohibited") {
  fixture t;
  t.send_from(client_b, icmp_echo({.src = client_b, .dst = fw}, icmp_type::echo_request, 7, 1, payload_of(56)));
  REQUIRE(t.out.size() == 1);
  auto reply = t.last();
  CHECK(reply.ipv4->src == fw);
  CHECK(reply.ipv4->dst == client_b);
  CHECK(reply.icmp->type == icmp_type::echo_reply);
  CHECK(reply.icmp->rest == ((7u << 16) | 1u));
  t.send_from(client_b, tcp_packet({.src = client_b, .dst = fw}, 1, 22, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 2);
  CHECK(t.last().icmp->code == icmp_unreach::host_prohibited);
  CHECK(t.dropped(drop_reason::to_firewall) == 1);
}

TEST_CASE("firewall: where the uplink address is not the gateway, a client reaches neither (no hairpin between clients)") {
  firewall_config c = config();
  const ipv4_address uplink = ipv4_address::from_octets(10, 137, 0, 99);
  c.uplink_address = uplink;
  firewall f{c};
  buffer_pool pool;
  std::vector<outgoing> out;
  f.add_client(client_a);
  f.add_client(client_b);
  f.set_rules(client_a, rules_of("accept", {}));
  f.set_rules(client_b, rules_of("accept", {}));
  // Client b opens a UDP mapping towards the Internet...
  auto send = [&](ipv4_address from, const byte_vector& b) {
    packet p = *make_packet(pool, b, {});
    f.from_client(from, std::span<const packet>{&p, 1}, 1s, pool, out);
  };
  send(client_b, udp_packet({.src = client_b, .dst = remote}, 5000, 53, payload_of(8)));
  REQUIRE(out.size() == 1);
  const std::uint16_t ext = load16(out.back().pkt.head().data() + 20);
  // ...and client a sends to that external endpoint: refused as traffic to the firewall.
  send(client_a, udp_packet({.src = client_a, .dst = uplink}, 6000, ext, payload_of(8)));
  CHECK(f.totals().dropped(drop_reason::to_firewall) == 1);
  REQUIRE(out.size() == 2);
  CHECK(out.back().to == egress::client);
  auto d = dissect_ip([&] {
    byte_vector b(out.back().pkt.size());
    out.back().pkt.copy_to(b);
    return b;
  }());
  CHECK(d.icmp->code == icmp_unreach::host_prohibited);
  CHECK(d.ipv4->src == uplink);
}

TEST_CASE("firewall: TTL 1 from a client answers time exceeded from the gateway (traceroute's first hop)") {
  fixture t;
  t.send_from(client_a, udp_packet({.src = client_a, .dst = remote, .ttl = 1}, 40000, 33434, {}));
  REQUIRE(t.out.size() == 1);
  auto d = t.last();
  CHECK(d.ipv4->src == fw);
  CHECK(d.icmp->type == icmp_type::time_exceeded);
  CHECK(d.icmp->code == 0);
  CHECK(t.dropped(drop_reason::ttl_expired) == 1);
}

TEST_CASE("firewall: traceroute's later hops: time exceeded from a router is translated back to the client") {
  fixture t;
  t.send_from(client_a, udp_packet({.src = client_a, .dst = remote, .ttl = 2}, 40000, 33435, payload_of(32)));
  REQUIRE(t.out.size() == 1);
  byte_vector probe(t.out[0].pkt.size());
  t.out[0].pkt.copy_to(probe);  // as it left: from the firewall, TTL 1
  t.send_from_uplink(icmp_error({.src = router, .dst = fw}, icmp_type::time_exceeded, 0, probe));
  REQUIRE(t.out.size() == 2);
  CHECK(t.out[1].client == client_a);
  auto d = t.last();
  CHECK(d.ipv4->src == router);
  CHECK(d.ipv4->dst == client_a);
  CHECK(d.icmp->type == icmp_type::time_exceeded);
  auto quoted = ipv4_view::make(d.icmp->data, ipv4_view::length_check::truncated_ok);
  REQUIRE(quoted);
  CHECK(quoted->src() == client_a);
  CHECK(load16(quoted->payload().data()) == 40000);  // the client's own port again
}

TEST_CASE("firewall: an ICMP error a client sends about inbound traffic is translated out") {
  fixture t;
  t.send_from(client_a, udp_packet(from_a_to(remote), 5000, 33434, {}));
  byte_vector sent(t.out[0].pkt.size());
  t.out[0].pkt.copy_to(sent);
  auto ext_port = load16(&sent[20]);
  t.send_from_uplink(udp_packet({.src = remote, .dst = fw}, 33434, ext_port, payload_of(8)));
  REQUIRE(t.out.size() == 2);
  byte_vector inbound(t.out[1].pkt.size());
  t.out[1].pkt.copy_to(inbound);
  t.send_from(client_a, icmp_error({.src = client_a, .dst = remote}, icmp_type::dest_unreachable, 3, inbound));
  REQUIRE(t.out.size() == 3);
  CHECK(t.out[2].to == egress::uplink);
  auto d = t.last();
  CHECK(d.ipv4->src == fw);
  CHECK(d.icmp->code == 3);
}

TEST_CASE("firewall: DF set and over the uplink MTU answers fragmentation needed with the MTU") {
  fixture t;
  t.send_from(client_b, udp_packet({.src = client_b, .dst = remote}, 1, 2, payload_of(1600)));
  REQUIRE(t.out.size() == 1);
  auto d = t.last();
  CHECK(d.icmp->type == icmp_type::dest_unreachable);
  CHECK(d.icmp->code == icmp_unreach::frag_needed);
  CHECK((d.icmp->rest & 0xffffu) == 1500);
  CHECK(d.ipv4->header_length() + 8 + d.icmp->data.size() <= 576);
  CHECK(t.dropped(drop_reason::too_big) == 1);
}

TEST_CASE("firewall: DNS to 10.139.1.1 is forwarded when specialtarget=dns allows it, refused otherwise") {
  fixture t;
  t.send_from(client_a, tcp_packet(from_a_to(dns1), 40000, 53, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  CHECK(t.out[0].to == egress::uplink);
  CHECK(t.last().ipv4->dst == dns1);
  t.send_from(client_a, udp_packet(from_a_to(dns1), 40000, 123, {}));
  CHECK(t.dropped(drop_reason::rule_drop) == 1);
}

TEST_CASE("firewall: ICMP answers are rate-limited per client") {
  fixture t;
  for (int i = 0; i < 100; ++i) t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 25, tcp_flag::syn, {}));
  CHECK(t.dropped(drop_reason::rule_drop) == 100);
  CHECK(t.out.size() == 20);  // the burst
  CHECK(t.dropped(drop_reason::icmp_rate_limited) == 80);
  t.now += 1s;  // ten more a second
  for (int i = 0; i < 100; ++i) t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 25, tcp_flag::syn, {}));
  CHECK(t.out.size() == 30);
}

TEST_CASE("firewall: no ICMP error is sent about an ICMP error") {
  fixture t;
  t.f.set_rules(client_b, rules_of("drop", {}));
  auto inner = udp_packet({.src = remote, .dst = client_b}, 1, 2, payload_of(8));
  t.send_from(client_b, icmp_error({.src = client_b, .dst = remote, .ttl = 1}, icmp_type::dest_unreachable, 3, inner));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::ttl_expired) == 1);
}

TEST_CASE("firewall: removing a client removes its NAT state in both directions") {
  fixture t;
  t.send_from(client_a, udp_packet(from_a_to(dns1), 5353, 53, {}));
  auto ext = t.last().udp->src_port;
  t.f.remove_client(client_a);
  CHECK(t.f.nat().mapping_count() == 0);
  t.out.clear();
  t.send_from_uplink(udp_packet({.src = dns1, .dst = fw}, 53, ext, {}));
  CHECK(t.out.empty());
  t.send_from(client_a, udp_packet(from_a_to(dns1), 5353, 53, {}));
  CHECK(t.dropped(drop_reason::unknown_client) == 1);
}

TEST_CASE("firewall: checksums are validated per policy, csum_blank passes as partial") {
  fixture t;
  auto bad = udp_packet({.src = client_b, .dst = remote}, 1, 2, payload_of(10));
  bad.back() ^= 1;
  t.send_from(client_b, bad);
  CHECK(t.dropped(drop_reason::bad_checksum) == 1);
  t.send_from(client_b, bad, {.l4_checksum = checksum_state::verified});  // data_validated trusted
  t.send_from(client_b, bad, {.l4_checksum = checksum_state::partial});
  CHECK(t.f.totals().forwarded == 2);
  CHECK(t.out.back().pkt.meta().l4_checksum == checksum_state::partial);
}

TEST_CASE("firewall: malformed, IPv6 and martian packets are dropped with their reason") {
  fixture t;
  auto b = udp_packet({.src = client_b, .dst = remote}, 1, 2, {});
  b[0] = 0x44;
  t.send_from(client_b, b);
  byte_vector v6(40, 0);
  v6[0] = 0x60;
  t.send_from(client_b, v6);
  t.send_from(client_b, udp_packet({.src = client_b, .dst = ipv4_address{0xffffffffu}}, 68, 67, {}));
  t.send_from(client_b, udp_packet({.src = client_b, .dst = ipv4_address::from_octets(224, 0, 0, 251)}, 5353, 5353, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::malformed) == 1);
  CHECK(t.dropped(drop_reason::ipv6_unsupported) == 1);
  CHECK(t.dropped(drop_reason::martian_destination) == 2);
}

TEST_CASE("firewall: the uplink may ping the firewall's own address") {
  fixture t;
  t.send_from_uplink(icmp_echo({.src = remote, .dst = fw}, icmp_type::echo_request, 3, 1, {}));
  REQUIRE(t.out.size() == 1);
  CHECK(t.out[0].to == egress::uplink);
  CHECK(t.last().icmp->type == icmp_type::echo_reply);
}

TEST_CASE("firewall: a ping flood of the uplink address does not use up the ICMP errors' budget") {
  fixture t;
  // A flow of client b, so that an inbound packet with TTL 1 has somewhere to go.
  t.send_from(client_b, udp_packet({.src = client_b, .dst = remote}, 40000, 53, payload_of(8)));
  REQUIRE(t.out.size() == 1);
  REQUIRE(t.out.back().to == egress::uplink);
  const std::uint16_t ext = load16(t.out.back().pkt.head().data() + 20);
  for (int i = 0; i < 100; ++i)
    t.send_from_uplink(icmp_echo({.src = router, .dst = fw}, icmp_type::echo_request, 3, static_cast<std::uint16_t>(i), {}));
  CHECK(t.dropped(drop_reason::icmp_rate_limited) > 0);
  t.out.clear();
  t.send_from_uplink(udp_packet({.src = remote, .dst = fw, .ttl = 1}, 53, ext, payload_of(8)));
  CHECK(t.dropped(drop_reason::ttl_expired) == 1);
  REQUIRE(t.out.size() == 1);
  CHECK(t.last().icmp->type == icmp_type::time_exceeded);
}

TEST_CASE("firewall: when the rules refuse a first fragment, the rest of the datagram is dropped, not held") {
  fixture t;
  // Client a's rules refuse UDP to remote:53; the datagram comes in two fragments.
  auto [first, rest] = aw::test::nat::split(udp_packet(from_a_to(remote), 40000, 53, payload_of(64)), 32);
  t.send_from(client_a, first);
  CHECK(t.dropped(drop_reason::rule_drop) == 1);
  t.send_from(client_a, rest);
  CHECK(t.dropped(drop_reason::nat) == 1);  // dropped on arrival (before: held 30 s in the shared hold)
}

TEST_CASE("firewall: ping through the firewall: the echo id is NATed and the reply returns") {
  fixture t;
  t.send_from(client_a, icmp_echo(from_a_to(remote), icmp_type::echo_request, 0x77, 1, payload_of(56)));
  REQUIRE(t.out.size() == 1);
  auto ext_id = static_cast<std::uint16_t>(t.last().icmp->rest >> 16);
  t.send_from_uplink(icmp_echo({.src = remote, .dst = fw}, icmp_type::echo_reply, ext_id, 1, payload_of(56)));
  REQUIRE(t.out.size() == 2);
  auto d = t.last();
  CHECK(t.out[1].client == client_a);
  CHECK((d.icmp->rest >> 16) == 0x77u);
}

TEST_CASE("conntrack invalid: a client's TCP segments with an invalid flag combination are dropped, counted, and open no NAT session") {
  fixture t;
  const ip_params from_b{.src = client_b, .dst = remote};  // client b's rules accept everything
  for (std::uint8_t flags : {std::uint8_t(tcp_flag::syn | tcp_flag::fin), std::uint8_t(0),
                             std::uint8_t(tcp_flag::fin | tcp_flag::psh | tcp_flag::urg)})
    t.send_from(client_b, tcp_packet(from_b, 40000, 80, flags, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::tcp_invalid_flags) == 3);
  CHECK(t.f.client_counters(client_b)->dropped(drop_reason::tcp_invalid_flags) == 3);
  CHECK(t.f.nat().session_count() == 0);
  // Inside an open flow as well: conntrack checks every segment.
  t.send_from(client_b, tcp_packet(from_b, 40000, 80, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  t.send_from(client_b, tcp_packet(from_b, 40000, 80, tcp_flag::syn | tcp_flag::rst, {}));
  CHECK(t.out.size() == 1);
  CHECK(t.dropped(drop_reason::tcp_invalid_flags) == 4);
}

TEST_CASE("conntrack invalid: a segment from the uplink with an invalid flag combination does not reach the client, even within its flow") {
  fixture t;
  t.send_from(client_b, tcp_packet({.src = client_b, .dst = remote}, 40000, 80, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  const auto ext = t.last().tcp->src_port;
  t.out.clear();
  t.send_from_uplink(tcp_packet({.src = remote, .dst = fw}, 80, ext, tcp_flag::syn | tcp_flag::fin | tcp_flag::ack, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::tcp_invalid_flags) == 1);
  t.send_from_uplink(tcp_packet({.src = remote, .dst = fw}, 80, ext, tcp_flag::syn | tcp_flag::ack, {}));
  CHECK(t.out.size() == 1);  // the valid answer passes
}

TEST_CASE("RFC 768: a client's UDP datagram whose length field exceeds the IP payload is dropped as udp_bad_length, nothing NATed") {
  fixture t;
  auto p = udp_packet({.src = client_b, .dst = remote}, 5000, 53, payload_of(20));
  store16(p.data() + 20 + udp_field::length, 8 + 200);
  store16(p.data() + 20 + udp_field::checksum, 0);  // no checksum: the length alone is wrong
  t.send_from(client_b, p);
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::udp_bad_length) == 1);
  CHECK(t.f.nat().session_count() == 0);
}

TEST_CASE("conntrack NONE + FIN or RST is invalid: with no session it is dropped silently before the rules, not answered as a refused port") {
  fixture t;
  // Client a's rules refuse TCP 443: a SYN there is answered (admin-prohibited) ...
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40000, 443, tcp_flag::syn, {}));
  REQUIRE(t.out.size() == 1);
  t.out.clear();
  // ... a FIN or a reset is not: nothing opens, nothing answers, the NAT says why.
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40001, 443, tcp_flag::fin | tcp_flag::ack, {}));
  t.send_from(client_a, tcp_packet(from_a_to(remote), 40002, 443, tcp_flag::rst | tcp_flag::ack, {}));
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::rule_drop) == 1);
  CHECK(t.f.nat().counters()[aw::nat::nat_drop::tcp_fin_without_session] == 1);
  CHECK(t.f.nat().counters()[aw::nat::nat_drop::tcp_rst_without_session] == 1);
  CHECK(t.f.nat().counters()[aw::nat::nat_drop::no_session] == 1);  // the SYN's miss only: counted once each
  CHECK(t.f.nat().session_count() == 0);
}

TEST_CASE("a first fragment dropped as invalid takes its later fragments with it: they are refused, not held until the timeout") {
  fixture t;
  auto whole = udp_packet({.src = client_b, .dst = remote, .df = false}, 5000, 53, payload_of(2000));
  store16(whole.data() + 20 + udp_field::length, 8 + 1000);  // shorter than the first fragment
  store16(whole.data() + 20 + udp_field::checksum, 0);
  auto [first, rest] = aw::test::nat::split(whole, 1480);
  t.send_from(client_b, first);
  t.send_from(client_b, rest);
  CHECK(t.out.empty());
  CHECK(t.dropped(drop_reason::udp_bad_length) == 1);
  CHECK(t.f.nat().counters()[aw::nat::nat_drop::fragment_refused] == 1);
  CHECK(t.f.nat().counters()[aw::nat::nat_drop::fragment_held] == 0);
}
