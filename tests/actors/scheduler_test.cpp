// The service's scheduler settings: one worker per usable CPU, idle workers asleep,
// and still every message delivered (from outside the system and between actors);
// the reactor that feeds them fd readiness.
#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <chrono>
#include <thread>

#include <sys/eventfd.h>
#include <unistd.h>

#include "actors/messages.hpp"
#include "actors/reactor.hpp"
#include "actors/scheduler.hpp"

using namespace aw::actors;

namespace {

// An argument on purpose: CAF 0.17 spawns an actor without arguments through a null
// argument tuple it dereferences (UBSan: reference binding to null pointer).
caf::behavior adder(int step) {
  return {[step](int x) { return x + step; }};
}

// Passes a counter back and forth `hops` times, then tells `done`.
caf::behavior relay(caf::event_based_actor* self, caf::actor done) {
  return {[=](int left, const caf::actor& peer) {
    if (left == 0) self->send(done, caf::ok_atom_v);
    else self->send(peer, left - 1, caf::actor_cast<caf::actor>(self));
  }};
}

}  // namespace

TEST_CASE("usable_cpus counts the CPUs of this process's affinity mask, at least one") {
  const auto n = usable_cpus();
  CHECK(n >= 1);
  CHECK(n <= std::max(1u, std::thread::hardware_concurrency()));
}

TEST_CASE("configure_scheduler: the given worker count, or one per usable CPU") {
  caf::actor_system_config given;
  configure_scheduler(given, 3);
  CHECK(caf::get_or(given, "scheduler.max-threads", std::size_t{0}) == 3);
  caf::actor_system_config by_cpu;
  configure_scheduler(by_cpu);
  CHECK(caf::get_or(by_cpu, "scheduler.max-threads", std::size_t{0}) == usable_cpus());
  caf::actor_system sys{by_cpu};
  CHECK(sys.scheduler().num_workers() == usable_cpus());
}

TEST_CASE("configure_scheduler: sleeping idle workers still answer a request from outside at once") {
  caf::actor_system_config cfg;
  configure_scheduler(cfg, 2);
  caf::actor_system sys{cfg};
  auto a = sys.spawn(adder, 1);
  caf::scoped_actor self{sys};
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds{30});  // every worker asleep by now
    int got = 0;
    self->request(a, std::chrono::seconds{5}, round).receive([&](int x) { got = x; }, [](const caf::error&) {});
    CHECK(got == round + 1);
  }
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("configure_scheduler: ten thousand hops between two actors all arrive") {
  caf::actor_system_config cfg;
  configure_scheduler(cfg, 2);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto a = sys.spawn(relay, caf::actor{self});
  auto b = sys.spawn(relay, caf::actor{self});
  self->send(a, 10'000, b);
  bool done = false;
  self->receive([&](caf::ok_atom) { done = true; }, caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(done);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

namespace {
aw::actors::fd_owner_actor::behavior_type fd_sink(int /*unused: see adder*/) {
  return {[](const aw::actors::fd_ready&) {}};
}
}  // namespace

TEST_CASE("reactor: forgetting an fd number that now serves another actor leaves that actor's watch alone") {
  // An actor's device can close its fd before the actor's cleanup forgets it; by then
  // another actor (a new vif's port) may have been given the same number and watch it.
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::actorwall>();
  aw::actors::reactor io;
  caf::actor_system sys{cfg};
  auto old_owner = sys.spawn(fd_sink, 0);
  auto new_owner = sys.spawn(fd_sink, 0);
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(io.watch(fd, new_owner));
  io.forget(fd, old_owner.address());  // the late cleanup of the fd's previous owner
  CHECK(io.watched() == 1);
  CHECK(io.owner_of(fd) == new_owner);
  io.forget(fd, new_owner.address());
  CHECK(io.watched() == 0);
  ::close(fd);
  caf::anon_send_exit(old_owner, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(new_owner, caf::exit_reason::user_shutdown);
}
