// qubes/tools/aw_fake_qubesdb.cpp — `aw-fake-qubesdb <socket> <file>`: serves a QubesDB-format file; SIGHUP reloads it.
#include <csignal>
#include <cstdio>
#include <string>

#include <sys/signalfd.h>
#include <unistd.h>

#include "qubes/fake_qubesdb.hpp"
#include "qubes/qdb_file.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <socket> <file>\n", argv[0]);
    return 2;
  }
  const std::string socket_path = argv[1];
  const std::string file = argv[2];
  auto keys = aw::qubes::load_qdb_file(file);
  if (!keys) {
    std::fprintf(stderr, "aw-fake-qubesdb: %s\n", keys.error().message().c_str());
    return 1;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) return 1;
  int sfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) return 1;

  auto server = aw::qubes::fake_qubesdb::start(socket_path, std::move(*keys));
  if (!server) {
    std::fprintf(stderr, "aw-fake-qubesdb: %s\n", server.error().c_str());
    return 1;
  }
  aw::qubes::fake_qubesdb& db = **server;
  db.add_fd(sfd, [&] {
    signalfd_siginfo info{};
    while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo != SIGHUP) {
        db.stop();
        continue;
      }
      auto reloaded = aw::qubes::load_qdb_file(file);
      if (!reloaded) {
        std::fprintf(stderr, "aw-fake-qubesdb: reload refused, keeping the old keys: %s\n",
                     reloaded.error().message().c_str());
        continue;
      }
      std::size_t changed = db.replace_all(*reloaded);
      std::fprintf(stderr, "aw-fake-qubesdb: reloaded %s: %zu keys, %zu changed\n", file.c_str(),
                   reloaded->size(), changed);
    }
  });
  std::fprintf(stderr, "aw-fake-qubesdb: serving %zu keys from %s on %s\n", db.keys().size(), file.c_str(),
               socket_path.c_str());
  db.run();
  ::close(sfd);
  return 0;
}
