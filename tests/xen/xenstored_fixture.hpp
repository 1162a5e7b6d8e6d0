// tests/xen/xenstored_fixture.hpp — a simulated xenstored on a thread, with sockets for dom0, a backend and a frontend.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "xen/real/real_xen.hpp"
#include "xen/sim/xenstored.hpp"
#include "xen/sim/xs_wire.hpp"

namespace aw::test {

inline constexpr xen::domid backend_dom = 1;
inline constexpr xen::domid frontend_dom = 5;

struct xenstored_fixture {
  std::filesystem::path dir;
  xen::sim::xenstored server;

  explicit xenstored_fixture(xen::sim::xs_limits limits = {}) : server(limits) {
    char tmpl[] = "/tmp/aw-xs-XXXXXX";
    dir = ::mkdtemp(tmpl);
    (void)server.listen(socket_of(xen::dom0), xen::dom0);
    (void)server.listen(socket_of(backend_dom), backend_dom);
    (void)server.listen(socket_of(frontend_dom), frontend_dom);
    server.start();
  }
  ~xenstored_fixture() {
    server.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  [[nodiscard]] std::string socket_of(xen::domid d) const { return (dir / ("xs" + std::to_string(d))).string(); }

  // A real libxenstore client acting as domain d.
  std::unique_ptr<xen::xenstore> client(xen::domid d) {
    auto xs = xen::real::open_xenstore(socket_of(d));
    if (!xs) return nullptr;
    return std::move(*xs);
  }

  // A raw socket to the daemon, for malformed frames.
  int raw(xen::domid d) const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string p = socket_of(d);
    std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
};

// Waits up to timeout for watch events until `want` have arrived.
inline std::vector<xen::xs_watch_event> wait_events(xen::xenstore& xs, std::size_t want,
                                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  std::vector<xen::xs_watch_event> got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{xs.watch_fd(), POLLIN, 0};
    (void)::poll(&p, 1, 50);
    auto ev = xs.read_watch_events();
    if (!ev) break;
    got.insert(got.end(), ev->begin(), ev->end());
  }
  return got;
}

// Drains events for a short while (to assert that none arrive).
inline std::vector<xen::xs_watch_event> quiet_events(xen::xenstore& xs) {
  return wait_events(xs, 1000, std::chrono::milliseconds(150));
}

// Sends one frame and reads one whole reply (header + payload); an empty type
// (UINT32_MAX) when the daemon hung up.
struct raw_reply {
  std::uint32_t type = UINT32_MAX;
  std::uint32_t req_id = 0;
  std::string payload;
};

inline bool read_exact(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 2000) <= 0) return false;
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

inline raw_reply read_reply(int fd) {
  std::uint8_t h[xen::sim::xs_header_size];
  raw_reply out;
  if (!read_exact(fd, h, sizeof h)) return out;
  auto hdr = xen::sim::decode_header(h);
  std::string payload(hdr.len, '\0');
  if (hdr.len > 0 && !read_exact(fd, payload.data(), hdr.len)) return out;
  out.type = hdr.type;
  out.req_id = hdr.req_id;
  out.payload = std::move(payload);
  return out;
}

inline void send_bytes(int fd, const std::vector<std::uint8_t>& b) {
  (void)::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
}

inline std::vector<std::uint8_t> frame(xen::sim::xs_type t, std::string_view payload, std::uint32_t req_id = 7,
                                       std::uint32_t tx = 0) {
  std::vector<std::uint8_t> out;
  xen::sim::append_message(out, t, req_id, tx, payload);
  return out;
}

}  // namespace aw::test
