// qubes/qdb_client.hpp — a non-blocking QubesDB client driven by its socket's readiness, for an actor to own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.hpp"
#include "qubes/qdb_wire.hpp"

namespace aw::qubes {

// How one request ended, when not with success.
enum class qdb_failure : std::uint8_t {
  not_found,     // RESP_ERROR_NOENT
  daemon_error,  // RESP_ERROR
  disconnected,  // not connected, or the connection dropped before the answer
  bad_request,   // path or value the protocol cannot carry; nothing was sent
  busy,          // max_outstanding requests already in flight
};
std::string_view to_string(qdb_failure f) noexcept;

struct qdb_done {
  friend bool operator==(qdb_done, qdb_done) = default;
};
using qdb_entries = std::vector<std::pair<std::string, std::string>>;  // (path, value), in daemon order
template <class T>
using qdb_reply = result<T, qdb_failure>;

inline constexpr std::string_view default_qubesdb_socket = "/var/run/qubes/qubesdb.sock";

struct qdb_client_limits {
  std::size_t max_outstanding = 256;            // requests in flight, besides the watches re-sent on connect
  std::size_t max_reply_entries = 16384;        // items of one LIST/MULTIREAD reply
  std::size_t max_pending_watch_events = 1024;  // distinct paths set aside during one drain
  std::size_t max_reads_per_call = 64;          // 4 KiB reads per on_readable(): the rest waits, readable
};

// One connection to a QubesDB daemon. Single-threaded: call everything from
// the thread that owns it. The owner polls fd() for readability (and for
// writability while wants_write()) and calls on_readable()/on_writable().
// QubesDB answers requests in order, so replies are matched to a FIFO of
// requests by type; anything else is a protocol error. A protocol error, an
// oversized message, EOF or an I/O error closes the socket, fails every
// outstanding request with `disconnected` and calls on_disconnect; the owner
// then calls connect() again after a delay of its choosing (see qdb_backoff).
// Registered watches survive: connect() re-sends them all. Events missed
// while disconnected are not replayed: on_connect is the owner's cue to
// re-read what it watches.
//
// Callbacks run inside the call that completes them (on_readable, connect,
// disconnect, or the request call itself when it fails at once); they may
// issue requests, disconnect or connect, but must not destroy the client.
class qdb_client {
 public:
  using limits = qdb_client_limits;
  struct handlers {
    std::function<void(const std::string& path)> on_watch;                    // a watch fired
    std::function<void(qdb_error error, const std::string& detail)> on_disconnect;
    std::function<void()> on_connect;                                        // after watches were re-sent
  };

  explicit qdb_client(std::string socket_path = std::string{default_qubesdb_socket}, handlers h = {},
                      limits l = limits{});
  ~qdb_client();
  qdb_client(const qdb_client&) = delete;
  qdb_client& operator=(const qdb_client&) = delete;

  void set_handlers(handlers h) { handlers_ = std::move(h); }

  // Opens a non-blocking unix stream socket and connects (a no-op when
  // connected). connect_failed when the daemon is not there (errno in the detail).
  result<qdb_done, qdb_error> connect();
  // Takes over an already connected stream socket (socketpair, inherited fd)
  // as connect() would; the client closes it.
  result<qdb_done, qdb_error> adopt(int fd);
  // Closes the socket, fails outstanding requests with `disconnected`; no on_disconnect.
  void disconnect();

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
  [[nodiscard]] bool wants_write() const noexcept { return out_off_ < out_.size(); }
  [[nodiscard]] std::size_t outstanding() const noexcept { return pending_.size(); }
  [[nodiscard]] const std::set<std::string>& watches() const noexcept { return watches_; }
  [[nodiscard]] const std::string& socket_path() const noexcept { return path_; }
  // Why the last connection ended, if one did.
  [[nodiscard]] std::optional<qdb_error> last_error() const noexcept { return last_error_; }
  [[nodiscard]] const std::string& last_error_detail() const noexcept { return last_detail_; }

  // Reads everything the socket holds (until EAGAIN), completes requests, then
  // delivers the watch events that arrived, each path once, in arrival order.
  void on_readable();
  // Sends queued request bytes.
  void on_writable();

  void read(std::string path, std::function<void(qdb_reply<std::string>)> done);
  // Keys starting with `prefix` (a plain string prefix; "" is the whole database).
  void multiread(std::string prefix, std::function<void(qdb_reply<qdb_entries>)> done);
  void list(std::string prefix, std::function<void(qdb_reply<std::vector<std::string>>)> done);
  void write(std::string path, std::string value, std::function<void(qdb_reply<qdb_done>)> done = {});
  // A path ending in '/' removes the whole subtree.
  void rm(std::string path, std::function<void(qdb_reply<qdb_done>)> done = {});
  // A path ending in '/' watches the subtree, otherwise the exact key. The
  // watch is remembered at once and sent on every (re)connect; while
  // disconnected `done` reports success. A daemon error forgets it again.
  void watch(std::string path, std::function<void(qdb_reply<qdb_done>)> done = {});
  void unwatch(std::string path, std::function<void(qdb_reply<qdb_done>)> done = {});

 private:
  struct completion {
    std::optional<qdb_failure> failure;
    std::string value;
    qdb_entries entries;
  };
  using completion_fn = std::function<void(completion&&)>;
  struct request {
    qdb_type type;
    std::string path;
    completion_fn done;
    qdb_entries entries;  // LIST/MULTIREAD items so far
  };

  // A connected socket: reset state, re-send the watches, on_connect. False
  // if the socket failed meanwhile (on_disconnect ran).
  bool start(int fd);
  // `limited`: counts against max_outstanding (the re-sent watches do not).
  void submit(qdb_type type, std::string path, std::string data, completion_fn done, bool limited = true);
  void flush();
  void handle(qdb_message&& m);
  void complete_front(completion&& c);
  void fail(qdb_error error, std::string detail);
  std::deque<request> close_socket();  // the requests it leaves unanswered
  void deliver_watch_events(std::uint64_t generation);

  std::string path_;
  handlers handlers_;
  limits limits_;
  int fd_ = -1;
  std::uint64_t generation_ = 0;  // bumped on every connect and disconnect
  qdb_decoder decoder_{qdb_decoder::from::daemon};
  std::vector<std::uint8_t> out_;
  std::size_t out_off_ = 0;
  std::deque<request> pending_;
  std::set<std::string> watches_;
  std::deque<std::string> watch_events_;
  std::optional<qdb_error> last_error_;
  std::string last_detail_;
};

// Reconnect delays: initial, doubling up to max; reset() after a good connect.
class qdb_backoff {
 public:
  constexpr explicit qdb_backoff(std::uint32_t initial_ms = 100, std::uint32_t max_ms = 5000) noexcept
      : initial_(initial_ms), max_(max_ms), next_(initial_ms) {}
  std::uint32_t next_delay_ms() noexcept {
    std::uint32_t d = next_;
    next_ = next_ > max_ / 2 ? max_ : next_ * 2;
    return d;
  }
  void reset() noexcept { next_ = initial_; }

 private:
  std::uint32_t initial_, max_, next_;
};

}  // namespace aw::qubes
