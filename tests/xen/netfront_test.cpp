// netfront against the project's netback over the simulated hypervisor: round trips with SG
// and GSO both ways, and a hostile backend (lying ids, producers out of bounds, bad offsets).
#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <thread>

#include "raw_frontend.hpp"
#include "support/hang_guard.hpp"
#include "support/ring_keys.hpp"
#include "xen/netfront/connection.hpp"

using namespace aw;
using namespace aw::xen;
using test::sim_machine;

namespace {
constexpr domid fe_dom = 5;

struct pair_of_ends {
  sim_machine m;
  std::unique_ptr<netfront::connection> front;
  std::unique_ptr<netback::connection> back;
  proto::buffer_pool front_pool, back_pool;

  explicit pair_of_ends(bool connect_back = true) {
    front = netfront::connection::create(m.hv->open_grant_sharer(fe_dom).value(),
                                         m.hv->open_event_channels(fe_dom).value(), test::netback_dom)
                .value();
    netfront::backend_features f{true, true, true, true};
    front->connect(f);
    if (connect_back) {
      back = netback::connection::connect(m.hv->open_grant_mapper(test::netback_dom).value(),
                                          m.hv->open_event_channels(test::netback_dom).value(),
                                          test::netback_keys_of(*front, fe_dom))
                 .value();
    }
  }
  // The backend's side of one of the netfront's rings, written by hand (hostile backends).
  struct backend_ring {
    std::unique_ptr<grant_mapper> mapper;
    grant_mapping page;
    netif::ring_view ring;
  };
  backend_ring backend_side(grant_ref ref, std::size_t slot_size) {
    auto mapper = m.hv->open_grant_mapper(test::netback_dom).value();
    const grant_ref refs[] = {ref};
    auto page = mapper->map(fe_dom, refs, true).value();
    const auto ring = netif::ring_view::make(page.bytes(), slot_size).value();
    return {std::move(mapper), std::move(page), ring};
  }
  std::vector<proto::packet> to_back() {
    std::vector<proto::packet> got;
    for (int i = 0; i < 4; ++i) back->receive(got, 256, back_pool);
    front->receive(got, 0, front_pool);  // reclaims answered tx pages
    return got;
  }
  std::vector<proto::packet> to_front() {
    std::vector<proto::packet> got;
    for (int i = 0; i < 4; ++i) front->receive(got, 256, front_pool);
    return got;
  }
};

std::vector<std::uint8_t> frame_of(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}
std::vector<std::uint8_t> bytes_of(const proto::packet& p) {
  std::vector<std::uint8_t> v(p.size());
  p.copy_to(v);
  return v;
}
}  // namespace

TEST_CASE("netfront: 1,000 frames of random sizes 14-65535 reach the netback intact (SG, GSO) and come back") {
  pair_of_ends e;
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> size(14, 65535);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const auto a = frame_of(size(rng), i);
    const bool gso = a.size() > 1514 && i % 3 == 0;
    proto::packet_meta meta;
    if (gso) meta = {0, proto::checksum_state::partial, proto::gso_type::tcpv4, 1448};
    auto p = proto::make_packet(e.front_pool, a, meta).value();
    REQUIRE(e.front->send(std::span(&p, 1)) == 1);
    auto got = e.to_back();
    REQUIRE(got.size() == 1);
    REQUIRE(bytes_of(got[0]) == a);
    CHECK((got[0].meta().gso == proto::gso_type::tcpv4) == gso);
    REQUIRE(e.back->send(std::span(&got[0], 1)) == 1);
    auto back = e.to_front();
    REQUIRE(back.size() == 1);
    REQUIRE(bytes_of(back[0]) == a);
    CHECK(back[0].meta().gso_size == (gso ? 1448 : 0));
  }
  CHECK(e.front->tx_in_flight() == 0);  // every page answered and free again
  CHECK(e.front->counters().tx_packets == 1000);
  CHECK(e.front->counters().rx_packets == 1000);
}

TEST_CASE("netfront: checksum state crosses the ring as csum_blank / data_validated") {
  pair_of_ends e;
  auto p = proto::make_packet(e.front_pool, frame_of(200, 1), {0, proto::checksum_state::partial}).value();
  auto q = proto::make_packet(e.front_pool, frame_of(200, 2), {0, proto::checksum_state::verified}).value();
  std::vector<proto::packet> two{p, q};
  REQUIRE(e.front->send(two) == 2);
  auto got = e.to_back();
  REQUIRE(got.size() == 2);
  CHECK(got[0].meta().l4_checksum == proto::checksum_state::partial);
  CHECK(got[1].meta().l4_checksum == proto::checksum_state::verified);
}

