// app/status_command.hpp — `actorwall status`: reads a running service's status socket and
// shows its counters and states as a table, as JSON or as raw lines, once or every N seconds.
#pragma once

namespace aw::app {

// argv[0] is "status"; returns the process exit code (0 shown, 1 no service or no such
// client, 2 bad options).
int run_status_command(int argc, char** argv);

}  // namespace aw::app
