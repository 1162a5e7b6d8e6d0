// actors/netback_device.hpp — a client vif as a port's frame device: the xenbus backend
// state machine on the vif's own XenStore connection plus the netback data path, behind
// one pollable fd that stays the same across reconnects.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/frame_device.hpp"
#include "xen/netback/vif_backend.hpp"
#include "xen/xenstore.hpp"

namespace aw::actors {

class netback_device final : public frame_device {
 public:
  // Watches the vif's backend and frontend directories and takes the first
  // xenbus step at once (InitWait within libxl's 10 s starts here).
  static xen::xen_result<std::unique_ptr<netback_device>> open(std::unique_ptr<xen::xenstore> xs,
                                                               std::string backend_path,
                                                               xen::netback::open_handles_fn open_handles,
                                                               xen::netback::connection_config config = {},
                                                               std::chrono::milliseconds removal_delay =
                                                                   std::chrono::milliseconds{500});
  ~netback_device() override;

  [[nodiscard]] int fd() const override { return epoll_fd_; }
  std::size_t receive(std::vector<proto::packet>& out, std::size_t max, proto::buffer_pool& pool) override;
  std::size_t send(std::span<const proto::packet> frames) override;
  [[nodiscard]] std::string counters(const std::string& prefix) const override;
  // The backend directory is gone (dom0 detached the vif): the port ends.
  [[nodiscard]] bool gone() const override { return gone_; }

  [[nodiscard]] const xen::netback::vif_identity& identity() const { return vif_->identity(); }
  [[nodiscard]] xen::xenbus_state state() const { return vif_->state(); }

 private:
  netback_device() = default;
  void step();

  std::unique_ptr<xen::xenstore> xs_;
  std::unique_ptr<xen::netback::vif_backend> vif_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;  // wakes a step due without an event (vif_backend::next_deadline)
  int conn_fd_ = -1;  // the connection's fd while it is in the epoll set
  bool gone_ = false;
  xen::netback::connection_counters retired_;  // sums over closed connections
  std::uint64_t rx_not_connected_ = 0;
};

}  // namespace aw::actors