TEST_CASE("netfront: a full tx ring queues a bounded backlog, drops beyond it, and never reuses a page before its response") {
  pair_of_ends e(false);  // nobody answers
  constexpr std::size_t backlog = netfront::connection::tx_backlog_max;
  std::vector<proto::packet> frames;
  for (std::uint32_t i = 0; i < 256 + backlog + 32; ++i)
    frames.push_back(proto::make_packet(e.front_pool, frame_of(100, i)).value());
  CHECK(e.front->send(frames) == 256 + backlog);
  CHECK(e.front->counters().drops[static_cast<std::size_t>(netfront::front_drop::tx_ring_full)] == 32);
  CHECK(e.front->tx_in_flight() == 256);
  CHECK(e.front->tx_queued() == backlog);
}

TEST_CASE("netfront: the tx backlog is bounded in bytes too (GSO packets)") {
  pair_of_ends e(false);  // nobody answers
  // 60 KB frames: the ring takes 16 of them (15 data slots and a GSO extra each); the backlog
  // takes what fits in its byte bound, far fewer than its frame bound.
  proto::buffer_pool big{{.max_large = 1024}};
  std::vector<proto::packet> frames;
  for (std::uint32_t i = 0; i < 300; ++i)
    frames.push_back(proto::make_packet(big, frame_of(60000, i), {0, proto::checksum_state::partial,
                                                                  proto::gso_type::tcpv4, 1448}).value());
  const std::size_t taken = e.front->send(frames);
  const std::size_t queued = e.front->tx_queued();
  CHECK(queued == netfront::connection::tx_backlog_bytes_max / frames[0].size());
  CHECK(taken == queued + 16);
  CHECK(e.front->counters().drops[static_cast<std::size_t>(netfront::front_drop::tx_ring_full)] == 300 - taken);
}

TEST_CASE("netfront: frames waiting in the backlog go out as the backend answers") {
  pair_of_ends e;
  std::vector<proto::packet> frames;
  for (std::uint32_t i = 0; i < 600; ++i) frames.push_back(proto::make_packet(e.front_pool, frame_of(100, i)).value());
  CHECK(e.front->send(frames) == 600);
  std::vector<proto::packet> got;
  for (int round = 0; round < 10 && got.size() < 600; ++round) {
    e.back->receive(got, 256, e.back_pool);
    std::vector<proto::packet> none;
    e.front->receive(none, 0, e.front_pool);  // reclaims pages, places the backlog
  }
  REQUIRE(got.size() == 600);
  CHECK(bytes_of(got[599]) == frame_of(100, 599));
}

TEST_CASE("netfront hostile backend: a tx response with an id never handed out is fatal") {
  pair_of_ends e(false);
  auto p = proto::make_packet(e.front_pool, frame_of(100, 1)).value();
  REQUIRE(e.front->send(std::span(&p, 1)) == 1);
  // The backend's side of the shared tx ring, written by hand.
  auto back = e.backend_side(e.front->keys().tx_ring_ref, netif::tx_slot_size);
  auto& ring = back.ring;
  netif::write_tx_response(ring.slot(0), {200, 0});  // id 200 was not used (ids count down from 255)
  ring.set_rsp_prod(1);
  std::vector<proto::packet> got;
  e.front->receive(got, 16, e.front_pool);
  CHECK(e.front->closed());
  CHECK(e.front->counters().fatal == netfront::front_fatal::tx_bad_response_id);
}

TEST_CASE("netfront hostile backend: a response producer beyond the requests is fatal") {
  pair_of_ends e(false);
  auto back = e.backend_side(e.front->keys().rx_ring_ref, netif::rx_slot_size);
  auto& ring = back.ring;
  ring.set_rsp_prod(ring.req_prod() + 5);
  std::vector<proto::packet> got;
  e.front->receive(got, 16, e.front_pool);
  CHECK(e.front->counters().fatal == netfront::front_fatal::rx_rsp_prod_implausible);
}

TEST_CASE("netfront hostile backend: rx offset + size beyond the page drops that frame only") {
  pair_of_ends e(false);
  auto back = e.backend_side(e.front->keys().rx_ring_ref, netif::rx_slot_size);
  auto& ring = back.ring;
  netif::write_rx_response(ring.slot(0), {0, 4000, 0, 500});
  netif::write_rx_response(ring.slot(1), {1, 0, 0, 60});
  ring.set_rsp_prod(2);
  std::vector<proto::packet> got;
  e.front->receive(got, 16, e.front_pool);
  CHECK(got.size() == 1);
  CHECK(got[0].size() == 60);
  CHECK(e.front->counters().drops[static_cast<std::size_t>(netfront::front_drop::rx_bad_response)] == 1);
  CHECK_FALSE(e.front->closed());
}

