// app/options.hpp — the actorwall command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/log.hpp"
#include "protocol/address.hpp"

namespace aw::app {

struct tap_port {
  std::string name;                    // TAP device actorwall creates
  std::optional<std::string> netns;    // moved into this namespace once created
  proto::ipv4_address client_ip;       // clients only
};

struct options {
  std::string qubesdb_socket = "/var/run/qubes/qubesdb.sock";
  std::optional<tap_port> uplink_tap;
  std::optional<std::string> uplink_interface;  // AF_PACKET on an existing interface
  std::optional<unsigned> uplink_xen_vif;       // this domain's frontend vif <id>, by the userspace netfront
  std::vector<tap_port> client_taps;
  bool xen = false;  // serve this domain's client vifs (userspace netback)
  std::optional<std::string> trace_file;  // Chrome trace-event JSON of actor messages
  std::optional<std::string> pcap_dir;    // one pcap file per interface
  std::optional<std::string> status_socket;
  actors::log_level log_level = actors::log_level::info;
  bool silent_drop = false;
  int startup_timeout_s = 30;  // for QubesDB to answer at start
  unsigned workers = 0;        // CAF worker threads; 0: one per usable CPU
  unsigned sim_clients = 0;    // --sim N: the service in a simulated Qubes machine with N client qubes
  double sim_seconds = 0;      // then stop after this long (0: at SIGTERM/SIGINT)
};

// Parses argv; on --help/--version or an error, prints and returns the exit code.
struct parse_outcome {
  std::optional<options> opts;
  int exit_code = 0;
};
parse_outcome parse_options(int argc, char** argv);

}  // namespace aw::app
