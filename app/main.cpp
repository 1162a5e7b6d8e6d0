// app/main.cpp — the actorwall executable: options, start-up configuration, links, the
// actor system under its supervisor, signals (SIGTERM/SIGINT stop, SIGHUP reloads the
// rules, SIGUSR1 dumps the counters) and the status socket.
#include <caf/all.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string_view>
#include <thread>

#include "actors/config_actor.hpp"
#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "actors/netfront_device.hpp"
#include "xen/platform.hpp"
#include "actors/trace.hpp"
#include "actors/reactor.hpp"
#include "actors/scheduler.hpp"
#include "app/link_device.hpp"
#include "app/options.hpp"
#include "app/startup_config.hpp"
#include "app/status_command.hpp"
#include "app/status_server.hpp"
#include "link/netns.hpp"
#include "link/packet_link.hpp"
#include "link/tap_link.hpp"
#include "sim/world.hpp"
#include "supervisor/supervisor.hpp"

using namespace aw;

namespace {

const proto::mac_address default_uplink_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x01}};
const proto::mac_address backend_mac{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};  // the vif side, as Qubes
const proto::mac_address qubes_client_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x00}};

// A TAP device, moved into its namespace when one is named.
std::shared_ptr<link::link> open_tap(const app::tap_port& t) {
  auto tap = link::tap_link::open({.name = t.name});
  if (!tap) {
    actors::log_error("cannot create TAP " + t.name + ": " + tap.error().what);
    return nullptr;
  }
  if (t.netns) {
    auto ns = link::netns::open(*t.netns);
    if (!ns) {
      actors::log_error("network namespace " + *t.netns + ": " + ns.error().what);
      return nullptr;
    }
    if (auto e = link::move_link_to_netns((*tap)->ifindex(), ns->fd())) {
      actors::log_error("moving " + t.name + " into " + *t.netns + ": " + e->what);
      return nullptr;
    }
  }
  return std::shared_ptr<link::link>{std::move(*tap)};
}

std::function<std::unique_ptr<actors::frame_device>()> device_of(std::shared_ptr<link::link> l) {
  return [l] { return std::unique_ptr<actors::frame_device>{std::make_unique<app::link_device>(l)}; };
}

// A TAP port's devices: the same TAP across port restarts (a crash); once it is gone
// (deleted with the namespace it was moved to), a new TAP of the same name, moved into
// the namespace of that name when it exists again. While the namespace is missing it
// answers nullptr quietly and the supervisor keeps waiting.
std::function<std::unique_ptr<actors::frame_device>()> tap_devices(app::tap_port t, std::shared_ptr<link::link> first) {
  auto current = std::make_shared<std::shared_ptr<link::link>>(std::move(first));
  return [t = std::move(t), current]() -> std::unique_ptr<actors::frame_device> {
    auto& l = *current;
    if (l && l->gone()) l.reset();  // closes the old fd once the stopped port lets go of it too
    if (!l) {
      if (t.netns && ::access(("/run/netns/" + *t.netns).c_str(), F_OK) != 0) return nullptr;
      l = open_tap(t);
      if (!l) return nullptr;
      actors::log_info("TAP " + t.name + " created again" + (t.netns ? " in " + *t.netns : std::string{}));
    }
    return std::make_unique<app::link_device>(l);
  };
}

// The uplink on this domain's own frontend vif (userspace netfront). The first device is
// opened at once, so a wrong id or a missing /dev/xen fails the start; a port restart opens
// another. The device itself follows the netvm going and coming back.
std::function<std::unique_ptr<actors::frame_device>()> xen_uplink_devices(const xen::xen_platform& p, unsigned id) {
  const std::string path = "/local/domain/" + std::to_string(p.self) + "/device/vif/" + std::to_string(id);
  auto open = [p, path]() -> std::unique_ptr<actors::frame_device> {
    auto xs = p.open_xenstore();
    auto d = xs ? actors::netfront_device::open(std::move(*xs), path, p.open_front_handles)
                : xen::xen_result<std::unique_ptr<actors::netfront_device>>{xs.error()};
    if (!d) {
      actors::log_error("uplink " + path + ": " + std::string{xen::to_string(d.error())});
      return nullptr;
    }
    return std::move(*d);
  };
  auto first = std::make_shared<std::unique_ptr<actors::frame_device>>(open());
  if (!*first) return nullptr;
  return [first, open]() { return *first ? std::move(*first) : open(); };
}

int signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, s);
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals arrive only through the signalfd.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return ::signalfd(-1, &set, SFD_CLOEXEC);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view{argv[1]} == "status") return app::run_status_command(argc - 1, argv + 1);
  auto parsed = app::parse_options(argc, argv);
  if (!parsed.opts) return parsed.exit_code;
  const app::options& o = *parsed.opts;
  auto& log = actors::logger::instance();
  log.set_level(o.log_level);
  log.set_journal_prefix(std::getenv("JOURNAL_STREAM") != nullptr);

  const int sig_fd = signal_fd();
  // --sim: the simulated Qubes machine first; the service then runs on it as on Xen.
  std::unique_ptr<sim::world> world;
  std::string qubesdb_socket = o.qubesdb_socket;
  if (o.sim_clients != 0) {
    auto w = sim::world::create({.clients = o.sim_clients});
    if (!w) {
      actors::log_error("--sim: cannot build the simulated machine: " + std::string{xen::to_string(w.error())});
      return 1;
    }
    world = std::move(*w);
    qubesdb_socket = world->qubesdb_socket();
    actors::log_info("simulated Qubes machine: " + std::to_string(o.sim_clients) + " client qubes, a netvm");
  }
  auto net = app::read_startup_config(qubesdb_socket, std::chrono::seconds{o.startup_timeout_s});
  if (!net) {
    actors::log_error(net.error());
    return 1;
  }

  std::optional<xen::xen_platform> xen_platform;
  if (o.xen || o.uplink_xen_vif) {
    auto platform = xen::real_xen_platform();
    if (!platform) {
      actors::log_error(std::string{"--xen/--uplink-xen-vif: cannot reach XenStore or /dev/xen: "} +
                        std::string{xen::to_string(platform.error())});
      return 1;
    }
    xen_platform = std::move(*platform);
  }
  if (world) xen_platform = world->platform();

  // The links, before the actors that drive them.
  std::shared_ptr<link::link> uplink;
  std::function<std::unique_ptr<actors::frame_device>()> uplink_devices;
  if (o.uplink_tap) {
    uplink = open_tap(*o.uplink_tap);
    uplink_devices = tap_devices(*o.uplink_tap, uplink);
  }
  else if (o.uplink_interface) {
    auto p = link::packet_link::open({.interface = *o.uplink_interface});
    if (p) uplink = std::shared_ptr<link::link>{std::move(*p)};
    else actors::log_error("uplink " + *o.uplink_interface + ": " + p.error().what);
    uplink_devices = device_of(uplink);
  }
  else if (o.uplink_xen_vif || world) {
    uplink_devices = xen_uplink_devices(*xen_platform, o.uplink_xen_vif.value_or(0));
    if (!uplink_devices) return 1;
  }
  if (!uplink && !o.uplink_xen_vif && !world) return 1;  // a TAP or interface that did not open

  supervisor::supervisor_config sc;
  auto& fc = sc.firewall.firewall;
  // External ports (RFC 6056) and the NAT's hash salt must not be guessable: a fresh
  // seed per start (the library's default is fixed, for reproducible tests).
  std::random_device entropy;
  fc.nat.seed = (std::uint64_t{entropy()} << 32) ^ entropy();
  fc.gateway = net->netvm_gateway;
  fc.uplink_address = net->ip;
  for (auto dns : {net->netvm_primary_dns, net->netvm_secondary_dns})
    if (dns) fc.dns_servers.push_back(*dns);
  if (fc.dns_servers.empty())
    fc.dns_servers = {proto::ipv4_address::from_octets(10, 139, 1, 1), proto::ipv4_address::from_octets(10, 139, 1, 2)};
  fc.reject_with_icmp = !o.silent_drop;
  sc.uplink = {{.role = actors::port_role::uplink, .name = "uplink", .interface = 0,
                .own_mac = net->mac.value_or(default_uplink_mac), .own_ip = net->ip, .gateway_ip = net->gateway},
               uplink_devices};
  std::uint32_t next_interface = 1;
  for (const auto& c : o.client_taps) {
    auto l = open_tap(c);
    if (!l) return 1;
    sc.clients.push_back({{.role = actors::port_role::client, .name = c.name, .interface = next_interface++,
                           .own_mac = backend_mac, .client_ip = c.client_ip, .client_mac = qubes_client_mac},
                          tap_devices(c, l)});
  }

  if (o.xen || world) {
    actors::log_info("serving the client vifs of domain " + std::to_string(xen_platform->self));
    sc.xen = xen_platform;
  }

  if (o.trace_file || o.pcap_dir) {
    if (!actors::tracer::instance().start({o.trace_file.value_or(""), o.pcap_dir})) {
      actors::log_error("cannot create the trace file or the pcap directory");
      return 1;
    }
    actors::log_info("tracing:" + (o.trace_file ? " messages to " + *o.trace_file : std::string{}) +
                     (o.pcap_dir ? " frames to " + *o.pcap_dir + "/" : std::string{}));
  }

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::actorwall>();
  actors::configure_scheduler(cfg, o.workers);
  // The reactor outlives the actor system: actors forget their fds in their cleanup,
  // which may run until the system is destroyed.
  actors::reactor io;
  caf::actor_system sys{cfg};
  sc.config = actors::config_actor_config{qubesdb_socket};
  auto sup = supervisor::spawn_supervisor(sys, std::move(sc), io);
  actors::log_info("running: uplink " + net->ip.to_string() + " via " + net->gateway.to_string() + ", gateway " +
                   net->netvm_gateway.to_string() + " for " +
                   (o.xen || world ? std::string{"the client vifs in XenStore"}
                                   : std::to_string(o.client_taps.size()) + " clients"));

  auto dump = [&]() {
    caf::scoped_actor self{sys};
    std::string text;
    self->request(sup, std::chrono::seconds{3}, actors::stats_atom_v)
        .receive([&](const std::string& s) { text += s; }, [&](const caf::error&) {});
    return text;
  };
  std::optional<app::status_server> status;
  if (o.status_socket) status.emplace(*o.status_socket);
  if (world) world->start_traffic();
  const auto started = std::chrono::steady_clock::now();
  const auto sim_end = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>{o.sim_seconds});

  for (bool running = true; running;) {
    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {status ? status->fd() : -1, POLLIN, 0}};
    int timeout = -1;
    if (world && o.sim_seconds > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(sim_end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        actors::log_info("--sim-seconds elapsed: stopping");
        break;
      }
      timeout = static_cast<int>(left.count()) + 1;
    }
    if (::poll(fds, 2, timeout) < 0) continue;
    if (fds[1].revents & POLLIN) status->serve_one(dump);
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo si{};
    if (::read(sig_fd, &si, sizeof si) != sizeof si) continue;
    switch (si.ssi_signo) {
      case SIGHUP:
        actors::log_info("SIGHUP: reloading the rules from QubesDB");
        caf::anon_send(sup, actors::reload_atom_v);
        break;
      case SIGUSR1: {
        auto text = dump();
        std::fwrite(text.data(), 1, text.size(), stderr);
        break;
      }
      default:
        actors::log_info("stopping: tearing every port down");
        running = false;
    }
  }
  if (world) {
    world->stop_rounds();
    std::this_thread::sleep_for(std::chrono::milliseconds{500});  // the last round's answers
  }
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  actors::tracer::instance().stop();  // completes the JSON array
  actors::log_info("stopped");
  if (world) {
    world->stop_traffic();
    const auto text = world->report();
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!world->all_answered()) {
      actors::log_error("--sim: some probes were not answered as expected (see the report)");
      return 1;
    }
  }
  return 0;
}
