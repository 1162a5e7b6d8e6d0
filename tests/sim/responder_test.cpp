// The simulated Internet's answers (sim/responder): what the simulated netvm replies to
// the packets the firewall forwards, so the service tests and --sim see real exchanges.
#include <doctest/doctest.h>

#include <deque>

#include "protocol/dissect.hpp"
#include "protocol/dns.hpp"
#include "sim/responder.hpp"
#include "support/packets.hpp"

using namespace aw;
using proto::ipv4_address;
using test::byte_vector;

namespace {

const ipv4_address gateway = ipv4_address::from_octets(10, 137, 0, 5);
const ipv4_address dns = ipv4_address::from_octets(10, 139, 1, 1);
const ipv4_address host = ipv4_address::from_octets(192, 0, 2, 10);
const ipv4_address fw = ipv4_address::from_octets(10, 137, 0, 6);

const sim::internet net{.gateway = gateway, .dns_servers = {dns}, .names = {{"www.example.test", host}}};

// The answer's dissection; its views point into the answer, kept for the test's life.
proto::dissection answer_of(const byte_vector& ip) {
  static std::deque<byte_vector> answers;  // push_back keeps earlier elements in place
  auto a = sim::answer(net, ip);
  REQUIRE(a);
  answers.push_back(std::move(*a));
  auto d = proto::dissect_ip(answers.back());
  REQUIRE(d.ipv4);
  CHECK(proto::ipv4_view::make(answers.back()));  // header checksum right
  return d;
}

byte_vector dns_query(const std::string& name, std::uint16_t id) {
  auto q = proto::dns::query::make(id, name, proto::dns::record_type::a);
  REQUIRE(q);
  return test::udp_packet({.src = fw, .dst = dns}, 40000, 53, q->to_bytes());
}

}  // namespace

TEST_CASE("responder: an echo request to any host is answered by that host with the same id, sequence and data") {
  auto d = answer_of(test::icmp_echo({.src = fw, .dst = host}, proto::icmp_type::echo_request, 7, 9, {1, 2, 3}));
  CHECK(d.ipv4->src == host);
  CHECK(d.ipv4->dst == fw);
  REQUIRE(d.icmp);
  CHECK(d.icmp->type == proto::icmp_type::echo_reply);
  CHECK(d.icmp->rest == (7u << 16 | 9u));
  CHECK(byte_vector(d.icmp->data.begin(), d.icmp->data.end()) == byte_vector{1, 2, 3});
}

TEST_CASE("responder: DNS at the configured servers answers a known name with its A record and others with NXDOMAIN") {
  auto known = answer_of(dns_query("www.example.test", 77));
  REQUIRE(known.udp);
  CHECK(known.ipv4->src == dns);
  CHECK(known.udp->src_port == 53);
  CHECK(known.udp->dst_port == 40000);
  const auto known_bytes = sim::answer(net, dns_query("www.example.test", 77));
  REQUIRE(known_bytes);
  auto reply = proto::build::l4_payload(*known_bytes);
  auto h = proto::dns::header::parse(reply);
  REQUIRE(h);
  CHECK(h->id == 77);
  CHECK(h->qr);
  CHECK(h->ancount == 1);
  CHECK(h->rcode == static_cast<std::uint8_t>(proto::dns::rcode::no_error));
  CHECK(reply.size() >= 4);
  CHECK(byte_vector(reply.end() - 4, reply.end()) == byte_vector{192, 0, 2, 10});

  const auto unknown_bytes = sim::answer(net, dns_query("nowhere.example.test", 78));
  REQUIRE(unknown_bytes);
  auto unknown = proto::build::l4_payload(*unknown_bytes);
  auto hu = proto::dns::header::parse(unknown);
  REQUIRE(hu);
  CHECK(hu->ancount == 0);
  CHECK(hu->rcode == static_cast<std::uint8_t>(proto::dns::rcode::name_error));
}

TEST_CASE("responder: a known name asked for AAAA gets NOERROR without an answer (NODATA), not NXDOMAIN") {
  auto q = proto::dns::query::make(79, "www.example.test", proto::dns::record_type::aaaa);
  REQUIRE(q);
  auto reply = sim::answer(net, test::udp_packet({.src = fw, .dst = dns}, 40000, 53, q->to_bytes()));
  REQUIRE(reply);
  auto h = proto::dns::header::parse(proto::build::l4_payload(*reply));
  REQUIRE(h);
  CHECK(h->rcode == static_cast<std::uint8_t>(proto::dns::rcode::no_error));
  CHECK(h->ancount == 0);
}

TEST_CASE("responder: a malformed DNS query gets no answer") {
  CHECK_FALSE(sim::answer(net, test::udp_packet({.src = fw, .dst = dns}, 40000, 53, {1, 2, 3})));
}

