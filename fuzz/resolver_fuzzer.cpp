// fuzz/resolver_fuzzer.cpp — the dsthost resolver fed arbitrary datagrams while queries are
// pending: each input is a script of steps; a step either answers one of the queries the
// resolver sent (the fuzzer's bytes as the DNS message, with the query's id, from the
// server asked, to the port asked: the deep path), hands its bytes over as a raw packet (the
// resolver's own checks of what the firewall passes it), or lets time pass and polls.
// Invariants: queries from reserved ports to configured servers, bounded in-flight queries,
// snapshots only of wanted names.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "firewall/dns_resolver.hpp"
#include "protocol/build.hpp"
#include "protocol/dissect.hpp"

namespace {
using namespace aw;
using proto::ipv4_address;

void require(bool ok) {
  if (!ok) std::abort();
}

const ipv4_address self = ipv4_address::from_octets(10, 137, 0, 6);
const ipv4_address servers[] = {ipv4_address::from_octets(10, 139, 1, 1), ipv4_address::from_octets(10, 139, 1, 2)};
const std::vector<std::string> wanted = {"a.example", "b.example", "c.example"};

struct sent_query {
  ipv4_address server;
  std::uint16_t port = 0, id = 0;
};

// Checks what poll() sent and remembers it.
void take_queries(const std::vector<proto::packet>& out, std::vector<sent_query>& sent,
                  const firewall::dns_resolver& r) {
  for (const auto& p : out) {
    std::vector<std::uint8_t> b(p.size());
    p.copy_to(b);
    auto d = proto::dissect_ip(b);
    require(d.ipv4 && d.udp && d.ipv4->src == self && d.udp->dst_port == 53);
    require(std::find(std::begin(servers), std::end(servers), d.ipv4->dst) != std::end(servers));
    require(r.is_query_port(d.udp->src_port));
    auto payload = proto::build::l4_payload(b);
    require(payload.size() >= 12);
    sent.push_back({d.ipv4->dst, d.udp->src_port, static_cast<std::uint16_t>(payload[0] << 8 | payload[1])});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firewall::dns_resolver r{{.source = self,
                            .servers = {servers[0], servers[1]},
                            .ports = {40001, 40002, 40003, 40004},
                            .seed = 1}};
  r.set_wanted(wanted);
  proto::buffer_pool pool;
  std::vector<proto::packet> out;
  std::vector<sent_query> sent;
  rules::clock_time now{std::chrono::seconds{1}};
  r.poll(now, pool, out);
  take_queries(out, sent, r);

  std::span<const std::uint8_t> in{data, size};
  while (in.size() >= 2) {
    const std::uint8_t op = in[0];
    const std::size_t len = std::min<std::size_t>(in[1], in.size() - 2);
    auto chunk = in.subspan(2, len);
    in = in.subspan(2 + len);
    switch (op % 3) {
      case 0: {  // an answer to a query sent: the chunk as the DNS message, its id set
        if (sent.empty()) break;
        const auto& q = sent[op / 3 % sent.size()];
        std::vector<std::uint8_t> msg(chunk.begin(), chunk.end());
        if (msg.size() >= 2) {
          msg[0] = static_cast<std::uint8_t>(q.id >> 8);
          msg[1] = static_cast<std::uint8_t>(q.id);
        }
        auto ip = proto::build::udp({.src = q.server, .dst = self}, 53, q.port, msg);
        auto p = proto::make_packet(pool, ip);
        if (p) r.on_response(*p, now);
        break;
      }
      case 1: {  // a raw packet
        auto p = proto::make_packet(pool, chunk);
        if (p) r.on_response(*p, now);
        break;
      }
      default: {  // time passes (0-255 s), what is due goes out
        now += std::chrono::seconds{len == 0 ? 0 : chunk[0]};
        out.clear();
        r.poll(now, pool, out);
        take_queries(out, sent, r);
        if (sent.size() > 64) sent.erase(sent.begin(), sent.end() - 64);
      }
    }
    require(r.in_flight() <= wanted.size());
    auto snap = r.snapshot();
    require(snap != nullptr);
    for (const auto& [name, addresses] : *snap)
      require(std::find(wanted.begin(), wanted.end(), name) != wanted.end() && addresses.size() <= 256);
  }
  return 0;
}
