// Internet checksum: RFC 1071 sums, pseudo-headers, RFC 1624 incremental updates.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "protocol/checksum.hpp"

using namespace aw::proto;

namespace {
// Word-at-a-time reference implementation, straight from RFC 1071 section 4.1.
std::uint16_t reference_sum(bytes data) {
  std::uint32_t s = 0;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) s += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
  if (i < data.size()) s += static_cast<std::uint32_t>(data[i] << 8);
  while (s >> 16) s = (s & 0xffffu) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}
}  // namespace

TEST_CASE("RFC 1071 4.1: the example words sum to 0xddf2") {
  const std::uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(checksum::sum(data) == 0xddf2);
  CHECK(checksum::internet(data) == 0x220d);
}

TEST_CASE("checksum: an odd trailing byte is padded with zero on the right") {
  const std::uint8_t data[] = {0x12, 0x34, 0x56};
  CHECK(checksum::sum(data) == 0x1234 + 0x5600);
}

TEST_CASE("checksum: the empty range sums to the initial value") {
  CHECK(checksum::sum(bytes{}, 0x1234) == 0x1234);
}

TEST_CASE("checksum: the fast loop equals the RFC 1071 reference on random data of every length to 2 KiB") {
  std::mt19937 rng{7};
  std::vector<std::uint8_t> data(2048);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t len = 0; len <= data.size(); ++len) {
    // Also from every alignment, since the loop loads 8 bytes at a time.
    std::size_t start = len % 8;
    if (start + len > data.size()) start = 0;
    bytes part{data.data() + start, len};
    REQUIRE(checksum::sum(part) == reference_sum(part));
  }
}

TEST_CASE("checksum: a range split at an odd offset sums the same as the whole") {
  std::mt19937 rng{11};
  std::vector<std::uint8_t> data(301);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    bytes all{data};
    std::uint16_t first = checksum::sum(all.first(cut));
    std::uint16_t both = checksum::sum(all.subspan(cut), first, (cut & 1u) != 0);
    REQUIRE(both == checksum::sum(all));
  }
}

TEST_CASE("checksum: data including its own checksum verifies") {
  // IPv4 header: 45 00 0073 0000 4000 40 11 [b861] c0a80001 c0a800c7
  std::uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(checksum::verifies(hdr));
  hdr[10] = 0;
  hdr[11] = 0;
  CHECK(checksum::internet(hdr) == 0xb861);
}

TEST_CASE("checksum: the IPv4 pseudo-header sums source, destination, protocol and length") {
  auto src = ipv4_address::from_octets(192, 168, 0, 1);
  auto dst = ipv4_address::from_octets(192, 168, 0, 199);
  const std::uint8_t pseudo[] = {192, 168, 0, 1, 192, 168, 0, 199, 0, 17, 0x00, 0x5f};
  CHECK(checksum::pseudo_header_v4(src, dst, 17, 0x5f) == checksum::sum(pseudo));
}

TEST_CASE("RFC 1624 section 4: HC 0xdd2f with m 0x5555 -> 0x3285 gives HC' 0x0000 (eqn. 3)") {
  CHECK(checksum::update(0xdd2f, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("RFC 1624: the incremental update equals full recomputation on random headers") {
  std::mt19937 rng{3};
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::uint8_t> data(2 * (1 + rng() % 40));
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    std::uint16_t hc = checksum::internet(data);
    std::size_t word = 2 * (rng() % (data.size() / 2));
    std::uint16_t old_w = load16(&data[word]);
    auto new_w = static_cast<std::uint16_t>(rng());
    store16(&data[word], new_w);
    REQUIRE(checksum::update(hc, old_w, new_w) == checksum::internet(data));
  }
}

TEST_CASE("RFC 1624: a 32-bit field update equals two word updates") {
  std::uint16_t hc = 0x1c46;
  std::uint16_t a = checksum::update32(hc, 0x0a890005, 0xc0000202);
  std::uint16_t b = checksum::update(checksum::update(hc, 0x0a89, 0xc000), 0x0005, 0x0202);
  CHECK(a == b);
}

TEST_CASE("RFC 768: a computed UDP checksum of zero is sent as 0xffff") {
  CHECK(checksum::udp_field(0x0000) == 0xffff);
  CHECK(checksum::udp_field(0x1234) == 0x1234);
}