TEST_CASE("netfront hostile backend: a chain published in part is waited for, not read again forever") {
  pair_of_ends e(false);
  auto back = e.backend_side(e.front->keys().rx_ring_ref, netif::rx_slot_size);
  auto& ring = back.ring;
  // The first slot of a two-slot frame, its producer stopping there (this returned never).
  netif::write_rx_response(ring.slot(0), {0, 0, netif::rxf::more_data, 100});
  ring.set_rsp_prod(1);
  std::vector<proto::packet> got;
  CHECK(e.front->receive(got, 16, e.front_pool) == 0);
  CHECK(ring.rsp_event() == 2);  // told when the producer moves past the part
  netif::write_rx_response(ring.slot(1), {1, 0, 0, 60});
  ring.set_rsp_prod(2);
  CHECK(e.front->receive(got, 16, e.front_pool) == 1);
  CHECK(got[0].size() == 160);
  CHECK_FALSE(e.front->closed());
}

TEST_CASE("netfront hostile backend: a chain at its slot limit is dropped even when its next slot is not there yet") {
  pair_of_ends e(false);
  auto back = e.backend_side(e.front->keys().rx_ring_ref, netif::rx_slot_size);
  auto& ring = back.ring;
  constexpr std::uint16_t slots = 19;  // the most a frame may use, every one saying more follows
  for (std::uint16_t k = 0; k < slots; ++k) netif::write_rx_response(ring.slot(k), {k, 0, netif::rxf::more_data, 100});
  ring.set_rsp_prod(slots);
  std::vector<proto::packet> got;
  CHECK(e.front->receive(got, 16, e.front_pool) == 0);
  CHECK(e.front->counters().drops[static_cast<std::size_t>(netfront::front_drop::rx_bad_response)] == 1);
  CHECK_FALSE(e.front->closed());
}

TEST_CASE("netfront hostile backend: a frame larger than 64 KiB and its Ethernet header is dropped") {
  pair_of_ends e(false);
  auto back = e.backend_side(e.front->keys().rx_ring_ref, netif::rx_slot_size);
  auto& ring = back.ring;
  // 16 full pages and 500 bytes more: 66,036 bytes.
  for (std::uint16_t k = 0; k < 16; ++k) netif::write_rx_response(ring.slot(k), {k, 0, netif::rxf::more_data, 4096});
  netif::write_rx_response(ring.slot(16), {16, 0, 0, 500});
  ring.set_rsp_prod(17);
  std::vector<proto::packet> got;
  CHECK(e.front->receive(got, 16, e.front_pool) == 0);
  CHECK(e.front->counters().drops[static_cast<std::size_t>(netfront::front_drop::rx_bad_response)] == 1);
}

TEST_CASE("netfront: a receive() that stops at its bound with responses left is readable again at once") {
  // Its event was taken: without a kick the rest would wait for the backend's next
  // notification, which (the event index not moved on) might never come.
  pair_of_ends e;
  std::vector<proto::packet> frames;
  for (std::uint32_t i = 0; i < 3; ++i) frames.push_back(proto::make_packet(e.back_pool, frame_of(100, i)).value());
  REQUIRE(e.back->send(frames) == 3);
  REQUIRE(test::readable(e.front->fd()));
  std::vector<proto::packet> got;
  CHECK(e.front->receive(got, 1, e.front_pool) == 1);
  CHECK(test::readable(e.front->fd()));
  CHECK(e.front->receive(got, 1, e.front_pool) == 1);
  CHECK(test::readable(e.front->fd()));
  CHECK(e.front->receive(got, 1, e.front_pool) == 1);
  CHECK(bytes_of(got[2]) == frame_of(100, 2));
  // The bound reached on the last response: the event index must still have moved past it,
  // or the backend's next frame would not notify.
  auto fourth = proto::make_packet(e.back_pool, frame_of(100, 3)).value();
  REQUIRE(e.back->send(std::span(&fourth, 1)) == 1);
  CHECK(test::readable(e.front->fd()));
  CHECK(e.front->receive(got, 1, e.front_pool) == 1);
}

TEST_CASE("netfront hostile backend: a backend notifying in a loop gets one look per call and its unmask put off") {
  // The port was unmasked as soon as it was read: a backend notifying faster than the loop
  // took its events kept receive() from ever returning.
  pair_of_ends e(false);
  auto back_events = e.m.hv->open_event_channels(test::netback_dom).value();
  const auto back_port = back_events->bind_interdomain(fe_dom, e.front->keys().event_channel).value();
  std::atomic<bool> stop{false};
  std::thread storm{[&] {
    while (!stop) (void)back_events->notify(back_port);
  }};
  std::size_t looks = 0;
  {
    test::hang_guard guard;  // every call returns, however fast the backend notifies
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (e.front->counters().wakeups.events < 20 && std::chrono::steady_clock::now() < give_up) {
      std::vector<proto::packet> got;
      e.front->receive(got, 16, e.front_pool);
      ++looks;
    }
  }
  stop = true;
  storm.join();
  CHECK(e.front->counters().wakeups.events >= 20);
  CHECK(e.front->counters().wakeups.spurious_events >= 9);
  CHECK(e.front->counters().wakeups.events_deferred >= 1);
  CHECK(e.front->counters().wakeups.events <= looks);  // at most one per call
  CHECK_FALSE(e.front->closed());
}
