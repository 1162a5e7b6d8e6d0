// tests/nat/structures_test.cpp — the engine's building blocks on their own: the port
// allocator, the hash index, the timer queues and the TCP tracker.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "nat/counters.hpp"
#include "nat/index_table.hpp"
#include "nat/port_allocator.hpp"
#include "nat/tcp_state.hpp"
#include "nat/timer_queues.hpp"
#include "protocol/tcp.hpp"

using namespace aw::nat;
namespace tf = aw::proto::tcp_flag;

TEST_CASE("port_allocator: 65535 ports, port 0 never, every port handed out once, release makes it free") {
  port_allocator a{port_allocator::layout::ports};
  port_rng rng{1};
  CHECK(a.managed_count() == 65535);
  CHECK_FALSE(a.is_managed(0));
  std::set<std::uint16_t> got;
  for (int i = 0; i < 1023; ++i) {
    auto p = a.allocate(static_cast<std::uint16_t>(1 + (i % 1023)), rng);
    REQUIRE(p);
    CHECK(*p < 1024);
    CHECK(*p != 0);
    got.insert(*p);
  }
  auto fallback = a.allocate(80, rng);  // low class full: a high port
  REQUIRE(fallback);
  CHECK(*fallback >= 1024);
  got.insert(*fallback);
  for (int i = 0; i < 64511; ++i) {
    auto p = a.allocate(40000, rng);
    REQUIRE(p);
    got.insert(*p);
  }
  CHECK(got.size() == 65535);
  CHECK(a.free_count() == 0);
  CHECK_FALSE(a.allocate(40000, rng));
  a.release(40001);
  CHECK(a.is_free(40001));
  a.release(40001);  // twice: no effect
  CHECK(a.free_count() == 1);
  CHECK(a.allocate(40000, rng) == std::optional<std::uint16_t>{40001});  // other parity as fallback
  CHECK(a.allocate(2, rng) == std::optional<std::uint16_t>{});  // nothing free anywhere
  a.release(1000);
  CHECK(a.allocate(40000, rng) == std::optional<std::uint16_t>{});  // a high source never gets a low port
}

TEST_CASE("port_allocator: reserve takes a specific free port, identifiers include 0") {
  port_allocator a{port_allocator::layout::ports};
  CHECK(a.reserve(53));
  CHECK_FALSE(a.reserve(53));
  CHECK_FALSE(a.is_free(53));
  a.release(53);
  CHECK(a.is_free(53));
  port_allocator ids{port_allocator::layout::identifiers};
  CHECK(ids.managed_count() == 65536);
  CHECK(ids.reserve(0));
}

TEST_CASE("index_table: insert, find, erase with backward shift keep every entry reachable") {
  index_table t{64};
  std::vector<std::uint32_t> keys;
  // Many colliding hashes (same low bits) to exercise probe runs and wrap-around.
  for (std::uint32_t i = 0; i < 64; ++i) {
    std::uint32_t h = (i % 3 == 0) ? 0x1000u * i + 127u : i * 2654435761u;
    keys.push_back(h);
    t.insert(h, i);
  }
  CHECK(t.size() == 64);
  for (std::uint32_t i = 0; i < 64; i += 2) CHECK(t.erase(keys[i], i));
  CHECK_FALSE(t.erase(keys[0], 0));
  for (std::uint32_t i = 0; i < 64; ++i) {
    auto found = t.find(keys[i], [&](std::uint32_t j) { return j == i; });
    CHECK(found == (i % 2 == 0 ? npos : i));
  }
}

TEST_CASE("index_table: longest_probe is the walk to the entry farthest from its home slot") {
  index_table t{8};  // 16 slots
  CHECK(t.longest_probe() == 0);
  t.insert(3, 0);
  CHECK(t.longest_probe() == 1);
  t.insert(3 + 16, 1);  // same home slot: one further
  t.insert(15, 2);
  t.insert(15 + 16, 3);  // wraps around to slot 0
  CHECK(t.longest_probe() == 2);
  t.insert(3 + 32, 4);
  CHECK(t.longest_probe() == 3);
}

namespace {
struct slot {
  timer_node timer;
};
}  // namespace

