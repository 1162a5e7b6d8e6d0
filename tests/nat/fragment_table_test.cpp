// tests/nat/fragment_table_test.cpp — the fragment table's index against keys chosen to collide:
// inbound fragments' keys (source, IP id) are anyone's on the Internet.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "nat/fragment_table.hpp"

using namespace aw::nat;
using aw::proto::ipv4_address;

namespace {

constexpr std::size_t max_flows = 1024;                  // an index of 2048 slots
constexpr std::uint32_t home_mask = 2 * max_flows - 1;  // its home slot bits
constexpr std::size_t attack_keys = 128;
constexpr std::uint64_t salt_a = 0x243f'6a88'85a3'08d3ULL, salt_b = 0x1319'8a2e'0370'7345ULL;  // fixed: deterministic

// Inbound UDP fragments from a few sources to the external address, every IP id, keeping the
// first attack_keys whose slot_of(hash) lands in the same home slot as the first one's.
template <class SlotOf>
std::vector<fragment_key> colliding_keys(SlotOf slot_of) {
  std::vector<fragment_key> out;
  std::uint32_t home = 0;
  for (std::uint8_t src = 1; out.size() < attack_keys; ++src) {
    for (std::uint32_t id = 0; id < 65536 && out.size() < attack_keys; ++id) {
      const fragment_key k{.dir = direction::inbound, .protocol = 17, .id = static_cast<std::uint16_t>(id),
                           .src = ipv4_address::from_octets(198, 51, 100, src),
                           .dst = ipv4_address::from_octets(203, 0, 113, 1)};
      const std::uint32_t slot = slot_of(hash(k)) & home_mask;
      if (out.empty()) home = slot;
      if (slot == home) out.push_back(k);
    }
  }
  return out;
}

// A table holding every key; CHECKs that each is found.
fragment_table table_of(const std::vector<fragment_key>& keys, std::uint64_t salt) {
  fragment_table t{max_flows, 0, std::chrono::seconds{30}, salt};
  for (const auto& k : keys) t.learn(k, fragment_action{}, {});
  for (const auto& k : keys) CHECK(t.find(k, {}) != nullptr);
  return t;
}

}  // namespace

TEST_CASE("fragment table: inbound fragments chosen to share the unsalted hash's home slot do not share a probe run") {
  const auto keys = colliding_keys([](std::uint32_t h) { return h; });
  const fragment_table t = table_of(keys, salt_a);
  CHECK(t.flows() == attack_keys);
  CHECK(t.longest_probe() < 16);  // unsalted, one run of attack_keys
}

TEST_CASE("fragment table: keys that collide under one salt spread under another") {
  const auto keys = colliding_keys([](std::uint32_t h) { return salted_hash(h, salt_a); });
  CHECK(table_of(keys, salt_a).longest_probe() >= attack_keys);  // the control: a known salt is aimed at
  CHECK(table_of(keys, salt_b).longest_probe() < 16);
}
