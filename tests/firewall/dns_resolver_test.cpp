// The dsthost resolver: queries from reserved ports to the configured servers, answers
// accepted only from the server asked (RFC 5452), TTL refresh, failures closed and retried
// on the next server, and the firewall handing its datagrams over instead of the NAT.
#include <doctest/doctest.h>

#include <set>

#include "firewall/dns_resolver.hpp"
#include "firewall/firewall.hpp"
#include "protocol/dissect.hpp"
#include "protocol/dns.hpp"
#include "support/dns_answer.hpp"
#include "support/packets.hpp"

using namespace aw::firewall;
using namespace aw::proto;
using namespace aw::test;
namespace rules = aw::rules;
namespace nat = aw::nat;
using namespace std::chrono_literals;

namespace {
const ipv4_address fw = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address dns1 = ipv4_address::from_octets(10, 139, 1, 1);
const ipv4_address dns2 = ipv4_address::from_octets(10, 139, 1, 2);
const ipv4_address web1 = ipv4_address::from_octets(192, 0, 2, 80);
const ipv4_address web2 = ipv4_address::from_octets(192, 0, 2, 81);
const std::vector<std::uint16_t> ports{40001, 40002, 40003, 40004};

struct sent_query {
  ipv4_address src, dst;
  std::uint16_t sport = 0, dport = 0;
  byte_vector message;  // the DNS message
};

sent_query read_query(const packet& p) {
  byte_vector b(p.size());
  p.copy_to(b);
  auto ip = ipv4_view::make(b).value();
  auto udp = udp_view::make(ip.payload()).value();
  REQUIRE(udp.verify_checksum(ip.src(), ip.dst()));
  return {ip.src(), ip.dst(), udp.src_port(), udp.dst_port(), {udp.payload().begin(), udp.payload().end()}};
}

struct fixture {
  dns_resolver r;
  buffer_pool pool;
  std::vector<packet> out;
  rules::clock_time now{10s};

  explicit fixture(std::vector<ipv4_address> servers = {dns1, dns2})
      : r({.source = fw, .servers = std::move(servers), .ports = ports, .hosts = {}, .seed = 7}) {}

  bool poll() { return r.poll(now, pool, out); }
  sent_query take() {
    REQUIRE(out.size() == 1);
    auto q = read_query(out.front());
    out.clear();
    return q;
  }
  // The answer to q as `from`:`sport` would send it.
  bool answer(const sent_query& q, const dns_answer_spec& a, ipv4_address from, std::uint16_t sport = 53) {
    auto m = dns_answer(q.message, a);
    auto p = make_packet(pool, udp_packet({.src = from, .dst = q.src}, sport, q.sport, m)).value();
    return r.on_response(p, now);
  }
  bool answer(const sent_query& q, const dns_answer_spec& a) { return answer(q, a, q.dst); }
  [[nodiscard]] std::vector<ipv4_address> addresses(const std::string& name) const {
    auto snap = r.snapshot();
    auto it = snap->find(name);
    return it == snap->end() ? std::vector<ipv4_address>{} : it->second;
  }
};
}  // namespace

TEST_CASE("resolver: a wanted name is asked at once, as an A query from a reserved port to the first server") {
  fixture t;
  t.r.set_wanted({"web.example"});
  CHECK_FALSE(t.poll());
  auto q = t.take();
  CHECK(q.src == fw);
  CHECK(q.dst == dns1);
  CHECK(q.dport == 53);
  CHECK(std::find(ports.begin(), ports.end(), q.sport) != ports.end());
  auto parsed = dns::query::parse(q.message);
  REQUIRE(parsed);
  CHECK(parsed->name == "web.example");
  CHECK(parsed->type == dns::record_type::a);
  CHECK(t.r.count(resolver_event::queries_sent) == 1);
  // Asked once: a second poll before an answer or a timeout sends nothing.
  t.poll();
  CHECK(t.out.empty());
}

TEST_CASE("resolver: the server's answer puts the addresses in the snapshot, refreshed when the TTL runs out") {
  fixture t;
  t.r.set_wanted({"web.example"});
  t.poll();
  auto q = t.take();
  CHECK(t.answer(q, {.addresses = {web2, web1}, .ttl = 60}));
  CHECK(t.addresses("web.example") == std::vector{web1, web2});
  CHECK(t.r.count(resolver_event::answers) == 1);
  t.now += 59s;
  t.poll();
  CHECK(t.out.empty());
  t.now += 1s;
  t.poll();
  auto refresh = t.take();
  // The old answer stays usable while the refresh is in flight.
  CHECK(t.addresses("web.example") == std::vector{web1, web2});
  CHECK(t.answer(refresh, {.addresses = {web1}, .ttl = 60}));
  CHECK(t.addresses("web.example") == std::vector{web1});
  // The same addresses again: nothing changed, nothing to publish.
  t.now += 60s;
  t.poll();
  CHECK_FALSE(t.answer(t.take(), {.addresses = {web1}, .ttl = 60}));
}

