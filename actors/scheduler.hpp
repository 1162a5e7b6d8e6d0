// actors/scheduler.hpp — CAF scheduler settings for a packet service: one worker per
// usable CPU, and idle workers that sleep instead of polling.
#pragma once

#include <caf/fwd.hpp>

#include <cstddef>

namespace aw::actors {

// The CPUs this process may run on (its affinity mask), at least 1.
std::size_t usable_cpus();

// CAF 0.17's defaults start max(CPUs, 4) workers, and a worker that ran out of jobs
// polls its queue every 50 µs for 25 ms before it sleeps: with a packet every few
// milliseconds no worker ever sleeps, and in a small firewall qube (2 vCPUs) the
// polling takes the CPU the clients' traffic needs. Here: `workers` threads (0: one
// per usable CPU), a short spin, then a sleep that a job from outside (the reactor,
// a timer) ends at once.
void configure_scheduler(caf::actor_system_config& cfg, std::size_t workers = 0);

}  // namespace aw::actors
