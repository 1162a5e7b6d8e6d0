// The immutable packet and its buffer pool.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/packet.hpp"
#include "support/bytes.hpp"

using namespace aw::proto;
using aw::test::byte_vector;

TEST_CASE("buffer pool: a frozen buffer is shared read-only and returns to the pool with its last reference") {
  buffer_pool pool;
  auto w = pool.acquire(100);
  REQUIRE(w);
  CHECK(w->capacity() >= 100);
  w->data()[0] = 0x42;
  shared_buffer a = std::move(*w).freeze(100);
  CHECK(a.size() == 100);
  CHECK(a.data()[0] == 0x42);
  {
    shared_buffer b = a;
    CHECK(a.use_count() == 2);
    CHECK(pool.stats().in_use == 1);
  }
  CHECK(a.use_count() == 1);
  a = shared_buffer{};
  CHECK(pool.stats().in_use == 0);
  CHECK(pool.stats().small_allocated == 1);
  // The block is recycled, not allocated again.
  auto again = pool.acquire(10);
  CHECK(pool.stats().small_allocated == 1);
}

TEST_CASE("buffer pool: a size class at its bound refuses, counts, and recovers when a buffer returns") {
  buffer_pool pool{{.small_capacity = 256, .large_capacity = 4096, .max_small = 2, .max_large = 1}};
  auto a = pool.acquire(10);
  auto b = pool.acquire(10);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(pool.acquire(10));
  CHECK(pool.stats().exhausted == 1);
  auto big = pool.acquire(1000);
  REQUIRE(big);
  CHECK(big->capacity() >= 1000);
  CHECK_FALSE(pool.acquire(1000));
  CHECK_FALSE(pool.acquire(5000));  // larger than the large class
  CHECK(pool.stats().exhausted == 3);
  a.reset();
  CHECK(pool.acquire(10));
}

TEST_CASE("buffer pool: buffers outlive their pool") {
  shared_buffer kept;
  {
    buffer_pool pool;
    auto w = pool.acquire(8);
    w->data()[7] = 7;
    kept = std::move(*w).freeze(8);
    auto unused = pool.acquire(8);  // freed with the pool
  }
  CHECK(kept.data()[7] == 7);  // ASan would flag a use after free here
}

TEST_CASE("buffer pool: buffers released on other threads come back to the owner") {
  buffer_pool pool{{.small_capacity = 2048, .large_capacity = 4096, .max_small = 64, .max_large = 1}};
  std::vector<shared_buffer> batch;
  for (int round = 0; round < 200; ++round) {
    batch.clear();
    for (int i = 0; i < 32; ++i) {
      auto w = pool.acquire(64);
      REQUIRE(w);
      batch.push_back(std::move(*w).freeze(64));
    }
    std::thread releaser([moved = std::move(batch)]() mutable { moved.clear(); });
    releaser.join();
    batch = {};
  }
  CHECK(pool.stats().in_use == 0);
  CHECK(pool.stats().small_allocated <= 64);
  CHECK(pool.stats().exhausted == 0);
}

TEST_CASE("packet: a slice of a buffer, clamped to its size") {
  buffer_pool pool;
  auto w = pool.acquire(10);
  for (std::uint8_t i = 0; i < 10; ++i) w->data()[i] = i;
  shared_buffer buf = std::move(*w).freeze(10);
  packet p{buf, 2, 5};
  CHECK(p.size() == 5);
  CHECK(p.head()[0] == 2);
  CHECK(p.contiguous());
  packet clamped{buf, 8, 100};
  CHECK(clamped.size() == 2);
  packet beyond{buf, 20, 5};
  CHECK(beyond.empty());
}

TEST_CASE("packet: dropping the Ethernet header and padding shares the bytes") {
  buffer_pool pool;
  byte_vector frame(60, 0);
  frame[14] = 0x45;
  auto p = make_packet(pool, frame);
  REQUIRE(p);
  packet ip = p->drop_front(14).truncated(28);
  CHECK(ip.size() == 28);
  CHECK(ip.head()[0] == 0x45);
  CHECK(ip.shares_buffer_with(*p));
  CHECK(p->size() == 60);  // the original is unchanged
}

