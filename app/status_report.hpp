// app/status_report.hpp — the status socket's "name value" lines read back and shown to a
// person (`actorwall status`): grouped into totals, the control actors, clients and ports,
// as a table or as JSON, optionally narrowed to one client.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"

namespace aw::app {

struct status_entry {
  std::string name;   // e.g. "port.vif3.0.tx_frames"
  std::string value;  // a count, or an address (port.<name>.client)
};

struct status_report {
  std::vector<status_entry> entries;  // in the order the service wrote them
  std::size_t malformed = 0;          // lines that are not "name value" (an old or foreign socket)
};

[[nodiscard]] status_report parse_status(std::string_view text);

// That client's lines (client.<ip>.*) and those of the ports serving it (port.<name>.client <ip>).
[[nodiscard]] status_report only_client(const status_report& report, proto::ipv4_address client);

// Sections ("totals", "drops", "nat", "supervisor", ...), a client table and a port table;
// each port with its xenbus state when it is a vif and every counter worth a look.
[[nodiscard]] std::string render_table(const status_report& report);
// {"totals": {...}, "drops": {...}, <section>: {...}, "clients": {ip: {...}}, "ports": {name: {...}}}:
// names within a group as the service writes them after the group's prefix; counts as numbers.
[[nodiscard]] std::string render_json(const status_report& report);
// The lines as the service wrote them (for scripts: awk '$1 == "nat.sessions"').
[[nodiscard]] std::string render_raw(const status_report& report);

}  // namespace aw::app
