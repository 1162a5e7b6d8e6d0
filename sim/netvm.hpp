// sim/netvm.hpp — a simulated sys-net: the netback of the firewall's uplink vif (the xenbus
// backend state machine and its data path) on a thread of its own, answering ARP for its
// address and, through sim/responder, playing the Internet behind it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/buffer.hpp"
#include "protocol/dissect.hpp"
#include "sim/responder.hpp"
#include "xen/netback/vif_backend.hpp"
#include "xen/sim/hypervisor.hpp"
#include "xen/toolstack.hpp"

namespace aw::sim {

struct netvm_config {
  xen::domid firewall = 1;  // whose uplink vif this netvm serves (its frontend domain)
  xen::domid self = 2;
  proto::mac_address mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x05}};
  proto::mac_address firewall_mac{{0x00, 0x16, 0x3e, 0x5e, 0x6c, 0x01}};  // the uplink vif's (toolstack's) MAC
  internet net;
  std::size_t keep_seen = SIZE_MAX;  // packets kept for seen(): a long run keeps none
};

class netvm {
 public:
  // own: the netvm thread's XenStore connection; toolstack: dom0's, used from the caller's
  // thread for the vif's attach and detach (both dom0's: a simulated netvm may be any domain).
  // Attaches the uplink vif (as libxl at the firewall's start) and starts serving it.
  static xen::xen_result<std::unique_ptr<netvm>> start(std::shared_ptr<xen::sim::hypervisor> hv,
                                                       std::unique_ptr<xen::xenstore> own, xen::xenstore& toolstack,
                                                       netvm_config config);
  ~netvm();
  netvm(const netvm&) = delete;
  netvm& operator=(const netvm&) = delete;

  // The netvm goes away (shut down, restarted): dom0 detaches the uplink vif (Closing; the
  // firewall's frontend answers Closed; this backend removes its directory), then removes
  // the frontend directory. Waits up to `timeout` for the backend's removal.
  xen::status lose(std::chrono::milliseconds timeout = std::chrono::seconds{10});
  // It is back, maybe as another domain with another MAC (the qube's netvm changed).
  xen::status come_back(xen::domid d, proto::mac_address mac);
  void stop();

  // Sends an IP packet of the netvm's own making to the firewall's uplink.
  void inject(const byte_vector& ip);

  // Every IPv4 packet received, in order; those a predicate accepts; the checksum failures
  // (an L4 checksum is verified even when the sender said data_validated); connects.
  std::vector<byte_vector> seen();
  std::size_t seen_count(const std::function<bool(const proto::dissection&)>& pred);
  std::size_t bad_checksums();
  int connects();
  std::uint64_t received();
  // Frames dropped because they were sent to another MAC than this netvm's.
  std::uint64_t misaddressed();
  [[nodiscard]] xen::vif_spec uplink_vif();

 private:
  netvm(std::shared_ptr<xen::sim::hypervisor> hv, std::unique_ptr<xen::xenstore> own, xen::xenstore& toolstack,
        netvm_config config);
  xen::status attach();
  void run();
  void handle(const proto::packet& f, std::vector<proto::packet>& out);
  proto::packet frame(const byte_vector& ip, const proto::mac_address& dst);

  std::shared_ptr<xen::sim::hypervisor> hv_;
  std::unique_ptr<xen::xenstore> xs_;  // the netvm thread's
  xen::xenstore& ts_;                  // dom0's toolstack (the caller's thread)
  std::mutex mu_;
  netvm_config config_;
  bool stopped_ = false, step_due_ = false;
  proto::mac_address peer_mac_;  // the firewall's uplink, as its frames say
  std::unique_ptr<xen::netback::vif_backend> back_;
  proto::buffer_pool pool_;
  std::vector<byte_vector> seen_;
  std::size_t bad_checksums_ = 0;
  std::uint64_t received_ = 0, misaddressed_ = 0;
  int connects_ = 0;
  std::thread thread_;  // started last, once the rest is built
};

// Whether an IPv4 packet's header and L4 checksums hold (the L4 one summed here even when
// the sender said data_validated; a partial one, offloaded, is accepted).
bool checksums_ok(const byte_vector& ip, proto::packet_meta meta, proto::buffer_pool& pool);

// What a simulated host makes of a received Ethernet frame: the IPv4 packet it carries,
// trimmed to its total length (in `ip` for bad_checksum and ok).
enum class frame_ipv4 : std::uint8_t { not_ipv4, malformed, bad_checksum, ok };
frame_ipv4 ipv4_of(const proto::packet& frame, byte_vector& ip, proto::buffer_pool& pool);

}  // namespace aw::sim
