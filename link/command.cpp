// link/command.cpp — run a program and collect its output.
#include "link/command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "link/unique_fd.hpp"

extern char** environ;

namespace aw::link {

namespace {
std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}
}  // namespace

result<command_output, os_error> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return os_error{EINVAL, "empty command"};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return os_error::from_errno("pipe");
  unique_fd rd{pipe_fds[0]}, wr{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, wr.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, wr.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // ip lives in /usr/sbin or /sbin, which a non-login PATH may lack.
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
      std::string candidate = dir + program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        program = candidate;
        break;
      }
    }
  }
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return os_error::from_errno("spawn " + joined(argv), rc);
  wr.reset();

  command_output out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return os_error::from_errno("waitpid " + joined(argv));
  }
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

std::optional<os_error> run_checked(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (!r) return r.error();
  if (r->status != 0)
    return os_error{0, joined(argv) + " exited with " + std::to_string(r->status) + ": " + r->output};
  return std::nullopt;
}

}  // namespace aw::link