TEST_CASE("resolver: RFC 5452 - answers from another address or port, or with another id, are ignored and counted") {
  fixture t;
  t.r.set_wanted({"web.example"});
  t.poll();
  auto q = t.take();
  CHECK_FALSE(t.answer(q, {.addresses = {web1}}, dns2));        // not the server asked
  CHECK_FALSE(t.answer(q, {.addresses = {web1}}, dns1, 5353));  // not from port 53
  auto wrong_id = q;
  wrong_id.message[1] ^= 0x01;
  CHECK_FALSE(t.answer(wrong_id, {.addresses = {web1}}));
  auto wrong_port = q;
  wrong_port.sport = static_cast<std::uint16_t>(q.sport == ports[0] ? ports[1] : ports[0]);
  CHECK_FALSE(t.answer(wrong_port, {.addresses = {web1}}));
  CHECK(t.r.count(resolver_event::unexpected) == 4);
  CHECK(t.addresses("web.example").empty());
  // The real answer is still taken.
  CHECK(t.answer(q, {.addresses = {web1}}));
  CHECK(t.addresses("web.example") == std::vector{web1});
}

TEST_CASE("resolver: an answer to another question is counted and the query keeps waiting for the real one") {
  fixture t;
  t.r.set_wanted({"web.example"});
  t.poll();
  auto q = t.take();
  auto other = q;
  other.message[13] = 'x';  // the first letter of the question's name
  CHECK_FALSE(t.answer(other, {.addresses = {web1}}));
  CHECK(t.r.count(resolver_event::malformed) == 1);
  CHECK(t.r.in_flight() == 1);
  auto runt = make_packet(t.pool, udp_packet({.src = dns1, .dst = fw}, 53, q.sport, {1, 2, 3})).value();
  CHECK_FALSE(t.r.on_response(runt, t.now));
  CHECK(t.r.count(resolver_event::malformed) == 2);
  CHECK(t.answer(q, {.addresses = {web1}}));
}

TEST_CASE("resolver: NXDOMAIN leaves the name unresolved (fail closed) and the retry asks the next server") {
  fixture t;
  t.r.set_wanted({"nx.example"});
  t.poll();
  auto q = t.take();
  CHECK_FALSE(t.answer(q, {.code = dns::rcode::name_error}));
  CHECK(t.r.count(resolver_event::name_errors) == 1);
  CHECK(t.addresses("nx.example").empty());
  t.now += 9s;
  t.poll();
  CHECK(t.out.empty());  // retry_after_failure is 10 s
  t.now += 1s;
  t.poll();
  CHECK(t.take().dst == dns2);
}

TEST_CASE("resolver: a refresh that fails keeps the name's last good addresses (counted, retried)") {
  fixture t;
  t.r.set_wanted({"web.example"});
  t.poll();
  t.answer(t.take(), {.addresses = {web1}, .ttl = 30});
  t.now += 30s;
  t.poll();
  CHECK_FALSE(t.answer(t.take(), {.code = dns::rcode::server_failure}));  // no new snapshot
  CHECK(t.addresses("web.example") == std::vector{web1});
  CHECK(t.r.count(resolver_event::server_failures) == 1);
  auto no_a = fixture{};
  no_a.r.set_wanted({"mail.example"});
  no_a.poll();
  CHECK_FALSE(no_a.answer(no_a.take(), {}));
  CHECK(no_a.r.count(resolver_event::no_address) == 1);
}

TEST_CASE("resolver: a query without an answer times out, and the name is asked again on the next server") {
  fixture t;
  t.r.set_wanted({"slow.example"});
  t.poll();
  auto first = t.take();
  CHECK(first.dst == dns1);
  t.now += 5s;  // query_timeout
  t.poll();
  CHECK(t.r.count(resolver_event::timeouts) == 1);
  CHECK(t.r.in_flight() == 0);
  CHECK(t.out.empty());
  t.now += 10s;
  t.poll();
  auto second = t.take();
  CHECK(second.dst == dns2);
  // A late answer to the first query is not taken.
  CHECK_FALSE(t.answer(first, {.addresses = {web1}}));
  CHECK(t.r.count(resolver_event::unexpected) == 1);
  CHECK(t.answer(second, {.addresses = {web1}}));
}

