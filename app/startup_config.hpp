// app/startup_config.hpp — the network configuration read from QubesDB once at start,
// before any actor runs (the firewall needs its addresses to exist).
#pragma once

#include <chrono>
#include <string>

#include "protocol/result.hpp"
#include "qubes/network_config.hpp"

namespace aw::app {

// Connects to the daemon (retrying until the deadline) and reads the keys.
result<qubes::network_config, std::string> read_startup_config(const std::string& socket,
                                                               std::chrono::seconds timeout);

}  // namespace aw::app
