// bench/firewall_bench.cpp — the forwarding decision: rule evaluation for new flows, and
// the per-packet cost for established flows (flow table hit + NAT rewrite).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "firewall/firewall.hpp"
#include "protocol/packet.hpp"
#include "rules/match.hpp"
#include "rules/ruleset.hpp"
#include "support/packets.hpp"

namespace {
using namespace aw;
using proto::ipv4_address;

// 100 rules, none matching the benchmark's flow until the last one.
rules::ruleset hundred_rules() {
  std::vector<std::pair<std::string, std::string>> lines;
  for (int i = 0; i < 99; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "%04d", i);
    lines.emplace_back(key, "action=accept dst4=198.18." + std::to_string(i) + ".0/24 proto=tcp dstports=" +
                                std::to_string(1000 + i) + "-" + std::to_string(1000 + i));
  }
  lines.emplace_back("0099", "action=accept proto=tcp dstports=443-443");
  return rules::compile_ruleset("drop", lines);
}

void BM_rules_new_flow_100_rules(benchmark::State& state) {
  auto set = hundred_rules();
  const ipv4_address dns[] = {ipv4_address::from_octets(10, 139, 1, 1)};
  rules::match_context ctx{dns, {}};
  rules::flow_query q{ipv4_address::from_octets(192, 0, 2, 80), proto::ip_protocol::tcp, std::uint16_t{443},
                      std::nullopt};
  for (auto _ : state) {
    auto m = rules::match(set, q, ctx);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rules_new_flow_100_rules);

// Batches of 32 packets of one established UDP flow from a client.
void BM_decision_established_flow(benchmark::State& state) {
  const ipv4_address fw = ipv4_address::from_octets(10, 137, 0, 6);
  const ipv4_address client = ipv4_address::from_octets(10, 137, 0, 10);
  firewall::firewall_config cfg;
  cfg.gateway = fw;
  cfg.uplink_address = fw;
  firewall::firewall f{cfg};
  f.add_client(client);
  f.set_rules(client, std::make_shared<const rules::ruleset>(rules::compile_ruleset("accept", {})));
  proto::buffer_pool pool;
  auto bytes = test::udp_packet({.src = client, .dst = ipv4_address::from_octets(192, 0, 2, 80)}, 40000, 443,
                                test::payload_of(static_cast<std::size_t>(state.range(0))));
  std::vector<proto::packet> batch(32, *proto::make_packet(pool, bytes, {.l4_checksum = proto::checksum_state::verified}));
  std::vector<firewall::outgoing> out;
  out.reserve(64);
  nat::clock_time now{1'000'000'000};
  f.from_client(client, batch, now, pool, out);  // creates the flow
  for (auto _ : state) {
    out.clear();
    f.from_client(client, batch, now, pool, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_decision_established_flow)->Arg(18)->Arg(1472);

}  // namespace
