// app/status_server.hpp — the status command's unix socket: each connection gets one dump
// of every counter and is closed.
#pragma once

#include <functional>
#include <string>

namespace aw::app {

class status_server {
 public:
  // Listens on path (replacing a stale socket file); fd() is -1 on failure (logged).
  explicit status_server(std::string path);
  ~status_server();
  status_server(const status_server&) = delete;
  status_server& operator=(const status_server&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  // Accepts one waiting connection and writes dump() to it (bounded time).
  void serve_one(const std::function<std::string()>& dump);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace aw::app
