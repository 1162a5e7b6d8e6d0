// The ARP responder: answers for everyone but the client itself, always with the firewall's MAC.
#include <doctest/doctest.h>

#include "firewall/arp_responder.hpp"
#include "protocol/arp.hpp"
#include "protocol/ethernet.hpp"
#include "support/bytes.hpp"

using namespace aw::firewall;
using namespace aw::proto;
using aw::test::byte_vector;

namespace {
const mac_address client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};
const mac_address fw_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
const ipv4_address client_ip = ipv4_address::from_octets(10, 137, 0, 10);
const arp_identity id{client_ip, client_mac, fw_mac};

byte_vector arp_frame(arp_operation op, mac_address sha, ipv4_address spa, ipv4_address tpa) {
  byte_vector f(42);
  ethernet_repr{mac_address::broadcast(), sha, ethertype::arp, std::nullopt}.emit(f);
  arp_repr{op, sha, spa, mac_address{}, tpa}.emit(mutable_bytes{f}.subspan(14));
  return f;
}
}  // namespace

TEST_CASE("arp: a who-has for any other address is answered with the firewall's MAC") {
  buffer_pool pool;
  for (auto target : {ipv4_address::from_octets(10, 137, 0, 6), ipv4_address::from_octets(10, 137, 0, 11),
                      ipv4_address::from_octets(8, 8, 8, 8)}) {
    auto a = answer_arp(arp_frame(arp_operation::request, client_mac, client_ip, target), id, pool);
    REQUIRE(a.outcome == arp_outcome::replied);
    byte_vector f(a.reply->size());
    a.reply->copy_to(f);
    auto eth = ethernet_view::make(f);
    CHECK(eth->dst() == client_mac);
    CHECK(eth->src() == fw_mac);
    auto r = arp_repr::parse(*arp_view::make(eth->payload()));
    CHECK(r.operation == arp_operation::reply);
    CHECK(r.sender_mac == fw_mac);  // never another client's identity
    CHECK(r.sender_ip == target);
    CHECK(r.target_mac == client_mac);
    CHECK(r.target_ip == client_ip);
  }
}

TEST_CASE("arp: a who-has for the client's own address is not answered") {
  buffer_pool pool;
  CHECK(answer_arp(arp_frame(arp_operation::request, client_mac, ipv4_address{}, client_ip), id, pool).outcome ==
        arp_outcome::ignored_own_address);
}

TEST_CASE("arp: gratuitous ARP is ignored") {
  buffer_pool pool;
  CHECK(answer_arp(arp_frame(arp_operation::request, client_mac, client_ip, client_ip), id, pool).outcome ==
        arp_outcome::ignored_gratuitous);
}

TEST_CASE("arp: replies and unknown operations are ignored") {
  buffer_pool pool;
  auto target = ipv4_address::from_octets(10, 137, 0, 6);
  CHECK(answer_arp(arp_frame(arp_operation::reply, client_mac, client_ip, target), id, pool).outcome ==
        arp_outcome::ignored_not_request);
  CHECK(answer_arp(arp_frame(arp_operation{9}, client_mac, client_ip, target), id, pool).outcome ==
        arp_outcome::ignored_not_request);
}

TEST_CASE("arp: a request claiming another sender address or MAC is ignored as spoofed") {
  buffer_pool pool;
  auto target = ipv4_address::from_octets(10, 137, 0, 6);
  CHECK(answer_arp(arp_frame(arp_operation::request, client_mac, ipv4_address::from_octets(10, 137, 0, 11), target),
                   id, pool)
            .outcome == arp_outcome::ignored_spoofed);
  mac_address other{{0x02, 0, 0, 0, 0, 1}};
  CHECK(answer_arp(arp_frame(arp_operation::request, other, client_ip, target), id, pool).outcome ==
        arp_outcome::ignored_spoofed);
}

TEST_CASE("arp: malformed frames are refused") {
  buffer_pool pool;
  auto f = arp_frame(arp_operation::request, client_mac, client_ip, ipv4_address::from_octets(10, 137, 0, 6));
  CHECK(answer_arp(bytes{f}.first(30), id, pool).outcome == arp_outcome::malformed);
  f[14 + 1] = 0xdd;  // protocol type not IPv4
  CHECK(answer_arp(f, id, pool).outcome == arp_outcome::malformed);
}
