// actors/scheduler.cpp — CAF scheduler settings for a packet service.
#include "actors/scheduler.hpp"

#include <sched.h>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include <chrono>

namespace aw::actors {

std::size_t usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

void configure_scheduler(caf::actor_system_config& cfg, std::size_t workers) {
  cfg.set("scheduler.max-threads", workers != 0 ? workers : usable_cpus());
  // A worker out of jobs spins briefly (a job often follows at once in a batch
  // pipeline), then sleeps on its condition variable: a job from outside wakes it,
  // and every 10 ms it looks for work to steal from a busy worker.
  cfg.set("work-stealing.aggressive-poll-attempts", std::size_t{100});
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds{10}});
}

}  // namespace aw::actors