TEST_CASE("responder: UDP port 7 echoes, another UDP port answers port unreachable quoting the datagram") {
  auto echo = answer_of(test::udp_packet({.src = fw, .dst = host}, 41000, 7, {9, 8, 7}));
  REQUIRE(echo.udp);
  CHECK(echo.udp->src_port == 7);
  CHECK(echo.udp->dst_port == 41000);
  CHECK(echo.l4_payload_length == 3);

  const auto sent = test::udp_packet({.src = fw, .dst = host}, 41000, 9999, {1});
  auto closed = answer_of(sent);
  REQUIRE(closed.icmp);
  CHECK(closed.icmp->type == proto::icmp_type::dest_unreachable);
  CHECK(closed.icmp->code == proto::icmp_unreach::port);
  CHECK(closed.ipv4->src == host);
  CHECK(byte_vector(closed.icmp->data.begin(), closed.icmp->data.end()) == byte_vector(sent.begin(), sent.begin() + 28));
}

TEST_CASE("responder: TCP 80 answers SYN with SYN-ACK, echoes data acking it, answers FIN with FIN-ACK") {
  using namespace proto::tcp_flag;
  auto syn_ack = answer_of(proto::build::tcp({.src = fw, .dst = host}, {.sport = 42000, .dport = 80, .seq = 500, .flags = syn}));
  REQUIRE(syn_ack.tcp);
  CHECK(syn_ack.tcp->flags == (syn | ack));
  CHECK(syn_ack.tcp->ack == 501);
  CHECK(syn_ack.tcp->seq == sim::tcp_server_isn);

  const byte_vector data{'h', 'i'};
  auto echoed = answer_of(proto::build::tcp({.src = fw, .dst = host},
                                            {.sport = 42000, .dport = 80, .seq = 501, .ack = sim::tcp_server_isn + 1,
                                             .flags = ack | psh},
                                            data));
  REQUIRE(echoed.tcp);
  CHECK(echoed.tcp->ack == 503);
  CHECK(echoed.tcp->seq == sim::tcp_server_isn + 1);
  CHECK(echoed.l4_payload_length == 2);

  auto fin_ack = answer_of(proto::build::tcp({.src = fw, .dst = host},
                                             {.sport = 42000, .dport = 80, .seq = 503, .ack = sim::tcp_server_isn + 3,
                                              .flags = fin | ack}));
  REQUIRE(fin_ack.tcp);
  CHECK((fin_ack.tcp->flags & fin) != 0);
  CHECK(fin_ack.tcp->ack == 504);

  // A pure ACK needs no answer.
  CHECK_FALSE(sim::answer(net, proto::build::tcp({.src = fw, .dst = host},
                                                 {.sport = 42000, .dport = 80, .seq = 504, .ack = 1, .flags = ack})));
}

TEST_CASE("responder: TCP to a port nobody listens on is reset, and a RST is never answered") {
  using namespace proto::tcp_flag;
  auto r = answer_of(proto::build::tcp({.src = fw, .dst = host}, {.sport = 42001, .dport = 22, .seq = 10, .flags = syn}));
  REQUIRE(r.tcp);
  CHECK(r.tcp->flags == (rst | ack));
  CHECK(r.tcp->ack == 11);
  CHECK_FALSE(sim::answer(net, proto::build::tcp({.src = fw, .dst = host}, {.sport = 1, .dport = 80, .flags = rst})));
}

TEST_CASE("responder: TTL 1 beyond the gateway gets time exceeded from the gateway, as traceroute expects") {
  auto sent = test::udp_packet({.src = fw, .dst = host, .ttl = 1}, 33434, 33434, {0});
  auto d = answer_of(sent);
  REQUIRE(d.icmp);
  CHECK(d.icmp->type == proto::icmp_type::time_exceeded);
  CHECK(d.ipv4->src == gateway);
  // The gateway itself answers a TTL 1 ping.
  auto own = answer_of(test::icmp_echo({.src = fw, .dst = gateway, .ttl = 1}, proto::icmp_type::echo_request, 1, 1, {}));
  CHECK(own.icmp->type == proto::icmp_type::echo_reply);
}

TEST_CASE("responder: garbage and non-IPv4 input get no answer") {
  CHECK_FALSE(sim::answer(net, byte_vector{}));
  CHECK_FALSE(sim::answer(net, byte_vector(40, 0xff)));
  auto truncated = test::udp_packet({.src = fw, .dst = host}, 1, 7, {1, 2, 3});
  truncated.resize(22);
  CHECK_FALSE(sim::answer(net, truncated));
}
