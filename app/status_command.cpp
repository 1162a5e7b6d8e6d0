// app/status_command.cpp — the status command's I/O: the socket read, options, the watch loop.
#include "app/status_command.hpp"

#include <CLI/CLI.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

#include "app/status_report.hpp"

namespace aw::app {
namespace {

constexpr std::size_t max_dump = std::size_t{16} << 20;  // far above 250 clients' counters

// One dump: connect, read to EOF (bounded in time and size). nullopt with the reason in error.
std::optional<std::string> read_dump(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    error = "socket path too long: " + path;
    return std::nullopt;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string{"socket: "} + std::strerror(errno);
    return std::nullopt;
  }
  timeval tv{5, 0};  // the service answers within its 3 s stats deadline
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error = "cannot connect to " + path + ": " + std::strerror(errno) +
            " (is actorwall running with --status-socket " + path + "?)";
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "reading " + path + ": " + (errno == EAGAIN ? std::string{"no answer within 5 s"} : std::strerror(errno));
      ::close(fd);
      return std::nullopt;
    }
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_dump) {
      error = "reading " + path + ": over 16 MiB, not a status dump";
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

std::string now_text() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

}  // namespace

int run_status_command(int argc, char** argv) {
  CLI::App cli{"actorwall status: the counters and states of a running actorwall"};
  cli.name("actorwall status");
  std::string socket_path = "/run/actorwall/status.sock";
  cli.add_option("--socket", socket_path, "the service's status socket (its --status-socket)")->capture_default_str();
  bool json = false, raw = false;
  auto* json_opt = cli.add_flag("--json", json, "as one JSON object (groups: sections, clients, ports)");
  cli.add_flag("--raw", raw, "the \"name value\" lines as the service writes them (for scripts)")->excludes(json_opt);
  std::string client_text;
  cli.add_option("--client", client_text, "only this client: its counters and its ports'");
  double watch = 0;
  cli.add_option("--watch", watch, "show again every SECONDS until interrupted")->check(CLI::Range(0.1, 3600.0));
  std::optional<proto::ipv4_address> client;
  try {
    cli.parse(argc, argv);
    if (!client_text.empty()) {
      client = proto::ipv4_address::parse(client_text);
      if (!client) throw CLI::ValidationError("--client wants an IPv4 address, got '" + client_text + "'");
    }
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);  // prints the help or the error
    return rc == 0 ? 0 : 2;
  }
  for (;;) {
    std::string error;
    auto dump = read_dump(socket_path, error);
    if (!dump) {
      std::fprintf(stderr, "actorwall status: %s\n", error.c_str());
      return 1;
    }
    auto report = parse_status(*dump);
    if (client) {
      report = only_client(report, *client);
      if (report.entries.empty()) {
        std::fprintf(stderr, "actorwall status: no client %s in the service's status\n", client_text.c_str());
        if (watch == 0) return 1;
      }
    }
    std::string text = json ? render_json(report) : raw ? render_raw(report) : render_table(report);
    if (watch > 0 && !json && !raw) text = "\x1b[H\x1b[2J" + now_text() + "  " + socket_path + "\n\n" + text;
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    if (watch == 0) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>{watch});
  }
}

}  // namespace aw::app
