// app/options.cpp — CLI11 definitions and value checks.
#include "app/options.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace aw::app {
namespace {

// NAME[@NETNS]
tap_port parse_tap(const std::string& text) {
  tap_port t;
  auto at = text.find('@');
  t.name = text.substr(0, at);
  if (at != std::string::npos) t.netns = text.substr(at + 1);
  if (t.name.empty() || t.name.size() > 15) throw CLI::ValidationError("TAP name '" + t.name + "' must be 1-15 characters");
  if (t.netns && t.netns->empty()) throw CLI::ValidationError("empty network namespace after '@'");
  return t;
}

}  // namespace

parse_outcome parse_options(int argc, char** argv) {
  options o;
  CLI::App cli{"actorwall: a firewall and NAT service for QubesOS (replaces sys-firewall)"};
  cli.set_version_flag("--version", std::string{"actorwall " AW_VERSION});
  cli.footer("A running service's counters and states: actorwall status [--socket PATH] [--json | --raw] [--client IP] [--watch SECONDS]");
  // Every option can also come from a TOML file: the long name as the key
  // (uplink-tap = "aw-up@netvm", client-tap = ["vif1=10.137.0.10"], xen = true);
  // the command line wins. An unknown key is an error, not ignored.
  cli.set_config("--config", "", "read options from this TOML file (keys: the long option names)");
  cli.allow_config_extras(false);
  cli.add_option("--qubesdb", o.qubesdb_socket, "QubesDB socket (network config and firewall rules)")
      ->capture_default_str();
  std::string uplink_tap;
  cli.add_option("--uplink-tap", uplink_tap, "uplink on a TAP device actorwall creates: NAME[@NETNS]");
  std::string uplink_if;
  cli.add_option("--uplink-interface", uplink_if, "uplink by AF_PACKET on an existing interface (see docs/link.md)");
  unsigned uplink_vif = 0;
  auto* uplink_vif_opt = cli.add_option("--uplink-xen-vif", uplink_vif,
                 "uplink on this domain's own Xen vif ID (device/vif/ID, backend in the netvm) by the userspace "
                 "netfront; the kernel's xen-netfront must not be bound to it (see docs/qubes-firewall-qube.md)")
      ->check(CLI::Range(0u, 0xffffu));
  std::vector<std::string> clients;
  cli.add_option("--client-tap", clients, "a client on a TAP device actorwall creates: NAME=IP[@NETNS] (repeatable)");
  cli.add_flag("--xen", o.xen,
               "serve the client vifs dom0 gives this domain (userspace netback through /dev/xen; "
               "the kernel's xen-netback must not be loaded)");
  std::string trace_file, pcap_dir;
  cli.add_option("--trace", trace_file,
                 "record the messages between actors as Chrome trace-event JSON in this file (Perfetto, chrome://tracing)");
  cli.add_option("--pcap", pcap_dir, "write each interface's frames to DIR/<interface>.pcap (tshark, Wireshark)");
  std::string status;
  cli.add_option("--status-socket", status, "serve the counters on this unix socket (one dump per connection)");
  std::string level = "info";
  cli.add_option("--log-level", level, "error, warning, info or debug")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}))
      ->capture_default_str();
  cli.add_flag("--silent-drop", o.silent_drop, "drop refused packets silently (default: ICMP admin-prohibited, as Linux)");
  cli.add_option("--startup-timeout", o.startup_timeout_s, "seconds to wait for QubesDB at start")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  auto* sim_opt = cli.add_option("--sim", o.sim_clients,
                                 "run in a simulated Qubes machine (no Xen, no root): simulated hypervisor, "
                                 "xenstored, QubesDB, a netvm and N client qubes sending probes; for tracing")
                      ->check(CLI::Range(1u, 200u));
  cli.add_option("--sim-seconds", o.sim_seconds, "with --sim: stop after this many seconds and report (0: at SIGTERM)")
      ->check(CLI::Range(0.0, 86400.0))
      ->needs(sim_opt);
  cli.add_option("--workers", o.workers, "actor worker threads (default: one per CPU this process may use)")
      ->check(CLI::Range(1u, 64u));
  try {
    cli.parse(argc, argv);
    if (!uplink_tap.empty()) o.uplink_tap = parse_tap(uplink_tap);
    if (!uplink_if.empty()) o.uplink_interface = uplink_if;
    if (uplink_vif_opt->count() != 0) o.uplink_xen_vif = uplink_vif;
    const int uplinks = int{o.uplink_tap.has_value()} + int{o.uplink_interface.has_value()} +
                        int{o.uplink_xen_vif.has_value()} + int{sim_opt->count() != 0};
    if (sim_opt->count() != 0 && (o.xen || !clients.empty()))
      throw CLI::ValidationError("--sim runs its own simulated clients and uplink: no --xen or --client-tap with it");
    if (sim_opt->count() != 0 && o.silent_drop)
      throw CLI::ValidationError("--sim checks that refused flows are answered (ICMP admin-prohibited): no --silent-drop");
    if (uplinks > 1) throw CLI::ValidationError("choose one uplink: --uplink-tap, --uplink-interface or --uplink-xen-vif (or --sim)");
    if (uplinks == 0)
      throw CLI::ValidationError("an uplink is needed: --uplink-tap, --uplink-interface or --uplink-xen-vif (or --sim)");
    for (const auto& c : clients) {
      auto eq = c.find('=');
      if (eq == std::string::npos) throw CLI::ValidationError("--client-tap wants NAME=IP[@NETNS], got '" + c + "'");
      auto rest = c.substr(eq + 1);
      auto at = rest.find('@');
      auto ip = proto::ipv4_address::parse(rest.substr(0, at));
      if (!ip) throw CLI::ValidationError("bad client address in '" + c + "'");
      tap_port t = parse_tap(c.substr(0, eq) + (at == std::string::npos ? "" : rest.substr(at)));
      t.client_ip = *ip;
      o.client_taps.push_back(std::move(t));
    }
    if (!status.empty()) o.status_socket = status;
    if (!trace_file.empty()) o.trace_file = trace_file;
    if (!pcap_dir.empty()) o.pcap_dir = pcap_dir;
    o.log_level = level == "error" ? actors::log_level::error
                  : level == "warning" ? actors::log_level::warning
                  : level == "debug" ? actors::log_level::debug
                                     : actors::log_level::info;
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, cli.exit(e)};
  }
  return {std::move(o), 0};
}

}  // namespace aw::app
