// qubes/fake_qubesdb.cpp — the fake QubesDB daemon: accept, decode, answer, fire watches.
#include "qubes/fake_qubesdb.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace aw::qubes {

struct fake_qubesdb::conn {
  int fd = -1;
  qdb_decoder decoder{qdb_decoder::from::client};
  std::vector<std::uint8_t> out;
  std::size_t out_off = 0;
  std::set<std::string> watches;
  bool dead = false;
};

namespace {
bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
}  // namespace

fake_qubesdb::fake_qubesdb(std::string path) : path_(std::move(path)) {}

result<std::unique_ptr<fake_qubesdb>, std::string> fake_qubesdb::start(std::string socket_path, qdb_map initial) {
  std::unique_ptr<fake_qubesdb> s{new fake_qubesdb(std::move(socket_path))};
  s->db_ = std::move(initial);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (s->path_.size() >= sizeof addr.sun_path) return std::string{"socket path too long: "} + s->path_;
  std::memcpy(addr.sun_path, s->path_.c_str(), s->path_.size() + 1);
  int pipefd[2];
  if (::pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) != 0) return std::string{"pipe: "} + std::strerror(errno);
  s->wake_r_ = pipefd[0];
  s->wake_w_ = pipefd[1];
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return std::string{"socket: "} + std::strerror(errno);
  ::unlink(s->path_.c_str());
  if (::bind(s->listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return s->path_ + ": bind: " + std::strerror(errno);
  if (::listen(s->listen_fd_, 16) != 0) return s->path_ + ": listen: " + std::strerror(errno);
  return s;
}

fake_qubesdb::~fake_qubesdb() {
  for (auto& c : clients_) ::close(c->fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  if (wake_r_ >= 0) ::close(wake_r_);
  if (wake_w_ >= 0) ::close(wake_w_);
}

void fake_qubesdb::stop() {
  stopping_ = true;
  char b = 's';
  (void)!::write(wake_w_, &b, 1);
}

void fake_qubesdb::post(std::function<void(fake_qubesdb&)> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  char b = 'p';
  (void)!::write(wake_w_, &b, 1);
}

void fake_qubesdb::run_posted() {
  char buf[64];
  while (::read(wake_r_, buf, sizeof buf) > 0) {
  }
  std::vector<std::function<void(fake_qubesdb&)>> fns;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    fns.swap(posted_);
  }
  for (auto& fn : fns) fn(*this);
}

void fake_qubesdb::run() {
  while (poll_once(-1)) {
  }
}

bool fake_qubesdb::poll_once(int timeout_ms) {
  if (stopping_) return false;
  std::vector<pollfd> fds;
  fds.push_back({wake_r_, POLLIN, 0});
  fds.push_back({listen_fd_, POLLIN, 0});
  for (auto& c : clients_) {
    auto ev = static_cast<short>(POLLIN | (c->out_off < c->out.size() ? POLLOUT : 0));
    fds.push_back({c->fd, ev, 0});
  }
  for (auto& [fd, fn] : extra_) fds.push_back({fd, POLLIN, 0});
  int n = ::poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0 && errno != EINTR) return false;
  if (n > 0) {
    if (fds[0].revents != 0) run_posted();
    if (stopping_) return false;
    if (fds[1].revents != 0) accept_all();
    std::size_t nclients = fds.size() - 2 - extra_.size();
    for (std::size_t i = 0; i < nclients && i < clients_.size(); ++i) {
      conn& c = *clients_[i];
      short re = fds[2 + i].revents;
      if (c.dead || re == 0) continue;
      if ((re & (POLLIN | POLLHUP | POLLERR)) != 0) read_from(c);
      if (!c.dead && (re & POLLOUT) != 0) flush(c);
    }
    for (std::size_t i = 0; i < extra_.size(); ++i) {
      if (fds[2 + nclients + i].revents != 0) extra_[i].second();
    }
  }
  for (auto it = clients_.begin(); it != clients_.end();) {
    if ((*it)->dead) {
      ::close((*it)->fd);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  return !stopping_;
}

void fake_qubesdb::accept_all() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<conn>();
    c->fd = fd;
    clients_.push_back(std::move(c));
  }
}

void fake_qubesdb::read_from(conn& c) {
  std::uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      c.dead = true;
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
      return;
    }
    bytes in{buf, static_cast<std::size_t>(n)};
    while (!in.empty() && !c.dead) {
      auto s = c.decoder.feed(in);
      in = in.subspan(s.consumed);
      if (s.error) {
        c.dead = true;
        return;
      }
      if (s.message) handle(c, std::move(*s.message));
    }
  }
}

void fake_qubesdb::send(conn& c, const qdb_message& m) {
  if (c.dead) return;
  if (!encode(m, c.out)) return;
  flush(c);
}

