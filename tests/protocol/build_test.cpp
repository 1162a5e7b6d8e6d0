// protocol/build: packets built from the reprs are well-formed (lengths, checksums), and
// l4_payload finds the data behind each L4 header without reading past the packet.
#include <doctest/doctest.h>

#include "protocol/build.hpp"
#include "protocol/checksum_policy.hpp"
#include "protocol/dissect.hpp"
#include "protocol/packet.hpp"
#include "protocol/tcp.hpp"

using namespace aw;
using namespace aw::proto;

namespace {

bool l4_checksum_valid(const build::byte_vector& ip) {
  buffer_pool pool;
  auto p = make_packet(pool, ip);
  return p && check_l4_checksum(*p, {.trust_data_validated = false, .accept_partial = false}) == checksum_verdict::valid;
}

const ip_params params{.src = ipv4_address::from_octets(10, 0, 0, 1), .dst = ipv4_address::from_octets(10, 0, 0, 2),
                       .ttl = 9};

}  // namespace

TEST_CASE("build: UDP, TCP and ICMP packets carry valid header and L4 checksums and the given fields") {
  const build::byte_vector data{1, 2, 3, 4, 5};
  for (const auto& ip : {build::udp(params, 1000, 2000, data),
                         build::tcp(params, {.sport = 1000, .dport = 2000, .seq = 5, .ack = 6, .flags = tcp_flag::ack}, data),
                         build::icmp_echo(params, icmp_type::echo_request, 1, 2, data)}) {
    CHECK(ipv4_view::make(ip));
    CHECK(l4_checksum_valid(ip));
    auto d = dissect_ip(ip);
    REQUIRE(d.ipv4);
    CHECK(d.ipv4->ttl == 9);
    CHECK(d.ipv4->src == params.src);
    auto payload = build::l4_payload(ip);
    CHECK(build::byte_vector(payload.begin(), payload.end()) == data);
  }
}

TEST_CASE("build: an ICMP error quotes the offending header and its first 8 data bytes, no more") {
  const auto offending = build::udp(params, 1, 2, build::byte_vector(100, 7));
  const auto err = build::icmp_error({.src = params.dst, .dst = params.src}, icmp_type::dest_unreachable, 3, offending);
  auto d = dissect_ip(err);
  REQUIRE(d.icmp);
  CHECK(d.icmp->data.size() == 28);
  CHECK(build::byte_vector(d.icmp->data.begin(), d.icmp->data.end()) ==
        build::byte_vector(offending.begin(), offending.begin() + 28));
  // A short offender (a bare header) is quoted whole.
  const auto tiny = build::ipv4_with(params, ip_protocol::udp, {});
  CHECK(build::icmp_error(params, icmp_type::time_exceeded, 0, tiny).size() == 20 + 8 + 20);
}

TEST_CASE("build: l4_payload is empty for non-IPv4, unknown protocols, truncated headers and a TCP data offset past the end") {
  CHECK(build::l4_payload({}).empty());
  build::byte_vector junk(40, 0xff);
  CHECK(build::l4_payload(junk).empty());
  auto tcp = build::tcp(params, {.sport = 1, .dport = 2, .flags = tcp_flag::syn});
  tcp[20 + 12] = 0xf0;  // data offset 60 bytes: beyond this 40-byte packet
  CHECK(build::l4_payload(tcp).empty());
  auto udp = build::udp(params, 1, 2, build::byte_vector{1, 2, 3});
  udp.resize(24);  // the UDP header cut short
  CHECK(build::l4_payload(udp).empty());
  auto other = build::ipv4_with(params, ip_protocol{47}, build::byte_vector(8, 0));  // GRE
  CHECK(build::l4_payload(other).empty());
}
