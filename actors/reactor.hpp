// actors/reactor.hpp — the one I/O thread: turns file-descriptor readiness into fd_ready
// messages for the owning actor (one-shot: the actor re-arms after draining), so no actor
// ever blocks.
#pragma once

#include <caf/fwd.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "actors/interfaces.hpp"

namespace aw::actors {

class reactor {
 public:
  reactor();
  ~reactor();  // stops the thread
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // Sends fd_ready{fd} to owner once fd is readable; then waits for rearm(fd).
  // False (with errno) when epoll refuses the fd.
  bool watch(int fd, fd_owner_actor owner);
  // Ready for the next fd_ready after the owner drained fd; with want_write,
  // also when fd becomes writable (queued output).
  void rearm(int fd, bool want_write = false);
  // Stops watching fd for owner. Nothing happens when fd is now another actor's: an
  // actor's device may close its fd before the actor's cleanup forgets it, and the
  // number may already serve a new device of another actor by then.
  void forget(int fd, const caf::actor_addr& owner);
  [[nodiscard]] std::size_t watched() const;
  // The actor watching fd (tests and diagnostics); invalid when none.
  [[nodiscard]] fd_owner_actor owner_of(int fd) const;

 private:
  void run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::unordered_map<int, fd_owner_actor> owners_;
  std::thread thread_;
};

}  // namespace aw::actors
