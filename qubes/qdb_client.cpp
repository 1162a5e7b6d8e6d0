// qubes/qdb_client.cpp — QubesDB client: request FIFO, reply matching, watch set-aside, reconnect.
#include "qubes/qdb_client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace aw::qubes {

std::string_view to_string(qdb_failure f) noexcept {
  switch (f) {
    case qdb_failure::not_found: return "not_found";
    case qdb_failure::daemon_error: return "daemon_error";
    case qdb_failure::disconnected: return "disconnected";
    case qdb_failure::bad_request: return "bad_request";
    case qdb_failure::busy: return "busy";
  }
  return "unknown";
}

qdb_client::qdb_client(std::string socket_path, handlers h, limits l)
    : path_(std::move(socket_path)), handlers_(std::move(h)), limits_(l) {}

qdb_client::~qdb_client() {
  if (fd_ >= 0) ::close(fd_);
}

result<qdb_done, qdb_error> qdb_client::connect() {
  if (fd_ >= 0) return qdb_done{};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    last_error_ = qdb_error::connect_failed;
    last_detail_ = "socket path too long: " + path_;
    return qdb_error::connect_failed;
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    last_error_ = qdb_error::connect_failed;
    last_detail_ = std::string{"socket: "} + std::strerror(errno);
    return qdb_error::connect_failed;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // A unix stream connect completes at once or fails (EAGAIN: backlog full).
    last_error_ = qdb_error::connect_failed;
    last_detail_ = path_ + ": " + std::strerror(errno);
    ::close(fd);
    return qdb_error::connect_failed;
  }
  if (!start(fd)) return last_error_.value_or(qdb_error::connection_closed);
  return qdb_done{};
}

result<qdb_done, qdb_error> qdb_client::adopt(int fd) {
  if (fd_ >= 0 || fd < 0) return qdb_error::connect_failed;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return qdb_error::connect_failed;
  if (!start(fd)) return last_error_.value_or(qdb_error::connection_closed);
  return qdb_done{};
}

bool qdb_client::start(int fd) {
  fd_ = fd;
  ++generation_;
  decoder_.reset();
  out_.clear();
  out_off_ = 0;
  watch_events_.clear();
  // A copy: a refused watch erases itself from watches_.
  const std::vector<std::string> again(watches_.begin(), watches_.end());
  for (const std::string& w : again) {
    submit(qdb_type::watch, w, {}, [this, w](completion&& c) {
      if (c.failure && *c.failure != qdb_failure::disconnected) watches_.erase(w);
    }, /*limited=*/false);
  }
  if (fd_ < 0) return false;  // the socket failed while sending them; on_disconnect has run
  if (handlers_.on_connect) handlers_.on_connect();
  return true;
}

void qdb_client::disconnect() {
  for (request& r : close_socket()) {
    if (r.done) r.done(completion{qdb_failure::disconnected, {}, {}});
  }
}

std::deque<qdb_client::request> qdb_client::close_socket() {
  std::deque<request> failed;
  if (fd_ < 0) return failed;
  ::close(fd_);
  fd_ = -1;
  ++generation_;
  decoder_.reset();
  out_.clear();
  out_off_ = 0;
  watch_events_.clear();
  failed.swap(pending_);
  return failed;
}

void qdb_client::fail(qdb_error error, std::string detail) {
  last_error_ = error;
  last_detail_ = std::move(detail);
  if (fd_ < 0) return;
  std::deque<request> failed = close_socket();
  if (handlers_.on_disconnect) handlers_.on_disconnect(error, last_detail_);
  for (request& r : failed) {
    if (r.done) r.done(completion{qdb_failure::disconnected, {}, {}});
  }
}

void qdb_client::submit(qdb_type type, std::string path, std::string data, completion_fn done, bool limited) {
  if (fd_ < 0) {
    if (done) done(completion{qdb_failure::disconnected, {}, {}});
    return;
  }
  if (limited && pending_.size() >= limits_.max_outstanding) {
    if (done) done(completion{qdb_failure::busy, {}, {}});
    return;
  }
  if (!encode(qdb_message{type, path, std::move(data)}, out_)) {
    if (done) done(completion{qdb_failure::bad_request, {}, {}});
    return;
  }
  pending_.push_back(request{type, std::move(path), std::move(done), {}});
  flush();
}

void qdb_client::flush() {
  while (fd_ >= 0 && out_off_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_off_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      fail(qdb_error::connection_closed, "the daemon closed the connection");
      return;
    }
    fail(qdb_error::io_error, std::string{"send: "} + std::strerror(errno));
    return;
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
}

void qdb_client::on_writable() { flush(); }

void qdb_client::on_readable() {
  const std::uint64_t gen = generation_;
  std::uint8_t buf[4096];
  // Bounded a call (256 KiB by default): a daemon writing without pause (the same watch event
  // over and over, which coalesces into nothing) must not hold the caller here for ever; what
  // is left keeps the socket readable for the next call.
  for (std::size_t reads = 0; reads < limits_.max_reads_per_call && fd_ >= 0 && gen == generation_; ++reads) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      fail(qdb_error::connection_closed, "the daemon closed the connection");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ECONNRESET) {
        fail(qdb_error::connection_closed, "the daemon reset the connection");
        return;
      }
      fail(qdb_error::io_error, std::string{"recv: "} + std::strerror(errno));
      return;
    }
    bytes in{buf, static_cast<std::size_t>(n)};
    while (!in.empty()) {
      auto s = decoder_.feed(in);
      in = in.subspan(s.consumed);
      if (s.error) {
        fail(*s.error, std::string{"malformed message from the daemon: "} + std::string{to_string(*s.error)});
        return;
      }
      if (s.message) {
        handle(std::move(*s.message));
        if (gen != generation_) return;
      }
    }
  }
  deliver_watch_events(gen);
}