TEST_CASE("resolver: a truncated answer's addresses are used and the truncation counted") {
  fixture t;
  t.r.set_wanted({"web.example"});
  t.poll();
  CHECK(t.answer(t.take(), {.addresses = {web1}, .truncated = true}));
  CHECK(t.r.count(resolver_event::truncated) == 1);
  CHECK(t.addresses("web.example") == std::vector{web1});
}

TEST_CASE("resolver: names no longer wanted are forgotten with their answers and queries") {
  fixture t;
  t.r.set_wanted({"a.example", "b.example"});
  t.poll();
  REQUIRE(t.out.size() == 2);
  auto qa = read_query(t.out[0]);
  auto qb = read_query(t.out[1]);
  t.out.clear();
  t.answer(qa, {.addresses = {web1}});
  t.r.set_wanted({"c.example"});
  CHECK(t.r.snapshot()->empty());
  CHECK(t.r.in_flight() == 0);
  CHECK_FALSE(t.answer(qb, {.addresses = {web2}}));
  CHECK(t.r.count(resolver_event::unexpected) == 1);
}

TEST_CASE("resolver: without a DNS server nothing is sent, the names stay unresolved and it is counted") {
  fixture t{{}};
  t.r.set_wanted({"web.example"});
  t.poll();
  CHECK(t.out.empty());
  CHECK(t.r.count(resolver_event::not_sent) == 1);
  CHECK(t.r.snapshot()->empty());
}

TEST_CASE("resolver: query ids and source ports are drawn at random") {
  fixture t;
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) names.push_back("n" + std::to_string(i) + ".example");
  t.r.set_wanted(names);
  t.poll();
  REQUIRE(t.out.size() == 64);
  std::set<std::uint16_t> ids, used_ports;
  for (auto& p : t.out) {
    auto q = read_query(p);
    ids.insert(dns::header::parse(q.message)->id);
    used_ports.insert(q.sport);
  }
  CHECK(ids.size() >= 60);
  CHECK(used_ports.size() == ports.size());
}

TEST_CASE("firewall: datagrams to the resolver's ports go to the resolver and its ports are kept from the NAT") {
  firewall_config c;
  c.gateway = fw;
  c.uplink_address = fw;
  c.resolver_ports = ports;
  firewall f{c};
  for (auto port : ports) CHECK_FALSE(f.nat().is_port_free(nat::nat_protocol::udp, port));
  buffer_pool pool;
  std::vector<outgoing> out;
  auto p = make_packet(pool, udp_packet({.src = dns1, .dst = fw}, 53, ports[2], {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
               .value();
  f.from_uplink(std::span<const packet>{&p, 1}, rules::clock_time{1s}, pool, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == egress::resolver);
  // Another port of the firewall's address is the NAT's (nothing mapped there: dropped).
  out.clear();
  auto q = make_packet(pool, udp_packet({.src = dns1, .dst = fw}, 53, 40100, {1, 2})).value();
  f.from_uplink(std::span<const packet>{&q, 1}, rules::clock_time{1s}, pool, out);
  CHECK(out.empty());
  CHECK(f.totals().dropped(drop_reason::nat) == 1);
}

TEST_CASE("firewall: dsthost rules match the resolver's snapshot, and a new snapshot leaves open flows alone") {
  firewall_config c;
  c.gateway = fw;
  c.uplink_address = fw;
  firewall f{c};
  const auto client = ipv4_address::from_octets(10, 137, 0, 10);
  f.add_client(client);
  f.set_rules(client, std::make_shared<const rules::ruleset>(rules::compile_ruleset(
                          "drop", {{"0000", "action=accept dsthost=web.example proto=tcp"}})));
  buffer_pool pool;
  std::vector<outgoing> out;
  auto syn = [&](ipv4_address dst, std::uint16_t sport) {
    auto p = make_packet(pool, tcp_packet({.src = client, .dst = dst}, sport, 443, tcp_flag::syn, {})).value();
    f.from_client(client, std::span<const packet>{&p, 1}, rules::clock_time{1s}, pool, out);
  };
  syn(web1, 40000);
  CHECK(f.totals().dropped(drop_reason::dsthost_unresolved) == 1);
  f.set_host_addresses(std::make_shared<const rules::host_addresses>(rules::host_addresses{{"web.example", {web1}}}));
  out.clear();
  syn(web1, 40001);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == egress::uplink);
  // The name now answers another address (a CDN): the open flow stays, new ones follow the answer.
  f.set_host_addresses(std::make_shared<const rules::host_addresses>(rules::host_addresses{{"web.example", {web2}}}));
  CHECK(f.nat().session_count() == 1);
  out.clear();
  syn(web2, 40002);
  CHECK(out.size() == 1);
  CHECK(out[0].to == egress::uplink);
}
