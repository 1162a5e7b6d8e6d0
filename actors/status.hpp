// actors/status.hpp — the counters, as the text the status command and SIGUSR1 print.
#pragma once

#include <cstdint>
#include <string>

#include "firewall/firewall.hpp"

namespace aw::actors {

// Totals, per-reason drops (non-zero only), per-client lines and the NAT's
// tables and counters; one "name value" per line, stable names.
std::string format_firewall_status(const firewall::firewall& fw, std::uint64_t undeliverable);

}  // namespace aw::actors
