// tests/link/link_lab.hpp — namespaces, TAPs and hand-made frames for the link tests, which
// run against the real kernel (root needed; every namespace is deleted at the end of its test).
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "link/netns.hpp"
#include "link/tap_link.hpp"
#include "protocol/ethernet.hpp"
#include "protocol/packet.hpp"
#include "support/bytes.hpp"
#include "support/packets.hpp"

namespace aw::test {

// A set-up step that must succeed; its error text otherwise.
inline void ok(const std::optional<link::os_error>& e) {
  if (e) FAIL(e->what);
}

// Root and /dev/net/tun, or a clear failure (CI runs the tests as root).
inline bool have_kernel_lab() {
  if (::geteuid() != 0) {
    FAIL("link tests need root (network namespaces, TAP devices): run as root, as CI does");
    return false;
  }
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
    FAIL("link tests need /dev/net/tun (modprobe tun)");
    return false;
  }
  return true;
}

// A fresh namespace aw-test-<pid>-<tag>, deleted by its destructor (also
// when a check fails), with IPv6 off so that no stray RS/MLD frames mix in.
inline link::netns make_ns(const std::string& tag) {
  auto ns = link::netns::create("aw-test-" + std::to_string(::getpid()) + "-" + tag);
  if (!ns) FAIL("cannot create a network namespace: " << ns.error().what);
  auto quiet = ns->run([] {
    for (const char* path :
         {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
      if (FILE* f = std::fopen(path, "w")) {
        std::fputs("1", f);
        std::fclose(f);
      }
    }
  });
  REQUIRE(quiet);
  ok(ns->set_up("lo"));
  return std::move(*ns);
}

// A TAP opened here, moved into ns as `inner_name`, up, with address cidr there.
inline std::unique_ptr<link::tap_link> tap_into(const link::netns& ns, const std::string& inner_name,
                                               const std::string& cidr, link::tap_config config = {}) {
  auto tap = link::tap_link::open(config);
  if (!tap) FAIL("cannot open a TAP: " << tap.error().what);
  auto moved = link::move_link_to_netns((*tap)->ifindex(), ns.fd(), inner_name);
  if (moved) FAIL("cannot move the TAP: " << moved->what);
  ok(ns.set_up(inner_name));
  if (!cidr.empty()) {
    ok(ns.add_address(inner_name, cidr));
  }
  return std::move(*tap);
}

// A socket created inside ns (it stays there), non-blocking unless told.
inline link::unique_fd socket_in(const link::netns& ns, int type, int protocol, bool nonblock = true) {
  auto fd = ns.run([&] { return ::socket(AF_INET, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), protocol); });
  REQUIRE(fd);
  REQUIRE(*fd >= 0);
  return link::unique_fd{*fd};
}

inline sockaddr_in sockaddr_of(proto::ipv4_address a, std::uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value);
  return s;
}

inline bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN) != 0;
}

// An Ethernet frame around an IP packet or ARP message.
inline byte_vector ethernet_frame(proto::mac_address dst, proto::mac_address src, proto::ethertype type,
                                  const byte_vector& payload) {
  byte_vector f(proto::ethernet_view::header_len + payload.size());
  proto::ethernet_repr{dst, src, type, std::nullopt}.emit(f);
  std::copy(payload.begin(), payload.end(), f.begin() + proto::ethernet_view::header_len);
  return f;
}

inline proto::packet packet_of(proto::buffer_pool& pool, const byte_vector& bytes, proto::packet_meta meta = {}) {
  auto p = proto::make_packet(pool, bytes, meta);
  REQUIRE(p);
  return std::move(*p);
}

inline proto::ipv4_address ip(const char* text) { return *proto::ipv4_address::parse(text); }
inline proto::mac_address mac(const char* text) { return *proto::mac_address::parse(text); }

using clock = std::chrono::steady_clock;

}  // namespace aw::test
