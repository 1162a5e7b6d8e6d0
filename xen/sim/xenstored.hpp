// xen/sim/xenstored.hpp — the project's xenstored: xs_store served on unix sockets, one per simulated domain.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "xen/sim/xs_store.hpp"
#include "xen/xen_error.hpp"

namespace aw::xen::sim {

// Every client of a socket acts as the domain that socket was opened for: a
// test connects as dom0 through one path, as the backend domain through
// another, as a frontend through a third (real::open_xenstore(socket) picks
// the socket for the real libxenstore). poll()-driven and single-threaded: drive it with
// poll_once() or let start() run it on its own thread.
class xenstored {
 public:
  explicit xenstored(xs_limits limits = {});
  ~xenstored();
  xenstored(const xenstored&) = delete;
  xenstored& operator=(const xenstored&) = delete;

  // Serves `path` (a unix socket, replaced if present) as domain d; a domU is
  // introduced (its home /local/domain/<d> created, owned by it).
  status listen(const std::string& path, domid d);

  // One round: wait up to timeout_ms for activity, then accept, read, dispatch, write.
  void poll_once(int timeout_ms);
  void start();
  void stop();

  // Runs f on the store under the server's lock (safe while started).
  void with_store(const std::function<void(xs_store&)>& f);

  [[nodiscard]] std::size_t clients() const;

 private:
  struct client {
    int fd = -1;
  };
  struct listener {
    int fd = -1;
    std::string path;
    domid dom = 0;
  };

  void accept_on(const listener& l);
  void read_from(xs_store::conn_id id);
  void flush();
  void drop(xs_store::conn_id id);

  mutable std::mutex mu_;
  xs_store store_;
  std::map<int, listener> listeners_;
  std::map<xs_store::conn_id, client> clients_;
  int wake_fd_ = -1;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace aw::xen::sim
