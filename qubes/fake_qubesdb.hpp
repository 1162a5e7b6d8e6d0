// qubes/fake_qubesdb.hpp — a small QubesDB daemon on a unix socket, for tests and the lab, speaking the real client protocol.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "protocol/result.hpp"
#include "qubes/network_config.hpp"
#include "qubes/qdb_wire.hpp"

namespace aw::qubes {

// Serves READ, WRITE, MULTIREAD, LIST, RM (a trailing '/' removes the
// subtree), WATCH/UNWATCH (a trailing '/' watches the subtree) to any number
// of clients from a single-threaded poll loop. Like qubesdb-daemon, a write
// or rm answers RESP_OK first, then fires RESP_WATCH to every matching watch.
// A client sending a malformed message is disconnected.
//
// Threads: poll_once()/run() and every method not marked thread-safe belong
// to the loop's thread (or to any one thread while the loop is not running).
// Tests may drive the loop by hand with poll_once(0) on their own thread.
class fake_qubesdb {
 public:
  // Binds and listens on socket_path (a stale socket file is replaced).
  static result<std::unique_ptr<fake_qubesdb>, std::string> start(std::string socket_path, qdb_map initial = {});
  ~fake_qubesdb();  // closes every socket and removes the socket file
  fake_qubesdb(const fake_qubesdb&) = delete;
  fake_qubesdb& operator=(const fake_qubesdb&) = delete;

  // One loop round: waits up to timeout_ms (-1: forever) for activity, then
  // accepts, answers and sends what it can. False once stop() was called.
  bool poll_once(int timeout_ms);
  void run();   // poll_once(-1) until stop()
  void stop();  // thread-safe
  void post(std::function<void(fake_qubesdb&)> fn);  // thread-safe: runs fn on the loop at its next round

  // The database, changed as a write from another QubesDB client would (watches fire).
  void set(const std::string& key, const std::string& value);
  bool remove(const std::string& path);  // false if nothing matched
  // Makes the database equal to `keys`, firing a watch event per added,
  // changed or removed key; returns how many keys changed.
  std::size_t replace_all(const qdb_map& keys);
  [[nodiscard]] const qdb_map& keys() const noexcept { return db_; }

  [[nodiscard]] std::size_t client_count() const noexcept { return clients_.size(); }
  [[nodiscard]] std::multiset<std::string> watches() const;  // of all clients
  [[nodiscard]] std::size_t requests_served() const noexcept { return requests_; }
  [[nodiscard]] const std::string& socket_path() const noexcept { return path_; }

  // Test hooks. RESP_WATCH events for these paths go inside the next
  // LIST/MULTIREAD reply, after its first item (before the end marker if it
  // has none), whatever the client watches: the real daemon can do that.
  void interleave_in_next_reply(std::vector<std::string> watch_paths);
  void send_raw(bytes raw);     // to every client, as is
  void drop_clients();          // close every client connection
  // An extra descriptor for the loop to poll (the tool's signalfd).
  void add_fd(int fd, std::function<void()> on_readable);

 private:
  struct conn;
  explicit fake_qubesdb(std::string path);
  void accept_all();
  void read_from(conn& c);
  void handle(conn& c, qdb_message&& m);
  void send(conn& c, const qdb_message& m);
  void flush(conn& c);
  void fire(const std::string& path);
  std::size_t erase_matching(const std::string& path);  // a key, or a subtree when it ends in '/'; no watches
  void run_posted();

  std::string path_;
  int listen_fd_ = -1;
  int wake_r_ = -1, wake_w_ = -1;
  std::vector<std::unique_ptr<conn>> clients_;
  std::vector<std::pair<int, std::function<void()>>> extra_;
  qdb_map db_;
  std::vector<std::string> interleave_;
  std::size_t requests_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex posted_mutex_;
  std::vector<std::function<void(fake_qubesdb&)>> posted_;
};

}  // namespace aw::qubes
