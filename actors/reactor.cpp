// actors/reactor.cpp — the epoll loop.
#include "actors/reactor.hpp"

#include <caf/all.hpp>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "actors/messages.hpp"

namespace aw::actors {

reactor::reactor() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    std::perror("actorwall: reactor");
    std::abort();  // no I/O thread, no firewall: fail at start-up, loudly
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread{[this] { run(); }};
}

reactor::~reactor() {
  stop_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool reactor::watch(int fd, fd_owner_actor owner) {
  {
    std::lock_guard<std::mutex> g{mutex_};
    owners_[fd] = std::move(owner);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  int saved = errno;
  std::lock_guard<std::mutex> g{mutex_};
  owners_.erase(fd);
  errno = saved;
  return false;
}

void reactor::rearm(int fd, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT | (want_write ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void reactor::forget(int fd, const caf::actor_addr& owner) {
  std::lock_guard<std::mutex> g{mutex_};
  auto it = owners_.find(fd);
  if (it == owners_.end() || it->second.address() != owner) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // under the lock: no watch(fd) in between
  owners_.erase(it);
}

std::size_t reactor::watched() const {
  std::lock_guard<std::mutex> g{mutex_};
  return owners_.size();
}

fd_owner_actor reactor::owner_of(int fd) const {
  std::lock_guard<std::mutex> g{mutex_};
  auto it = owners_.find(fd);
  return it == owners_.end() ? fd_owner_actor{} : it->second;
}

void reactor::run() {
  epoll_event events[64];
  while (!stop_) {
    int n = ::epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("actorwall: epoll_wait");
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      fd_owner_actor owner;
      {
        std::lock_guard<std::mutex> g{mutex_};
        auto it = owners_.find(fd);
        if (it != owners_.end()) owner = it->second;
      }
      // Errors and hang-ups count as readable: the owner's read reports them.
      const bool readable = (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
      const bool writable = (events[i].events & EPOLLOUT) != 0;
      if (owner) caf::anon_send(owner, fd_ready{fd, readable, writable});
    }
  }
}

}  // namespace aw::actors
