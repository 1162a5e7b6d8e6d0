// app/status_server.cpp — a listening unix socket, one dump per connection.
#include "app/status_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "actors/log.hpp"

namespace aw::app {

status_server::status_server(std::string path) : path_(std::move(path)) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    actors::log_error("status socket path too long: " + path_);
    return;
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  // A stale socket of an earlier run goes; anything else at that path stays ours to refuse.
  struct stat st{};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      actors::log_error("status socket " + path_ + ": exists and is not a socket, not replacing it");
      return;
    }
    ::unlink(path_.c_str());
  }
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  // The counters name the clients and their traffic: owner only, set before listen()
  // so nobody can connect while the mode is still the umask's.
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod(path_.c_str(), 0600) != 0 || ::listen(fd_, 8) != 0) {
    actors::log_error("status socket " + path_ + ": " + std::strerror(errno));
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
}

status_server::~status_server() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void status_server::serve_one(const std::function<std::string()>& dump) {
  int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  timeval tv{1, 0};  // a reader that does not read cannot hold the main loop
  ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string text = dump();
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::send(c, text.data() + off, text.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(c);
}

}  // namespace aw::app
