// tests/link/relay.hpp — a wire made of two links (frames forwarded both ways by a thread)
// and a TCP transfer across it between two namespaces' own stacks.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <thread>

#include "link/link.hpp"
#include "link/netns.hpp"
#include "link_lab.hpp"

namespace aw::test {

struct relay_stats {
  std::size_t frames = 0, partial = 0, gso_tcpv4 = 0, largest = 0, two_slice = 0;
};

// Forwards every frame between a and b, as a wire would, until stop.
inline void relay(link::link& a, link::link& b, std::atomic<bool>& stop, relay_stats& stats) {
  proto::buffer_pool pool;  // this thread acquires: it owns its pool
  std::vector<proto::packet> frames;
  while (!stop) {
    std::array<pollfd, 2> fds{{{a.fd(), POLLIN, 0}, {b.fd(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    for (std::size_t i = 0; i < 2; ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      link::link& from = i == 0 ? a : b;
      link::link& to = i == 0 ? b : a;
      frames.clear();
      from.receive(frames, 64, pool);
      for (const auto& f : frames) {
        ++stats.frames;
        if (f.meta().l4_checksum == proto::checksum_state::partial) ++stats.partial;
        if (f.meta().gso == proto::gso_type::tcpv4) ++stats.gso_tcpv4;
        if (!f.contiguous()) ++stats.two_slice;
        stats.largest = std::max(stats.largest, f.size());
      }
      to.send(frames);
    }
  }
}

struct transfer_result {
  bool connected = false;
  std::size_t written = 0, received = 0, mismatches = 0;
};

// total bytes of a known pattern over TCP from a socket in `from` to a
// listener at server in `to`; every blocking call times out after 5 s.
inline transfer_result tcp_transfer(const link::netns& from, const link::netns& to, proto::ipv4_address server_ip,
                                    std::uint16_t port, std::size_t total) {
  transfer_result r;
  const timeval timeout{5, 0};
  auto listener = socket_in(to, SOCK_STREAM, 0, false);
  auto server = sockaddr_of(server_ip, port);
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(listener.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  REQUIRE(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);

  auto pattern = [](std::size_t i) { return static_cast<std::uint8_t>((i * 7) ^ (i >> 9)); };
  auto client = socket_in(from, SOCK_STREAM, 0, false);
  ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::thread sender([&] {
    if (::connect(client.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) return;
    std::vector<std::uint8_t> chunk(256 << 10);
    while (r.written < total) {
      const std::size_t want = std::min(chunk.size(), total - r.written);
      for (std::size_t i = 0; i < want; ++i) chunk[i] = pattern(r.written + i);
      const ssize_t n = ::send(client.get(), chunk.data(), want, MSG_NOSIGNAL);
      if (n <= 0) break;
      r.written += static_cast<std::size_t>(n);  // after a short send the next chunk follows `written`
    }
    ::shutdown(client.get(), SHUT_WR);
  });

  link::unique_fd conn{::accept(listener.get(), nullptr, nullptr)};
  if (conn) {
    r.connected = true;
    ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::vector<std::uint8_t> buf(256 << 10);
    for (;;) {
      const ssize_t n = ::recv(conn.get(), buf.data(), buf.size(), 0);
      if (n <= 0) break;
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
        if (buf[i] != pattern(r.received + i)) ++r.mismatches;
      r.received += static_cast<std::size_t>(n);
    }
  }
  sender.join();
  return r;
}

}  // namespace aw::test
