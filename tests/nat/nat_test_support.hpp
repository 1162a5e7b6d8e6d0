// tests/nat/nat_test_support.hpp — packet builders (through the protocol reprs) and checks
// (full checksum recomputation, field reads) shared by the NAT tests.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nat/nat_engine.hpp"
#include "protocol/buffer.hpp"
#include "protocol/checksum.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/icmpv4.hpp"
#include "protocol/ipv4.hpp"
#include "protocol/packet.hpp"
#include "protocol/tcp.hpp"
#include "protocol/udp.hpp"
#include "support/bytes.hpp"

namespace aw::test::nat {

using namespace aw::proto;
using namespace aw::nat;
using namespace std::chrono_literals;

inline constexpr ipv4_address ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return ipv4_address::from_octets(a, b, c, d);
}
inline constexpr ipv4_address external = ip(192, 168, 1, 2);
inline constexpr ipv4_address client_a = ip(10, 137, 0, 5);
inline constexpr ipv4_address client_b = ip(10, 137, 0, 6);
inline constexpr ipv4_address remote_1 = ip(198, 51, 100, 1);
inline constexpr ipv4_address remote_2 = ip(203, 0, 113, 7);

inline nat_config test_config() {
  nat_config c;
  c.external_address = external;
  c.seed = 42;
  return c;
}

struct ip_options {
  std::uint16_t id = 0x1234;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;
  std::uint8_t ttl = 64;
};

inline byte_vector ipv4_wrap(ipv4_address src, ipv4_address dst, ip_protocol p, const byte_vector& l4,
                             ip_options o = {}) {
  ipv4_repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = p;
  r.payload_length = static_cast<std::uint16_t>(l4.size());
  r.identification = o.id;
  r.more_fragments = o.more_fragments;
  r.fragment_offset = o.fragment_offset;
  r.ttl = o.ttl;
  byte_vector out(r.header_length() + l4.size());
  std::copy(l4.begin(), l4.end(), out.begin() + static_cast<std::ptrdiff_t>(r.header_length()));
  r.emit(out);
  return out;
}

inline byte_vector payload(std::size_t n, std::uint8_t seed = 1) {
  byte_vector p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(seed + i * 13);
  return p;
}

inline byte_vector udp_bytes(ipv4_address src, std::uint16_t sport, ipv4_address dst, std::uint16_t dport,
                             std::size_t len = 16, ip_options o = {}) {
  byte_vector l4(udp_view::header_len + len);
  auto pl = payload(len);
  std::copy(pl.begin(), pl.end(), l4.begin() + udp_view::header_len);
  udp_repr{sport, dport}.emit(l4, src, dst);
  return ipv4_wrap(src, dst, ip_protocol::udp, l4, o);
}

inline byte_vector tcp_bytes(ipv4_address src, std::uint16_t sport, ipv4_address dst, std::uint16_t dport,
                             std::uint8_t flags, std::size_t len = 0) {
  tcp_repr t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = 1000;
  t.ack = (flags & tcp_flag::ack) != 0 ? 2000 : 0;
  t.flags = flags;
  t.window = 65535;
  byte_vector l4(t.header_length() + len);
  auto pl = payload(len);
  std::copy(pl.begin(), pl.end(), l4.begin() + static_cast<std::ptrdiff_t>(t.header_length()));
  t.emit(l4, src, dst);
  return ipv4_wrap(src, dst, ip_protocol::tcp, l4);
}

inline byte_vector icmp_query_bytes(ipv4_address src, ipv4_address dst, icmp_type type, std::uint16_t id,
                                    std::uint16_t seq = 1) {
  auto data = payload(type == icmp_type::timestamp || type == icmp_type::timestamp_reply ? 12 : 24);
  auto r = icmpv4_repr::echo(type, id, seq, data);
  byte_vector l4(r.length());
  r.emit(l4);
  return ipv4_wrap(src, dst, ip_protocol::icmp, l4);
}

// An ICMP error from src to dst quoting the first `quote` bytes of `offending`
// (all of it when quote is 0).
inline byte_vector icmp_error_bytes(ipv4_address src, ipv4_address dst, icmp_type type, std::uint8_t code,
                                    const byte_vector& offending, std::size_t quote = 0) {
  std::size_t n = quote == 0 ? offending.size() : std::min(quote, offending.size());
  byte_vector quoted(offending.begin(), offending.begin() + static_cast<std::ptrdiff_t>(n));
  icmpv4_repr r{type, code, 0, quoted};
  byte_vector l4(r.length());
  r.emit(l4);
  return ipv4_wrap(src, dst, ip_protocol::icmp, l4);
}