void qdb_client::deliver_watch_events(std::uint64_t gen) {
  while (gen == generation_ && !watch_events_.empty()) {
    std::string path = std::move(watch_events_.front());
    watch_events_.pop_front();
    if (handlers_.on_watch) handlers_.on_watch(path);
  }
}

void qdb_client::complete_front(completion&& c) {
  request r = std::move(pending_.front());
  pending_.pop_front();
  if (r.done) r.done(std::move(c));
}

void qdb_client::handle(qdb_message&& m) {
  if (m.type == qdb_type::resp_watch) {
    // Set aside: a watch may fire between the items of a reply.
    if (std::find(watch_events_.begin(), watch_events_.end(), m.path) != watch_events_.end()) return;
    if (watch_events_.size() >= limits_.max_pending_watch_events) {
      fail(qdb_error::watch_overflow, "more than " + std::to_string(limits_.max_pending_watch_events) +
                                          " distinct watch events in one drain");
      return;
    }
    watch_events_.push_back(std::move(m.path));
    return;
  }
  auto unexpected = [&](std::string_view why) {
    fail(qdb_error::unexpected_reply, std::string{to_string(m.type)} + " " + std::string{why});
  };
  if (pending_.empty()) return unexpected("with no request outstanding");
  request& r = pending_.front();
  switch (r.type) {
    case qdb_type::read:
      if (m.type == qdb_type::resp_read) return complete_front(completion{std::nullopt, std::move(m.data), {}});
      break;
    case qdb_type::multiread:
    case qdb_type::list: {
      qdb_type item = r.type == qdb_type::multiread ? qdb_type::resp_multiread : qdb_type::resp_list;
      if (m.type == item) {
        if (m.path.empty()) return complete_front(completion{std::nullopt, {}, std::move(r.entries)});
        if (m.path.compare(0, r.path.size(), r.path) != 0) return unexpected("item outside the requested prefix");
        if (item == qdb_type::resp_list && !m.data.empty()) return unexpected("item with data");
        if (r.entries.size() >= limits_.max_reply_entries) {
          fail(qdb_error::reply_too_large, "more than " + std::to_string(limits_.max_reply_entries) + " items");
          return;
        }
        r.entries.emplace_back(std::move(m.path), std::move(m.data));
        return;
      }
      if (!r.entries.empty()) return unexpected("inside a LIST/MULTIREAD reply");
      break;
    }
    default:
      if (m.type == qdb_type::resp_ok) return complete_front(completion{});
      break;
  }
  if (m.type == qdb_type::resp_error_noent) return complete_front(completion{qdb_failure::not_found, {}, {}});
  if (m.type == qdb_type::resp_error) return complete_front(completion{qdb_failure::daemon_error, {}, {}});
  unexpected(std::string{"in answer to "} + std::string{to_string(r.type)});
}

void qdb_client::read(std::string path, std::function<void(qdb_reply<std::string>)> done) {
  if (!valid_key(path)) {
    if (done) done(qdb_failure::bad_request);
    return;
  }
  submit(qdb_type::read, std::move(path), {}, [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(std::move(c.value));
  });
}

void qdb_client::multiread(std::string prefix, std::function<void(qdb_reply<qdb_entries>)> done) {
  submit(qdb_type::multiread, std::move(prefix), {}, [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(std::move(c.entries));
  });
}

void qdb_client::list(std::string prefix, std::function<void(qdb_reply<std::vector<std::string>>)> done) {
  submit(qdb_type::list, std::move(prefix), {}, [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    std::vector<std::string> paths;
    paths.reserve(c.entries.size());
    for (auto& e : c.entries) paths.push_back(std::move(e.first));
    done(std::move(paths));
  });
}

void qdb_client::write(std::string path, std::string value, std::function<void(qdb_reply<qdb_done>)> done) {
  if (!valid_key(path)) {
    if (done) done(qdb_failure::bad_request);
    return;
  }
  submit(qdb_type::write, std::move(path), std::move(value), [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(qdb_done{});
  });
}

void qdb_client::rm(std::string path, std::function<void(qdb_reply<qdb_done>)> done) {
  if (path.empty()) {
    if (done) done(qdb_failure::bad_request);
    return;
  }
  submit(qdb_type::rm, std::move(path), {}, [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(qdb_done{});
  });
}

void qdb_client::watch(std::string path, std::function<void(qdb_reply<qdb_done>)> done) {
  if (path.empty() || !valid_wire_path(path)) {
    if (done) done(qdb_failure::bad_request);
    return;
  }
  watches_.insert(path);
  if (fd_ < 0) {
    if (done) done(qdb_done{});
    return;
  }
  submit(qdb_type::watch, path, {}, [this, path, done = std::move(done)](completion&& c) {
    // Refused (or never sent): forget it; a lost connection keeps it for the next one.
    if (c.failure && *c.failure != qdb_failure::disconnected) watches_.erase(path);
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(qdb_done{});
  });
}

void qdb_client::unwatch(std::string path, std::function<void(qdb_reply<qdb_done>)> done) {
  watches_.erase(path);
  if (fd_ < 0) {
    if (done) done(qdb_done{});
    return;
  }
  submit(qdb_type::unwatch, std::move(path), {}, [done = std::move(done)](completion&& c) {
    if (!done) return;
    if (c.failure) return done(*c.failure);
    done(qdb_done{});
  });
}

}  // namespace aw::qubes
