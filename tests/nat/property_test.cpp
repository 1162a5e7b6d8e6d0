// tests/nat/property_test.cpp — 100k random operations (fixed seed) on a small engine,
// checked against a model of the mappings seen: forward and reverse views agree, no
// external port is held twice, every expired or removed mapping's port is free again,
// nothing outlives its timer, the table never exceeds its bound.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <tuple>

#include "nat/nat_test_support.hpp"  // tests/nat/

using namespace aw::test::nat;
using aw::test::byte_vector;

namespace {

struct model_key {
  nat_protocol proto;
  std::uint32_t client;
  std::uint16_t port;
  friend bool operator<(const model_key& a, const model_key& b) {
    return std::tie(a.proto, a.client, a.port) < std::tie(b.proto, b.client, b.port);
  }
};

clock_time timeout_of(const nat_config& c, const session_info& s) {
  switch (s.proto) {
    case nat_protocol::udp: return c.timeouts.udp;
    case nat_protocol::icmp: return c.timeouts.icmp_query;
    case nat_protocol::tcp: return s.tcp_established ? c.timeouts.tcp_established : c.timeouts.tcp_transitory;
  }
  return {};
}

}  // namespace

TEST_CASE("property: 100k random operations keep every invariant") {
  nat_config c = test_config();
  c.max_sessions = 256;
  c.max_mappings = 192;
  c.max_mappings_per_client = 48;
  c.timeouts.tcp_established = std::chrono::minutes{30};
  c.seed = 2026;
  rig r{c};
  std::mt19937_64 rng{12345};
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  std::array<ipv4_address, 8> clients{};
  for (std::size_t i = 0; i < clients.size(); ++i) clients[i] = ip(10, 137, 0, static_cast<std::uint8_t>(10 + i));
  std::array<ipv4_address, 5> remotes{remote_1, remote_2, ip(8, 8, 8, 8), ip(1, 1, 1, 1), external};
  std::map<model_key, std::uint16_t> known;  // mappings seen, with their external port
  std::size_t translated = 0, refused = 0;
  std::array<std::uint8_t, 6> tcp_flag_set{tcp_flag::syn, tcp_flag::syn | tcp_flag::ack, tcp_flag::ack,
                                           tcp_flag::fin | tcp_flag::ack, tcp_flag::rst, tcp_flag::psh | tcp_flag::ack};

  auto build = [&](nat_protocol proto, ipv4_address src, std::uint16_t sport, ipv4_address dst,
                   std::uint16_t dport, bool request) -> byte_vector {
    switch (proto) {
      case nat_protocol::udp: return udp_bytes(src, sport, dst, dport, pick(3) * 7);
      case nat_protocol::tcp: return tcp_bytes(src, sport, dst, dport, tcp_flag_set[pick(tcp_flag_set.size())]);
      case nat_protocol::icmp:
        return request ? icmp_query_bytes(src, dst, icmp_type::echo_request, sport)
                       : icmp_query_bytes(src, dst, icmp_type::echo_reply, dport);
    }
    return {};
  };

  auto reconcile = [&] {
    for (auto it = known.begin(); it != known.end();) {
      auto ext = r.engine.external_port(it->first.proto, {it->first.client}, it->first.port);
      if (!ext) {
        // Gone: its port is free, or already some other mapping's.
        auto owner = r.engine.mapping_of_external(it->first.proto, it->second);
        bool ok = r.engine.is_port_free(it->first.proto, it->second) ||
                  (owner && !(owner->client.value == it->first.client && owner->port == it->first.port));
        REQUIRE_MESSAGE(ok, "a removed mapping's port is neither free nor reused");
        it = known.erase(it);
        continue;
      }
      REQUIRE(*ext == it->second);
      auto back = r.engine.mapping_of_external(it->first.proto, *ext);
      REQUIRE(back);
      REQUIRE(back->client.value == it->first.client);
      REQUIRE(back->port == it->first.port);
      ++it;
    }
  };

  for (int op = 0; op < 100000; ++op) {
    const auto proto = static_cast<nat_protocol>(pick(3));
    const ipv4_address client = clients[pick(clients.size())];
    const auto cport = static_cast<std::uint16_t>(pick(4) == 0 ? 1 + pick(1023) : 30000 + pick(60));
    const ipv4_address remote = remotes[pick(remotes.size())];
    const auto rport = static_cast<std::uint16_t>(1 + pick(4));
    switch (pick(16)) {
      case 0: case 1: case 2: case 3: case 4: {  // a client sends (new flow allowed)
        const model_key mk{proto, client.value, cport};
        // Was the mapping alive (some unexpired session) before this packet?
        std::optional<std::uint16_t> alive_port;
        for (const auto& s : r.engine.sessions())
          if (s.proto == proto && s.client == client && s.client_port == cport && s.last_refresh + timeout_of(c, s) > r.now)
            alive_port = s.external_port;
        const auto evicted_before = r.engine.counters()[nat_event::sessions_evicted];
        auto t = r.out_new(build(proto, client, cport, remote, rport, true));
        if (t) {
          ++translated;
          seen s = look(t->pkt);
          REQUIRE(s.src == external);
          REQUIRE(s.ip_checksum_ok);
          REQUIRE(s.l4_checksum_ok);
          auto ext = r.engine.external_port(proto, client, cport);
          REQUIRE(ext);
          REQUIRE(s.sport == *ext);
          // Endpoint-independent: a live mapping keeps its port (unless the bound evicted it).
          if (alive_port && r.engine.counters()[nat_event::sessions_evicted] == evicted_before)
            REQUIRE(*ext == *alive_port);
          known[mk] = *ext;
        } else {
          ++refused;
        }
        break;
      }
      case 5: case 6: {  // a client sends on existing flows only
        auto t = r.out(build(proto, client, cport, remote, rport, true));
        if (t) REQUIRE(look(t->pkt).src == external);
        break;
      }
      case 7: case 8: case 9: {  // the uplink sends to a mapped (or random) external port
        std::uint16_t ext = static_cast<std::uint16_t>(pick(65536));
        if (!known.empty() && pick(4) != 0) {
          auto it = known.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(std::min<std::size_t>(known.size(), 32))));
          ext = it->second;
          auto t = r.in(build(it->first.proto, remote, rport, external, ext, false));
          if (t) {
            ++translated;
            seen s = look(t->pkt);
            // Delivered to the owner the reverse view names, whose forward view names the port.
            auto owner = r.engine.mapping_of_external(it->first.proto, ext);
            REQUIRE(owner);
            REQUIRE(t->client == owner->client);
            REQUIRE(s.dst == owner->client);
            REQUIRE(s.dport == owner->port);
            REQUIRE(r.engine.external_port(owner->proto, owner->client, owner->port) == std::optional<std::uint16_t>{ext});
            REQUIRE(s.ip_checksum_ok);
            REQUIRE(s.l4_checksum_ok);
          }
        } else {
          (void)r.in(build(proto, remote, rport, external, ext, false));
        }
        break;
      }
      case 10: {  // an ICMP error about something recently sent
        auto sent = r.out(build(proto, client, cport, remote, rport, true));
        if (sent && sent->to == destination::uplink) {
          auto t = r.in(icmp_error_bytes(remote, external, icmp_type::dest_unreachable, 3, contents(sent->pkt),
                                         28 + pick(2) * 20));
          REQUIRE(t);
          REQUIRE(t->client == client);
          seen s = look(t->pkt);
          REQUIRE(s.ip_checksum_ok);
          REQUIRE(s.l4_checksum_ok);
        }
        break;
      }
      case 11: case 12: {  // time passes
        r.now += std::chrono::milliseconds{pick(4000)};
        if (pick(2) == 0) {
          r.engine.expire(r.now);
          for (const auto& s : r.engine.sessions()) REQUIRE(s.last_refresh + timeout_of(c, s) > r.now);
          reconcile();
        }
        break;
      }
      case 13: {
        if (pick(8) == 0) {
          r.engine.remove_client(client);
          REQUIRE(r.engine.mapping_count(client) == 0);
          reconcile();
        }
        break;
      }
      case 14: {
        if (pick(8) == 0) {
          const ipv4_address banned = remotes[pick(remotes.size())];
          r.engine.retain_sessions([&](const session_info& s) { return s.remote != banned; });
          for (const auto& s : r.engine.sessions()) REQUIRE(s.remote != banned);
          reconcile();
        }
        break;
      }
      default: {  // garbage
        byte_vector junk = build(proto, client, cport, remote, rport, true);
        junk[pick(junk.size())] ^= static_cast<std::uint8_t>(1 + pick(255));
        if (auto t = r.out_new(junk); t && t->to == destination::uplink) {
          // A flipped byte that leaves a packet (the TTL, the payload) is a packet like any
          // other: the mapping it created or renewed is the model's too.
          const auto b = contents(t->pkt);
          const auto proto_of = b[9] == 6 ? nat_protocol::tcp : b[9] == 17 ? nat_protocol::udp : nat_protocol::icmp;
          const std::size_t l4 = std::size_t{b[0] & 0x0fu} * 4;
          const std::size_t at = l4 + (proto_of == nat_protocol::icmp ? 4 : 0);  // a query's id, or the source port
          if (b.size() >= at + 2) {
            const auto ext = static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
            if (auto owner = r.engine.mapping_of_external(proto_of, ext)) known[{proto_of, owner->client.value, owner->port}] = ext;
          }
        }
        (void)r.in(junk);
        break;
      }
    }
    REQUIRE(r.engine.session_count() <= c.max_sessions);
    REQUIRE(r.engine.mapping_count() <= c.max_mappings);
    if (op % 1000 == 0) {
      const char* why = r.engine.audit();
      REQUIRE_MESSAGE(why == nullptr, (why ? why : ""));
      reconcile();
    }
  }
  const char* why = r.engine.audit();
  REQUIRE_MESSAGE(why == nullptr, (why ? why : ""));
  reconcile();
  // The run exercised both outcomes and the bound.
  CHECK(translated > 10000);
  CHECK(refused > 100);
  CHECK(r.engine.counters()[nat_event::sessions_evicted] > 0);
  CHECK(r.engine.counters()[nat_event::sessions_expired] > 0);
  MESSAGE("translated " << translated << ", refused " << refused << ", evicted "
                        << r.engine.counters()[nat_event::sessions_evicted] << ", table_full "
                        << r.engine.counters()[nat_drop::table_full] << ", client_cap "
                        << r.engine.counters()[nat_drop::client_cap] << ", expired "
                        << r.engine.counters()[nat_event::sessions_expired]);
}