void fake_qubesdb::send_raw(bytes raw) {
  for (auto& c : clients_) {
    if (c->dead) continue;
    c->out.insert(c->out.end(), raw.begin(), raw.end());
    flush(*c);
  }
}

void fake_qubesdb::drop_clients() {
  for (auto& c : clients_) c->dead = true;
  for (auto& c : clients_) ::close(c->fd);
  clients_.clear();
}

void fake_qubesdb::flush(conn& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    c.dead = true;
    return;
  }
  c.out.clear();
  c.out_off = 0;
}

void fake_qubesdb::fire(const std::string& path) {
  for (auto& c : clients_) {
    for (const std::string& w : c->watches) {
      bool match = w.back() == '/' ? starts_with(path, w) : path == w;
      if (match) {
        send(*c, qdb_message{qdb_type::resp_watch, path, {}});
        break;
      }
    }
  }
}

void fake_qubesdb::set(const std::string& key, const std::string& value) {
  db_[key] = value;
  fire(key);
}

std::size_t fake_qubesdb::erase_matching(const std::string& path) {
  if (path.empty() || path.back() != '/') return db_.erase(path);
  std::size_t removed = 0;
  for (auto it = db_.lower_bound(path); it != db_.end() && starts_with(it->first, path);) {
    it = db_.erase(it);
    ++removed;
  }
  return removed;
}

bool fake_qubesdb::remove(const std::string& path) {
  if (erase_matching(path) == 0) return false;
  fire(path);
  return true;
}

std::size_t fake_qubesdb::replace_all(const qdb_map& keys) {
  std::vector<std::string> changed;
  for (const auto& [k, v] : db_) {
    if (keys.count(k) == 0) changed.push_back(k);
  }
  for (const auto& [k, v] : keys) {
    auto it = db_.find(k);
    if (it == db_.end() || it->second != v) changed.push_back(k);
  }
  db_ = keys;
  for (const std::string& k : changed) fire(k);
  return changed.size();
}

std::multiset<std::string> fake_qubesdb::watches() const {
  std::multiset<std::string> out;
  for (const auto& c : clients_) out.insert(c->watches.begin(), c->watches.end());
  return out;
}

void fake_qubesdb::interleave_in_next_reply(std::vector<std::string> watch_paths) {
  interleave_ = std::move(watch_paths);
}

void fake_qubesdb::add_fd(int fd, std::function<void()> on_readable) {
  extra_.emplace_back(fd, std::move(on_readable));
}

void fake_qubesdb::handle(conn& c, qdb_message&& m) {
  ++requests_;
  const qdb_message ok{qdb_type::resp_ok, m.path, {}};
  const qdb_message noent{qdb_type::resp_error_noent, m.path, {}};
  const qdb_message error{qdb_type::resp_error, m.path, {}};
  switch (m.type) {
    case qdb_type::read: {
      auto it = db_.find(m.path);
      if (it == db_.end()) return send(c, noent);
      return send(c, qdb_message{qdb_type::resp_read, m.path, it->second});
    }
    case qdb_type::write:
      if (!valid_key(m.path)) return send(c, error);
      db_[m.path] = m.data;
      send(c, ok);
      return fire(m.path);
    case qdb_type::multiread:
    case qdb_type::list: {
      if (!m.data.empty()) return send(c, error);
      const qdb_type item = m.type == qdb_type::multiread ? qdb_type::resp_multiread : qdb_type::resp_list;
      std::vector<std::string> inject;
      inject.swap(interleave_);
      bool injected = inject.empty();
      for (auto it = db_.lower_bound(m.path); it != db_.end() && starts_with(it->first, m.path); ++it) {
        send(c, qdb_message{item, it->first, item == qdb_type::resp_multiread ? it->second : std::string{}});
        if (!injected) {
          for (const auto& p : inject) send(c, qdb_message{qdb_type::resp_watch, p, {}});
          injected = true;
        }
      }
      if (!injected) {
        for (const auto& p : inject) send(c, qdb_message{qdb_type::resp_watch, p, {}});
      }
      return send(c, qdb_message{item, {}, {}});
    }
    case qdb_type::rm:
      if (!m.data.empty() || m.path.empty()) return send(c, error);
      if (erase_matching(m.path) == 0) return send(c, noent);
      send(c, ok);
      return fire(m.path);
    case qdb_type::watch:
      if (m.path.empty()) return send(c, error);
      c.watches.insert(m.path);
      return send(c, ok);
    case qdb_type::unwatch:
      return send(c, c.watches.erase(m.path) != 0 ? ok : noent);
    default:
      c.dead = true;  // a reply type from a client (the decoder already refuses these)
      return;
  }
}

}  // namespace aw::qubes
