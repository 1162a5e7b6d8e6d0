// xen/sim/xenstored.cpp — unix-socket serving for the simulated xenstored.
#include "xen/sim/xenstored.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace aw::xen::sim {

xenstored::xenstored(xs_limits limits) : store_(limits) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

xenstored::~xenstored() {
  stop();
  for (auto& [id, c] : clients_) ::close(c.fd);
  for (auto& [fd, l] : listeners_) {
    ::close(fd);
    ::unlink(l.path.c_str());
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

status xenstored::listen(const std::string& path, domid d) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return xen_error::invalid_argument;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return from_errno(errno);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    int e = errno;
    ::close(fd);
    return from_errno(e);
  }
  std::lock_guard lock(mu_);
  if (d != dom0) store_.introduce(d);
  listeners_[fd] = listener{fd, path, d};
  return done{};
}

void xenstored::accept_on(const listener& l) {
  for (;;) {
    int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    xs_store::conn_id id = store_.connect(l.dom);
    if (id == 0) {
      ::close(fd);
      continue;
    }
    clients_[id] = client{fd};
  }
}

void xenstored::drop(xs_store::conn_id id) {
  auto it = clients_.find(id);
  if (it != clients_.end()) {
    ::close(it->second.fd);
    clients_.erase(it);
  }
  store_.disconnect(id);
}

void xenstored::read_from(xs_store::conn_id id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  std::uint8_t buf[16384];
  // Bounded work per round: a flooding client cannot starve the others.
  for (int round = 0; round < 8; ++round) {
    ssize_t n = ::recv(it->second.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      drop(id);
      return;
    }
    if (n < 0) return;
    if (!store_.receive(id, std::span<const std::uint8_t>{buf, static_cast<std::size_t>(n)})) {
      drop(id);
      return;
    }
  }
}

void xenstored::flush() {
  std::vector<xs_store::conn_id> dead;
  for (auto& [id, c] : clients_) {
    if (store_.doomed(id)) {
      dead.push_back(id);
      continue;
    }
    auto* out = store_.output(id);
    while (out != nullptr && !out->empty()) {
      ssize_t n = ::send(c.fd, out->data(), out->size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        dead.push_back(id);
        break;
      }
      out->erase(out->begin(), out->begin() + n);
    }
  }
  for (auto id : dead) drop(id);
}

void xenstored::poll_once(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<xs_store::conn_id> ids;
  {
    std::lock_guard lock(mu_);
    fds.push_back({wake_fd_, POLLIN, 0});
    ids.push_back(0);
    for (auto& [fd, l] : listeners_) {
      fds.push_back({fd, POLLIN, 0});
      ids.push_back(0);
    }
    for (auto& [id, c] : clients_) {
      auto* out = store_.output(id);
      short ev = POLLIN;
      if (out != nullptr && !out->empty()) ev = static_cast<short>(ev | POLLOUT);
      fds.push_back({c.fd, ev, 0});
      ids.push_back(id);
    }
  }
  int n = ::poll(fds.data(), fds.size(), timeout_ms);
  if (n <= 0) return;
  std::lock_guard lock(mu_);
  if (fds[0].revents != 0) {
    std::uint64_t v = 0;
    (void)!::read(wake_fd_, &v, sizeof v);
  }
  for (std::size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    if (ids[i] == 0) {
      auto l = listeners_.find(fds[i].fd);
      if (l != listeners_.end()) accept_on(l->second);
    } else if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
      read_from(ids[i]);
    }
  }
  flush();
}

void xenstored::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] {
    while (running_.load()) poll_once(200);
  });
}

void xenstored::stop() {
  if (!running_.exchange(false)) return;
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void xenstored::with_store(const std::function<void(xs_store&)>& f) {
  std::lock_guard lock(mu_);
  f(store_);
  flush();
}

std::size_t xenstored::clients() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

}  // namespace aw::xen::sim
