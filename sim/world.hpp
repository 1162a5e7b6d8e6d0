// sim/world.hpp — the simulated Qubes machine `actorwall --sim` runs in: the simulated
// hypervisor, the project's xenstored, a QubesDB daemon with the firewall qube's
// configuration, a simulated netvm behind the uplink vif, and N client qubes with their
// vifs attached and a traffic script each. The service itself is not part of it: it is
// started as on Xen, over platform() and qubesdb_socket().
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "xen/platform.hpp"
#include "qubes/fake_qubesdb.hpp"
#include "sim/client_qube.hpp"
#include "sim/netvm.hpp"
#include "xen/sim/hypervisor.hpp"
#include "xen/sim/xenstored.hpp"

namespace aw::sim {

struct world_config {
  std::size_t clients = 2;                         // 10.137.0.10, .11, ...
  std::chrono::milliseconds round_interval{100};  // each client's probes
};

class world {
 public:
  static constexpr xen::domid firewall_dom = 1, netvm_dom = 2, first_client_dom = 10;
  static constexpr std::size_t max_clients = 200;

  // Builds everything but the traffic (started by start_traffic).
  static xen::xen_result<std::unique_ptr<world>> create(world_config config);
  ~world();
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  // The Xen platform of the firewall domain (for --xen's vif watcher and the uplink netfront):
  // its XenStore connections are the firewall's, through the firewall domain's socket.
  [[nodiscard]] xen::xen_platform platform() const;
  [[nodiscard]] std::string qubesdb_socket() const;
  [[nodiscard]] std::string uplink_frontend_path() const;

  // Client qubes poll their vifs on a thread; rounds of probes every round_interval while
  // their vif is connected.
  void start_traffic();
  // No new rounds; answers still taken (call before the service stops, then wait a little).
  void stop_rounds();
  // Stops the traffic thread (after the service has stopped).
  void stop_traffic();

  // One line per client: each probe's sent/answered (and wrong) counts; every probe answered
  // once the rounds stopped and the last answers arrived is the good end. Only after
  // stop_traffic(): the counters belong to the traffic thread while it runs.
  [[nodiscard]] std::string report() const;
  [[nodiscard]] bool all_answered() const;

 private:
  explicit world(world_config config);
  xen::status build();
  void run_traffic();

  world_config config_;
  std::filesystem::path dir_;
  std::shared_ptr<xen::sim::hypervisor> hv_;
  std::unique_ptr<xen::sim::xenstored> xenstored_;
  std::unique_ptr<xen::xenstore> toolstack_;  // dom0's
  std::unique_ptr<qubes::fake_qubesdb> qubesdb_;
  std::thread qubesdb_thread_;
  std::unique_ptr<netvm> netvm_;
  std::vector<std::unique_ptr<client_qube>> clients_;
  std::atomic<bool> rounds_{true}, traffic_running_{false};
  std::thread traffic_;
};

}  // namespace aw::sim