TEST_CASE("timer_queues: FIFO per class ordered by refresh, due() returns what is due only") {
  nat_timeouts to;
  std::vector<slot> slots(8);
  timer_queues<slot> q{slots.data(), to};
  using std::chrono::minutes;
  q.add(0, timeout_class::udp, minutes{0});
  q.add(1, timeout_class::udp, minutes{1});
  q.add(2, timeout_class::tcp_established, minutes{1});
  CHECK(q.front(timeout_class::udp) == 0);
  q.refresh(0, minutes{2});
  CHECK(q.front(timeout_class::udp) == 1);
  CHECK(q.due(minutes{5}) == npos);
  CHECK(q.due(minutes{6}) == 1);
  q.reclass(2, timeout_class::tcp_transitory, minutes{3});
  CHECK(q.size(timeout_class::tcp_established) == 0);
  CHECK(q.deadline(2) == minutes{7});
  q.remove(1);
  CHECK(q.front(timeout_class::udp) == 0);
}

TEST_CASE("tcp_tracker: SYN out + SYN-ACK in is established, FIN both ways or RST is transitory") {
  auto t = tcp_tracker::start(tf::syn);
  CHECK_FALSE(t.established());
  t.update(direction::inbound, tf::syn | tf::ack);
  CHECK(t.established());
  t.update(direction::outbound, tf::fin | tf::ack);
  CHECK(t.established());
  t.update(direction::inbound, tf::fin | tf::ack);
  CHECK(t.timeout() == timeout_class::tcp_transitory);
  auto r = tcp_tracker::start(tf::ack);  // picked up mid-stream: not until the remote answers
  CHECK_FALSE(r.established());
  r.update(direction::outbound, tf::ack);
  CHECK_FALSE(r.established());
  r.update(direction::inbound, tf::ack);
  CHECK(r.established());
  r.update(direction::inbound, tf::rst);
  CHECK_FALSE(r.established());
}

TEST_CASE("timer_queues: a refresh inside the granule does not move the entry, yet expiry stays exact") {
  nat_timeouts to;  // udp: 5 min
  std::vector<slot> slots(4);
  timer_queues<slot> q{slots.data(), to};
  using namespace std::chrono;
  const clock_time t0 = hours{1};
  q.add(0, timeout_class::udp, t0);
  q.add(1, timeout_class::udp, t0 + milliseconds{500});
  q.refresh(0, t0 + milliseconds{700});  // within 1 s of being queued: stays at the head
  CHECK(q.front(timeout_class::udp) == 0);
  CHECK(q.due(t0 + minutes{5}) == npos);                       // 0 was refreshed: not due
  CHECK(q.due(t0 + minutes{5} + milliseconds{500}) == npos);   // 1 is, behind 0: within a granule
  CHECK(q.due(t0 + minutes{5} + milliseconds{699}) == npos);
  CHECK(q.due(t0 + minutes{5} + milliseconds{700}) == 0);      // exactly at 0's deadline
  q.remove(0);
  CHECK(q.due(t0 + minutes{5} + milliseconds{700}) == 1);      // 200 ms late, less than a granule
  q.refresh(0, t0 + seconds{2});  // a granule later: moves to the tail
  CHECK(q.last_refresh(0) == t0 + seconds{2});
}

TEST_CASE("timer_queues: an entry refreshed within its granule still expires within a granule of its deadline") {
  nat_timeouts to;  // udp: 5 min
  std::vector<slot> slots(4);
  timer_queues<slot> q{slots.data(), to};
  using namespace std::chrono;
  const clock_time t0 = hours{1};
  q.add(0, timeout_class::udp, t0);
  q.refresh(0, t0 + milliseconds{30});  // a query answered 30 ms later
  q.add(1, timeout_class::udp, t0 + seconds{1});
  q.add(2, timeout_class::udp, t0 + seconds{2});
  q.add(3, timeout_class::udp, t0 + seconds{3});
  // The engine's 1 s tick.
  for (auto now = t0 + seconds{1}; now <= t0 + minutes{5}; now += seconds{1}) CHECK(q.due(now) == npos);
  std::set<std::uint32_t> reaped;
  const auto tick = t0 + minutes{5} + seconds{1};
  for (auto id = q.due(tick); id != npos; id = q.due(tick)) {
    CHECK(q.expired(id, tick));
    reaped.insert(id);
    q.remove(id);
  }
  CHECK(reaped == std::set<std::uint32_t>{0, 1});  // 0 at most a granule late, 1 on time
}

TEST_CASE("counters: every drop reason and event has its own stable name") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < nat_drop_count; ++i) names.insert(to_string(static_cast<nat_drop>(i)));
  for (std::size_t i = 0; i < nat_event_count; ++i) names.insert(to_string(static_cast<nat_event>(i)));
  CHECK(names.size() == nat_drop_count + nat_event_count);
  CHECK_FALSE(names.contains("unknown"));
  CHECK(to_string(nat_drop::out_of_ports) == "out_of_ports");
  CHECK(to_string(nat_drop::no_mapping) == "no_mapping");
}