// Splits an IPv4 datagram (no options) after `first_len` payload bytes (a
// multiple of 8) into a first fragment and the rest.
inline std::pair<byte_vector, byte_vector> split(const byte_vector& whole, std::size_t first_len) {
  auto v = *ipv4_view::make(whole);
  ipv4_repr r = ipv4_repr::parse(v);
  bytes pl = v.payload();
  ipv4_repr a = r, b = r;
  a.more_fragments = true;
  a.payload_length = static_cast<std::uint16_t>(first_len);
  b.fragment_offset = static_cast<std::uint16_t>(first_len);
  b.payload_length = static_cast<std::uint16_t>(pl.size() - first_len);
  byte_vector fa(20 + first_len), fb(20 + pl.size() - first_len);
  std::copy(pl.begin(), pl.begin() + static_cast<std::ptrdiff_t>(first_len), fa.begin() + 20);
  std::copy(pl.begin() + static_cast<std::ptrdiff_t>(first_len), pl.end(), fb.begin() + 20);
  a.emit(fa);
  b.emit(fb);
  return {fa, fb};
}

// The datagram as a router forwarded it: TTL set, header checksum recomputed.
inline byte_vector with_ttl(byte_vector b, std::uint8_t ttl) {
  b[ipv4_field::ttl] = ttl;
  store16(b.data() + ipv4_field::checksum, 0);
  store16(b.data() + ipv4_field::checksum, checksum::internet(bytes{b}.first(std::size_t{b[0] & 0x0fu} * 4)));
  return b;
}

inline packet make(buffer_pool& pool, const byte_vector& b) { return *make_packet(pool, b); }

inline byte_vector contents(const packet& p) {
  byte_vector out(p.size());
  p.copy_to(out);
  return out;
}

// What a translated packet says, every checksum recomputed from scratch.
struct seen {
  ipv4_address src, dst;
  std::uint16_t sport = 0, dport = 0;  // ICMP query: id in both
  bool ip_checksum_ok = false;
  bool l4_checksum_ok = false;
};

inline seen look(const packet& p) {
  auto b = contents(p);
  seen s;
  auto v = ipv4_view::make(b, ipv4_view::length_check::exact, ipv4_view::checksum_check::skip);
  REQUIRE(v);
  s.src = v->src();
  s.dst = v->dst();
  s.ip_checksum_ok = v->verify_checksum();
  if (!v->is_first_fragment_or_whole()) return s;
  bytes l4 = v->payload();
  if (v->is_fragment()) {  // a first fragment: the ports, no checksum to verify
    REQUIRE(l4.size() >= 8);
    s.sport = load16(l4.data());
    s.dport = load16(l4.data() + 2);
    return s;
  }
  switch (v->protocol()) {
    case ip_protocol::udp: {
      auto u = udp_view::make(l4);
      REQUIRE(u);
      s.sport = u->src_port();
      s.dport = u->dst_port();
      s.l4_checksum_ok = (u->checksum() != 0 && u->verify_checksum(s.src, s.dst));
      break;
    }
    case ip_protocol::tcp: {
      auto t = tcp_view::make(l4);
      REQUIRE(t);
      s.sport = t->src_port();
      s.dport = t->dst_port();
      s.l4_checksum_ok = t->verify_checksum(s.src, s.dst);
      break;
    }
    case ip_protocol::icmp: {
      auto i = icmpv4_view::make(l4);
      REQUIRE(i);
      if (is_query(i->type())) s.sport = s.dport = i->query_id();
      s.l4_checksum_ok = i->verify_checksum();
      break;
    }
    default: break;
  }
  return s;
}

// The engine's invariants, as a doctest check.
#define AW_CHECK_AUDIT(engine)                                   \
  do {                                                           \
    const char* why_ = (engine).audit();                         \
    CHECK_MESSAGE(why_ == nullptr, (why_ ? why_ : ""));          \
  } while (false)

}  // namespace aw::test::nat

namespace aw::test::nat {

// An engine, a pool and a clock; every call checks that the input is unchanged.
struct rig {
  explicit rig(nat_config c = test_config()) : engine(c) {}
  nat_engine engine;
  buffer_pool pool;
  clock_time now{std::chrono::hours{1000}};

  template <class Call>
  nat_result feed(const byte_vector& b, Call call) {
    packet p = make(pool, b);
    nat_result r = call(p);
    CHECK(contents(p) == b);  // the input packet is never mutated
    return r;
  }
  nat_result out(const byte_vector& b) {
    return feed(b, [&](const packet& p) { return engine.outbound(p, now, pool); });
  }
  nat_result out_new(const byte_vector& b) {
    return feed(b, [&](const packet& p) { return engine.outbound_new(p, now, pool); });
  }
  nat_result in(const byte_vector& b) {
    return feed(b, [&](const packet& p) { return engine.inbound(p, now, pool); });
  }
  // The external port of a new UDP flow, which must translate.
  std::uint16_t udp_out(ipv4_address c, std::uint16_t sport, ipv4_address r, std::uint16_t dport) {
    auto t = out_new(udp_bytes(c, sport, r, dport));
    REQUIRE(t);
    return look(t->pkt).sport;
  }
};

}  // namespace aw::test::nat
