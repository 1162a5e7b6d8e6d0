// app/startup_config.cpp — a blocking QubesDB read, with a deadline, at start-up only.
#include "app/startup_config.hpp"

#include <poll.h>

#include <iterator>
#include <optional>
#include <thread>

#include "qubes/qdb_client.hpp"

namespace aw::app {

namespace {
// The keys read_network_config uses, read one by one: a multiread of "/" would carry
// every client's rule lines too (and could pass the client's reply bound).
constexpr const char* network_keys[] = {
    "/qubes-ip",           "/qubes-netmask",          "/qubes-gateway",           "/qubes-primary-dns",
    "/qubes-secondary-dns", "/qubes-netvm-gateway",   "/qubes-netvm-netmask",     "/qubes-netvm-primary-dns",
    "/qubes-netvm-secondary-dns", "/qubes-mac"};
}  // namespace

result<qubes::network_config, std::string> read_startup_config(const std::string& socket,
                                                               std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  qubes::qdb_client qdb{socket};
  qubes::qdb_backoff backoff;
  std::string last = "no answer";
  auto pause = [&] { std::this_thread::sleep_for(std::chrono::milliseconds{backoff.next_delay_ms()}); };
  while (std::chrono::steady_clock::now() < deadline) {
    if (!qdb.connected()) {
      if (!qdb.connect()) {
        last = qdb.last_error_detail();
        pause();
        continue;
      }
    }
    qubes::qdb_map found;
    std::size_t answered = 0;
    std::optional<std::string> failure;
    for (const char* key : network_keys) {
      qdb.read(key, [&, key](qubes::qdb_reply<std::string> r) {
        ++answered;
        if (r) found[key] = std::move(*r);
        else if (r.error() != qubes::qdb_failure::not_found) failure = std::string{qubes::to_string(r.error())};
      });
    }
    while (answered < std::size(network_keys) && qdb.connected() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{qdb.fd(), static_cast<short>(POLLIN | (qdb.wants_write() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, 100) > 0) {
        if (p.revents & POLLOUT) qdb.on_writable();
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) qdb.on_readable();
      }
    }
    if (answered < std::size(network_keys)) continue;  // disconnected (reconnects) or out of time
    if (failure) {
      last = *failure;
      pause();  // the daemon refused: not again at once
      continue;
    }
    auto config = qubes::read_network_config(found);
    if (!config) return "QubesDB network configuration: " + config.error().message();
    return std::move(*config);
  }
  return "QubesDB at " + socket + " did not answer in " + std::to_string(timeout.count()) + " s (" + last + ")";
}

}  // namespace aw::app
