// app/startup_config.cpp — a blocking QubesDB read, with a deadline, at start-up only.
#include "app/startup_config.hpp"

#include <poll.h>

#include <optional>
#include <thread>

#include "qubes/qdb_client.hpp"

namespace aw::app {

result<qubes::network_config, std::string> read_startup_config(const std::string& socket,
                                                               std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  qubes::qdb_client qdb{socket};
  qubes::qdb_backoff backoff;
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    if (!qdb.connected()) {
      if (!qdb.connect()) {
        last = qdb.last_error_detail();
        std::this_thread::sleep_for(std::chrono::milliseconds{backoff.next_delay_ms()});
        continue;
      }
    }
    std::optional<qubes::qdb_reply<qubes::qdb_entries>> reply;
    qdb.multiread("/", [&](qubes::qdb_reply<qubes::qdb_entries> r) { reply = std::move(r); });
    while (!reply && qdb.connected() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{qdb.fd(), static_cast<short>(POLLIN | (qdb.wants_write() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, 100) > 0) {
        if (p.revents & POLLOUT) qdb.on_writable();
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) qdb.on_readable();
      }
    }
    if (!reply) continue;
    if (!*reply) {
      last = std::string{qubes::to_string(reply->error())};
      continue;
    }
    auto config = qubes::read_network_config(qubes::to_map(std::move(**reply)));
    if (!config) return "QubesDB network configuration: " + config.error().message();
    return std::move(*config);
  }
  return "QubesDB at " + socket + " did not answer in " + std::to_string(timeout.count()) + " s (" + last + ")";
}

}  // namespace aw::app
