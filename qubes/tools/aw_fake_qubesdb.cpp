// qubes/tools/aw_fake_qubesdb.cpp — `aw-fake-qubesdb <socket> <file>`: serves a QubesDB-format file; SIGHUP
// reloads it (and writes the commit key of each client whose rules changed, as dom0 does).
#include <csignal>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>

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
      const aw::qubes::qdb_map before = db.keys();
      std::size_t changed = db.replace_all(*reloaded);
      // As dom0 after rewriting a client's rules: the write of /qubes-firewall/<ip>, the commit
      // signal a reader acts on, follows (here a reload may leave that key's value as it was).
      std::set<std::string> commits;
      auto note = [&](const std::string& k) {
        constexpr std::string_view dir = "/qubes-firewall/";
        if (k.compare(0, dir.size(), dir) != 0) return;
        const auto slash = k.find('/', dir.size());
        if (slash != std::string::npos) commits.insert(k.substr(0, slash));
      };
      for (const auto& [k, v] : before)
        if (auto it = reloaded->find(k); it == reloaded->end() || it->second != v) note(k);
      for (const auto& [k, v] : *reloaded)
        if (before.count(k) == 0) note(k);
      for (const auto& c : commits) {
        auto now = db.keys().find(c);
        auto was = before.find(c);
        const bool fired = was == before.end() || now == db.keys().end() || was->second != now->second;
        if (now != db.keys().end() && !fired) db.set(c, std::string{now->second});
      }
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
