// tests/support/dns_answer.hpp — what a DNS server would answer to a query (A records with a
// TTL, an rcode, the question echoed, the answer names compressed), for tests of the resolver.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/dns.hpp"
#include "support/bytes.hpp"

namespace aw::test {

struct dns_answer_spec {
  proto::dns::rcode code = proto::dns::rcode::no_error;
  std::vector<proto::ipv4_address> addresses;
  std::uint32_t ttl = 300;
  bool truncated = false;
};

// The answer to `query` (a message as the client sent it: header + one question).
inline byte_vector dns_answer(proto::bytes query, const dns_answer_spec& a) {
  byte_vector m(query.begin(), query.end());
  auto h = proto::dns::header::parse(m).value();
  h.qr = true;
  h.ra = true;
  h.tc = a.truncated;
  h.rcode = static_cast<std::uint8_t>(a.code);
  h.ancount = static_cast<std::uint16_t>(a.addresses.size());
  h.emit(m);
  for (auto addr : a.addresses) {
    const std::uint8_t rr[] = {0xc0, 0x0c,  // the question's name
                               0, 1, 0, 1,  // A, IN
                               static_cast<std::uint8_t>(a.ttl >> 24), static_cast<std::uint8_t>(a.ttl >> 16),
                               static_cast<std::uint8_t>(a.ttl >> 8), static_cast<std::uint8_t>(a.ttl), 0, 4,
                               static_cast<std::uint8_t>(addr.value >> 24), static_cast<std::uint8_t>(addr.value >> 16),
                               static_cast<std::uint8_t>(addr.value >> 8), static_cast<std::uint8_t>(addr.value)};
    m.insert(m.end(), std::begin(rr), std::end(rr));
  }
  return m;
}

}  // namespace aw::test
