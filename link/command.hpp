// link/command.hpp — run a program (no shell) and collect its exit status and output;
// for set-up in tests and the lab (`ip netns add`, `ip -n NS addr add ...`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "link/os_error.hpp"
#include "protocol/result.hpp"

namespace aw::link {

struct command_output {
  int status = -1;     // exit code; 128 + signal when killed
  std::string output;  // stdout and stderr, interleaved
};

// argv[0] is looked up in PATH (and /usr/sbin, /sbin). Errors: the program
// could not be started.
result<command_output, os_error> run_command(const std::vector<std::string>& argv);

// run_command that wants exit status 0; the error holds the command line and its output.
std::optional<os_error> run_checked(const std::vector<std::string>& argv);

}  // namespace aw::link