TEST_CASE("packet: metadata travels with the packet and with_meta makes a new one") {
  buffer_pool pool;
  auto p = make_packet(pool, byte_vector{1, 2, 3}, {.interface = 7, .l4_checksum = checksum_state::partial});
  REQUIRE(p);
  CHECK(p->meta().interface == 7);
  packet q = p->with_meta({.interface = 9});
  CHECK(q.meta().interface == 9);
  CHECK(p->meta().interface == 7);
  CHECK(to_string(p->meta().l4_checksum) == "partial");
}

TEST_CASE("packet: copy_prefix_and_edit leaves the input untouched and shares the payload") {
  buffer_pool pool;
  byte_vector content = aw::test::byte_vector(1000);
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i);
  auto in = make_packet(pool, content);
  REQUIRE(in);
  auto out = copy_prefix_and_edit(*in, 40, pool, [](mutable_bytes h) {
    REQUIRE(h.size() == 40);
    h[0] = 0xee;
  });
  REQUIRE(out);
  CHECK(in->head()[0] == 0);
  CHECK(out->head()[0] == 0xee);
  CHECK(out->size() == 1000);
  CHECK_FALSE(out->contiguous());
  CHECK(out->shares_buffer_with(*in));
  byte_vector flat(out->size());
  CHECK(out->copy_to(flat) == 1000);
  CHECK(flat[39] == 39);
  CHECK(flat[40] == 40);
  CHECK(flat[999] == static_cast<std::uint8_t>(999));

  SUBCASE("a second edit of a two-slice packet copies the whole head and keeps two slices") {
    auto twice = copy_prefix_and_edit(*out, 20, pool, [](mutable_bytes h) { h[1] = 0xdd; });
    REQUIRE(twice);
    CHECK(twice->head().size() == 40);
    CHECK(twice->tail().size() == 960);
    CHECK(out->head()[1] == 1);
    CHECK(twice->head()[0] == 0xee);
    CHECK(twice->head()[1] == 0xdd);
  }
  SUBCASE("a prefix beyond the head is refused") {
    auto bad = copy_prefix_and_edit(*out, 41, pool, [](mutable_bytes) {});
    CHECK(bad.error() == wire_error::truncated);
  }
}

TEST_CASE("packet: a small packet is copied whole rather than shared") {
  buffer_pool pool;
  auto in = make_packet(pool, byte_vector(small_packet_copy, 1));
  auto out = copy_prefix_and_edit(*in, 20, pool, [](mutable_bytes h) { CHECK(h.size() == small_packet_copy); });
  REQUIRE(out);
  CHECK(out->contiguous());
  CHECK_FALSE(out->shares_buffer_with(*in));
}

TEST_CASE("packet: sum_from spans both slices, whatever the parity of the split") {
  buffer_pool pool;
  byte_vector content(501);
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * 13 + 5);
  auto in = make_packet(pool, content);
  for (std::size_t cut : {std::size_t{139}, std::size_t{140}, std::size_t{141}}) {
    auto split = copy_prefix_and_edit(*in, cut, pool, [](mutable_bytes) {});
    REQUIRE(split);
    REQUIRE(split->head().size() == cut);
    for (std::size_t from : {std::size_t{0}, std::size_t{20}, std::size_t{200}}) {
      CHECK(split->sum_from(from) == in->sum_from(from));
    }
  }
}

TEST_CASE("packet: copy_to stops at the output size") {
  buffer_pool pool;
  auto in = make_packet(pool, byte_vector{1, 2, 3, 4});
  byte_vector out(2);
  CHECK(in->copy_to(out) == 2);
  CHECK(out[1] == 2);
}

TEST_CASE("packet: make_packet reports pool exhaustion") {
  buffer_pool pool{{.small_capacity = 64, .large_capacity = 128, .max_small = 1, .max_large = 0}};
  auto a = make_packet(pool, byte_vector(10));
  REQUIRE(a);
  CHECK(make_packet(pool, byte_vector(10)).error() == wire_error::pool_exhausted);
  CHECK(make_packet(pool, byte_vector(100)).error() == wire_error::pool_exhausted);
}
